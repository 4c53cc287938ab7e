package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// The cache workload: every worker changes a small tree (creates, sets and
// deletes on two levels) while it follows the tree through a cache.Tree on
// its own client (odd workers with one-shot watches, the others with a
// persistent recursive watch). Each path's events must follow one history (created
// only when absent, changed and deleted only when present, every value
// newer by mzxid than the one before), and once every writer has stopped
// and the faults are healed, every cache must equal the server's tree
// exactly (data, czxid and mzxid of every node) within cacheQuiesce.
func init() {
	register(spec{name: "cache", workers: 3, new: func(rec *recorder) recipe {
		r := &cacheRecipe{rec: rec, allStopped: make(chan struct{})}
		r.writing.Store(3)
		return r
	}})
}

const (
	cacheRoot    = "/tree"
	cacheQuiesce = 30 * time.Second
)

type cacheRecipe struct {
	rec        *recorder
	writing    atomic.Int32 // writers still running
	allStopped chan struct{}
}

func (r *cacheRecipe) setup(ctx context.Context, c *zkrecipes.Client) error {
	_, err := c.Create(ctx, cacheRoot, nil, zkrecipes.Persistent)
	return err
}

func (r *cacheRecipe) leftoverOK(p string, _ *zk.Stat) bool {
	return p == cacheRoot || strings.HasPrefix(p, cacheRoot+"/")
}

// check reports how many caches converged; each worker compared its own
// cache at its end.
func (r *cacheRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	res.Notes = append(res.Notes, fmt.Sprintf("%d of %d caches equal to the server's tree after the writers stopped",
		r.rec.counter("converged"), res.Workers))
}

func (r *cacheRecipe) work(ctx context.Context, w *worker) {
	stopWriting := sync.OnceFunc(r.stopWriting)
	defer stopWriting()
	// Both watch backends, side by side under the same faults.
	watches := cache.Persistent
	if w.slot%2 == 1 {
		watches = cache.OneShot
	}
	t := must(cache.NewTree(w.c, cacheRoot, cache.WithWatches(watches)))
	defer t.Close()
	sub := t.Subscribe() // before Start: the history sees every node arrive
	changed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { r.follow(w, sub, changed) })
	defer wg.Wait()
	defer sub.Close()
	if err := t.Start(ctx); err != nil { // fails only with ctx
		r.rec.note(fmt.Sprintf("%s: the cache did not load before the end: %v", w.id, err))
		return
	}

	for ctx.Err() == nil {
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := r.change(octx, w)
		cancel()
		o := opOK
		switch {
		case errors.Is(err, zkrecipes.ErrUncertain):
			o = opAmbiguous
		case err != nil:
			o = opFailed
		}
		r.rec.op(w, start, o, err == nil)
	}
	stopWriting()
	r.converge(w, t, changed)
}

// stopWriting counts a writer out.
func (r *cacheRecipe) stopWriting() {
	if r.writing.Add(-1) == 0 {
		close(r.allStopped)
	}
}

// follow checks that each path's events follow one history, and signals
// changed after each event.
func (r *cacheRecipe) follow(w *worker, sub *cache.Subscription, changed chan<- struct{}) {
	cur := map[string]*cache.Entry{}
	last := map[string]int64{} // mzxid of the path's last value
	for {
		ev, err := sub.Next(context.Background())
		if err != nil {
			return // closed
		}
		select {
		case changed <- struct{}{}:
		default:
		}
		old := cur[ev.Path]
		switch ev.Kind {
		case cache.Created, cache.Changed:
			if (ev.Kind == cache.Created) != (old == nil) || ev.Kind == cache.Changed && ev.Old != old {
				r.rec.violate("cache: %s: %s %s when the cache held %v, at %s", w.id, ev.Kind, ev.Path, old, r.rec.at(ev.At))
			}
			if ev.New.Stat.Mzxid <= last[ev.Path] {
				r.rec.violate("cache: %s: %s %s at mzxid %d after a value at mzxid %d, at %s", w.id, ev.Kind, ev.Path, ev.New.Stat.Mzxid, last[ev.Path], r.rec.at(ev.At))
			}
			cur[ev.Path], last[ev.Path] = ev.New, ev.New.Stat.Mzxid
		case cache.Deleted:
			if old == nil || ev.Old != old {
				r.rec.violate("cache: %s: deleted %s when the cache held %v, at %s", w.id, ev.Path, old, r.rec.at(ev.At))
			}
			delete(cur, ev.Path)
		}
	}
}

// converge waits for every writer to stop, then for the cache to equal the
// server's tree and not be stale.
func (r *cacheRecipe) converge(w *worker, t *cache.Tree, changed <-chan struct{}) {
	select {
	case <-r.allStopped:
	case <-time.After(10 * time.Second):
		r.rec.note(fmt.Sprintf("%s: writers still running 10s after the end; comparing anyway", w.id))
	}
	deadline := time.NewTimer(cacheQuiesce)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond) // a server read may fail while the client reconnects
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		want, err := cacheServerTree(ctx, w.c)
		cancel()
		stale, since := t.Stale()
		diff := ""
		if err == nil {
			if diff = cacheDiff(want, t.Snapshot()); diff == "" && !stale {
				r.rec.count("converged", 1)
				return
			}
		} else {
			diff = fmt.Sprintf("cannot read the server's tree: %v", err)
		}
		if stale {
			diff += fmt.Sprintf(" (stale since %s)", r.rec.at(since))
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			r.rec.violate("cache: %s: the cache differs from the server %v after the writers stopped: %s", w.id, cacheQuiesce, diff)
			return
		}
	}
}

type cachedNode struct {
	data         string
	czxid, mzxid int64
}

// cacheServerTree reads the tree from the server.
func cacheServerTree(ctx context.Context, c *zkrecipes.Client) (map[string]cachedNode, error) {
	out := map[string]cachedNode{}
	var walk func(p string) error
	walk = func(p string) error {
		d, st, err := c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		out[p] = cachedNode{string(d), st.Czxid, st.Mzxid}
		kids, _, err := c.Children(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		for _, k := range kids {
			if err == nil {
				err = walk(p + "/" + k)
			}
		}
		return err
	}
	return out, walk(cacheRoot)
}

// cacheDiff describes how a cache's snapshot differs from the server's
// tree ("" if it does not).
func cacheDiff(want map[string]cachedNode, got []*cache.Entry) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, en := range got {
		seen[en.Path] = true
		w, ok := want[en.Path]
		switch {
		case !ok:
			fmt.Fprintf(&b, "extra %s; ", en.Path)
		case w != cachedNode{string(en.Data), en.Stat.Czxid, en.Stat.Mzxid}:
			fmt.Fprintf(&b, "%s is %q (czxid %d, mzxid %d), not %q (czxid %d, mzxid %d); ",
				en.Path, en.Data, en.Stat.Czxid, en.Stat.Mzxid, w.data, w.czxid, w.mzxid)
		}
	}
	for p := range want {
		if !seen[p] {
			fmt.Fprintf(&b, "missing %s; ", p)
		}
	}
	return b.String()
}

// change makes one random change to the tree: a create, a set or a delete
// of a node at depth 1 or 2. Lost races (the node exists, is missing, has
// children) are no error.
func (r *cacheRecipe) change(ctx context.Context, w *worker) error {
	p := fmt.Sprintf("%s/%d", cacheRoot, w.rng.Intn(3))
	if w.rng.Intn(3) > 0 {
		p += fmt.Sprintf("/%d", w.rng.Intn(4))
	}
	var err error
	switch w.rng.Intn(3) {
	case 0:
		_, err = w.c.Create(ctx, p, []byte(w.id), zkrecipes.Persistent)
	case 1:
		_, err = w.c.Set(ctx, p, []byte(fmt.Sprintf("%s@%d", w.id, time.Now().UnixNano())), -1)
	default:
		err = w.c.Delete(ctx, p, -1)
	}
	if errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNotEmpty) {
		return nil
	}
	return err
}
