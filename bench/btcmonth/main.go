// Command btcmonth writes a month of a busy Bitcoin node's message log in
// the tracepoint CSV layout (timestamp, peer_id, peer_addr,
// peer_conn_type, flow, msg_type, size), one zstd-compressed file per day,
// calibrated on the seed's real files in the corpus:
//
//   - the connections (address, type, how long they lasted) are drawn
//     from id-addr-mapping, as many as its 36 days hold for 30, each
//     starting at a uniform time of the month (or before it, as long
//     before as it lasts, so that the month begins in a steady state);
//   - each connection type's messages per second of connection, and its
//     mix of message types, come from connection_type_data (bytes per type
//     and message type) divided by each message type's mean message size
//     from overhead_data_est (messages = (message - payload bytes) / 24);
//   - a message type's share received (in) is its share of the bytes in
//     validation_data_est; its payload size is the mean, with a uniform
//     spread of +-50% above 64 bytes.
//
// The rates are scaled so that the month holds -messages messages. The
// output is deterministic for a -seed.
//
//	go run ./bench/btcmonth -messages 100000000 -o bench/out/btcmonth-100M
package main

import (
	"bufio"
	"compress/bzip2"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

func main() {
	messages := flag.Int64("messages", 100_000_000, "messages in the month")
	days := flag.Int("days", 30, "days")
	out := flag.String("o", "bench/out/btcmonth", "output directory")
	corpus := flag.String("corpus", "../shared/corpus/bitcoin", "the seed's files")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*messages, *days, *out, *corpus, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "btcmonth:", err)
		os.Exit(1)
	}
}

// conn is one connection of the month.
type conn struct {
	id         int64
	addr       string
	ctype      int
	start, end int64 // seconds from the month's start
}

// model is what the corpus gives: per connection type, messages per
// second and the cumulative mix of message types; per message type, the
// share received and the mean payload.
type model struct {
	types    []string
	msgTypes []string
	rate     []float64   // per conn type
	cum      [][]float64 // per conn type, over msgTypes
	inShare  []float64
	payload  []float64
}

func run(messages int64, days int, out, corpus string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	mapping, err := readCSV(filepath.Join(corpus, "id-addr-mapping.csv.bz2"))
	if err != nil {
		return err
	}
	overhead, err := readCSV(filepath.Join(corpus, "overhead_data_est_daily.csv.bz2"))
	if err != nil {
		return err
	}
	ctData, err := readCSV(filepath.Join(corpus, "connection_type_data_daily.csv.bz2"))
	if err != nil {
		return err
	}
	valid, err := readCSV(filepath.Join(corpus, "validation_data_est_daily.csv.bz2"))
	if err != nil {
		return err
	}
	m, conns, err := calibrate(mapping, overhead, ctData, valid, days, rng)
	if err != nil {
		return err
	}
	// Scale the rates so that the month holds the messages asked for.
	month := int64(days) * 86400
	var expected float64
	for _, c := range conns {
		expected += m.rate[c.ctype] * float64(max(min(c.end, month)-max(c.start, 0), 0))
	}
	scale := float64(messages) / expected
	for i := range m.rate {
		m.rate[i] *= scale
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	begin := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	var written int64
	t0 := time.Now()
	active := []*conn{}
	next := 0
	for d := range days {
		day := begin.AddDate(0, 0, d)
		path := filepath.Join(out, day.Format("2006-01-02")+".csv.zst")
		n, err := writeDay(path, day, int64(d)*86400, conns, &next, &active, m, rng)
		if err != nil {
			return err
		}
		written += n
		fmt.Fprintf(os.Stderr, "%s: %d messages (%d in all, %.0f/s)\n", path, n, written, float64(written)/time.Since(t0).Seconds())
	}
	fmt.Printf("%d messages, %d connections, %d days in %s\n", written, len(conns), days, out)
	return nil
}

// calibrate builds the model and the month's connections.
func calibrate(mapping, overhead, ctData, valid [][]string, days int, rng *rand.Rand) (*model, []*conn, error) {
	m := &model{}
	typeIdx := map[string]int{}
	typeOf := func(s string) int {
		i, ok := typeIdx[s]
		if !ok {
			i = len(m.types)
			typeIdx[s] = i
			m.types = append(m.types, s)
		}
		return i
	}
	// Messages and payload per message type.
	count, payload := map[string]float64{}, map[string]float64{}
	for _, r := range overhead[1:] {
		p, m2 := num(r[2]), num(r[3])
		count[r[1]] += (m2 - p) / 24
		payload[r[1]] += p
	}
	in, all := map[string]float64{}, map[string]float64{}
	for _, r := range valid[1:] {
		in[r[1]] += num(r[2])
		all[r[1]] += num(r[2]) + num(r[3])
	}
	// Messages per connection type and message type.
	perType := map[string]map[string]float64{}
	for _, r := range ctData[1:] {
		mt := r[2]
		if count[mt] == 0 {
			continue
		}
		mean := payload[mt]/count[mt] + 24
		if perType[r[1]] == nil {
			perType[r[1]] = map[string]float64{}
		}
		perType[r[1]][mt] += num(r[3]) / mean
	}
	for mt := range count {
		if count[mt] >= 1 {
			m.msgTypes = append(m.msgTypes, mt)
		}
	}
	slices.Sort(m.msgTypes)
	for _, mt := range m.msgTypes {
		share := 0.5
		if all[mt] > 0 {
			share = in[mt] / all[mt]
		}
		m.inShare = append(m.inShare, share)
		m.payload = append(m.payload, payload[mt]/count[mt])
	}
	// The connections of the mapping: its days hold len(mapping) of them;
	// the month holds its share, each at a uniform start.
	var all2 []*conn
	seconds := map[int]float64{}
	for _, r := range mapping[1:] {
		if len(r) < 5 {
			continue
		}
		d, err := duration(r[3])
		if err != nil {
			return nil, nil, fmt.Errorf("id-addr-mapping: %w", err)
		}
		ct := typeOf(r[4])
		all2 = append(all2, &conn{addr: r[2], ctype: ct, end: max(d, 1)})
		seconds[ct] += float64(max(d, 1))
	}
	const mappingDays = 36
	month := int64(days) * 86400
	rng.Shuffle(len(all2), func(i, j int) { all2[i], all2[j] = all2[j], all2[i] })
	conns := all2[:min(len(all2), len(all2)*days/mappingDays)]
	for _, c := range conns {
		// Uniform over the month and the time before it that the
		// connection may have begun: the month starts in a steady state.
		c.start = rng.Int64N(month+c.end) - c.end
		c.end += c.start
	}
	slices.SortFunc(conns, func(a, b *conn) int { return int(a.start - b.start) })
	for i, c := range conns {
		c.id = int64(i + 1)
	}
	// Rates: a type's messages over the seconds its connections lasted.
	m.rate = make([]float64, len(m.types))
	m.cum = make([][]float64, len(m.types))
	for ct, name := range m.types {
		var total float64
		cum := make([]float64, len(m.msgTypes))
		for i, mt := range m.msgTypes {
			total += perType[name][mt]
			cum[i] = total
		}
		if total == 0 || seconds[ct] == 0 {
			continue
		}
		for i := range cum {
			cum[i] /= total
		}
		m.cum[ct] = cum
		m.rate[ct] = total / seconds[ct]
	}
	return m, conns, nil
}

// event is one message of a day.
type event struct {
	us int64 // microseconds from the day's start
	c  *conn
	mt uint16
	in bool
	sz uint32
}

// writeDay writes the messages of one day, an hour at a time in time
// order.
func writeDay(path string, day time.Time, dayStart int64, conns []*conn, next *int, active *[]*conn, m *model, rng *rand.Rand) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(zw, 1<<20)
	w.WriteString("timestamp,peer_id,peer_addr,peer_conn_type,flow,msg_type,size\n")
	var (
		n      int64
		events []event
		line   []byte
	)
	prefix := day.Format("2006-01-02 ")
	for h := range int64(24) {
		from, to := dayStart+h*3600, dayStart+(h+1)*3600
		for *next < len(conns) && conns[*next].start < to {
			*active = append(*active, conns[*next])
			*next++
		}
		events = events[:0]
		keep := (*active)[:0]
		for _, c := range *active {
			if c.end <= from {
				continue
			}
			keep = append(keep, c)
			lo, hi := max(c.start, from), min(c.end, to)
			if hi <= lo || m.cum[c.ctype] == nil {
				continue
			}
			x := m.rate[c.ctype] * float64(hi-lo)
			k := int64(x)
			if rng.Float64() < x-float64(k) {
				k++
			}
			for range k {
				us := (lo-dayStart)*1e6 + rng.Int64N((hi-lo)*1e6)
				mt := uint16(min(sort(m.cum[c.ctype], rng.Float64()), len(m.msgTypes)-1))
				sz := m.payload[mt]
				if sz > 64 {
					sz *= 0.5 + rng.Float64()
				}
				events = append(events, event{us: us, c: c, mt: mt, in: rng.Float64() < m.inShare[mt], sz: uint32(math.Round(sz))})
			}
		}
		*active = keep
		slices.SortFunc(events, func(a, b event) int { return int(a.us - b.us) })
		for _, e := range events {
			line = append(line[:0], prefix...)
			sec := e.us / 1e6
			line = append2(line, sec/3600)
			line = append(line, ':')
			line = append2(line, sec/60%60)
			line = append(line, ':')
			line = append2(line, sec%60)
			line = append(line, '.')
			line = append6(line, e.us%1e6)
			line = append(line, "+00:00,"...)
			line = strconv.AppendInt(line, e.c.id, 10)
			line = append(line, ',')
			line = append(line, e.c.addr...)
			line = append(line, ',')
			line = append(line, m.types[e.c.ctype]...)
			if e.in {
				line = append(line, ",in,"...)
			} else {
				line = append(line, ",out,"...)
			}
			line = append(line, m.msgTypes[e.mt]...)
			line = append(line, ',')
			line = strconv.AppendUint(line, uint64(e.sz), 10)
			line = append(line, '\n')
			w.Write(line)
		}
		n += int64(len(events))
	}
	return n, errors.Join(w.Flush(), zw.Close(), f.Close())
}

// sort returns the index of the first cumulative share above x.
func sort(cum []float64, x float64) int {
	i, _ := slices.BinarySearch(cum, x)
	return i
}

func append2(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append6(b []byte, v int64) []byte {
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".bz2") {
		r = bzip2.NewReader(f)
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// duration reads pandas' "D days HH:MM:SS" into seconds.
func duration(s string) (int64, error) {
	d, rest, ok := strings.Cut(s, " days ")
	if !ok {
		return 0, fmt.Errorf("%q is not D days HH:MM:SS", s)
	}
	days, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not D days HH:MM:SS", s)
	}
	hms := strings.Split(strings.Split(rest, ".")[0], ":")
	if len(hms) != 3 {
		return 0, fmt.Errorf("%q is not D days HH:MM:SS", s)
	}
	var secs int64
	for _, p := range hms {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not D days HH:MM:SS", s)
		}
		secs = secs*60 + v
	}
	return days*86400 + secs, nil
}
