package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
)

// The election workload: participants campaign on one path under the
// default policy (suspension ends a term), hold leadership briefly and
// resign; the last worker runs election.Run with a short job instead.
// Leadership intervals, from winning until the participant learns it lost
// (the term's context cancelled) or resigns, must never overlap; term
// tokens must increase; porcupine checks the history as a mutex.
func init() {
	register(spec{name: "election", workers: 4, new: func(rec *recorder) recipe { return &electRecipe{rec: rec} }})
}

const electionPath = "/election"

type electRecipe struct {
	rec    *recorder
	ledger ledger
}

func (e *electRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (e *electRecipe) leftoverOK(string, *zk.Stat) bool { return false }

func (e *electRecipe) work(ctx context.Context, w *worker) {
	if w.slot == 3 {
		e.runJob(ctx, w)
		return
	}
	el := must(election.New(w.c, electionPath, election.WithID(w.id)))
	for ctx.Err() == nil {
		call := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		term, err := el.Campaign(cctx)
		cancel()
		if err != nil {
			e.rec.op(w, call, opFailed, false)
			w.stalled(ctx, electionPath, call, err)
			continue
		}
		h := hold{worker: w.id, slot: w.slot, token: term.Token(), call: call, acquired: time.Now()}
		e.rec.opAt(w, call, h.acquired, opOK, true)
		clock := watchLoss(term.Context().Done())
		sleepOr(w.tenure(20*time.Millisecond, 200*time.Millisecond), clock.ch, ctx.Done())
		h.release, h.lost = clock.end()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := term.Resign(rctx); err != nil && !h.lost {
			e.rec.count("resign errors", 1)
		}
		cancel()
		h.released = time.Now()
		e.ledger.add(h)
	}
}

// runJob drives election.Run. A job's tenure runs from its start until
// its context is cancelled or it returns; its campaign began when the
// previous job returned. Run's jobs carry no token.
func (e *electRecipe) runJob(ctx context.Context, w *worker) {
	call := time.Now() // only the job goroutine touches it after Run starts
	job := func(jctx context.Context) error {
		h := hold{worker: w.id, slot: w.slot, call: call, acquired: time.Now()}
		e.rec.opAt(w, call, h.acquired, opOK, true)
		clock := watchLoss(jctx.Done())
		sleepOr(w.tenure(20*time.Millisecond, 200*time.Millisecond), clock.ch)
		h.release, h.lost = clock.end()
		h.released = time.Now()
		e.ledger.add(h)
		call = h.released
		return nil
	}
	err := election.Run(ctx, w.c, electionPath, job, election.WithID(w.id))
	if err != nil && ctx.Err() == nil {
		e.rec.violate("%s: election.Run returned before its context was done: %v", w.id, err)
	}
}

func (e *electRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	holds := e.ledger.all()
	res.Notes = append(res.Notes, checkHolds(e.rec, holds, 1, true))
	lost := 0
	for _, h := range holds {
		if h.lost {
			lost++
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d terms ended by loss; resign errors %d", lost, e.rec.counter("resign errors")))
}
