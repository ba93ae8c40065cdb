package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	kzstd "github.com/klauspost/compress/zstd"

	"github.com/netlens/netlens/internal/pagezstd"
)

// zstdInput returns n bytes that compress some: runs of a few letters and
// random bytes, repeating at distances up to 2 MiB.
func zstdInput(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, 0, n)
	for len(b) < n {
		switch k := r.IntN(3); {
		case k == 0 || len(b) < 64:
			for range r.IntN(200) {
				b = append(b, byte('a'+r.IntN(4)))
			}
		case k == 1:
			for range r.IntN(50) {
				b = append(b, byte(r.Uint32()))
			}
		default:
			from := r.IntN(min(len(b), 2<<20))
			l := min(r.IntN(300), from)
			b = append(b, b[len(b)-from:len(b)-from+l]...)
		}
	}
	return b[:n]
}

// TestZstdCodec: what zstdCodec compresses, of any size (more than its
// window too), a standard decoder and the codec's Decode give back whole.
func TestZstdCodec(t *testing.T) {
	c := &zstdCodec{level: kzstd.SpeedFastest}
	dec, err := kzstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, n := range []int{0, 1, 1000, 256 << 10, pagezstd.Window, 3 * pagezstd.Window} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := zstdInput(n)
			z, err := c.Encode(make([]byte, 7), src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.DecodeAll(z, nil)
			if err != nil {
				t.Fatalf("standard decoder: %v", err)
			}
			if !bytes.Equal(got, src) {
				t.Fatalf("standard decoder gave %d bytes back, not the %d compressed", len(got), len(src))
			}
			got, err = c.Decode(nil, z)
			if err != nil {
				t.Fatalf("codec's decoder: %v", err)
			}
			if !bytes.Equal(got, src) {
				t.Fatalf("codec's decoder gave %d bytes back, not the %d compressed", len(got), len(src))
			}
		})
	}
}

// TestZstdCodecReuse: encoders go back to the free list, at most
// maxFreeEncoders of them, and are taken from it again; pages compressed
// at the same time by several goroutines all come back whole, the same
// bytes as when compressed alone.
func TestZstdCodecReuse(t *testing.T) {
	c := &zstdCodec{level: kzstd.SpeedFastest}
	src := zstdInput(300 << 10)
	want, err := c.Encode(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	first := c.free[0]
	if _, err := c.Encode(nil, src); err != nil {
		t.Fatal(err)
	}
	if len(c.free) != 1 || c.free[0] != first {
		t.Fatalf("free list %v, want the one encoder %p again", c.free, first)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3*maxFreeEncoders)
	for i := range errs {
		wg.Go(func() {
			for range 5 {
				got, err := c.Encode(nil, src)
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("compressed to %d bytes, alone to %d", len(got), len(want))
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.free); n < 1 || n > maxFreeEncoders {
		t.Errorf("%d free encoders, want 1 to %d", n, maxFreeEncoders)
	}
}

// TestParquetLargePage: a page larger than the codec's window (one text
// of several MiB) reads back whole in DuckDB.
func TestParquetLargePage(t *testing.T) {
	db := openDB(t)
	q := `SELECT i::BIGINT AS id, repeat(md5(i::VARCHAR), 100000) AS blob FROM range(2) t(i) ORDER BY i`
	path := filepath.Join(t.TempDir(), "out.parquet")
	if err := os.WriteFile(path, run(t, db, q, Parquet, Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	check := fmt.Sprintf(`SELECT count(*) FROM ((SELECT * FROM read_parquet('%s')) EXCEPT ALL (%s))`, path, q)
	if diff := cmp.Diff([][]string{{"0"}}, rowsText(t, db, check)); diff != "" {
		t.Errorf("rows that differ (-want +got):\n%s", diff)
	}
}
