package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/netlens/netlens/ingest"
)

// progressBar shows an ingest on a terminal: bytes of total, packets/s, ETA.
type progressBar struct {
	p   *mpb.Progress
	bar *mpb.Bar
	pps float64
}

func newProgressBar(w io.Writer) *progressBar {
	pb := &progressBar{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(40))}
	pb.bar = pb.p.New(0, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Counters(decor.SizeB1000(0), "% .1f / % .1f")),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return siCount(pb.pps) + " packets/s" }, decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), "done"),
		),
	)
	return pb
}

func (pb *progressBar) update(p ingest.Progress) {
	if s := p.Elapsed.Seconds(); s > 0 {
		pb.pps = float64(p.Packets) / s
	}
	pb.bar.SetTotal(p.TotalBytes, false)
	pb.bar.SetCurrent(p.BytesRead)
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
