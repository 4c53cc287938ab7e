package chaos

import (
	"context"
	"fmt"
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
	rw := must(lock.NewRWMutex(w.c, rwPath))
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
	all := append(append([]hold(nil), reads...), writes...)
	isWriter := func(i int) bool { return i >= len(reads) }
	sweepTenures(all, func(i int, active map[int]bool) {
		conflict := isWriter(i) && len(active) > 0
		for j := range active {
			conflict = conflict || isWriter(j)
		}
		if conflict {
			kind := "reader"
			if isWriter(i) {
				kind = "writer"
			}
			rec.violate("rwmutex overlap: %s %s entered while held by: %s", kind, describeHold(rec, all[i]), describeHolds(rec, all, active))
		}
	})
}
