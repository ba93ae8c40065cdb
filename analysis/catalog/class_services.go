package catalog

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/labels"
	"github.com/netlens/netlens/output"
	"github.com/netlens/netlens/services"
)

type classServices struct{}

// servicesParam names a file that changes the port/proto -> service map.
var servicesParam = analysis.Param{Name: "services", Kind: analysis.File,
	Doc: "CSV file of port/proto,service lines (445/tcp,netbios-smb; -/icmp,icmp) that replace or add to DarkVec's built-in service map"}

func (classServices) Meta() analysis.Meta {
	return analysis.Meta{
		Name: "class_services", Group: darknetGroup, Title: "Ground-truth classes and services",
		Doc: `For each ground-truth class, on the last day, of the senders the filter keeps: the share of the ` +
			`class' packets that goes to each service, DarkVec's services of port/proto pairs (telnet, ssh, ` +
			`http, netbios-smb, ...; icmp for the protocols without ports), with the unknown system, user ` +
			`and ephemeral ports (unk_sys, unk_usr, unk_eph) and proxy folded into "others", as the seed's ` +
			`heatmap. Every class has a row for every service seen that day, 0 where it sent nothing. ` +
			`Classes come as in classes, services by packets, most first.`,
		Tables: []string{"packets"},
		Labels: []string{labels.Class},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, minPktsParam, windowParam, foldParam, servicesParam},
	}
}

// serviceMap returns DarkVec's map, changed by the file of the services
// parameter when it is set.
func serviceMap(v analysis.Values) (*services.Map, error) {
	m := services.DarkVecMap()
	name := v.String("services")
	if name == "" {
		return m, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	defer f.Close()
	if err := m.Load(f, name); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return m, nil
}

// heatmapService is the seed's column of a service in the heatmap.
func heatmapService(s string) string {
	switch s {
	case services.UnknownSystem, services.UnknownUser, services.UnknownEphemeral, "proxy":
		return "others"
	}
	return s
}

func (classServices) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	tab := analysis.NewTable("class_services", "Share of each class' packets per service, on the last day",
		"class", "service", "share").WithUnit("share", output.Share)
	h := &chart.Heatmap{Value: chart.Axis{Title: "share of the class' packets", Unit: chart.UnitShare}}
	c := chart.NewHeatmap("class_services", "Share of each class' packets per service", h)
	c.X.Title, c.Y.Title = "service", "class"
	m, err := serviceMap(v)
	if err != nil {
		return nil, err
	}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if r.ok {
		cp, err := lastDayClasses(ctx, env, r, v)
		if err != nil {
			return nil, err
		}
		per := map[string]map[string]int64{}
		total := map[string]int64{}
		for class, pairs := range cp.pairs {
			per[class] = map[string]int64{}
			for _, p := range pairs {
				port, proto := ppPortProto(p.key)
				s := heatmapService(m.Service(port, proto))
				per[class][s] += p.packets
				total[s] += p.packets
			}
		}
		var svcs []string
		for s := range total {
			svcs = append(svcs, s)
		}
		slices.SortFunc(svcs, func(a, b string) int { return cmp.Or(cmp.Compare(total[b], total[a]), cmp.Compare(a, b)) })
		for _, class := range cp.byClassSenders() {
			if cp.packets[class] == 0 {
				continue
			}
			for _, s := range svcs {
				share := float64(per[class][s]) / float64(cp.packets[class])
				tab.Add(class, s, share)
				h.Add(s, class, share)
			}
		}
		c.Note = "last day " + r.dayOf(max(r.last, r.from))
	}
	return &analysis.Result{Tables: []analysis.Table{tab}, Charts: []*chart.Chart{c.OrEmpty("no senders kept by the filter on the last day")}}, nil
}
