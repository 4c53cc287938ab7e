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

// W2, measured exactly as the anchors' go-zookeeper program (gozk/main.go)
// measures it, for several lock implementations in one process: lock.Mutex
// with a cancellable ctx, with a ctx that is never cancelled, and
// go-zookeeper's bare zk.Lock, so that they meet the same server, machine
// and client-side accounting (see cost.go) in one run.

func init() {
	Register(Workload{
		Name: "lock-contended", Anchor: "W2",
		Help: "N sessions in one process loop acquire → critical section → release; acq/s, handoff p50/p99, requests and client CPU per acquisition",
		Run:  runLockContended,
	})
}

// W2 variants (--w2-variants).
const (
	variantMutex         = "mutex"          // lock.Mutex, cancellable ctx
	variantMutexNoCancel = "mutex-nocancel" // lock.Mutex, a ctx that is never done
	variantZkLock        = "zk.Lock"        // go-zookeeper's zk.Lock
)

var variantNames = map[string]string{
	variantMutex:         "lock.Mutex",
	variantMutexNoCancel: "lock.Mutex (ctx never cancelled)",
	variantZkLock:        "zk.Lock",
}

// locker is one session's lock handle.
type locker struct{ lock, unlock func() error }

func runLockContended(ctx context.Context, p *Params, e *Emitter) error {
	counts := p.W2Counts
	if len(counts) == 0 {
		counts = []int{p.W2Clients}
	}
	variants := p.W2Variants
	if len(variants) == 0 {
		variants = []string{variantMutex, variantMutexNoCancel}
	}
	for _, v := range variants {
		if variantNames[v] == "" {
			return fmt.Errorf("lock-contended: unknown variant %q (mutex, mutex-nocancel, zk.Lock)", v)
		}
	}
	rounds := max(p.W2Rounds, 1)
	for _, n := range counts {
		for r := 1; r <= rounds; r++ {
			order := variants
			if r%2 == 0 { // alternate, so that drift hits all alike
				order = make([]string, len(variants))
				for i, v := range variants {
					order[len(variants)-1-i] = v
				}
			}
			for _, v := range order {
				if err := runLockContendedWith(ctx, v, n, r, p, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// lockers connects n sessions for variant v, counting their requests in
// reqs. release closes them (defer it even on error).
func lockers(ctx context.Context, v string, n int, p *Params, ns string, reqs *Counter) ([]locker, func(), error) {
	if v == variantZkLock {
		return zkLockers(ctx, n, p, ns, reqs)
	}
	cs, release, err := connectMany(ctx, p, ns, n, reqs, func(c *zkrecipes.Client) {
		removeNamespace(c, "/w2/lock", "/w2")
	})
	if err != nil {
		return nil, release, err
	}
	opCtx, cancel := context.WithCancel(ctx) // cancellable, never cancelled before the end
	if v == variantMutexNoCancel {
		opCtx = context.WithoutCancel(ctx)
	}
	ls := make([]locker, n)
	for i, c := range cs {
		m := must(lock.NewMutex(c, "/w2/lock"))
		ls[i] = locker{lock: func() error { return m.Lock(opCtx) }, unlock: func() error { return m.Unlock(opCtx) }}
	}
	return ls, func() { cancel(); release() }, nil
}

// zkLockers connects n bare go-zookeeper sessions, each with a zk.Lock on
// the same path under root ns.
func zkLockers(ctx context.Context, n int, p *Params, ns string, reqs *Counter) ([]locker, func(), error) {
	var conns []*zk.Conn
	release := func() {
		if len(conns) > 0 {
			_ = conns[0].Delete(ns+"/w2/lock", -1)
			_ = conns[0].Delete(ns+"/w2", -1)
			_ = conns[0].Delete(ns, -1)
		}
		for _, c := range conns {
			c.Close()
		}
	}
	for range n {
		c, err := connectZk(ctx, p, reqs)
		if err != nil {
			return nil, release, err
		}
		conns = append(conns, c)
	}
	for _, d := range []string{ns, ns + "/w2"} {
		if _, err := conns[0].Create(d, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return nil, release, err
		}
	}
	ls := make([]locker, n)
	for i, c := range conns {
		l := zk.NewLock(c, ns+"/w2/lock", zk.WorldACL(zk.PermAll))
		ls[i] = locker{lock: l.Lock, unlock: l.Unlock}
	}
	return ls, release, nil
}

// connectZk opens a bare go-zookeeper session, as the anchors' program
// does, and drains its events.
func connectZk(ctx context.Context, p *Params, reqs *Counter) (*zk.Conn, error) {
	c, ev, err := zk.Connect(p.Servers, p.SessionTimeout, zk.WithLogger(nopLogger{}), zk.WithLogInfo(false), zk.WithDialer(reqs.Dial))
	if err != nil {
		return nil, err
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c, nil
			}
		case <-deadline:
			c.Close()
			return nil, errors.New("zk.Connect: no session within 30s")
		case <-ctx.Done():
			c.Close()
			return nil, ctx.Err()
		}
	}
}

// runLockContendedWith runs W2 once: n sessions of variant v, round r.
func runLockContendedWith(ctx context.Context, v string, n, r int, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	var reqs Counter // every client's requests
	ns := fmt.Sprintf("%s-w2-%d-%d-%d", benchRoot(p), n, r, time.Now().UnixNano()%1e6)
	ls, release, err := lockers(ctx, v, n, p, ns, &reqs)
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

	// The client's costs over the measured window.
	var cost costs
	window := make(chan struct{})
	go func() {
		defer close(window)
		time.Sleep(time.Duration(warmEnd - now()))
		before := takeCosts(&reqs)
		time.Sleep(time.Duration(end - now()))
		cost = takeCosts(&reqs).minus(before)
	}()

	var wg sync.WaitGroup
	for id := range n {
		wg.Go(func() {
			l := ls[id]
			var local []time.Duration
			for now() < end && ctx.Err() == nil {
				if err := l.lock(); err != nil {
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
				if err := l.unlock(); err != nil {
					errs.Add(1)
				}
			}
			mu.Lock()
			handoffs = append(handoffs, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	<-window
	if err := ctx.Err(); err != nil {
		return err
	}
	acq := measuredAcq.Load()
	if acq == 0 {
		return fmt.Errorf("lock-contended: no acquisition in the measured window (first error: %v)", firstErr)
	}
	// Requests of all sessions over the whole run, per acquisition.
	rt := float64(reqs.Requests()-r0) / float64(totalAcq.Load())
	p50 := Pct(handoffs, 0.5)
	res := Result{
		"impl": p.Impl, "workload": "W2", "variant": variantNames[v], "round": r,
		"acq_s":          R2(float64(acq) / p.W2Duration.Seconds()),
		"handoff_p50_us": p50, "handoff_p99_us": Pct(handoffs, 0.99),
		"violations":   violations.Load(),
		"counter_ok":   sharedCounter.Load() == totalAcq.Load(),
		"measured_acq": acq, "total_acq": totalAcq.Load(), "handoffs": len(handoffs),
		"self_reacquires": selfReacquires.Load(), "errors": errs.Load(), "clients": n,
		"p50_x_rtt":          R2(p50 / floor.ExistsP50),
		"p50_x_floor":        R2(p50 / (floor.DeleteP50 + floor.ExistsP50)),
		"round_trips_per_op": R2(rt),
	}
	cost.per(acq, res)
	e.Emit(res)
	return nil
}
