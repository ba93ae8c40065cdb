package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
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
		sum, err := prefixHash(ctx, r.Path, in.Size)
		if err != nil {
			return dataset.Input{}, false, err
		}
		if strings.EqualFold(sum, in.SHA256) {
			return in, true, nil
		}
	}
	return dataset.Input{}, false, nil
}

// prefixHash returns the hex sha256 of the first n bytes of the file at path.
func prefixHash(ctx context.Context, path string, n int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	r := io.LimitReader(f, n)
	for {
		if ctx.Err() != nil {
			return "", ErrInterrupted
		}
		k, err := r.Read(buf)
		h.Write(buf[:k])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
