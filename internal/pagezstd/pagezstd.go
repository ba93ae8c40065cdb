// Package pagezstd makes the zstd encoders of the Parquet pages netlens
// writes, those of the dataset and those of a report's tables: parquet-go's
// codec at a level, but with a window of Window. Parquet-go's codec takes
// its encoders from a pool that each garbage collection empties, and gives
// each the level's window (4 MiB at the fastest level), whose history
// buffer of twice that is cleared and faulted in again for every new
// encoder and walked through by each page copied into it: the callers keep
// their encoders.
//
// pagezstd imports nothing of netlens.
package pagezstd

import "github.com/klauspost/compress/zstd"

// Window is the window of the encoders: larger than a page (parquet-go's
// page buffer is 256 KiB), so that each page is still one frame of a single
// segment, whose matches reach back to its start. The encoder copies every
// page of more than a block (128 KiB) into its history buffer of twice the
// window: 2 MiB rather than 8.
const Window = 1 << 20

// NewEncoder returns an encoder of Parquet pages at level.
func NewEncoder(level zstd.EncoderLevel) (*zstd.Encoder, error) {
	return zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(level),
		zstd.WithWindowSize(Window),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(false),
	)
}
