package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
)

// The double-barrier workload, measured as the anchors' W6: N sessions
// run R rounds of Enter+Leave of a barrier with N members, on a fresh path
// per round. When Enter returns, all N must have called Enter; when Leave
// returns, all N must have called Leave; anything else is a violation.

func init() {
	Register(Workload{
		Name: "double-barrier", Anchor: "W6",
		Help: "N sessions × R rounds of barrier.Double Enter+Leave (N members, fresh path per round); rounds/s, violations",
		Run:  runDoubleBarrier,
	})
}

func runDoubleBarrier(ctx context.Context, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	n, rounds := p.W6Clients, p.W6Rounds
	var reqs Counter
	cs, release, err := connectMany(ctx, p, benchRoot(p)+"-w6", n, &reqs, func(c *zkrecipes.Client) {
		removeRounds(c, rounds)
	})
	defer release()
	if err != nil {
		return err
	}
	roundPath := func(r int) string { return fmt.Sprintf("/w6/round-%d", r) }

	arrived := make([]atomic.Int64, rounds)
	leaving := make([]atomic.Int64, rounds)
	var (
		enterViol, leaveViol, errs atomic.Int64
		mu                         sync.Mutex
		roundLat                   []time.Duration // member 0's enter call to leave return
	)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for id, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			for r := 0; r < rounds && ctx.Err() == nil; r++ {
				d := must(barrier.NewDouble(c, roundPath(r), n))
				s := time.Now()
				arrived[r].Add(1)
				if err := d.Enter(ctx); err != nil {
					errs.Add(1)
					p.Logf("double-barrier: member %d round %d: %v", id, r, err)
					continue
				}
				if arrived[r].Load() != int64(n) {
					enterViol.Add(1)
				}
				leaving[r].Add(1)
				if err := d.Leave(ctx); err != nil {
					errs.Add(1)
					p.Logf("double-barrier: member %d round %d: %v", id, r, err)
					continue
				}
				if leaving[r].Load() != int64(n) {
					leaveViol.Add(1)
				}
				if id == 0 {
					mu.Lock()
					roundLat = append(roundLat, time.Since(s))
					mu.Unlock()
				}
			}
		}()
	}
	r0 := reqs.Requests()
	t0 := time.Now()
	close(gate)
	wg.Wait()
	el := time.Since(t0)
	if err := ctx.Err(); err != nil {
		return err
	}
	p50 := Pct(roundLat, 0.5)
	e.Emit(Result{
		"impl": p.Impl, "workload": "W6", "variant": "barrier.Double",
		"rounds_s":         R2(float64(rounds) / el.Seconds()),
		"round_ms":         R2(el.Seconds() * 1000 / float64(rounds)),
		"enter_violations": enterViol.Load(), "leave_violations": leaveViol.Load(),
		"errors":    errs.Load(),
		"elapsed_s": R2(el.Seconds()),
		"p50_us":    p50, "p99_us": Pct(roundLat, 0.99),
		"p50_x_rtt": R2(p50 / floor.ExistsP50),
		// Requests of all sessions per round (N members' Enter+Leave).
		"round_trips_per_op": R2(float64(reqs.Requests()-r0) / float64(rounds)),
		"clients":            n,
	})
	return nil
}

// removeRounds deletes the rounds' barrier containers (empty by now; the
// server would reap them anyway) and the namespace, best effort.
func removeRounds(c *zkrecipes.Client, rounds int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for r := 0; r < rounds; r++ {
		_ = c.Delete(ctx, fmt.Sprintf("/w6/round-%d", r), -1)
	}
	removeNamespace(c, "/w6")
}
