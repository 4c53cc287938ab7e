package bench

import (
	"context"
	"errors"
	"fmt"
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
