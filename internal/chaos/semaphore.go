package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// The semaphore workload: more workers than leases contend for a
// lock.Semaphore. The tenures (from Acquire's return until the lease is
// released or Lost closes) must never number more than the lease count at
// any instant, and the history must be linearizable as a semaphore.
func init() {
	register(spec{name: "semaphore", workers: 5, new: func(rec *recorder) recipe { return &semRecipe{rec: rec} }})
}

const (
	semPath   = "/semaphore"
	semLeases = 2
)

type semRecipe struct {
	rec    *recorder
	ledger ledger
}

func (s *semRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (s *semRecipe) leftoverOK(string, *zk.Stat) bool { return false }

func (s *semRecipe) work(ctx context.Context, w *worker) {
	sem := must(lock.NewSemaphore(w.c, semPath, semLeases))
	for ctx.Err() == nil {
		call := time.Now()
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		lease, err := sem.Acquire(actx)
		cancel()
		if err != nil {
			s.rec.op(w, call, opFailed, false)
			w.stalled(ctx, semPath, call, err)
			continue
		}
		h := hold{worker: w.id, slot: w.slot, call: call, acquired: time.Now()}
		s.rec.opAt(w, call, h.acquired, opOK, true)
		clock := watchLoss(lease.Lost())
		sleepOr(w.tenure(5*time.Millisecond, 60*time.Millisecond), clock.ch, ctx.Done())
		h.release, h.lost = clock.end()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := lease.Release(rctx); err != nil && !h.lost {
			s.rec.count("release errors", 1)
		}
		cancel()
		h.released = time.Now()
		s.ledger.add(h)
	}
}

func (s *semRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	holds := s.ledger.all()
	res.Notes = append(res.Notes, checkHolds(s.rec, holds, semLeases, false))
	lost := 0
	for _, h := range holds {
		if h.lost {
			lost++
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d leases (max %d) ended by loss; release errors %d", lost, semLeases, s.rec.counter("release errors")))
}
