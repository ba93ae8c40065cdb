// Command darknetrun measures the darknet analyses on a dataset: it runs
// every analysis of the catalogue's darknet group but embeddings, in
// report order on one environment (so that they share their scans, as in
// a report), on DuckDB or, with -engine, on ClickHouse, and prints the
// time of each, the total and the peak resident memory of the process
// (DuckDB runs inside it; a ClickHouse server's memory is its own).
//
//	go run ./bench/telescope -packets 15000000 -format pcap -o /tmp/month.pcap
//	netlens ingest /tmp/month.pcap -d /tmp/month && netlens label -d /tmp/month --kind class big_gt.csv
//	go run ./bench/darknetrun -d /tmp/month
//	go run ./bench/darknetrun -d /tmp/month -engine clickhouse://127.0.0.1:9000/month -load
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/analysis/catalog"
	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/clickhouse"
	"github.com/netlens/netlens/engine/duckdb"
)

func main() {
	dir := flag.String("d", "", "dataset directory (required)")
	engineURL := flag.String("engine", "", "clickhouse://host:port/db: run there instead of DuckDB")
	load := flag.Bool("load", false, "with -engine: load the dataset into the database first")
	var sets setFlags
	flag.Var(&sets, "set", "a parameter of every analysis that takes it, k=v (repeatable)")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	ds, err := dataset.Open(*dir)
	if err != nil {
		fail(err)
	}
	defer ds.Close()
	var eng engine.Engine
	if *engineURL == "" {
		eng, err = duckdb.Open(ctx, ds)
	} else {
		cfg, e := clickhouse.ParseDSN(*engineURL)
		if e != nil {
			fail(e)
		}
		ch, e := clickhouse.Open(ctx, cfg)
		if e != nil {
			fail(e)
		}
		if *load {
			start := time.Now()
			if _, err := ch.Load(ctx, ds, nil); err != nil {
				fail(err)
			}
			fmt.Printf("%-16s %8.1f s\n", "load", time.Since(start).Seconds())
		}
		eng = ch
	}
	if err != nil {
		fail(err)
	}
	defer eng.Close()
	env, err := analysis.NewEnv(ctx, eng)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s, %d packets\n", eng.Name(), ds.Rows("packets"))
	total := time.Duration(0)
	for _, a := range catalog.All() {
		m := a.Meta()
		if m.Group != "darknet" || m.Name == "embeddings" {
			continue
		}
		s := map[string]string{}
		for k, v := range sets {
			for _, p := range m.Params {
				if p.Name == k {
					s[k] = v
				}
			}
		}
		start := time.Now()
		if _, err := analysis.Run(ctx, a, env, s); err != nil {
			fail(err)
		}
		d := time.Since(start)
		total += d
		fmt.Printf("%-16s %8.1f s   peak RSS %s\n", m.Name, d.Seconds(), peakRSS())
	}
	fmt.Printf("%-16s %8.1f s   peak RSS %s\n", "total", total.Seconds(), peakRSS())
}

// setFlags are the -set parameters.
type setFlags map[string]string

func (s *setFlags) String() string { return fmt.Sprint(map[string]string(*s)) }

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q: want k=v", v)
	}
	if *s == nil {
		*s = map[string]string{}
	}
	(*s)[k] = val
	return nil
}

// peakRSS reads the peak resident memory of this process (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "darknetrun:", err)
	os.Exit(1)
}
