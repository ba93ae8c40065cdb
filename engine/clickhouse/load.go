package clickhouse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/schema"
)

// flowBits is the number of low bits of a flow id numbering the flows of one
// ingest; the bits above them are the ingest's id. The ids of a dataset are
// unique in it; in ClickHouse, the ingest bits are replaced with the load's,
// so that flows from several datasets never share an id.
const flowBits = 40

// The statements of loads on the bookkeeping tables, and of deleting the
// rows of an interrupted load.
var (
	loadedInputsSQL = "SELECT id, sha256 FROM " + quote(inputsTable.name)
	lastLoadSQL     = "SELECT max(load) FROM " + quote(loadsTable.name)
	inputsSQL       = "SELECT id, name, path, sha256, size, frames, error, load FROM " + quote(inputsTable.name) + " ORDER BY load, path"
	// staleLoadsSQL finds the loads that started and neither finished nor
	// were abandoned.
	staleLoadsSQL = fmt.Sprintf(`SELECT load, inputs FROM %[1]s
		WHERE state = 'started' AND load GLOBAL NOT IN (SELECT load FROM %[2]s)
			AND load GLOBAL NOT IN (SELECT load FROM %[1]s WHERE state = 'abandoned')
		ORDER BY load`, quote(loadsTable.name), quote(inputsTable.name))
	// staleRows are the conditions matching the rows of loads: their
	// captures (packets, dns) or their numbers in the high bits of flow_id
	// (flows), bound to a list of either.
	staleRows = map[string]string{
		schema.Packets.Name:      "has(?, capture)",
		schema.DNSLog.Name:       "has(?, capture)",
		schema.PeerMessages.Name: "has(?, capture)",
		schema.PeerConns.Name:    "has(?, capture)",
		schema.Flows.Name:        fmt.Sprintf("has(?, toUInt32(intDiv(flow_id, %d)))", int64(1)<<flowBits),
	}
	pendingMutationsSQL = "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND table = ? AND is_done = 0"
)

// LoadProgress is a snapshot of a running load.
type LoadProgress struct {
	Rows, TotalRows int64 // rows read from the dataset so far, and in all
	Elapsed         time.Duration
}

// LoadStats summarises a load.
type LoadStats struct {
	Loaded  []dataset.Input  // inputs whose rows were inserted
	Skipped []dataset.Input  // inputs already in the database
	Rows    map[string]int64 // rows inserted per table
	Resumed int              // interrupted loads whose rows were removed first
	Bytes   int64            // Parquet bytes read
	Unread  int64            // rows of the dataset not read: their row groups held nothing to load
	// LabelKinds is the number of kinds of labels replaced by the
	// dataset's (see loadLabels).
	LabelKinds int
	Elapsed    time.Duration
}

// loadJob is one dataset ingest being copied, as load number id.
type loadJob struct {
	id     uint32
	ingest int
	inputs []dataset.Input // with their ids in the database
	ids    []string        // their ids in the dataset
}

// Load copies the rows of ds that the database does not hold yet. Inputs
// are recognised by sha256, so a capture loaded from another dataset is not
// loaded twice; each ingest of ds whose inputs are all new becomes one load,
// recorded before its rows are inserted, and its inputs are recorded only
// after every row is in. A load that was interrupted is found that way on
// the next Load, and its rows are deleted before anything else happens.
// Only one Load may run against a database at a time.
func (e *Engine) Load(ctx context.Context, ds *dataset.Dataset, progress func(LoadProgress)) (*LoadStats, error) {
	start := time.Now()
	st := &LoadStats{Rows: map[string]int64{}}
	resumed, err := e.cleanInterrupted(ctx)
	if err != nil {
		return nil, err
	}
	st.Resumed = resumed
	done, next, err := e.loadedInputs(ctx)
	if err != nil {
		return nil, err
	}

	m := ds.Manifest()
	byIngest := map[int][]dataset.Input{}
	for _, in := range m.Inputs {
		byIngest[in.Ingest] = append(byIngest[in.Ingest], in)
	}
	held := map[string]bool{} // sha256 of the inputs the database holds
	for _, sha := range done {
		held[sha] = true
	}
	var jobs []*loadJob
	for _, g := range m.Ingests {
		job := &loadJob{id: next, ingest: g.ID}
		var fresh, old []string
		for _, in := range byIngest[g.ID] {
			if held[in.SHA256] {
				old = append(old, in.ID)
				st.Skipped = append(st.Skipped, in)
				continue
			}
			fresh = append(fresh, in.ID)
			job.ids = append(job.ids, in.ID)
			if sha, ok := done[in.ID]; ok && sha != in.SHA256 {
				// Another capture (same size, head and tail) holds the
				// id in the database: this one takes one from its hash.
				id, err := freeID(in.SHA256, done)
				if err != nil {
					return nil, fmt.Errorf("load %s: input %s: %w", ds.Dir(), in.Path, err)
				}
				in.ID = id
			}
			done[in.ID] = in.SHA256
			job.inputs = append(job.inputs, in)
		}
		switch {
		case len(fresh) == 0:
			continue
		case len(old) > 0:
			return nil, fmt.Errorf("load %s: ingest %d read %s together with %s, which %s already holds; the flows of one ingest cannot be split: ingest %s into a dataset of its own and load that",
				ds.Dir(), g.ID, strings.Join(fresh, ", "), strings.Join(old, ", "), e.cfg, strings.Join(fresh, ", "))
		}
		if g.ID >= 1<<(63-flowBits) {
			return nil, fmt.Errorf("load %s: ingest id %d too large", ds.Dir(), g.ID)
		}
		jobs = append(jobs, job)
		next++
	}
	if len(jobs) == 0 {
		if st.LabelKinds, err = e.loadLabels(ctx, ds); err != nil {
			return nil, err
		}
		st.Elapsed = time.Since(start)
		return st, nil
	}
	if err := e.recordLoads(ctx, ds, jobs); err != nil {
		return nil, err
	}

	cp := newCopier(e, ds, jobs, progress)
	err = errors.Join(
		copyTable(ctx, cp, schema.Packets, func(p *schema.Packet) (uint32, bool) {
			return cp.byCapture(&p.Capture, &p.FlowID)
		}),
		copyTable(ctx, cp, schema.Flows, func(f *schema.Flow) (uint32, bool) {
			return cp.byFlow(&f.FlowID)
		}),
		copyTable(ctx, cp, schema.DNSLog, func(d *schema.DNS) (uint32, bool) {
			return cp.byCapture(&d.Capture, &d.FlowID)
		}),
		copyTable(ctx, cp, schema.PeerMessages, func(m *schema.PeerMessage) (uint32, bool) {
			var none int64
			return cp.byCapture(&m.Capture, &none)
		}),
		copyTable(ctx, cp, schema.PeerConns, func(c *schema.PeerConn) (uint32, bool) {
			var none int64
			return cp.byCapture(&c.Capture, &none)
		}),
	)
	cp.finish()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.recordInputs(ctx, jobs); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		st.Loaded = append(st.Loaded, j.inputs...)
	}
	st.Rows, st.Bytes, st.Unread = cp.inserted, cp.bytes.Load(), cp.unread.Load()
	if st.LabelKinds, err = e.loadLabels(ctx, ds); err != nil {
		return nil, err
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// freeID returns the first id made from sha256 that taken does not hold.
func freeID(sha256 string, taken map[string]string) (string, error) {
	for _, id := range dataset.HashIDs(sha256) {
		if _, ok := taken[id]; !ok {
			return id, nil
		}
	}
	return "", fmt.Errorf("no free capture id for sha256 %s", sha256)
}

// loadedInputs returns the sha256 of each input id the database holds, and
// the next free load number.
func (e *Engine) loadedInputs(ctx context.Context) (map[string]string, uint32, error) {
	n := e.nodes[0]
	done := map[string]string{}
	rows, err := n.db.QueryContext(ctx, loadedInputsSQL)
	if err != nil {
		return nil, 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sha string
		if err := rows.Scan(&id, &sha); err != nil {
			return nil, 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
		}
		done[id] = sha
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
	}
	var last uint32
	if err := n.db.QueryRowContext(ctx, lastLoadSQL).Scan(&last); err != nil {
		return nil, 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, loadsTable.name, err)
	}
	return done, last + 1, nil
}

// recordLoads notes that the jobs' loads have started.
func (e *Engine) recordLoads(ctx context.Context, ds *dataset.Dataset, jobs []*loadJob) error {
	version := ds.Manifest().NetlensVersion
	dir, err := filepath.Abs(ds.Dir())
	if err != nil {
		dir = ds.Dir()
	}
	now := time.Now().UnixNano()
	return e.insertRows(ctx, loadsTable, len(jobs), func(i int) []any {
		j := jobs[i]
		ids := make([]string, len(j.inputs))
		for k, in := range j.inputs {
			ids[k] = in.ID
		}
		return []any{j.id, now, version, dir, uint32(j.ingest), ids, "started"}
	})
}

// recordInputs notes, in one insert, that every row of the jobs' inputs is
// in the database.
func (e *Engine) recordInputs(ctx context.Context, jobs []*loadJob) error {
	type rec struct {
		in   dataset.Input
		load uint32
	}
	var recs []rec
	for _, j := range jobs {
		for _, in := range j.inputs {
			recs = append(recs, rec{in, j.id})
		}
	}
	now := time.Now().UnixNano()
	return e.insertRows(ctx, inputsTable, len(recs), func(i int) []any {
		r := recs[i]
		return []any{r.in.ID, r.in.SHA256, r.in.Name, r.in.Path, r.in.Size, r.in.Frames, r.in.Error, r.load, now}
	})
}

// insertRows inserts n rows of a bookkeeping table in one insert.
func (e *Engine) insertRows(ctx context.Context, t metaTable, n int, row func(int) []any) error {
	node := e.nodes[0]
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = quote(c[0])
	}
	b, err := node.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (%s)", quote(t.name), strings.Join(names, ", ")))
	if err != nil {
		return fmt.Errorf("clickhouse %s: insert into %s: %w", node.addr, t.name, err)
	}
	for i := range n {
		if err := b.Append(row(i)...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("clickhouse %s: insert into %s: %w", node.addr, t.name, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse %s: insert into %s: %w", node.addr, t.name, err)
	}
	return nil
}

// cleanInterrupted deletes the rows of every load that started and did not
// finish, and marks it so. It returns the number of such loads.
func (e *Engine) cleanInterrupted(ctx context.Context) (int, error) {
	n := e.nodes[0]
	rows, err := n.db.QueryContext(ctx, staleLoadsSQL)
	if err != nil {
		return 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, loadsTable.name, err)
	}
	type stale struct {
		load   uint32
		inputs []string
	}
	var loads []stale
	for rows.Next() {
		var s stale
		if err := rows.Scan(&s.load, &s.inputs); err != nil {
			rows.Close()
			return 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, loadsTable.name, err)
		}
		loads = append(loads, s)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, loadsTable.name, err)
	}
	if len(loads) == 0 {
		return 0, nil
	}
	var (
		ids      []uint32
		captures []string
	)
	for _, s := range loads {
		ids = append(ids, s.load)
		captures = append(captures, s.inputs...)
	}
	for _, node := range e.nodes {
		for _, t := range schema.Tables() {
			if staleRows[t.Name] == "" {
				continue // labels are replaced whole, never loaded in part
			}
			arg := any(captures)
			if t.Name == schema.Flows.Name {
				arg = ids
			}
			if err := node.deleteWhere(ctx, e.local(t.Name), staleRows[t.Name], arg); err != nil {
				return 0, err
			}
		}
	}
	now := time.Now().UnixNano()
	if err := e.insertRows(ctx, loadsTable, len(ids), func(i int) []any {
		return []any{ids[i], now, "", "", uint32(0), []string{}, "abandoned"}
	}); err != nil {
		return 0, err
	}
	return len(loads), nil
}

// local returns the name of the table holding a node's own rows of table.
func (e *Engine) local(table string) string {
	if e.cfg.Cluster != "" {
		return table + localSuffix
	}
	return table
}

// deleteWhere deletes the rows of a table matching cond, when there are
// any, and waits until the deletion is done.
func (n *node) deleteWhere(ctx context.Context, table, cond string, arg any) error {
	var count uint64
	if err := n.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count() FROM %s WHERE %s", quote(table), cond), arg).Scan(&count); err != nil {
		return fmt.Errorf("clickhouse %s: count stale rows of %s: %w", n.addr, table, err)
	}
	if count == 0 {
		return nil
	}
	if err := n.exec(ctx, fmt.Sprintf("ALTER TABLE %s DELETE WHERE %s", quote(table), cond), arg); err != nil {
		return fmt.Errorf("delete stale rows of %s: %w", table, err)
	}
	for {
		var pending uint64
		if err := n.db.QueryRowContext(ctx, pendingMutationsSQL, table).Scan(&pending); err != nil {
			return fmt.Errorf("clickhouse %s: wait for the deletion in %s: %w", n.addr, table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// copier routes the rows of a dataset to their loads and inserts them.
type copier struct {
	e        *Engine
	ds       *dataset.Dataset
	captures map[string]capture // by id in the dataset
	ingests  map[int64]uint32   // dataset ingest id -> load
	progress func(LoadProgress)
	start    time.Time
	total    int64
	read     atomic.Int64 // rows read or passed over
	unread   atomic.Int64 // rows passed over
	bytes    atomic.Int64
	mu       sync.Mutex
	inserted map[string]int64
	stop     chan struct{}
	stopped  chan struct{}
}

func newCopier(e *Engine, ds *dataset.Dataset, jobs []*loadJob, progress func(LoadProgress)) *copier {
	cp := &copier{
		e: e, ds: ds, captures: map[string]capture{}, ingests: map[int64]uint32{},
		progress: progress, start: time.Now(), inserted: map[string]int64{},
		stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	for _, j := range jobs {
		cp.ingests[int64(j.ingest)] = j.id
		for i, in := range j.inputs {
			cp.captures[j.ids[i]] = capture{j.id, in.ID}
		}
	}
	for _, t := range schema.Tables() {
		if staleRows[t.Name] != "" { // the tables copied; labels go whole
			cp.total += ds.Rows(t.Name)
		}
	}
	go func() {
		defer close(cp.stopped)
		if progress == nil {
			return
		}
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				cp.report()
			case <-cp.stop:
				return
			}
		}
	}()
	return cp
}

func (cp *copier) report() {
	cp.progress(LoadProgress{Rows: cp.read.Load(), TotalRows: cp.total, Elapsed: time.Since(cp.start)})
}

func (cp *copier) finish() {
	close(cp.stop)
	<-cp.stopped
	if cp.progress != nil {
		cp.report()
	}
}

// capture is where the rows of a capture go: their load and their capture
// id in the database.
type capture struct {
	load uint32
	id   string
}

// byCapture says whether a row of a capture is being loaded and rewrites
// its capture and flow ids for the database.
func (cp *copier) byCapture(id *string, flowID *int64) (uint32, bool) {
	c, ok := cp.captures[*id]
	if !ok {
		return 0, false
	}
	*id = c.id
	if *flowID != 0 {
		*flowID = int64(c.load)<<flowBits | *flowID&(1<<flowBits-1)
	}
	return c.load, true
}

// byFlow says whether a flow is being loaded and rewrites its id.
func (cp *copier) byFlow(flowID *int64) (uint32, bool) {
	load, ok := cp.ingests[*flowID>>flowBits]
	if ok {
		*flowID = int64(load)<<flowBits | *flowID&(1<<flowBits-1)
	}
	return load, ok
}

// copyTable reads every row group of table t's files, keeps the rows keep
// accepts (it may rewrite them), and inserts them in batches of
// cfg.BatchRows: row groups are read by one goroutine per core, and at most
// cfg.Inserts inserts run at a time.
func copyTable[T any](ctx context.Context, cp *copier, t *schema.Table, keep func(*T) (uint32, bool)) error {
	cols, err := columnsOf[T](t)
	if err != nil {
		return err
	}
	cfg := cp.e.cfg
	readers := runtime.GOMAXPROCS(0)
	g, ctx := errgroup.WithContext(ctx)
	groups := make(chan rowGroup)
	batches := make(chan []T, cfg.Inserts)
	// Batches grow as rows come, so that a small table costs little.
	free := make(chan []T, readers+2*cfg.Inserts)
	for range cap(free) {
		free <- nil
	}
	g.Go(func() error {
		defer close(groups)
		for _, name := range cp.ds.Files(t.Name) {
			if err := cp.sendGroups(ctx, name, groups); err != nil {
				return err
			}
		}
		return nil
	})
	var reading sync.WaitGroup
	for range readers {
		reading.Add(1)
		g.Go(func() error {
			defer reading.Done()
			batch := <-free
			buf := make([]T, 4<<10)
			for rg := range groups {
				r := parquet.NewGenericRowGroupReader[T](rg.RowGroup)
				err := func() error {
					defer rg.release()
					defer r.Close()
					for {
						n, err := r.Read(buf)
						for i := range buf[:n] {
							if _, ok := keep(&buf[i]); !ok {
								continue
							}
							if batch = append(batch, buf[i]); len(batch) == cfg.BatchRows {
								select {
								case batches <- batch:
								case <-ctx.Done():
									return ctx.Err()
								}
								batch = <-free
							}
						}
						cp.read.Add(int64(n))
						if err == io.EOF {
							return nil
						}
						if err != nil {
							return fmt.Errorf("read %s: %w", rg.file, err)
						}
					}
				}()
				if err != nil {
					return err
				}
			}
			if len(batch) > 0 {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	go func() {
		reading.Wait()
		close(batches)
	}()
	for range cfg.Inserts {
		g.Go(func() error {
			for b := range batches {
				if ctx.Err() == nil {
					if err := insertColumns(ctx, cp.e.nodes[0], t, cols, b); err != nil {
						return err
					}
					cp.mu.Lock()
					cp.inserted[t.Name] += int64(len(b))
					cp.mu.Unlock()
				}
				free <- b[:0]
			}
			return ctx.Err()
		})
	}
	return g.Wait()
}

// rowGroup is a row group of an open file; release says it has been read.
type rowGroup struct {
	parquet.RowGroup
	file    string
	release func()
}

// sendGroups sends the row groups of a Parquet file that may hold rows
// being loaded to groups; the file is closed once every group sent is
// released.
func (cp *copier) sendGroups(ctx context.Context, name string, groups chan<- rowGroup) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", name, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", name, err)
	}
	var open atomic.Int64
	open.Store(1) // this function's reference
	release := func() {
		if open.Add(-1) == 0 {
			f.Close()
		}
	}
	defer release()
	for i, rg := range pf.RowGroups() {
		if !cp.mayHold(pf, i) {
			cp.read.Add(rg.NumRows())
			cp.unread.Add(rg.NumRows())
			continue
		}
		open.Add(1)
		select {
		case groups <- rowGroup{rg, name, release}:
		case <-ctx.Done():
			release()
			return ctx.Err()
		}
	}
	cp.bytes.Add(st.Size())
	return nil
}

// mayHold says whether row group i of pf may hold rows being loaded, from
// the least and greatest value of its capture column (packets, dns) or
// flow_id (flows, whose high bits are the ingest), so that loading a
// dataset's new ingests does not read its old ones.
func (cp *copier) mayHold(pf *parquet.File, i int) bool {
	col := "capture"
	leaf, ok := pf.Schema().Lookup(col)
	if !ok {
		col = "flow_id"
		if leaf, ok = pf.Schema().Lookup(col); !ok {
			return true
		}
	}
	st := pf.Metadata().RowGroups[i].Columns[leaf.ColumnIndex].MetaData.Statistics
	lo, hi := st.MinValue, st.MaxValue
	switch {
	case len(lo) == 0 || len(hi) == 0:
		return true
	case col == "capture":
		for id := range cp.captures {
			if id >= string(lo) && id <= string(hi) {
				return true
			}
		}
		return false
	case len(lo) != 8 || len(hi) != 8:
		return true
	}
	first := int64(binary.LittleEndian.Uint64(lo)) >> flowBits
	last := int64(binary.LittleEndian.Uint64(hi)) >> flowBits
	for g := range cp.ingests {
		if g >= first && g <= last {
			return true
		}
	}
	return false
}

// insertColumns inserts rows of table t in one columnar insert.
func insertColumns[T any](ctx context.Context, n *node, t *schema.Table, cols []column[T], rows []T) error {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quote(c.Name)
	}
	b, err := n.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (%s)", quote(t.Name), strings.Join(names, ", ")))
	if err != nil {
		return fmt.Errorf("clickhouse %s: insert into %s: %w", n.addr, t.Name, err)
	}
	for i, col := range cols {
		if err := b.Column(i).Append(col(rows)); err != nil {
			_ = b.Abort()
			return fmt.Errorf("clickhouse %s: insert into %s: column %s: %w", n.addr, t.Name, t.Columns[i].Name, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse %s: insert into %s: %w", n.addr, t.Name, err)
	}
	return nil
}

// Inputs returns the inputs whose rows the database holds, in load order.
func (e *Engine) Inputs(ctx context.Context) ([]dataset.Input, error) {
	n := e.nodes[0]
	rows, err := n.db.QueryContext(ctx, inputsSQL)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
	}
	defer rows.Close()
	var ins []dataset.Input
	for rows.Next() {
		var (
			in   dataset.Input
			load uint32
		)
		if err := rows.Scan(&in.ID, &in.Name, &in.Path, &in.SHA256, &in.Size, &in.Frames, &in.Error, &load); err != nil {
			return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
		}
		in.Ingest = int(load)
		ins = append(ins, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse %s: read %s: %w", n.addr, inputsTable.name, err)
	}
	return ins, nil
}

// Rows returns the number of rows of each dataset table.
func (e *Engine) Rows(ctx context.Context) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, t := range schema.Tables() {
		var c uint64
		if err := e.nodes[0].db.QueryRowContext(ctx, "SELECT count() FROM "+quote(t.Name)).Scan(&c); err != nil {
			return nil, fmt.Errorf("clickhouse %s: count %s: %w", e.nodes[0].addr, t.Name, err)
		}
		counts[t.Name] = int64(c)
	}
	return counts, nil
}
