package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
)

func init() {
	Register(Workload{
		Name: "discovery", Anchor: "W8",
		Help: "N instances register (own sessions), one ServiceCache observer: register time, visibility, crash and close detection, Provider pick cost",
		Run:  runDiscovery,
	})
}

// w8Observer timestamps each instance's first appearance in, and
// departure from, a ServiceCache.
type w8Observer struct {
	mu      sync.Mutex
	seen    map[string]time.Time
	gone    map[string]time.Time
	listed  map[string]bool
	changed chan struct{} // closed and replaced at every change
}

func (o *w8Observer) follow(ctx context.Context, sub *discovery.Changes) {
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		o.mu.Lock()
		switch ch.Kind {
		case discovery.Joined:
			if _, ok := o.seen[ch.New.ID]; !ok {
				o.seen[ch.New.ID] = now
			}
			o.listed[ch.New.ID] = true
		case discovery.Left:
			if _, ok := o.gone[ch.Old.ID]; !ok {
				o.gone[ch.Old.ID] = now
			}
			delete(o.listed, ch.Old.ID)
		}
		close(o.changed)
		o.changed = make(chan struct{})
		o.mu.Unlock()
	}
}

// wait blocks until cond (called under o.mu) holds or ctx ends.
func (o *w8Observer) wait(ctx context.Context, cond func() bool) error {
	for {
		o.mu.Lock()
		ok, ch := cond(), o.changed
		o.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func w8ID(i int) string { return fmt.Sprintf("inst-%02d", i) }

func runDiscovery(ctx context.Context, p *Params, e *Emitter) error {
	n := p.W8Instances
	if p.W8Kill+p.W8Close > n {
		return fmt.Errorf("discovery: --w8-kill + --w8-close exceeds --w8-instances")
	}
	ns := benchRoot(p) + "/w8"
	timeout := p.W8SessionTimeout
	connect := func(dial *holeDialer) (*zkrecipes.Client, error) {
		opts := []zkrecipes.Option{zkrecipes.WithNamespace(ns), zkrecipes.WithSessionTimeout(timeout)}
		if dial != nil {
			opts = append(opts, zkrecipes.WithDialer(dial.Dial))
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return zkrecipes.Connect(cctx, p.Servers, opts...)
	}
	obs, err := connect(nil)
	if err != nil {
		return err
	}
	defer obs.Close()
	defer removeTree(obs)

	// Instances 0..kill-1 dial through a dialer that crashes them later.
	hole := &holeDialer{}
	clients := make([]*zkrecipes.Client, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		var d *holeDialer
		if i < p.W8Kill {
			d = hole
		}
		if clients[i], err = connect(d); err != nil {
			return err
		}
	}

	// Warm-up, off the clock, as the anchors' Curator program does: every
	// instance registers and unregisters an instance of service "warmup"
	// (this also creates the base path, as there).
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			r, err := must(discovery.New(c, "/")).Register(ctx, discovery.Instance{Name: "warmup", ID: w8ID(i)})
			if err == nil {
				_ = r.Unregister(ctx)
			}
		})
	}
	wg.Wait()

	// The observer is loaded before anyone registers.
	o := &w8Observer{seen: map[string]time.Time{}, gone: map[string]time.Time{}, listed: map[string]bool{}, changed: make(chan struct{})}
	octx, stopObs := context.WithCancel(ctx)
	var obsWG sync.WaitGroup
	defer obsWG.Wait()
	defer stopObs()
	variant := "discovery"
	var sc *discovery.ServiceCache
	switch p.W8Observer {
	case "cache":
		if sc, err = must(discovery.New(obs, "/")).Cache(ctx, "svc"); err != nil {
			return err
		}
		defer sc.Close()
		sub := sc.Subscribe()
		defer sub.Close()
		obsWG.Go(func() { o.follow(octx, sub) })
	case "names":
		variant = "names-only probe (ShallowParty's observer, no data)"
		ready := make(chan struct{})
		obsWG.Go(func() { o.followNames(octx, obs, "/svc", ready) })
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	default:
		return fmt.Errorf("discovery: --w8-observer is cache or names, not %q", p.W8Observer)
	}

	// Register, all at once.
	var errs []error
	var errMu sync.Mutex
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
	}
	returned := make([]time.Time, n)
	gate := make(chan struct{})
	for i, c := range clients {
		wg.Go(func() {
			d := must(discovery.New(c, "/"))
			pl := must(discovery.MapPayload(struct {
				Zone   string `json:"zone"`
				Weight int    `json:"weight"`
			}{fmt.Sprintf("z%d", i%3), 1 + i%5}))
			in := discovery.Instance{Name: "svc", ID: w8ID(i), Address: "127.0.0.1", Port: 10000 + i, Payload: pl}
			<-gate
			if _, err := d.Register(ctx, in); err != nil {
				fail(err)
			}
			returned[i] = time.Now()
		})
	}
	p.Logf("discovery: %d instances registering", n)
	t0 := time.Now()
	close(gate)
	wg.Wait()
	var last time.Time
	for _, t := range returned {
		if t.After(last) {
			last = t
		}
	}
	r := Result{"impl": p.Impl, "workload": "W8", "variant": variant, "instances": n,
		"register_ms":        R2(float64(last.Sub(t0)) / float64(time.Millisecond)),
		"session_timeout_ms": timeout.Milliseconds(), "negotiated_timeout_ms": obs.SessionTimeout().Milliseconds()}

	pctx, cancel := context.WithTimeout(ctx, p.W8Timeout)
	defer cancel()
	allSeen := o.wait(pctx, func() bool { return len(o.seen) == n })
	o.mu.Lock()
	var vis []time.Duration
	early, allAt := 0, t0
	for i := range n {
		s, ok := o.seen[w8ID(i)]
		if !ok {
			continue
		}
		if s.After(allAt) {
			allAt = s
		}
		d := s.Sub(returned[i])
		if d < 0 {
			early++
		}
		vis = append(vis, d)
	}
	o.mu.Unlock()
	r["visible"], r["visible_early"] = len(vis), early
	if allSeen == nil {
		r["all_visible_ms"] = ms(allAt.Sub(t0))
	} else {
		r["all_visible_ms"] = nil
	}
	r["visible_p50_ms"], r["visible_p99_ms"], r["visible_max_ms"] = msPct(vis, 0.5), msPct(vis, 0.99), msPct(vis, 1)

	// Picks from the observer's cache (the names probe has none).
	r["lookup_us"], r["lookup_p99_us"] = nil, nil
	if sc != nil {
		prov := sc.Provider(discovery.WithStrategy(discovery.RoundRobin()))
		for range 1000 {
			_, _ = prov.Instance()
		}
		picks := make([]time.Duration, p.W8Lookups)
		for i := range picks {
			s := time.Now()
			if _, err := prov.Instance(); err != nil {
				fail(err)
				break
			}
			picks[i] = time.Since(s)
		}
		r["lookup_us"], r["lookup_p99_us"] = Pct(picks, 0.5), Pct(picks, 0.99)
	}

	// Crash: the first instances' connections die and cannot come back.
	killed := map[string]bool{}
	for i := range p.W8Kill {
		killed[w8ID(i)] = true
	}
	t1 := time.Now()
	hole.Blackhole()
	dctx, cancel2 := context.WithTimeout(ctx, p.W8Timeout)
	defer cancel2()
	err = o.wait(dctx, func() bool { return countGone(o.gone, killed) == len(killed) })
	r["killed"] = p.W8Kill
	r["down_detect_ms"], r["down_first_ms"] = nil, nil
	if err == nil {
		first, lastGone := lastAndFirst(o, killed, t1)
		r["down_detect_ms"], r["down_first_ms"] = ms(lastGone), ms(first)
	}

	// Close without unregistering: the server deletes the nodes at once.
	closing := map[string]bool{}
	for i := p.W8Kill; i < p.W8Kill+p.W8Close; i++ {
		closing[w8ID(i)] = true
	}
	t2 := time.Now()
	for i := p.W8Kill; i < p.W8Kill+p.W8Close; i++ {
		wg.Go(func() { clients[i].Close() })
	}
	wg.Wait()
	cctx, cancel3 := context.WithTimeout(ctx, p.W8Timeout)
	defer cancel3()
	err = o.wait(cctx, func() bool { return countGone(o.gone, closing) == len(closing) })
	r["closed"], r["close_detect_ms"] = p.W8Close, nil
	if err == nil {
		_, lastGone := lastAndFirst(o, closing, t2)
		r["close_detect_ms"] = ms(lastGone)
	}

	time.Sleep(200 * time.Millisecond) // the anchors' settling time before the final check
	remaining := n - p.W8Kill - p.W8Close
	var got []string
	if sc != nil {
		for _, in := range sc.Instances() {
			got = append(got, in.ID)
		}
	} else {
		o.mu.Lock()
		for id := range o.listed {
			got = append(got, id)
		}
		o.mu.Unlock()
	}
	ok := len(got) == remaining
	for _, id := range got {
		if killed[id] || closing[id] {
			ok = false
		}
	}
	r["remaining_ok"] = ok
	if data, _, err := obs.Get(ctx, "/svc/"+w8ID(n-1)); err == nil {
		r["sample_json"] = string(data)
	}
	if allSeen != nil {
		fail(fmt.Errorf("not all instances visible: %w", allSeen))
	}
	r["errors"] = len(errs)
	e.Emit(r)
	return errors.Join(errs...)
}

func countGone(gone map[string]time.Time, ids map[string]bool) int {
	k := 0
	for id := range ids {
		if _, ok := gone[id]; ok {
			k++
		}
	}
	return k
}

// lastAndFirst returns how long after t the first and the last of ids
// left the observer's view.
func lastAndFirst(o *w8Observer, ids map[string]bool, t time.Time) (first, last time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ds []time.Duration
	for id := range ids {
		ds = append(ds, o.gone[id].Sub(t))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[0], ds[len(ds)-1]
}

func ms(d time.Duration) float64 { return R2(float64(d) / float64(time.Millisecond)) }

// msPct is Pct in milliseconds, or nil without samples.
func msPct(samples []time.Duration, q float64) any {
	if len(samples) == 0 {
		return nil
	}
	return R2(Pct(samples, q) / 1000)
}

// removeTree deletes the run's nodes and namespace, best effort.
func removeTree(c *zkrecipes.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, dir := range []string{"/svc", "/warmup"} {
		kids, _, _ := c.Children(ctx, dir)
		for _, k := range kids {
			_ = c.Delete(ctx, dir+"/"+k, -1)
		}
		_ = c.Delete(ctx, dir, -1)
	}
	_ = c.Conn().Delete(c.Namespace(), -1)
}
