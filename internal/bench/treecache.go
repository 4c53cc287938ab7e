package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// The tree-cache workload, the anchors' W7 (see their README, "W7 in
// detail"): a tree of P parents × C leaves is built by a setup session,
// then one cache.Tree on its own session goes through three phases:
//
//	load      t0 before Start, t1 = the subscription's Initialized event;
//	          then the cache is compared with the expected tree
//	propagate a writer session sets random leaves at a fixed rate (open
//	          loop); t0 = its Set returned, t1 = the subscription's first
//	          Created/Changed event with that value
//	churn     two writer sessions create/delete/set children under the
//	          first parents, one deletes and recreates a parent with its
//	          children in one multi at half time; after a quiesce the
//	          cache is compared with a fresh read of the server
//
// The "listener" is a Subscription read by one goroutine, timestamped
// when Next returns: what a user of the cache sees.

func init() {
	Register(Workload{
		Name: "tree-cache", Anchor: "W7",
		Help: "cache.Tree on 100×100 nodes: initial load ms, change propagation p50/p99, churn consistency, heap",
		Run:  runTreeCache,
	})
}

func runTreeCache(ctx context.Context, p *Params, e *Emitter) error {
	for _, v := range splitComma(p.W7Variants) {
		if _, ok := w7Watches[v]; !ok {
			p.Logf("tree-cache: no variant %q (zkrecipes has treecache, treecache-oneshot); skipped", v)
			continue
		}
		if err := runW7(ctx, p, e, v); err != nil {
			return err
		}
	}
	return nil
}

// w7Watches are the variants: the cache's two watch backends.
var w7Watches = map[string]cache.Watches{"treecache": cache.Persistent, "treecache-oneshot": cache.OneShot}

func splitComma(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// w7Tree is the expected tree: paths in creation order and their data.
type w7Tree struct {
	base   string
	paths  []string // base, then each parent followed by its leaves
	data   map[string][]byte
	leaves []string
}

func w7Padded(id string, size int) []byte {
	b := []byte(id)
	for len(b) < size {
		b = append(b, '.')
	}
	return b
}

func w7Parent(i int) string { return fmt.Sprintf("p%03d", i) }

func newW7Tree(base string, parents, children, size int) *w7Tree {
	t := &w7Tree{base: base, paths: []string{base}, data: map[string][]byte{base: {}}}
	for i := range parents {
		pp := base + "/" + w7Parent(i)
		t.paths = append(t.paths, pp)
		t.data[pp] = w7Padded(w7Parent(i)+";", size)
		for j := range children {
			l := fmt.Sprintf("%s/c%03d", pp, j)
			t.paths = append(t.paths, l)
			t.data[l] = w7Padded(fmt.Sprintf("%s/c%03d;", w7Parent(i), j), size)
			t.leaves = append(t.leaves, l)
		}
	}
	return t
}

// build creates the tree with one multi per parent (the parent and its
// leaves), as the anchors' setup does.
func (t *w7Tree) build(ctx context.Context, c *zkrecipes.Client, children int) error {
	if _, err := c.Create(ctx, t.base, nil, zkrecipes.Persistent, zkrecipes.WithParents()); err != nil {
		return fmt.Errorf("create %s: %w", t.base, err)
	}
	for i := 1; i < len(t.paths); i += children + 1 {
		reqs := make([]any, 0, children+1)
		for _, p := range t.paths[i : i+children+1] {
			reqs = append(reqs, &zk.CreateRequest{Path: p, Data: t.data[p]})
		}
		if _, err := c.Multi(ctx, reqs...); err != nil {
			return fmt.Errorf("setup multi at %s: %w", t.paths[i], err)
		}
	}
	return nil
}

// w7Sink is the cache's listener: it timestamps what a subscriber sees.
type w7Sink struct {
	epoch     time.Time
	initAt    atomic.Int64 // ns since epoch, 0: not yet
	initDone  chan struct{}
	lastEvent atomic.Int64
	events    atomic.Int64
	stale     atomic.Int64 // Stale events (a suspended connection)
	seen      atomic.Pointer[[]atomic.Int64]
}

func (s *w7Sink) now() int64 { return int64(time.Since(s.epoch)) }

func (s *w7Sink) listen(ctx context.Context, sub *cache.Subscription) {
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return
		}
		t := s.now()
		switch ev.Kind {
		case cache.Initialized:
			if s.initAt.CompareAndSwap(0, t) {
				close(s.initDone)
			}
			continue
		case cache.Stale:
			s.stale.Add(1)
			continue
		case cache.Reinitialized:
			continue
		case cache.Created, cache.Changed:
			if seen := s.seen.Load(); seen != nil {
				if q := w7Seq(ev.New.Data); q > 0 && q < len(*seen) {
					(*seen)[q].CompareAndSwap(0, t)
				}
			}
		}
		s.lastEvent.Store(t)
		s.events.Add(1)
	}
}

// w7Seq parses a propagation value (the decimal update number), -1 if the
// data are anything else.
func w7Seq(d []byte) int {
	if len(d) == 0 || len(d) > 9 {
		return -1
	}
	v := 0
	for _, b := range d {
		if b < '0' || b > '9' {
			return -1
		}
		v = v*10 + int(b-'0')
	}
	return v
}

// w7Run is one variant's state across its phases.
type w7Run struct {
	p     *Params
	e     *Emitter
	vname string
	tree  *w7Tree
	cache *cache.Tree
	sink  *w7Sink
	warns *warnCounter // warnings the cache logged
	reqs  *Counter     // requests of the cache's session
}

func runW7(ctx context.Context, p *Params, e *Emitter, variant string) error {
	P, C := p.W7Parents, p.W7Children
	if P < 1 || C < 1 || p.W7Payload < 0 || p.W7Updates < 0 || p.W7Rate <= 0 || p.W7ChurnParents < 1 ||
		p.W7ChurnParents > P || p.W7ChurnNames < 1 || p.W7ChurnNames > 100 || p.W7Inflight < 1 {
		return errors.New("tree-cache: bad --w7-* parameters (positive sizes, churn parents ≤ parents, churn names ≤ 100)")
	}
	base := benchRoot(p) + "/w7/" + variant
	r := &w7Run{p: p, e: e, tree: newW7Tree(base, P, C, p.W7Payload),
		vname: fmt.Sprintf("cache.Tree (%s watches, %d in flight)", map[cache.Watches]string{cache.Persistent: "persistent", cache.OneShot: "one-shot"}[w7Watches[variant]], p.W7Inflight),
		warns: &warnCounter{w: p.Log}, reqs: &Counter{}}
	setup, err := w7Connect(ctx, p)
	if err != nil {
		return err
	}
	defer setup.Close()
	defer w7Remove(setup, base, p.Root)
	ts := time.Now()
	if err := r.tree.build(ctx, setup, C); err != nil {
		return err
	}
	setupMs := msSince(ts)
	cc, err := w7Connect(ctx, p, zkrecipes.WithDialer(r.reqs.Dial), zkrecipes.WithLogger(r.warns.logger()))
	if err != nil {
		return err
	}
	defer cc.Close()
	r.cache = must(cache.NewTree(cc, base, cache.WithMaxInFlight(p.W7Inflight), cache.WithWatches(w7Watches[variant])))
	defer r.cache.Close()
	r.sink = &w7Sink{epoch: time.Now(), initDone: make(chan struct{})}
	sub := r.cache.Subscribe()
	defer sub.Close()
	lctx, stopListener := context.WithCancel(ctx)
	defer stopListener()
	go r.sink.listen(lctx, sub)

	// ---- load
	if p.W7HeapProfile != "" {
		runtime.MemProfileRate = 4096 // the allocations of the load, finely enough for per-node costs
	}
	heap0, rss0 := heapMB(), rssMB()
	if p.W7HeapProfile != "" { // the base for pprof -diff_base
		if err := writeHeapProfile(p.W7HeapProfile + ".before"); err != nil {
			return err
		}
	}
	req0 := r.reqs.Requests()
	ictx, cancel := context.WithTimeout(ctx, p.W7InitTimeout)
	t0 := r.sink.now()
	startErr := r.cache.Start(ictx)
	if startErr == nil {
		select {
		case <-r.sink.initDone:
		case <-ictx.Done():
			startErr = ictx.Err()
		}
	}
	cancel()
	loadReqs := r.reqs.Requests() - req0
	timedOut := startErr != nil
	initMs := any(nil)
	if !timedOut {
		initMs = R2(float64(r.sink.initAt.Load()-t0) / 1e6)
	}
	nodes, mi, ex, wr := r.compare(r.tree.data)
	heap1, rss1 := heapMB(), rssMB()
	heapDelta := heap1 - heap0
	if p.W7HeapProfile != "" {
		if err := writeHeapProfile(p.W7HeapProfile); err != nil {
			return err
		}
	}
	dataMB := float64(P*(C+1)*p.W7Payload) / (1 << 20)
	if w7Phase(p, "load") {
		e.Emit(Result{
			"impl": p.Impl, "workload": "W7", "variant": r.vname, "phase": "load",
			"init_ms": initMs, "nodes": nodes, "expected_nodes": len(r.tree.data),
			"mismatches": mi + ex + wr, "missing": mi, "extra": ex, "wrong_data": wr, "timed_out": timedOut,
			"rss_delta_mb": R2(rss1 - rss0), "heap_delta_mb": R2(heapDelta), "setup_ms": setupMs,
			"errors": r.warns.n.Load(),
			// beyond the anchors' fields
			"heap_per_10k_nodes_mb":             R2(heapDelta / float64(max(nodes, 1)) * 1e4),
			"heap_beyond_data_per_10k_nodes_mb": R2((heapDelta - dataMB) / float64(max(nodes, 1)) * 1e4),
			"requests":                          loadReqs,
			"goroutines":                        runtime.NumGoroutine(),
		})
	}
	if timedOut {
		return fmt.Errorf("tree-cache: load: %w", startErr)
	}
	if w7Phase(p, "propagate") {
		if err := r.propagate(ctx); err != nil {
			return err
		}
	}
	if w7Phase(p, "churn") {
		if err := r.churn(ctx); err != nil {
			return err
		}
	}
	return nil
}

func w7Phase(p *Params, name string) bool {
	for _, ph := range splitComma(p.W7Phases) {
		if ph == name {
			return true
		}
	}
	return false
}

func w7Connect(ctx context.Context, p *Params, opts ...zkrecipes.Option) (*zkrecipes.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return zkrecipes.Connect(cctx, p.Servers, append([]zkrecipes.Option{zkrecipes.WithSessionTimeout(p.SessionTimeout)}, opts...)...)
}

// compare counts the cache's nodes and its differences from ref.
func (r *w7Run) compare(ref map[string][]byte) (nodes, missing, extra, wrong int) {
	snap := r.cache.Snapshot()
	got := make(map[string][]byte, len(snap))
	for _, en := range snap {
		got[en.Path] = en.Data
	}
	missing, extra, wrong = compareTrees(got, ref)
	return len(snap), missing, extra, wrong
}

func compareTrees(got, ref map[string][]byte) (missing, extra, wrong int) {
	for k, v := range ref {
		g, ok := got[k]
		switch {
		case !ok:
			missing++
		case string(g) != string(v):
			wrong++
		}
	}
	for k := range got {
		if _, ok := ref[k]; !ok {
			extra++
		}
	}
	return missing, extra, wrong
}

// serverTree reads the server's tree under base, level by level with
// inflight reads outstanding, as the anchors' serverSnapshot does.
func serverTree(ctx context.Context, c *zkrecipes.Client, base string, inflight int) (map[string][]byte, error) {
	out := map[string][]byte{}
	var (
		mu       sync.Mutex
		firstErr error
	)
	level := []string{base}
	for len(level) > 0 {
		var next []string
		work := make(chan string)
		var wg sync.WaitGroup
		for range max(inflight, 1) {
			wg.Go(func() {
				for p := range work {
					d, _, err := c.Get(ctx, p)
					if errors.Is(err, zk.ErrNoNode) {
						continue
					}
					kids, _, kerr := c.Children(ctx, p)
					if errors.Is(kerr, zk.ErrNoNode) {
						kerr = nil
					}
					mu.Lock()
					if err = errors.Join(err, kerr); err != nil && firstErr == nil {
						firstErr = fmt.Errorf("server read %s: %w", p, err)
					}
					out[p] = d
					for _, k := range kids {
						next = append(next, p+"/"+k)
					}
					mu.Unlock()
				}
			})
		}
		for _, p := range level {
			work <- p
		}
		close(work)
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		level = next
	}
	return out, nil
}

// propagate is W7b: setData of random leaves at a fixed rate; latency from
// the write's return to the subscriber seeing the value.
func (r *w7Run) propagate(ctx context.Context) error {
	p := r.p
	U := p.W7Updates
	w, err := w7Connect(ctx, p)
	if err != nil {
		return err
	}
	defer w.Close()
	seen := make([]atomic.Int64, U+1)
	r.sink.seen.Store(&seen)
	tw := make([]int64, U+1)
	last := map[string]int{}
	rng := rand.New(rand.NewSource(p.W7Seed))
	var werrs int
	req0 := r.reqs.Requests()
	start := r.sink.now()
	for i := 1; i <= U; i++ {
		due := start + int64(float64(i-1)*1e9/p.W7Rate)
		if d := due - r.sink.now(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		leaf := r.tree.leaves[rng.Intn(len(r.tree.leaves))]
		if _, err := w.Set(ctx, leaf, []byte(strconv.Itoa(i)), -1); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			werrs++
			continue
		}
		tw[i] = r.sink.now()
		last[leaf] = i
	}
	wEnd := r.sink.now()
	if err := sleepCtx(ctx, time.Duration(p.W7QuiesceMs)*time.Millisecond); err != nil {
		return err
	}
	r.sink.seen.Store(nil)
	reqs := r.reqs.Requests() - req0
	finals := map[int]bool{}
	for _, i := range last {
		finals[i] = true
	}
	var lat []time.Duration
	seenN, missed, coalesced, early := 0, 0, 0, 0
	for i := 1; i <= U; i++ {
		if tw[i] == 0 {
			continue
		}
		if s := seen[i].Load(); s != 0 {
			seenN++
			d := time.Duration(s - tw[i])
			if d < 0 {
				early++
			}
			lat = append(lat, d)
		} else if finals[i] {
			missed++
		} else {
			coalesced++
		}
	}
	server, err := serverTree(ctx, w, r.tree.base, p.W7Inflight)
	if err != nil {
		return err
	}
	_, mi, ex, wr := r.compare(server)
	r.e.Emit(Result{
		"impl": p.Impl, "workload": "W7", "variant": r.vname, "phase": "propagate",
		"p50_us": nullIfEmpty(lat, 0.5), "p99_us": nullIfEmpty(lat, 0.99), "max_us": nullIfEmpty(lat, 1),
		"updates": U, "seen": seenN, "missed": missed, "coalesced": coalesced, "early": early,
		"stale_at_end": mi + ex + wr, "write_errors": werrs,
		"write_rate": R2(float64(U) / (float64(wEnd-start) / 1e9)), "errors": r.warns.n.Load(),
		"requests_per_update": R2(float64(reqs) / float64(max(seenN+coalesced, 1))),
		"stale_events":        r.sink.stale.Load(),
	})
	return nil
}

func nullIfEmpty(lat []time.Duration, q float64) any {
	if len(lat) == 0 {
		return nil
	}
	return Pct(lat, q)
}

// churn is W7c: two writers change children under the first parents, one
// deletes and recreates a parent with its children at half time; then the
// cache is compared with the server.
func (r *w7Run) churn(ctx context.Context) error {
	p := r.p
	ws := make([]*zkrecipes.Client, 2)
	for k := range ws {
		c, err := w7Connect(ctx, p)
		if err != nil {
			return err
		}
		defer c.Close()
		ws[k] = c
	}
	var applied, attempts, errs atomic.Int64
	var recreated atomic.Bool
	start := time.Now()
	end := start.Add(p.W7Churn)
	half := start.Add(p.W7Churn / 2)
	lastParent := r.tree.base + "/" + w7Parent(p.W7ChurnParents-1)
	var wg sync.WaitGroup
	for wk, c := range ws {
		wg.Go(func() {
			rng := rand.New(rand.NewSource(p.W7Seed + 1 + int64(wk)))
			didParent := false
			for n := 0; ctx.Err() == nil; {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				if wk == 0 && !didParent && !now.Before(half) {
					didParent = true
					if err := deleteRecreate(ctx, c, lastParent, []byte("recreated")); err != nil {
						errs.Add(1)
						p.Logf("tree-cache: churn parent: %v", err)
					} else {
						recreated.Store(true)
					}
					continue
				}
				path := fmt.Sprintf("%s/%s/k%02d", r.tree.base, w7Parent(rng.Intn(p.W7ChurnParents)), rng.Intn(p.W7ChurnNames))
				data := fmt.Appendf(nil, "w%d-%d", wk, n)
				n++
				attempts.Add(1)
				_, err := c.Create(ctx, path, data, zkrecipes.Persistent)
				switch {
				case err == nil:
					applied.Add(1)
				case errors.Is(err, zk.ErrNodeExists):
					if rng.Intn(2) == 0 {
						err = c.Delete(ctx, path, -1)
					} else {
						_, err = c.Set(ctx, path, data, -1)
					}
					switch {
					case err == nil:
						applied.Add(1)
					case errors.Is(err, zk.ErrNoNode): // the other writer deleted it
					default:
						errs.Add(1)
					}
				case errors.Is(err, zk.ErrNoNode): // the parent is being recreated
				default:
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	tStop := r.sink.now()
	if err := sleepCtx(ctx, time.Duration(p.W7QuiesceMs)*time.Millisecond); err != nil {
		return err
	}
	server, err := serverTree(ctx, ws[0], r.tree.base, p.W7Inflight)
	if err != nil {
		return err
	}
	nodes, mi, ex, wr := r.compare(server)
	settle := 0.0
	if le := r.sink.lastEvent.Load(); le > tStop {
		settle = R2(float64(le-tStop) / 1e6)
	}
	r.e.Emit(Result{
		"impl": p.Impl, "workload": "W7", "variant": r.vname, "phase": "churn",
		"writer_ops": applied.Load(), "writer_attempts": attempts.Load(), "writer_errors": errs.Load(),
		"parent_recreated": recreated.Load(),
		"mismatches":       mi + ex + wr, "missing": mi, "extra": ex, "wrong_data": wr,
		"server_nodes": len(server), "cache_nodes": nodes, "quiesce_ms": p.W7QuiesceMs,
		"settle_ms": settle, "errors": r.warns.n.Load(), "stale_events": r.sink.stale.Load(),
	})
	return nil
}

// deleteRecreate deletes parent and its children in one multi, retried
// while another writer changes the children, then creates it again.
func deleteRecreate(ctx context.Context, c *zkrecipes.Client, parent string, data []byte) error {
	for range 1000 {
		kids, _, err := c.Children(ctx, parent)
		if errors.Is(err, zk.ErrNoNode) {
			break
		}
		if err != nil {
			return err
		}
		reqs := make([]any, 0, len(kids)+1)
		for _, k := range kids {
			reqs = append(reqs, &zk.DeleteRequest{Path: parent + "/" + k, Version: -1})
		}
		reqs = append(reqs, &zk.DeleteRequest{Path: parent, Version: -1})
		if _, err := c.Multi(ctx, reqs...); err == nil {
			break
		} else if ctx.Err() != nil {
			return err
		}
		// NotEmpty or NoNode: the other writer changed the children.
	}
	_, err := c.Create(ctx, parent, data, zkrecipes.Persistent)
	return err
}

// w7Remove deletes the tree and the run's root, best effort, off the clock.
func w7Remove(c *zkrecipes.Client, base, root string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	parents, _, _ := c.Children(ctx, base)
	for _, pn := range parents {
		_ = deleteTree(ctx, c, base+"/"+pn)
	}
	for p := base; p != root && strings.HasPrefix(p, root); p = p[:strings.LastIndexByte(p, '/')] {
		_ = c.Delete(ctx, p, -1)
	}
	_ = c.Delete(ctx, root, -1)
}

// deleteTree deletes a node and its children (two levels) in one multi.
func deleteTree(ctx context.Context, c *zkrecipes.Client, p string) error {
	kids, _, err := c.Children(ctx, p)
	if err != nil {
		return err
	}
	reqs := make([]any, 0, len(kids)+1)
	for _, k := range kids {
		reqs = append(reqs, &zk.DeleteRequest{Path: p + "/" + k, Version: -1})
	}
	_, err = c.Multi(ctx, append(reqs, &zk.DeleteRequest{Path: p, Version: -1})...)
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func msSince(t time.Time) float64 { return R2(float64(time.Since(t)) / 1e6) }
