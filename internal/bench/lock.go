package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// The lock workloads, measured exactly as the anchors' go-zookeeper
// program (gozk/main.go) measures W1 and W2, with lock.Mutex in place of
// zk.Lock.

func init() {
	Register(Workload{
		Name: "lock-uncontended", Anchor: "W1",
		Help: "1 session: acquire+release one lock.Mutex; cycles/s, p50/p99 µs, ×RTT, round trips per cycle",
		Run:  runLockUncontended,
	})
	Register(Workload{
		Name: "lock-contended", Anchor: "W2",
		Help: "N sessions in one process loop acquire → critical section → release; acq/s, handoff p50/p99, violations",
		Run:  runLockContended,
	})
}

// connectBench opens a client in namespace ns, counting its requests in n.
func connectBench(ctx context.Context, p *Params, ns string, n *Counter, extra ...zkrecipes.Option) (*zkrecipes.Client, error) {
	opts := append([]zkrecipes.Option{zkrecipes.WithNamespace(ns), zkrecipes.WithSessionTimeout(p.SessionTimeout)}, extra...)
	if n != nil {
		opts = append(opts, zkrecipes.WithDialer(n.Dial))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return zkrecipes.Connect(cctx, p.Servers, opts...)
}

// connectMany opens n clients in namespace ns, all counting their requests
// in reqs. The returned release runs cleanup on the first client (if any
// connected) and closes them all; defer it even when an error is returned.
func connectMany(ctx context.Context, p *Params, ns string, n int, reqs *Counter, cleanup func(*zkrecipes.Client)) ([]*zkrecipes.Client, func(), error) {
	cs := make([]*zkrecipes.Client, 0, n)
	release := func() {
		if len(cs) > 0 {
			cleanup(cs[0])
		}
		for _, c := range cs {
			c.Close()
		}
	}
	for range n {
		c, err := connectBench(ctx, p, ns, reqs)
		if err != nil {
			return nil, release, err
		}
		cs = append(cs, c)
	}
	return cs, release, nil
}

// removeNamespace deletes the lock directory and the namespace node, best
// effort (the lock directory is a container the server reaps anyway).
func removeNamespace(c *zkrecipes.Client, dirs ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, d := range dirs {
		_ = c.Delete(ctx, d, -1)
	}
	_ = c.Conn().Delete(c.Namespace(), -1)
}

func benchRoot(p *Params) string {
	if p.Root == "" {
		p.Root = fmt.Sprintf("/bench-zkrecipes-%d", time.Now().UnixNano())
	}
	return p.Root
}

func runLockUncontended(ctx context.Context, p *Params, e *Emitter) error {
	if p.W1Observer != nil {
		return runObserverOverhead(ctx, p, e)
	}
	floor, err := Floor(ctx, p)
	if err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	var reqs Counter
	c, err := connectBench(ctx, p, benchRoot(p)+"-w1", &reqs)
	if err != nil {
		return err
	}
	defer c.Close()
	defer removeNamespace(c, "/w1/lock", "/w1/raw", "/w1")
	// Three arms, interleaved in blocks so that they see the same server
	// and disk: the mutex with the caller's (cancellable) ctx, the mutex
	// with a ctx that cannot be cancelled (operations then run on the
	// caller's goroutine, as in clients without cancellation), and the
	// floor itself: go-zookeeper's create (ephemeral sequential),
	// getChildren, delete on the same connection.
	m := must(lock.NewMutex(c, "/w1/lock"))
	cycle := func(ctx context.Context) func() error {
		return func() error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			return m.Unlock(ctx)
		}
	}
	if _, err := c.Create(ctx, "/w1/raw", nil, zkrecipes.Persistent, zkrecipes.WithParents()); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return err
	}
	conn, rawDir := c.Conn(), c.Namespace()+"/w1/raw"
	raw := func() error {
		p, err := conn.Create(rawDir+"/lock-", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			return err
		}
		if _, _, err := conn.Children(rawDir); err != nil {
			return err
		}
		return conn.Delete(p, -1)
	}
	arms := []struct {
		run   func() error
		lat   []time.Duration
		spent time.Duration
		reqs  int64
	}{{run: cycle(ctx)}, {run: cycle(context.WithoutCancel(ctx))}, {run: raw}}
	for i := 0; i < p.W1Warmup; i++ {
		for a := range arms {
			if err := arms[a].run(); err != nil {
				return err
			}
		}
	}
	const block = 50
	for done := 0; done < p.W1Cycles; done += block {
		n := min(block, p.W1Cycles-done)
		for a := range arms {
			arm := &arms[a]
			r0, t0 := reqs.Requests(), time.Now()
			for range n {
				s := time.Now()
				if err := arm.run(); err != nil {
					return err
				}
				arm.lat = append(arm.lat, time.Since(s))
			}
			arm.spent += time.Since(t0)
			arm.reqs += reqs.Requests() - r0
		}
	}
	floorP50 := Pct(arms[2].lat, 0.5)
	for a, variant := range []string{"lock.Mutex", "lock.Mutex (ctx never cancelled)"} {
		arm := arms[a]
		p50 := Pct(arm.lat, 0.5)
		e.Emit(Result{
			"impl": p.Impl, "workload": "W1", "variant": variant,
			"cycles_s": R2(float64(len(arm.lat)) / arm.spent.Seconds()), "p50_us": p50, "p99_us": Pct(arm.lat, 0.99),
			"cycles":                   len(arm.lat),
			"p50_x_rtt":                R2(p50 / floor.ExistsP50),
			"p50_x_floor":              R2(p50 / (floor.EphSeqPairP50 + floor.ExistsP50)),
			"p50_x_floor_interleaved":  R2(p50 / floorP50),
			"floor_interleaved_p50_us": floorP50,
			"round_trips_per_op":       R2(float64(arm.reqs) / float64(len(arm.lat))),
		})
	}
	return nil
}

func runLockContended(ctx context.Context, p *Params, e *Emitter) error {
	// As W1: the caller's ctx, then a ctx that cannot be cancelled.
	if err := runLockContendedWith(ctx, ctx, "lock.Mutex", p, e); err != nil {
		return err
	}
	return runLockContendedWith(ctx, context.WithoutCancel(ctx), "lock.Mutex (ctx never cancelled)", p, e)
}

// runLockContendedWith runs W2 with the mutexes called with opCtx; ctx
// bounds the run.
func runLockContendedWith(ctx, opCtx context.Context, variant string, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	n := p.W2Clients
	var reqs Counter // every client's requests
	cs, release, err := connectMany(ctx, p, benchRoot(p)+"-w2", n, &reqs, func(c *zkrecipes.Client) {
		removeNamespace(c, "/w2/lock", "/w2")
	})
	defer release()
	if err != nil {
		return err
	}

	var (
		inside         atomic.Int32
		violations     atomic.Int64
		sharedCounter  atomic.Int64 // read-modify-write without atomicity while holding the lock
		totalAcq       atomic.Int64
		measuredAcq    atomic.Int64
		lastRelStart   atomic.Int64 // ns since epoch when the last holder began its release
		lastHolder     atomic.Int64
		selfReacquires atomic.Int64
		errs           atomic.Int64
		mu             sync.Mutex
		handoffs       []time.Duration
		firstErr       error
	)
	lastHolder.Store(-1)
	epoch := time.Now()
	now := func() int64 { return int64(time.Since(epoch)) }
	warmEnd := now() + int64(p.W2Warmup)
	end := warmEnd + int64(p.W2Duration)
	r0 := reqs.Requests()

	var wg sync.WaitGroup
	for id := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := must(lock.NewMutex(cs[id], "/w2/lock"))
			var local []time.Duration
			for now() < end && ctx.Err() == nil {
				if err := m.Lock(opCtx); err != nil {
					errs.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
					continue
				}
				tAcq := now()
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				rs := lastRelStart.Load()
				prev := lastHolder.Load()
				v := sharedCounter.Load()
				sharedCounter.Store(v + 1)
				totalAcq.Add(1)
				if tAcq >= warmEnd && tAcq < end {
					measuredAcq.Add(1)
					if rs != 0 && prev != int64(id) {
						local = append(local, time.Duration(tAcq-rs))
					} else if prev == int64(id) {
						selfReacquires.Add(1)
					}
				}
				lastHolder.Store(int64(id))
				inside.Add(-1)
				lastRelStart.Store(now())
				if err := m.Unlock(opCtx); err != nil {
					errs.Add(1)
				}
			}
			mu.Lock()
			handoffs = append(handoffs, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if measuredAcq.Load() == 0 {
		return fmt.Errorf("lock-contended: no acquisition in the measured window (first error: %v)", firstErr)
	}
	// Requests of all sessions over the whole run, per acquisition.
	rt := float64(reqs.Requests()-r0) / float64(totalAcq.Load())
	p50 := Pct(handoffs, 0.5)
	e.Emit(Result{
		"impl": p.Impl, "workload": "W2", "variant": variant,
		"acq_s":          R2(float64(measuredAcq.Load()) / p.W2Duration.Seconds()),
		"handoff_p50_us": p50, "handoff_p99_us": Pct(handoffs, 0.99),
		"violations":   violations.Load(),
		"counter_ok":   sharedCounter.Load() == totalAcq.Load(),
		"measured_acq": measuredAcq.Load(), "total_acq": totalAcq.Load(), "handoffs": len(handoffs),
		"self_reacquires": selfReacquires.Load(), "errors": errs.Load(), "clients": n,
		"p50_x_rtt":          R2(p50 / floor.ExistsP50),
		"p50_x_floor":        R2(p50 / (floor.DeleteP50 + floor.ExistsP50)),
		"round_trips_per_op": R2(rt),
	})
	return nil
}
