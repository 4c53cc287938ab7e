package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// The read-write lock workload: workers take the read or, one time in
// three, the write side of one lock.RWMutex. A write tenure must overlap
// no other tenure, read tenures may overlap each other; the write tenures
// alone must be linearizable as a mutex, with increasing fencing tokens.
func init() {
	register(spec{name: "rwmutex", workers: 4, new: func(rec *recorder) recipe { return &rwRecipe{rec: rec} }})
}

const rwPath = "/rwmutex"

type rwRecipe struct {
	rec           *recorder
	reads, writes ledger
}

func (r *rwRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (r *rwRecipe) leftoverOK(string, *zk.Stat) bool { return false }

func (r *rwRecipe) work(ctx context.Context, w *worker) {
	rw := lock.NewRWMutex(w.c, rwPath)
	for ctx.Err() == nil {
		l, book := rw.Reader(), &r.reads
		if w.rng.Intn(3) == 0 {
			l, book = rw.Writer(), &r.writes
		}
		call := time.Now()
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := l.Lock(lctx)
		cancel()
		if err != nil {
			r.rec.op(w, call, opFailed, false)
			w.stalled(ctx, rwPath, call, err)
			continue
		}
		h := hold{worker: w.id, slot: w.slot, call: call, acquired: time.Now()}
		if book == &r.writes {
			h.token = l.Token()
		}
		r.rec.opAt(w, call, h.acquired, opOK, true)
		clock := watchLoss(l.Lost())
		sleepOr(w.tenure(2*time.Millisecond, 30*time.Millisecond), clock.ch, ctx.Done())
		h.release, h.lost = clock.end()
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := l.Unlock(uctx); err != nil && !h.lost {
			r.rec.count("unlock errors", 1)
		}
		cancel()
		h.released = time.Now()
		book.add(h)
	}
}

func (r *rwRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	reads, writes := r.reads.all(), r.writes.all()
	checkReadWrite(r.rec, reads, writes)
	res.Notes = append(res.Notes, "writers: "+checkHolds(r.rec, writes, 1, true))
	lost := 0
	for _, h := range append(reads, writes...) {
		if h.lost {
			lost++
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d read and %d write tenures, %d ended by loss; unlock errors %d",
		len(reads), len(writes), lost, r.rec.counter("unlock errors")))
}

// checkReadWrite sweeps the tenures: a writer may enter only when nobody
// holds, a reader only when no writer holds.
func checkReadWrite(rec *recorder, reads, writes []hold) {
	type edge struct {
		t      time.Time
		enter  bool
		writer bool
		h      hold
	}
	var edges []edge
	for _, hs := range []struct {
		w  bool
		hs []hold
	}{{false, reads}, {true, writes}} {
		for _, h := range hs.hs {
			edges = append(edges, edge{h.acquired, true, hs.w, h}, edge{h.release, false, hs.w, h})
		}
	}
	// At equal times leaving sorts first: a hand-over at one instant is no overlap.
	sort.Slice(edges, func(a, b int) bool {
		if !edges[a].t.Equal(edges[b].t) {
			return edges[a].t.Before(edges[b].t)
		}
		return !edges[a].enter && edges[b].enter
	})
	active := map[hold]bool{}
	writers := 0
	for _, e := range edges {
		if !e.enter {
			delete(active, e.h)
			if e.writer {
				writers--
			}
			continue
		}
		if writers > 0 || (e.writer && len(active) > 0) {
			var others []string
			for h := range active {
				others = append(others, describeHold(rec, h))
			}
			sort.Strings(others)
			kind := "reader"
			if e.writer {
				kind = "writer"
			}
			rec.violate("rwmutex overlap: %s %s entered while held by: %s", kind, describeHold(rec, e.h), strings.Join(others, "; "))
		}
		active[e.h] = true
		if e.writer {
			writers++
		}
	}
}
