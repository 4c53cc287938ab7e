package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
)

func init() {
	Register(Workload{
		Name: "discovery-scale",
		Help: "W8 at scale: N instances of one service, then S services of a few instances each, several instances per client: register time, all-visible time, observer load time and heap",
		Run:  runDiscoveryScale,
	})
}

// runDiscoveryScale registers, for each count of --scale-instances, that
// many instances of one service, and for each count of --scale-services
// that many services of --scale-per-service instances; instances share
// clients, --scale-per-client each (a client may register many).
func runDiscoveryScale(ctx context.Context, p *Params, e *Emitter) error {
	// Warm-up, off the record: the server's JIT and the client pools.
	if err := scaleRun(ctx, p, &Emitter{W: io.Discard}, 1, 100); err != nil {
		return err
	}
	var errs []error
	for _, n := range p.ScaleInstances {
		errs = append(errs, scaleRun(ctx, p, e, 1, n))
	}
	for _, s := range p.ScaleServices {
		errs = append(errs, scaleRun(ctx, p, e, s, p.ScalePerService))
	}
	return errors.Join(errs...)
}

func scaleService(i int) string { return fmt.Sprintf("svc-%03d", i) }

// scaleRun registers services × per instances at once and measures: the
// time until every Register returned; the time until a ServiceCache per
// service, loaded before, lists them all; then, with everything
// registered, the load time and live heap of a fresh ServiceCache per
// service on a client of their own.
func scaleRun(ctx context.Context, p *Params, e *Emitter, services, per int) error {
	total := services * per
	ns := fmt.Sprintf("%s/scale-%dx%d-%d", benchRoot(p), services, per, time.Now().UnixNano())
	connect := func() (*zkrecipes.Client, error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return zkrecipes.Connect(cctx, p.Servers, zkrecipes.WithNamespace(ns), zkrecipes.WithSessionTimeout(p.SessionTimeout))
	}
	var clients []*zkrecipes.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	nc := (total + p.ScalePerClient - 1) / p.ScalePerClient
	for range nc + 2 { // the instances', then two observers'
		c, err := connect()
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	obs, mem := clients[nc], clients[nc+1]
	defer func() {
		for _, c := range clients[:nc] {
			c.Close() // their instances go with them
		}
		removeScale(obs, services)
	}()
	base := must(discovery.New(obs, "/"))
	for s := range services { // the service nodes, as a warm-up would
		if _, err := obs.Create(ctx, "/"+scaleService(s), nil, zkrecipes.Container, zkrecipes.WithParents()); err != nil {
			return err
		}
	}

	// Observers, loaded while the services are empty.
	o := &w8Observer{seen: map[string]time.Time{}, gone: map[string]time.Time{}, listed: map[string]bool{}, changed: make(chan struct{})}
	octx, stopObs := context.WithCancel(ctx)
	var obsWG sync.WaitGroup
	defer obsWG.Wait()
	defer stopObs()
	for s := range services {
		sc, err := base.Cache(ctx, scaleService(s))
		if err != nil {
			return err
		}
		defer sc.Close()
		sub := sc.Subscribe()
		defer sub.Close()
		obsWG.Go(func() { o.follow(octx, sub) })
	}

	var errMu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	gate := make(chan struct{})
	returned := make([]time.Time, total)
	for i := range total {
		c := clients[i/p.ScalePerClient]
		wg.Go(func() {
			d := must(discovery.New(c, "/"))
			in := discovery.Instance{Name: scaleService(i % services), ID: fmt.Sprintf("inst-%05d", i), Address: "127.0.0.1", Port: 10000 + i%50000,
				Payload: must(discovery.MapPayload(map[string]any{"zone": fmt.Sprintf("z%d", i%3), "weight": 1 + i%5}))}
			<-gate
			_, err := d.Register(ctx, in)
			returned[i] = time.Now()
			if err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		})
	}
	p.Logf("discovery-scale: %d services x %d instances on %d clients registering", services, per, nc)
	t0 := time.Now()
	close(gate)
	wg.Wait()
	last := t0
	for _, t := range returned {
		last = later(last, t)
	}
	vctx, cancel := context.WithTimeout(ctx, p.W8Timeout)
	defer cancel()
	allSeen := o.wait(vctx, func() bool { return len(o.seen) == total })
	o.mu.Lock()
	allAt := t0
	for _, t := range o.seen {
		allAt = later(allAt, t)
	}
	o.mu.Unlock()
	stopObs()

	// A fresh observer per service on its own client, measured alone.
	h0 := heapMB()
	t1 := time.Now()
	memBase := must(discovery.New(mem, "/"))
	caches := make([]*discovery.ServiceCache, services)
	listed := 0
	for s := range services {
		sc, err := memBase.Cache(ctx, scaleService(s))
		if err != nil {
			return err
		}
		caches[s] = sc
		listed += len(sc.Instances())
	}
	load := time.Since(t1)
	h1 := heapMB()
	for _, sc := range caches {
		sc.Close()
	}
	runtime.KeepAlive(caches)

	r := Result{"impl": p.Impl, "workload": "W8-scale", "variant": fmt.Sprintf("%dx%d", services, per),
		"services": services, "instances": total, "clients": nc, "errors": len(errs),
		"register_ms":              ms(last.Sub(t0)),
		"register_us_per_instance": R2(float64(last.Sub(t0).Microseconds()) / float64(total)),
		"all_visible_ms":           nil,
		"observer_load_ms":         ms(load), "observer_listed": listed,
		"observer_heap_mb":              R2(h1 - h0),
		"observer_heap_kb_per_instance": R2((h1 - h0) * 1024 / float64(total)),
	}
	if allSeen == nil {
		r["all_visible_ms"] = ms(allAt.Sub(t0))
	} else {
		errs = append(errs, fmt.Errorf("discovery-scale: not all instances visible: %w", allSeen))
	}
	e.Emit(r)
	return errors.Join(errs...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// removeScale deletes the services' nodes, best effort (the instances go
// with their clients).
func removeScale(c *zkrecipes.Client, services int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for s := range services {
		_ = c.Delete(ctx, "/"+scaleService(s), -1)
	}
	_ = c.Conn().Delete(c.Namespace(), -1)
}
