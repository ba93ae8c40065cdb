package ingest

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/netlens/netlens/dataset"
)

// earlierState returns the input of ins that is an earlier, shorter state of
// the file of r: the same base name, a smaller size, and a sha256 equal to
// that of r's first bytes up to that size. A capture that tcpdump is still
// writing is such a file at each ingest of a cron job.
func earlierState(ctx context.Context, ins []dataset.Input, r *FileResult) (dataset.Input, bool, error) {
	name := filepath.Base(r.Path)
	for _, in := range ins {
		if in.Name != name || in.Size <= 0 || in.Size >= r.Size || in.SHA256 == "" {
			continue
		}
		sum, _, err := hashPrefix(ctx, r.Path, in.Size)
		if err != nil {
			return dataset.Input{}, false, err
		}
		if strings.EqualFold(sum, in.SHA256) {
			return in, true, nil
		}
	}
	return dataset.Input{}, false, nil
}
