package output

import (
	"fmt"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netlens/netlens/internal/pagezstd"
)

// zstdCodec is the zstd codec of the Parquet files written here. It
// compresses as parquet-go's zstd.Codec at the same level does, with two
// differences that spare a report's processor time without changing the
// pages a reader gets back:
//
//   - Its encoders are kept in a free list across garbage collections.
//     parquet-go's codec keeps them in a pool that each collection empties,
//     and a report, which collects often, made a new encoder for most
//     files, its history buffer allocated and faulted in again each time.
//   - Their window is pagezstd.Window rather than the level's 4 MiB, which
//     made a history buffer of 8 MiB for pages a fraction of that size.
type zstdCodec struct {
	level kzstd.EncoderLevel

	mu   sync.Mutex
	free []*kzstd.Encoder // at most maxFreeEncoders

	// decode decompresses: Parquet writers never do, readers of the files
	// may.
	decode zstd.Codec
}

var _ compress.Codec = (*zstdCodec)(nil)

// maxFreeEncoders is the most encoders zstdCodec keeps: one for each file
// a report writes at a time, with room to spare. Each holds twice
// pagezstd.Window of history.
const maxFreeEncoders = 4

// String implements compress.Codec.
func (c *zstdCodec) String() string { return "ZSTD" }

// CompressionCodec implements compress.Codec.
func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode implements compress.Codec: it writes src compressed as one zstd
// frame to dst and returns it.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	e, err := c.encoder()
	if err != nil {
		return dst[:0], err
	}
	out := e.EncodeAll(src, dst[:0])
	c.mu.Lock()
	if len(c.free) < maxFreeEncoders {
		c.free = append(c.free, e)
	}
	c.mu.Unlock()
	return out, nil
}

// Decode implements compress.Codec.
func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return c.decode.Decode(dst, src)
}

// encoder takes an encoder off the free list, or makes one.
func (c *zstdCodec) encoder() (*kzstd.Encoder, error) {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		e := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	e, err := pagezstd.NewEncoder(c.level)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return e, nil
}
