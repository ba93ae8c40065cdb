//go:build !unix

package ingest

import (
	"context"
	"errors"
	"time"
)

// relay needs FIFOs: elsewhere a stream is copied (see spool).
type relay struct{}

func startRelay(ctx context.Context, src, path string) (*relay, error) {
	return nil, errors.New("reading a stream without a copy needs FIFOs")
}

func (r *relay) streamID(at time.Time) (string, error) { return "", errors.ErrUnsupported }
func (r *relay) finish() (string, int64, error)        { return "", 0, errors.ErrUnsupported }
func (r *relay) stop()                                 {}
