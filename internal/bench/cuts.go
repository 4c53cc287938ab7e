package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// lock-under-cuts: how fast a contended mutex makes progress while every
// client's connection is cut at random. Each client has its own dialer,
// and each dialer cuts its live connection every U[CutsMin, CutsMax]; the
// session (4 s) survives every cut, so what is measured is how quickly a
// client reconnects and gets back in line. Holders lose the lock at each
// cut (suspension counts as loss) and take it again.

func init() {
	Register(Workload{
		Name: "lock-under-cuts",
		Help: "N sessions on one lock.Mutex, each connection cut every U[200,500] ms; cycles/s, longest gap without an acquisition",
		Run:  runLockUnderCuts,
	})
}

// cutDialer dials plain connections and cuts the live ones on demand.
type cutDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	dials int
}

func (d *cutDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conns = append(d.conns, nc)
	d.dials++
	d.mu.Unlock()
	return nc, nil
}

func (d *cutDialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, nc := range d.conns {
		_ = nc.Close()
	}
	d.conns = nil
}

func runLockUnderCuts(ctx context.Context, p *Params, e *Emitter) error {
	n := p.CutsClients
	ns := benchRoot(p) + "-cuts"
	dialers := make([]*cutDialer, n)
	cs := make([]*zkrecipes.Client, 0, n)
	defer func() {
		if len(cs) > 0 {
			removeNamespace(cs[0], "/cuts/lock", "/cuts")
		}
		for _, c := range cs {
			c.Close()
		}
	}()
	for i := range n {
		dialers[i] = &cutDialer{}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := zkrecipes.Connect(cctx, p.Servers, zkrecipes.WithNamespace(ns),
			zkrecipes.WithSessionTimeout(4*time.Second), zkrecipes.WithDialer(dialers[i].Dial))
		cancel()
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}

	var (
		mu    sync.Mutex
		acqs  []time.Duration // since start, in order
		cuts  atomic.Int64
		fails atomic.Int64
		lost  atomic.Int64
	)
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, p.CutsDuration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() { // the cutter
			defer wg.Done()
			for {
				d := p.CutsMin + rand.N(p.CutsMax-p.CutsMin+1)
				t := time.NewTimer(d)
				select {
				case <-rctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				dialers[i].Cut()
				cuts.Add(1)
			}
		}()
		go func() { // the contender
			defer wg.Done()
			m := must(lock.NewMutex(cs[i], "/cuts/lock"))
			for rctx.Err() == nil {
				if err := m.Lock(rctx); err != nil {
					if rctx.Err() == nil {
						fails.Add(1)
					}
					continue
				}
				at := time.Since(start)
				mu.Lock()
				acqs = append(acqs, at)
				mu.Unlock()
				select {
				case <-m.Lost():
					lost.Add(1)
				default:
				}
				_ = m.Unlock(context.WithoutCancel(ctx))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	dur := time.Since(start)
	gap, prev := time.Duration(0), time.Duration(0)
	for _, at := range append(acqs, min(dur, p.CutsDuration)) {
		gap = max(gap, at-prev)
		prev = at
	}
	dials := 0
	for _, d := range dialers {
		d.mu.Lock()
		dials += d.dials
		d.mu.Unlock()
	}
	e.Emit(Result{
		"impl": p.Impl, "workload": "lock-under-cuts", "variant": "lock.Mutex",
		"cycles_s":       R2(float64(len(acqs)) / p.CutsDuration.Seconds()),
		"longest_gap_ms": R2(float64(gap) / float64(time.Millisecond)),
		"acquisitions":   len(acqs), "cuts": cuts.Load(), "dials": dials,
		"lost_while_held": lost.Load(), "lock_errors": fails.Load(), "clients": n,
		"duration_s": R2(p.CutsDuration.Seconds()),
	})
	if len(acqs) == 0 {
		return fmt.Errorf("lock-under-cuts: no acquisition in %v", p.CutsDuration)
	}
	return nil
}
