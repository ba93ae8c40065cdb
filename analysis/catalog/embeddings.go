package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netlens/netlens/analysis"
	"github.com/netlens/netlens/chart"
	"github.com/netlens/netlens/embed"
	"github.com/netlens/netlens/output"
	"github.com/netlens/netlens/services"
)

type embeddings struct{}

func (embeddings) Meta() analysis.Meta {
	w := embed.DarkVec()
	return analysis.Meta{
		Name: "embeddings", Group: darknetGroup, Title: "DarkVec: sender embeddings, k-NN classes and clusters",
		Doc: `DarkVec's embedding step. The corpus: the packets of the range from the senders the filter keeps ` +
			`(min_pkts in the window ending with the last day), in time order, grouped per hour of tz and ` +
			`service; each group is a sentence of sender addresses (the words) ordered by time, repeated ` +
			`senders in a row kept once, the sentences ordered by hour then service name (DarkVec's ` +
			`get_corpus). services=dks names the service of a port/proto pair by DarkVec's get_services ` +
			`(the domain-knowledge services, with unk_sys, unk_usr, unk_eph and icmp for the rest); ` +
			`services=auto makes each of the top_ports pairs by packets a service and the rest "other" ` +
			`(its auto-defined services). Skip-gram word2vec with negative sampling, as gensim trains it, ` +
			`learns a vector per sender (defaults: DarkVec's final model, 200 dimensions, a context window ` +
			`of 5, 5 noise words, one epoch, no subsampling); training is deterministic for a seed and a ` +
			`thread count. The senders of the last day are then classified by their k nearest other senders ` +
			`(cosine distance; a majority vote among their ground-truth classes, "unknown" a class too; a tie ` +
			`gives "n.a."), leave one out, as DarkVec's knnClassifier does: per class precision and recall, ` +
			`and classes proposed for the unknown senders. The graph of each sender's graph_k nearest ` +
			`neighbours, weighted by cosine similarity, is clustered by Louvain (DarkVec's knnGraph) and ` +
			`each cluster's mean silhouette (cosine) given. The chart is the senders' first two principal ` +
			`components, coloured by class. Classes in fold count as unknown. Where this departs from ` +
			`DarkVec's code: its majority_voting returns the alphabetically first class of the neighbours ` +
			`unless the first two tie, here the class with the most votes wins; python-louvain visits the ` +
			`nodes in a random order, here in order of address; threads merge their updates every 1,000 ` +
			`words where gensim's write as they go; scale=true standard-scales the vectors first, which ` +
			`DarkVec's classifier does not do.`,
		Tables: []string{"packets"},
		Params: []analysis.Param{dnFromParam, dnToParam, tzParam, foldParam, minPktsParam, windowParam,
			{Name: "services", Kind: analysis.String, Default: "dks", Choices: []string{"dks", "auto"},
				Doc: "the services of the sentences: DarkVec's domain-knowledge services, or the top_ports port/proto pairs"},
			{Name: "top_ports", Kind: analysis.Int, Default: "2500", Min: analysis.AtLeast(1),
				Doc: "with services=auto, the number of port/proto pairs that are services of their own"},
			{Name: "dim", Kind: analysis.Int, Default: strconv.Itoa(w.Dim), Min: analysis.AtLeast(1), Doc: "vector size"},
			{Name: "context", Kind: analysis.Int, Default: strconv.Itoa(w.Window), Min: analysis.AtLeast(1),
				Doc: "word2vec's window: the senders on each side of a sender that are its context"},
			{Name: "negative", Kind: analysis.Int, Default: strconv.Itoa(w.Negative), Min: analysis.AtLeast(1), Doc: "noise senders per pair"},
			{Name: "epochs", Kind: analysis.Int, Default: strconv.Itoa(w.Epochs), Min: analysis.AtLeast(1), Doc: "passes over the corpus"},
			{Name: "alpha", Kind: analysis.Float, Default: "0.025", Min: analysis.AtLeast(0), Doc: "learning rate at the start"},
			{Name: "min_alpha", Kind: analysis.Float, Default: "0.0001", Min: analysis.AtLeast(0), Doc: "learning rate at the end"},
			{Name: "sample", Kind: analysis.Float, Default: "0", Min: analysis.AtLeast(0), Doc: "subsampling threshold of frequent senders (0: none)"},
			{Name: "seed", Kind: analysis.Int, Default: strconv.FormatUint(w.Seed, 10), Min: analysis.AtLeast(0), Doc: "random seed of training"},
			{Name: "threads", Kind: analysis.Int, Default: "2", Min: analysis.AtLeast(1),
				Doc: "training threads; the vectors depend on the seed and on this number, not on the machine"},
			{Name: "k", Kind: analysis.Int, Default: "7", Min: analysis.AtLeast(1), Doc: "neighbours of the k-NN vote"},
			{Name: "graph_k", Kind: analysis.Int, Default: "3", Min: analysis.AtLeast(1), Doc: "neighbours of each sender in the k-NN graph"},
			{Name: "scale", Kind: analysis.Bool, Default: "false",
				Doc: "standard-scale the vectors (mean 0, variance 1 per dimension) before the k-NN, graph and silhouette"},
			{Name: "points", Kind: analysis.Int, Default: "20000", Min: analysis.AtLeast(1),
				Doc: "most senders drawn in the chart; beyond, every n-th of each class"},
		},
	}
}

func (embeddings) Run(ctx context.Context, env *analysis.Env, v analysis.Values) (*analysis.Result, error) {
	cfg := embed.DarkVec()
	cfg.Dim, cfg.Window, cfg.Negative, cfg.Epochs = int(v.Int("dim")), int(v.Int("context")), int(v.Int("negative")), int(v.Int("epochs"))
	cfg.Alpha, cfg.MinAlpha, cfg.Sample = v.Float("alpha"), v.Float("min_alpha"), v.Float("sample")
	cfg.Seed, cfg.Threads = uint64(v.Int("seed")), int(v.Int("threads"))
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("embeddings: %w", err)
	}
	cols := []string{"sender"}
	for i := 0; i < cfg.Dim; i++ {
		cols = append(cols, "dim_"+strconv.Itoa(i))
	}
	vecT := analysis.NewTable("embeddings", "The vector of each sender of the last day", cols...)
	knnT := analysis.NewTable("embeddings_knn", "Leave-one-out k-NN classification of the labelled senders of the last day, per class",
		"class", "support", "predicted", "correct", "precision", "recall").WithUnit("precision", output.Share).WithUnit("recall", output.Share)
	propT := analysis.NewTable("embeddings_proposals", "Classes the k-NN vote proposes for unknown senders of the last day",
		"sender", "class", "votes")
	clT := analysis.NewTable("embeddings_clusters", "Clusters of the k-NN graph: senders, mean silhouette, most frequent classes",
		"cluster", "size", "silhouette", "top_classes")
	c := chart.NewScatter("embeddings", "Senders of the last day, first two principal components of their vectors")
	c.X.Title, c.Y.Title = "component 1", "component 2"
	res := &analysis.Result{Tables: []analysis.Table{vecT, knnT, propT, clT}, Charts: []*chart.Chart{c}}
	r, err := darknetRange(ctx, env, v)
	if err != nil {
		return nil, err
	}
	if !r.ok {
		c.OrEmpty(noDarknet)
		return res, nil
	}
	corpus, senders, err := darkvecCorpus(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	if len(senders) == 0 {
		c.OrEmpty("no sender passes the filter")
		return res, nil
	}
	vectors, err := embed.Train(corpus, len(senders), cfg)
	if err != nil {
		return nil, fmt.Errorf("embeddings: %w", err)
	}
	corpus = nil

	// The senders of the last day, with their classes.
	d := env.Dialect()
	f, err := filteredIn(ctx, env, r, v)
	if err != nil {
		return nil, err
	}
	per := fmt.Sprintf("(SELECT src FROM packets WHERE %s AND src %s (%s) GROUP BY src)", r.lastDay(d), d.In(), f)
	t, err := env.Query(ctx, "SELECT src, class FROM ("+withClass(d, per, []string{"src"}, r.last,
		"SELECT src AS addr FROM packets WHERE "+r.lastDay(d))+") AS c ORDER BY src")
	if err != nil {
		return nil, fmt.Errorf("embeddings: senders of the last day: %w", err)
	}
	fold := folded(v)
	n := len(t.Rows)
	names := make([]string, n)
	classNames := make([]string, n)
	m := embed.NewMatrix(n, cfg.Dim)
	for i, row := range t.Rows {
		names[i] = analysis.AsString(row[0])
		classNames[i] = classOf(analysis.AsString(row[1]), fold)
		id, ok := senders[names[i]]
		if !ok {
			return nil, fmt.Errorf("embeddings: sender %s of the last day is not in the corpus", names[i])
		}
		copy(m.Row(i), vectors.Row(int(id)))
	}
	vectors = nil
	for i, s := range names {
		row := make([]any, 0, cfg.Dim+1)
		row = append(row, s)
		for _, x := range m.Row(i) {
			row = append(row, float64(x))
		}
		vecT.Add(row...)
	}
	if v.Bool("scale") {
		m = embed.StandardScale(m)
	}
	// Class ids: the known classes in name order, then unknown.
	var known []string
	for _, cn := range classNames {
		if cn != unknownClass {
			known = append(known, cn)
		}
	}
	slices.Sort(known)
	known = slices.Compact(known)
	unknownID := int32(len(known))
	className := func(id int32) string {
		switch {
		case id == embed.NA:
			return "n.a."
		case id == unknownID:
			return unknownClass
		}
		return known[id]
	}
	labels := make([]int32, n)
	var labelled, unlabelled []int
	var truth []int32
	for i, cn := range classNames {
		if cn == unknownClass {
			labels[i] = unknownID
			unlabelled = append(unlabelled, i)
			continue
		}
		j, _ := slices.BinarySearch(known, cn)
		labels[i] = int32(j)
		labelled = append(labelled, i)
		truth = append(truth, int32(j))
	}
	// One pass of neighbours serves the vote and the graph.
	k, gk, threads := int(v.Int("k")), int(v.Int("graph_k")), cfg.Threads
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	idx, dist, kk := embed.Neighbors(m, all, max(k, gk), threads)
	k, gk = min(k, kk), min(gk, kk)
	counts := make([]int, len(known)+1)
	vote := func(i int) (int32, int) {
		if k == 0 {
			return embed.NA, 0
		}
		return embed.Vote(labels, idx[i*kk:i*kk+k], counts)
	}
	pred := make([]int32, len(labelled))
	for q, i := range labelled {
		pred[q], _ = vote(i)
	}
	order := make([]int32, len(known))
	for i := range order {
		order[i] = int32(i)
	}
	scores, acc := embed.Evaluate(truth, pred, order)
	for _, s := range scores {
		knnT.Add(known[s.Class], s.Support, s.Predicted, s.Correct, s.Precision, s.Recall)
	}
	if len(labelled) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d-NN leave-one-out accuracy %.4f over %d labelled senders of %d",
			k, acc, len(labelled), n))
	}
	type proposal struct {
		sender, class string
		votes         int
	}
	var props []proposal
	for _, i := range unlabelled {
		if c, votes := vote(i); c != embed.NA && c != unknownID {
			props = append(props, proposal{names[i], known[c], votes})
		}
	}
	slices.SortFunc(props, func(a, b proposal) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(b.votes, a.votes), cmp.Compare(a.sender, b.sender))
	})
	for _, p := range props {
		propT.Add(p.sender, p.class, p.votes)
	}

	// The k-NN graph, its Louvain communities and their silhouettes.
	gidx, gdist := make([]int32, n*gk), make([]float32, n*gk)
	for i := range n {
		copy(gidx[i*gk:(i+1)*gk], idx[i*kk:])
		copy(gdist[i*gk:(i+1)*gk], dist[i*kk:])
	}
	community, modularity := embed.Louvain(embed.KNNGraph(n, gk, gidx, gdist))
	clusters := 0
	for _, cl := range community {
		clusters = max(clusters, int(cl)+1)
	}
	sil := embed.Silhouette(m, community, clusters)
	size := make([]int, clusters)
	silSum := make([]float64, clusters)
	perClass := make([]map[string]int, clusters)
	for i, cl := range community {
		size[cl]++
		silSum[cl] += sil[i]
		if perClass[cl] == nil {
			perClass[cl] = map[string]int{}
		}
		perClass[cl][classNames[i]]++
	}
	for cl := range clusters {
		type count struct {
			class string
			n     int
		}
		var cs []count
		for name, x := range perClass[cl] {
			cs = append(cs, count{name, x})
		}
		slices.SortFunc(cs, func(a, b count) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.class, b.class)) })
		var top []string
		for _, x := range cs[:min(3, len(cs))] {
			top = append(top, x.class+" "+strconv.Itoa(x.n))
		}
		clT.Add(int64(cl), int64(size[cl]), silSum[cl]/float64(size[cl]), strings.Join(top, ", "))
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d clusters of the %d-NN graph, modularity %.4f", clusters, gk, modularity))

	// The chart: a series per class, the known classes first.
	proj := embed.PCA(m)
	byClass := map[int32][]chart.Point{}
	for i := range n {
		byClass[labels[i]] = append(byClass[labels[i]], chart.Point{X: float64(proj.Data[2*i]), Y: float64(proj.Data[2*i+1])})
	}
	limit := int(v.Int("points"))
	drawn := 0
	for id := int32(0); id <= unknownID; id++ {
		pts := byClass[id]
		if len(pts) == 0 {
			continue
		}
		if n > limit {
			step := (n + limit - 1) / limit
			var kept []chart.Point
			for i := 0; i < len(pts); i += step {
				kept = append(kept, pts[i])
			}
			pts = kept
		}
		drawn += len(pts)
		c.Series = append(c.Series, chart.Series{Name: className(id), Points: pts})
	}
	if drawn < n {
		c.Note = fmt.Sprintf("%d of %d senders drawn: every %d-th of each class", drawn, n, (n+limit-1)/limit)
	}
	c.OrEmpty("no sender on the last day")
	return res, nil
}

// darkvecCorpus builds DarkVec's corpus from the packets of the range of
// the senders the filter keeps, read in time order (then sender, then
// port/proto, so that every engine gives the same order), one row at a
// time: the sentences as token ids, and the id of each sender.
func darkvecCorpus(ctx context.Context, env *analysis.Env, r dnRange, v analysis.Values) (*embed.Corpus, map[string]int32, error) {
	d := env.Dialect()
	f, err := filteredIn(ctx, env, r, v)
	if err != nil {
		return nil, nil, err
	}
	// The service of each port/proto key, as an index into the sorted
	// service names.
	serviceOf := func(key int64) string { return services.DarkVec(ppPortProto(key)) }
	if v.String("services") == "auto" {
		t, err := env.Query(ctx, fmt.Sprintf("SELECT %s AS ppk, count(*) AS n FROM packets WHERE %s AND src %s (%s) GROUP BY ppk",
			ppKey, r.all(d), d.In(), f))
		if err != nil {
			return nil, nil, fmt.Errorf("embeddings: top port/proto pairs: %w", err)
		}
		type kc struct{ key, n int64 }
		var list []kc
		for _, row := range t.Rows {
			list = append(list, kc{analysis.AsInt(row[0]), analysis.AsInt(row[1])})
		}
		slices.SortFunc(list, func(a, b kc) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.key, b.key)) })
		top := map[int64]bool{}
		for _, x := range list[:min(len(list), int(v.Int("top_ports")))] {
			top[x.key] = true
		}
		serviceOf = func(key int64) string {
			if top[key] {
				return ppName(key)
			}
			return "other"
		}
	}
	const keys = 131074
	var names []string
	for key := int64(0); key < keys; key++ {
		names = append(names, serviceOf(key))
	}
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	sorted = slices.Compact(sorted)
	svc := make([]int16, keys)
	for key, name := range names {
		i, _ := slices.BinarySearch(sorted, name)
		svc[key] = int16(i)
	}

	rows, err := env.Engine.Query(ctx, fmt.Sprintf("SELECT %s AS lt, src, %s AS ppk FROM packets WHERE %s AND src %s (%s) ORDER BY %s, src, ppk",
		r.local(d), ppKey, r.all(d), d.In(), f, d.EpochNs("ts")))
	if err != nil {
		return nil, nil, fmt.Errorf("embeddings: packets: %w", err)
	}
	defer rows.Close()
	corpus := &embed.Corpus{}
	senders := map[string]int32{}
	buckets := make([][]int32, len(sorted))
	const hourNs = int64(3600e9)
	hour := int64(-1 << 62)
	flush := func() {
		for i, b := range buckets {
			if len(b) > 0 {
				corpus.Add(b...)
				buckets[i] = b[:0]
			}
		}
	}
	var lt, key int64
	var src string
	for rows.Next() {
		if err := rows.Scan(&lt, &src, &key); err != nil {
			return nil, nil, fmt.Errorf("embeddings: packets: %w", err)
		}
		h := lt / hourNs
		if lt < 0 && lt%hourNs != 0 {
			h--
		}
		if h != hour {
			flush()
			hour = h
		}
		id, ok := senders[src]
		if !ok {
			id = int32(len(senders))
			senders[src] = id
		}
		if key < 0 || key >= keys {
			return nil, nil, fmt.Errorf("embeddings: port/proto key %d out of range", key)
		}
		b := buckets[svc[key]]
		if len(b) > 0 && b[len(b)-1] == id {
			continue // DarkVec's drop_duplicates
		}
		buckets[svc[key]] = append(b, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("embeddings: packets: %w", err)
	}
	flush()
	return corpus, senders, nil
}
