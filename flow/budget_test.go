package flow

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/schema"
)

// TestMemoryBudget checks that live flows beyond Config.Memory end the
// flow idle the longest (a closed TCP flow first), written as its idle
// timeout would have written it then, and that a later packet of it starts
// a new flow: no packet is lost.
func TestMemoryBudget(t *testing.T) {
	budget := func(n int64) func(*Config) { return func(c *Config) { c.Memory = n * EntryBytes } }
	const (
		dns  = "8.8.8.8:53"
		web  = "1.1.1.1:443"
		web2 = "1.1.1.1:80"
		c1   = "10.0.0.1:5000"
		c2   = "10.0.0.2:40000"
		c3   = "10.0.0.3:40001"
	)
	var scan []pkt
	var scanWant []schema.Flow
	for i := range 10 {
		src := fmt.Sprintf("203.0.113.%d:%d", i+1, 1024+i)
		at := time.Duration(i) * sec
		scan = append(scan, tcpP(at, src, srv, syn, 0))
		scanWant = append(scanWant, tcpFlow(fl(int64(i+1), at, at, protoTCP, src, srv), 1, 0, 0, 0, syn, 0, "S0"))
	}
	cases := []struct {
		name string
		flowCase
		evicted int64
	}{
		{name: "scan", evicted: 7, flowCase: flowCase{
			cfg:  budget(3),
			pkts: scan,
			want: scanWant, // 1 to 7 ended to make room for 4 to 10, then 8 to 10 flushed
			ids:  []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		}},
		{name: "longest idle first, and back", evicted: 2, flowCase: flowCase{
			cfg: budget(2),
			pkts: []pkt{
				udpP(0, c1, dns, 30),
				tcpP(1*sec, c2, web, syn, 0),
				udpP(2*sec, dns, c1, 60),
				tcpP(3*sec, c3, web2, syn, 0),   // ends flow 2, idle since 1 s
				tcpP(4*sec, web, c2, synAck, 0), // ends flow 1, idle since 2 s; flow 2's answer starts flow 4
			},
			want: []schema.Flow{
				tcpFlow(fl(2, 1*sec, 1*sec, protoTCP, c2, web), 1, 0, 0, 0, syn, 0, "S0"),
				udpFlow(fl(1, 0, 2*sec, protoUDP, c1, dns), 1, 1, 30, 60, "SF"),
				tcpFlow(fl(3, 3*sec, 3*sec, protoTCP, c3, web2), 1, 0, 0, 0, syn, 0, "S0"),
				tcpFlow(fl(4, 4*sec, 4*sec, protoTCP, c2, web), 0, 1, 0, 0, 0, synAck, "OTH"),
			},
			ids: []int64{1, 2, 1, 3, 4},
		}},
		{name: "closed flow first", evicted: 1, flowCase: flowCase{
			cfg: budget(2),
			pkts: []pkt{
				udpP(0, c1, dns, 30),
				tcpP(1*sec, cli, srv, syn, 0),
				tcpP(1*sec+100*ms, srv, cli, synAck, 0),
				tcpP(1*sec+200*ms, cli, srv, finAck, 0),
				tcpP(1*sec+300*ms, srv, cli, finAck, 0),
				udpP(2*sec, c3, dns, 30), // ends the closed flow 2, not flow 1 idle longer
			},
			want: []schema.Flow{
				tcpFlow(fl(2, 1*sec, 1*sec+300*ms, protoTCP, cli, srv), 2, 2, 0, 0, syn|finAck, synAck|finAck, "SF"),
				udpFlow(fl(1, 0, 0, protoUDP, c1, dns), 1, 0, 30, 0, "S0"),
				udpFlow(fl(3, 2*sec, 2*sec, protoUDP, c3, dns), 1, 0, 30, 0, "S0"),
			},
			ids: []int64{1, 2, 2, 2, 2, 3},
		}},
		{name: "no limit", evicted: 0, flowCase: flowCase{
			cfg:  func(c *Config) { c.Memory = 0 },
			pkts: scan,
			want: scanWant,
			ids:  []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.cfg(&cfg)
			var flows []schema.Flow
			a := New(cfg, 1, func(f *schema.Flow) { flows = append(flows, *f) })
			ids := make([]int64, len(tt.pkts))
			maxLive := int(cfg.Memory / EntryBytes)
			for i, p := range tt.pkts {
				row, m := p.packet()
				a.Add(&row, &m)
				ids[i] = row.FlowID
				if cfg.Memory > 0 && a.Live() > maxLive {
					t.Fatalf("after packet %d: %d live flows, the budget holds %d", i+1, a.Live(), maxLive)
				}
			}
			a.Flush()
			if diff := cmp.Diff(tt.want, flows); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("packet flow ids (-want +got):\n%s", diff)
			}
			if a.Evicted() != tt.evicted {
				t.Errorf("Evicted() = %d, want %d", a.Evicted(), tt.evicted)
			}
		})
	}
}
