package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes/zktest"
)

// window is a fault as it really happened: from injection until the
// target was healed (server serving again, link healed).
type window struct {
	kind       Kind
	worker     string // "" for server faults, which hit every worker
	start, end time.Time
}

// injector executes a schedule: one lane for the ensemble and one per
// worker, each running its faults in order, no earlier than planned.
type injector struct {
	ens   *zktest.Ensemble
	links map[string]*link // by worker id
	t0    time.Time
	logf  func(format string, args ...any)

	mu      sync.Mutex
	windows []window
	errs    []string // the harness's own failures (a server that would not restart)
}

// run blocks until every lane finished: ctx done stops lanes between
// faults, never inside one, so the ensemble and links end healed.
func (in *injector) run(ctx context.Context, s Schedule) {
	lanes := map[string][]Fault{}
	for _, f := range s.Faults {
		key := f.Worker // "" is the ensemble's lane
		lanes[key] = append(lanes[key], f)
	}
	var wg sync.WaitGroup
	for _, faults := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range faults {
				if !in.waitUntil(ctx, f.At) {
					return
				}
				in.inject(f)
			}
		}()
	}
	wg.Wait()
}

func (in *injector) waitUntil(ctx context.Context, at time.Duration) bool {
	t := time.NewTimer(time.Until(in.t0.Add(at)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (in *injector) inject(f Fault) {
	start := time.Now()
	in.logf("%s (planned %+.1fs)", f, f.At.Seconds())
	switch f.Kind {
	case StopServer:
		s := in.ens.Server(f.Server)
		_ = s.Stop()
		pause(f.For)
		if err := s.Restart(); err != nil {
			in.fail("restart server %d: %v", f.Server, err)
		}
	case RestartEnsemble:
		in.restartAll(f.For)
	case Cut:
		in.links[f.Worker].fd.Cut()
	case Expire:
		l := in.links[f.Worker]
		l.fd.Blackhole()
		pause(f.For)
		l.fd.Heal()
	case Slow:
		l := in.links[f.Worker]
		l.setLatency(f.Latency)
		pause(f.For)
		l.setLatency(0)
	}
	in.mu.Lock()
	in.windows = append(in.windows, window{kind: f.Kind, worker: f.Worker, start: start, end: time.Now()})
	in.mu.Unlock()
}

// restartAll kills every member at once, keeps them down, then starts them
// together: a member cannot serve until a quorum runs, so Restart (which
// waits) would deadlock one member at a time.
func (in *injector) restartAll(down time.Duration) {
	n := in.ens.Size()
	parallel(n, func(i int) { _ = in.ens.Server(i).Stop() })
	pause(down)
	parallel(n, func(i int) {
		s := in.ens.Server(i)
		if err := s.RestartNoWait(); err != nil {
			in.fail("restart-all: start server %d: %v", i, err)
			return
		}
		if err := s.WaitServing(0); err != nil {
			in.fail("restart-all: server %d not serving: %v", i, err)
		}
	})
}

// heal makes sure everything is back at the end: every member serving and
// every link clean.
func (in *injector) heal() {
	for _, l := range in.links {
		l.fd.Heal()
		l.setLatency(0)
	}
	for i := range in.ens.Size() {
		s := in.ens.Server(i)
		if s.Mode() != "" {
			continue
		}
		if err := s.Restart(); err != nil {
			in.fail("final restart of server %d: %v", i, err)
		}
	}
}

func (in *injector) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	in.logf("harness: %s", msg)
	in.mu.Lock()
	in.errs = append(in.errs, msg)
	in.mu.Unlock()
}

// counts returns how many faults of each kind hit worker w (server faults
// hit everyone); w == "" counts everything.
func (in *injector) counts(workers map[string]bool) [numKinds]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	var n [numKinds]int
	for _, w := range in.windows {
		if w.worker == "" || workers == nil || workers[w.worker] {
			n[w.kind]++
		}
	}
	return n
}

// during reports whether [start, end] overlaps a fault that affects worker.
func (in *injector) during(worker string, start, end time.Time) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, w := range in.windows {
		if (w.worker == "" || w.worker == worker) && !start.After(w.end) && !end.Before(w.start) {
			return true
		}
	}
	return false
}

// pause waits d. It is the fault's own duration (a server kept down, a link
// kept broken), not synchronisation.
func pause(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}
