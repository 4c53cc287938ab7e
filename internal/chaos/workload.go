package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// run sets up every recipe, runs workers and faults, then tears down and
// checks. It closes every client it opened before returning.
func (r *runner) run(ctx context.Context, specs []spec, sched Schedule) (*Report, error) {
	insts, err := r.setup(ctx, specs)
	defer func() {
		for _, in := range insts {
			for _, w := range in.workers {
				w.c.Close()
				w.link.close()
			}
			if in.admin != nil {
				in.admin.Close()
			}
		}
	}()
	if err != nil {
		return nil, err
	}

	links := map[string]*link{}
	for _, in := range insts {
		for _, w := range in.workers {
			links[w.id] = w.link
		}
	}
	t0 := time.Now()
	inj := &injector{ens: r.ens, links: links, t0: t0, logf: func(string, ...any) {}}
	if r.cfg.Verbose {
		inj.logf = r.logf
	}
	for _, in := range insts {
		in.rec.t0, in.rec.inj = t0, inj
	}

	// Workload and faults.
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	done := make(map[*worker]chan struct{})
	for _, in := range insts {
		for _, w := range in.workers {
			ch := make(chan struct{})
			done[w] = ch
			go func() {
				defer close(ch)
				in.r.work(wctx, w)
			}()
		}
	}
	fctx, stopFaults := context.WithTimeout(ctx, r.cfg.Duration)
	defer stopFaults()
	inj.run(fctx, sched)
	<-fctx.Done()
	inj.heal()
	r.logf("faults over after %v; stopping workers", time.Since(t0).Round(time.Millisecond))
	stopWork()
	end := time.Now()
	r.awaitWorkers(insts, done)
	for _, in := range insts {
		for _, w := range in.workers {
			w.c.Close()
			w.link.close()
		}
	}
	r.awaitExpiry(ctx, insts)

	// Checks.
	rep := &Report{Schedule: sched, Duration: r.cfg.Duration, HarnessErrors: inj.errs}
	for _, in := range insts {
		res := &Result{Recipe: in.spec.name, Workers: len(in.workers)}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		in.r.check(cctx, in.admin, res)
		r.leftovers(cctx, in, res)
		cancel()
		ids := map[string]bool{}
		for _, w := range in.workers {
			ids[w.id] = true
			res.SessionsLost += w.losses()
		}
		res.Faults = inj.counts(ids)
		in.rec.opStats(res, inj, t0, end)
		in.rec.mu.Lock()
		res.Violations += in.rec.violations
		res.Details = append(res.Details, in.rec.details...)
		if n := in.rec.counters["stalls"]; n > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%d acquisitions timed out while the workload ran:", n))
			res.Notes = append(res.Notes, in.rec.notes...)
		}
		in.rec.mu.Unlock()
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func (r *runner) setup(ctx context.Context, specs []spec) ([]*instance, error) {
	root, err := r.connect(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("chaos: connect: %w", err)
	}
	defer root.Close()
	paths := []string{r.ns}
	for _, s := range specs {
		paths = append(paths, zkpath.Join(r.ns, s.name))
	}
	for _, p := range paths {
		if _, err := root.Create(ctx, p, nil, zkrecipes.Persistent); err != nil {
			return nil, fmt.Errorf("chaos: create %s: %w", p, err)
		}
	}
	var insts []*instance
	book := &sessionBook{m: map[int64]string{}}
	for _, s := range specs {
		ns := r.ns + "/" + s.name
		in := &instance{spec: s, rec: newRecorder(time.Now())}
		insts = append(insts, in)
		in.r = s.new(in.rec)
		var err error
		if in.admin, err = r.connect(ctx, ns); err != nil {
			return insts, fmt.Errorf("chaos: admin client for %s: %w", s.name, err)
		}
		if err := in.r.setup(ctx, in.admin); err != nil {
			return insts, fmt.Errorf("chaos: set up %s: %w", s.name, err)
		}
		for i := range s.workers {
			l := newLink()
			c, err := r.connect(ctx, ns, zkrecipes.WithDialer(l.Dial), zkrecipes.WithLogger(in.rec.logs.logger(fmt.Sprintf("%s/%d", s.name, i))))
			if err != nil {
				l.close()
				return insts, fmt.Errorf("chaos: client for %s/%d: %w", s.name, i, err)
			}
			w := &worker{
				id: fmt.Sprintf("%s/%d", s.name, i), slot: i, c: c, link: l, rec: in.rec,
				rng:   rand.New(rand.NewSource(r.cfg.Seed*131 + int64(len(insts))*17 + int64(i))),
				ended: map[int64]time.Time{}, book: book,
			}
			book.add(w.sessionID(), w.id)
			go w.watchSessions(c.Subscribe())
			in.workers = append(in.workers, w)
		}
	}
	return insts, nil
}

// awaitWorkers waits for every worker to return after the workload ended.
// One that does not return within stopGrace is a liveness bug: it is
// recorded with the goroutine dump, and closing its client must free it.
func (r *runner) awaitWorkers(insts []*instance, done map[*worker]chan struct{}) {
	deadline := time.NewTimer(stopGrace)
	defer deadline.Stop()
	expired := false
	for _, in := range insts {
		for _, w := range in.workers {
			if !expired {
				select {
				case <-done[w]:
				case <-deadline.C:
					expired = true
				}
			}
			select {
			case <-done[w]:
				continue
			default:
			}
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			in.rec.violate("%s did not return within %v of the end of the workload (ctx cancelled); goroutines:\n%s", w.id, stopGrace, buf)
			r.logf("%s hung; closing its client", w.id)
			w.c.Close()
			w.link.close()
			t := time.NewTimer(30 * time.Second)
			select {
			case <-done[w]:
			case <-t.C:
				r.logf("%s still stuck after its client closed; abandoning it", w.id)
			}
			t.Stop()
		}
	}
}
