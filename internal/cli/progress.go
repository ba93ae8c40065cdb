package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/ingest"
)

// progressBar shows an ingest (bytes of total, packets/s, ETA) or a load
// (rows of total, rows/s, ETA) on a terminal.
type progressBar struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	rate float64
}

// newProgressBar starts an ingest's bar, or a load's when rows.
func newProgressBar(w io.Writer, rows bool) *progressBar {
	pb := &progressBar{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(40))}
	counters, unit := decor.Counters(decor.SizeB1000(0), "% .1f / % .1f"), " packets/s"
	if rows {
		counters, unit = decor.CountersNoUnit("%d / %d rows"), " rows/s"
	}
	pb.bar = pb.p.New(0, mpb.BarStyle(),
		mpb.PrependDecorators(counters),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return siCount(pb.rate) + unit }, decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), "done"),
		),
	)
	return pb
}

func (pb *progressBar) update(p ingest.Progress) {
	pb.set(p.BytesRead, p.TotalBytes, p.Packets+p.Records, p.Elapsed)
}

func (pb *progressBar) load(p clickhouse.LoadProgress) {
	pb.set(p.Rows, p.TotalRows, p.Rows, p.Elapsed)
}

// set shows done of total, and count per second.
func (pb *progressBar) set(done, total, count int64, elapsed time.Duration) {
	if s := elapsed.Seconds(); s > 0 {
		pb.rate = float64(count) / s
	}
	pb.bar.SetTotal(total, false)
	pb.bar.SetCurrent(done)
}

func (pb *progressBar) finish() {
	pb.bar.SetTotal(-1, true)
	pb.p.Wait()
}

// siCount formats a count with an SI prefix: 1234567 -> "1.23 M".
func siCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
