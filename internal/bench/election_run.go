package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes/election"
)

// runRunFailover is W3 through election.Run, as the anchors measure
// Curator's LeaderSelector with autoRequeue: each candidate runs Run with
// a job that reports its start and holds until told to relinquish; t0 =
// the leader is told, t1 = another candidate's job starts. The old leader
// requeues by itself (Run resigns, then campaigns again).
func runRunFailover(ctx context.Context, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return err
	}
	n := p.W3Candidates
	cands, poll, counter, release, err := connectCandidates(ctx, p, p.Root+"-election-run")
	defer release()
	if err != nil {
		return err
	}

	rctx, cancel := context.WithCancel(ctx)
	events := make(chan elected, 4*n)
	relinquish := make([]chan struct{}, n)
	var wg sync.WaitGroup
	runErrs := make(chan error, n)
	for i, cand := range cands {
		relinquish[i] = make(chan struct{}, 1)
		job := func(jctx context.Context) error {
			events <- elected{id: i, at: time.Now()}
			select {
			case <-relinquish[i]:
			case <-jctx.Done():
			}
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := election.Run(rctx, cand.c, "/election", job, election.WithID(fmt.Sprintf("c%d", i)))
			if !errors.Is(err, context.Canceled) {
				runErrs <- fmt.Errorf("candidate c%d: %w", i, err)
			}
		}()
	}
	// Every Run returns before the clients close (deferred above).
	defer wg.Wait()
	defer cancel()

	first, err := nextLeader(ctx, events, -1, 30*time.Second)
	if err != nil {
		return fmt.Errorf("no initial leader: %w", err)
	}
	leader := first.id
	var lat []time.Duration
	timeouts := 0
	req0 := counter.Requests()
	for r := 0; r < p.W3Rounds; r++ {
		waitRegistered(ctx, poll, n)
		t0 := time.Now()
		relinquish[leader] <- struct{}{}
		ev, err := nextLeader(ctx, events, leader, 30*time.Second)
		if err != nil {
			timeouts++
			p.Logf("election-failover (Run): round %d: %v", r, err)
			break
		}
		lat = append(lat, ev.at.Sub(t0))
		leader = ev.id
	}
	reqs := counter.Requests() - req0
	select {
	case err := <-runErrs:
		return err
	default:
	}
	p50 := Pct(lat, 0.5)
	e.Emit(Result{
		"impl": p.Impl, "workload": "W3", "variant": "election.Run (LeaderSelector layout)",
		"p50_ms": R2(p50 / 1000), "p99_ms": R2(Pct(lat, 0.99) / 1000),
		"rounds": len(lat), "timeouts": timeouts,
		"p50_x_rtt":   R2(p50 / floor.ExistsP50),
		"p50_x_floor": R2(p50 / (floor.DeleteP50 + floor.ExistsP50)),
		// the old leader's resignation and new campaign included
		"round_trips_per_op": R2(float64(reqs) / float64(max(len(lat), 1))),
	})
	return nil
}
