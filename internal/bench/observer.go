package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// The observer's overhead on W1: with Params.W1Observer set, W1 compares
// its uncontended lock cycle on a client that reports to the observer
// with the same cycle on plain clients (see runObserverOverhead).

// NoopObserver sets every field of the Observer to a function that does
// nothing: what the client's observer plumbing alone costs.
func NoopObserver() zkrecipes.Observer {
	return zkrecipes.Observer{
		OpStart: func(zkrecipes.OpEvent) {}, OpDone: func(zkrecipes.OpEvent) {},
		Retry: func(zkrecipes.RetryEvent) {}, ConnState: func(zkrecipes.ConnEvent) {},
		LockAcquire: func(zkrecipes.LockEvent) {}, LockRelease: func(zkrecipes.LockEvent) {},
		LockLost: func(zkrecipes.LockEvent) {}, Leadership: func(zkrecipes.LeaderEvent) {},
		QueuePut: func(zkrecipes.QueueEvent) {}, QueueTake: func(zkrecipes.QueueEvent) {},
		QueueRedelivery: func(zkrecipes.QueueEvent) {}, QueueDeadLetter: func(zkrecipes.QueueEvent) {},
	}
}

// observerFlag sets p.W1Observer from --w1-observer: "none" or "noop"
// (programs linking an adapter set W1Observer themselves).
func (p *Params) observerFlag(s string) error {
	switch s {
	case "", "none":
		p.W1Observer, p.W1ObserverName = nil, ""
	case "noop":
		ob := NoopObserver()
		p.W1Observer, p.W1ObserverName = &ob, "noop"
	default:
		return fmt.Errorf("unknown observer %q (none, noop; the Prometheus adapter's is run by metrics/prometheus/internal/overhead)", s)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// runObserverOverhead runs W1's cycle on three clients in blocks of 50
// cycles, the order of the three rotating from block to block: a plain
// client, a second plain client (the control: what two clients differ by
// without any observer), and a client reporting to p.W1Observer, each on
// its own lock so that every handle stays warm. For each block it takes
// each arm's median; the overhead is the median over the blocks of the
// observed arm's relative difference to the plain one, and the control's
// the same for the second plain client: the noise band of the figure.
func runObserverOverhead(ctx context.Context, p *Params, e *Emitter) error {
	type arm struct {
		m     *lock.Mutex
		lat   []time.Duration
		block []time.Duration // each block's median
	}
	arms := make([]arm, 3)
	for i := range arms {
		var opts []zkrecipes.Option
		if i == 2 {
			opts = append(opts, zkrecipes.WithObserver(*p.W1Observer))
		}
		c, err := connectBench(ctx, p, benchRoot(p)+"-w1obs", nil, opts...)
		if err != nil {
			return err
		}
		defer c.Close()
		dir := fmt.Sprintf("/w1/lock-%d", i)
		defer removeNamespace(c, dir, "/w1")
		arms[i].m = must(lock.NewMutex(c, dir))
	}
	cycle := func(m *lock.Mutex) error {
		if err := m.Lock(ctx); err != nil {
			return err
		}
		return m.Unlock(ctx)
	}
	for range p.W1Warmup {
		for i := range arms {
			if err := cycle(arms[i].m); err != nil {
				return err
			}
		}
	}
	const block = 50
	for b, done := 0, 0; done < p.W1Cycles; b, done = b+1, done+block {
		n := min(block, p.W1Cycles-done)
		for i := range arms {
			a := &arms[(b+i)%len(arms)]
			start := len(a.lat)
			for range n {
				s := time.Now()
				if err := cycle(a.m); err != nil {
					return err
				}
				a.lat = append(a.lat, time.Since(s))
			}
			a.block = append(a.block, median(a.lat[start:]))
		}
	}
	plain, control, observed := arms[0], arms[1], arms[2]
	name := p.W1ObserverName
	if name == "" {
		name = "custom"
	}
	obs, ctl := relative(plain.block, observed.block), relative(plain.block, control.block)
	e.Emit(Result{
		"impl": p.Impl, "workload": "W1", "variant": "lock.Mutex with observer " + name,
		"cycles":                      len(observed.lat),
		"blocks":                      len(obs),
		"p50_us":                      US(median(observed.lat)),
		"p50_plain_us":                US(median(plain.lat)),
		"p50_control_us":              US(median(control.lat)),
		"overhead_pct":                R2(100 * obs[len(obs)/2]),
		"overhead_pct_blocks_p25_p75": []float64{R2(100 * obs[len(obs)/4]), R2(100 * obs[3*len(obs)/4])},
		"control_pct":                 R2(100 * ctl[len(ctl)/2]),
		"overhead_pct_of_p50s":        R2(100 * (float64(median(observed.lat))/float64(median(plain.lat)) - 1)),
	})
	return nil
}

// relative returns, sorted, each block's b[i]/a[i]-1.
func relative(a, b []time.Duration) []float64 {
	rel := make([]float64, len(a))
	for i := range a {
		rel[i] = float64(b[i])/float64(a[i]) - 1
	}
	slices.Sort(rel)
	return rel
}
