package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
)

// The counter workload, measured as the anchors' Curator program
// (curator/Bench.java w5) measures DistributedAtomicLong: N sessions wait
// at a gate, then each increments one counter M times; increments/s is
// N·M over the time from opening the gate until the last session is done,
// and the final value must be N·M.

func init() {
	Register(Workload{
		Name: "counter", Anchor: "W5",
		Help: "N sessions × M increments of one counter.AtomicLong; incr/s, final value check, round trips per increment",
		Run:  runCounter,
	})
}

func runCounter(ctx context.Context, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	n, incs := p.W5Clients, p.W5Increments
	const path = "/w5/counter"
	var reqs Counter // every session's requests
	cs, release, err := connectMany(ctx, p, benchRoot(p)+"-w5", n, &reqs, func(c *zkrecipes.Client) {
		removeCounter(c, path)
	})
	defer release()
	if err != nil {
		return err
	}
	// Create the node before the gate opens, as Curator's first increment
	// would, so that every session starts from the same state.
	if err := must(counter.NewAtomicLong(cs[0], path)).Set(ctx, 0); err != nil {
		return err
	}

	var (
		errs, attempts, promoted atomic.Int64
		completed                atomic.Int64
		mu                       sync.Mutex
		lat                      []time.Duration
		firstErr                 error
	)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := must(counter.NewAtomicLong(c, path))
			local := make([]time.Duration, 0, incs)
			<-gate
			for k := 0; k < incs && ctx.Err() == nil; k++ {
				for ctx.Err() == nil {
					s := time.Now()
					r, err := a.Increment(ctx)
					if err != nil {
						errs.Add(1)
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					}
					local = append(local, time.Since(s))
					attempts.Add(int64(r.Attempts))
					if r.Promoted {
						promoted.Add(1)
					}
					completed.Add(1)
					break
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
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
	rt := float64(reqs.Requests()-r0) / float64(max(completed.Load(), 1))
	final, err := must(counter.NewAtomicLong(cs[0], path)).Get(ctx)
	if err != nil {
		return err
	}
	if errs.Load() > 0 {
		p.Logf("counter: %d errors, first: %v", errs.Load(), firstErr)
	}
	total := int64(n * incs)
	p50 := Pct(lat, 0.5)
	e.Emit(Result{
		"impl": p.Impl, "workload": "W5",
		"variant": "counter.AtomicLong (versioned multi with write marker, cached version, jittered backoff)",
		"incr_s":  R2(float64(total) / el.Seconds()),
		"final":   final, "expected": total, "final_ok": final == total,
		"completed_increments": completed.Load(), "errors": errs.Load(),
		"elapsed_s": R2(el.Seconds()),
		"p50_us":    p50, "p99_us": Pct(lat, 0.99),
		"p50_x_rtt":          R2(p50 / floor.ExistsP50),
		"round_trips_per_op": R2(rt),
		"writes_per_op":      R2(float64(attempts.Load()) / float64(max(completed.Load(), 1))),
		"promoted":           promoted.Load(),
		"clients":            n,
	})
	return nil
}

// removeCounter deletes the counter node, its write markers (ephemeral,
// but the sessions are still open) and the namespace, best effort.
func removeCounter(c *zkrecipes.Client, path string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kids, _, _ := c.Children(ctx, path)
	for _, k := range kids {
		_ = c.Delete(ctx, path+"/"+k, -1)
	}
	removeNamespace(c, path, "/w5")
}
