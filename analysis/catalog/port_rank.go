package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/output"
)

type portRank struct{}

func (portRank) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "port_rank", Group: darknetGroup, Title: "Port ranking",
		Doc: `Destination ports ranked by packets over the range, and the cumulative share of the packets ` +
			`of the ports up to each rank (the ECDF of packets over ports), with a zoom on the top ports, as ` +
			`the seed's port ranking. A port is its number whatever the protocol (80/tcp and 80/udp are ` +
			`port 80), and "-" is the port of the protocols without ports; ties go to the lower port.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam,
			{Name: "zoom", Kind: analysis.Int, Default: "14", Min: analysis.AtLeast(1), Doc: "how many of the top ports the zoom shows"}},
	}
}

func (portRank) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	tab := analysis.NewTable("port_rank", "Ports ranked by packets, and the cumulative share of the packets",
		"rank", "port", "packets", "share", "cum_share").WithUnit("share", output.Share).WithUnit("cum_share", output.Share)
	ecdf := chart.NewECDF("port_rank", "Cumulative share of the packets over ports ranked by packets")
	ecdf.X = chart.Axis{Title: "ports ranked by packets", Log: true}
	zoom := chart.NewLines("port_rank_top", "Cumulative share of the packets of the top ports")
	zoom.X = chart.Axis{Title: "rank of the port"}
	zoom.Y = chart.Axis{Title: "cumulative share of the packets", Unit: chart.UnitShare}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if r.ok {
		pp, err := ppStats(ctx, env, r)
		if err != nil {
			return nil, err
		}
		byPort := map[string]int64{}
		var total int64
		for _, row := range pp.Rows {
			n := analysis.AsInt(row[1])
			byPort[portName(analysis.AsInt(row[0]))] += n
			total += n
		}
		type port struct {
			name string
			num  int // -1 for "-"
			n    int64
		}
		var ports []port
		for name, n := range byPort {
			num := -1
			if name != "-" {
				fmt.Sscan(name, &num)
			}
			if n > 0 {
				ports = append(ports, port{name, num, n})
			}
		}
		slices.SortFunc(ports, func(a, b port) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.num, b.num)) })
		var cum int64
		var pts, top []chart.Point
		var names []string
		for i, p := range ports {
			cum += p.n
			share := float64(cum) / float64(total)
			tab.Add(int64(i+1), p.name, p.n, float64(p.n)/float64(total), share)
			pts = append(pts, chart.Point{X: float64(i + 1), Y: share})
			if int64(i) < v.Int("zoom") {
				top = append(top, chart.Point{X: float64(i + 1), Y: share})
				names = append(names, p.name)
			}
		}
		ecdf.Series = []chart.Series{{Name: "packets", Points: pts}}
		zoom.Series = []chart.Series{{Name: "packets", Points: top}}
		if len(names) > 0 {
			zoom.Note = "ports by rank: " + joinComma(names)
		}
	}
	return &analysis.Result{Tables: []analysis.Table{tab}, Charts: []*chart.Chart{ecdf.OrEmpty(noDarknet), zoom.OrEmpty(noDarknet)}}, nil
}

// joinComma joins names with ", ".
func joinComma(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
