package chaos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/group"
)

// The registry workload: every worker registers, updates and unregisters
// Dynamic service instances (each on its worker's own session) while it
// follows the service through a discovery.ServiceCache and a group.View
// of the same node. Checked:
//   - each observer's history: an instance joins only when absent, leaves
//     or is updated only when present, and the list never holds an id
//     twice;
//   - no flapping: an instance's node of one session joins an observer's
//     list at most once (a short disconnection that keeps the session is
//     no departure);
//   - no ghost: an instance whose session was lost leaves every observer's
//     list within the session timeout plus registryGhostMargin of the
//     owner's client declaring it lost, unless a server fault or a fault of
//     the observer's own link overlaps (ZooKeeper renews sessions after a
//     leader change);
//   - once the faults are healed and every worker has stopped changing its
//     instances, every observer lists exactly the instances still
//     registered, with their latest data, within registryQuiesce.
func init() {
	register(spec{name: "registry", workers: 3, new: func(rec *recorder) recipe {
		return &registryRecipe{rec: rec, open: map[string]int{}, allReady: make(chan struct{}), allStopped: make(chan struct{}),
			workers: map[string]*worker{}, ready: 3, changing: 3}
	}})
}

const (
	registryBase        = "/services"
	registryService     = "svc"
	registryGhostMargin = 2 * time.Second
	registryQuiesce     = 30 * time.Second
	registryMaxOpen     = 3 // instances per worker at once
)

type registryRecipe struct {
	rec        *recorder
	allReady   chan struct{} // every worker's observers are loaded
	allStopped chan struct{} // every worker stopped changing its instances

	mu       sync.Mutex
	open     map[string]int // registered instance id -> its data version (-1: unknown, an update failed)
	workers  map[string]*worker
	ready    int
	changing int
	lefts    []regLeft
}

// regLeft is an instance's node (id, session) leaving one observer's list.
type regLeft struct {
	observer string // worker id
	id       string
	session  int64
	at       time.Time
}

type regPayload struct {
	Worker  string `json:"worker"`
	Version int    `json:"version"`
}

func (r *registryRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (r *registryRecipe) leftoverOK(string, *zk.Stat) bool { return false }

func (r *registryRecipe) countDown(n *int, ch chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if *n--; *n == 0 {
		close(ch)
	}
}

func (r *registryRecipe) work(ctx context.Context, w *worker) {
	r.mu.Lock()
	r.workers[w.id] = w
	r.mu.Unlock()
	stopChanging := sync.OnceFunc(func() { r.countDown(&r.changing, r.allStopped) })
	defer stopChanging()
	d := must(discovery.New(w.c, registryBase))
	g := must(group.New(w.c, registryBase+"/"+registryService))

	// Observers first, loaded while the service is empty, so that their
	// histories start from nothing.
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	sc, err := d.Cache(lctx, registryService)
	var view *group.View
	if err == nil {
		if view, err = g.Watch(lctx); err != nil {
			sc.Close()
		}
	}
	cancel()
	r.countDown(&r.ready, r.allReady)
	if err != nil {
		r.rec.note(fmt.Sprintf("%s: the observers did not load before the end: %v", w.id, err))
		return
	}
	defer sc.Close()
	defer view.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	scSub, viewSub := sc.Subscribe(), view.Subscribe()
	defer scSub.Close()
	defer viewSub.Close()
	changed := make(chan struct{}, 1)
	wg.Go(func() { r.followCache(w, sc, scSub, changed) })
	wg.Go(func() { r.followView(w, view, viewSub, changed) })
	select {
	case <-r.allReady:
	case <-ctx.Done():
	}

	regs := map[string]*discovery.Registration{}
	version := map[string]int{}
	seq := 0
	for ctx.Err() == nil {
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := r.change(octx, w, d, regs, version, &seq)
		cancel()
		o := opOK
		switch {
		case errors.Is(err, zkrecipes.ErrUncertain):
			o = opAmbiguous
		case err != nil:
			o = opFailed
		}
		r.rec.op(w, start, o, err == nil)
		sleepOr(w.jitter(10*time.Millisecond, 100*time.Millisecond), ctx.Done())
	}
	stopChanging()
	r.converge(w, sc, view, changed)
	for _, reg := range regs {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = reg.Unregister(uctx) // best effort: the node goes with the session anyway
		cancel()
	}
}

// change registers a new instance, updates one or unregisters one, at
// random, and keeps r.open in step with what succeeded.
func (r *registryRecipe) change(ctx context.Context, w *worker, d *discovery.Discovery, regs map[string]*discovery.Registration, version map[string]int, seq *int) error {
	ids := slices.Sorted(maps.Keys(regs))
	op := w.rng.Intn(4)
	switch {
	case len(ids) == 0 || op < 2 && len(ids) < registryMaxOpen:
		*seq++
		id := fmt.Sprintf("w%d-%d", w.slot, *seq)
		in := discovery.Instance{Name: registryService, ID: id, Address: "127.0.0.1", Port: 1000 + *seq,
			Payload: must(discovery.MapPayload(regPayload{Worker: w.id, Version: 1}))}
		reg, err := d.Register(ctx, in)
		if err != nil {
			return err // nothing left behind
		}
		regs[id], version[id] = reg, 1
		r.setOpen(id, 1)
		return nil
	case op == 3:
		id := ids[w.rng.Intn(len(ids))]
		reg := regs[id]
		delete(regs, id)
		r.setOpen(id, 0)
		return reg.Unregister(ctx) // on failure the node goes within the session
	default:
		id := ids[w.rng.Intn(len(ids))]
		in := regs[id].Instance()
		version[id]++
		in.Payload = must(discovery.MapPayload(regPayload{Worker: w.id, Version: version[id]}))
		err := regs[id].Update(ctx, in)
		v := version[id]
		if err != nil {
			v = -1 // written now, or at the next creation
		}
		r.setOpen(id, v)
		return err
	}
}

// setOpen records id's data version; 0 means unregistered.
func (r *registryRecipe) setOpen(id string, v int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v == 0 {
		delete(r.open, id)
	} else {
		r.open[id] = v
	}
}

// followCache checks the ServiceCache's history: joins only when absent,
// leaves and updates only when present, no id listed twice.
func (r *registryRecipe) followCache(w *worker, sc *discovery.ServiceCache, sub *discovery.Changes, changed chan<- struct{}) {
	cur := map[string]bool{}
	for {
		ch, err := sub.Next(context.Background())
		if err != nil {
			return // closed
		}
		if (ch.Kind == discovery.Joined) == cur[ch.Name] {
			r.rec.violate("%s: cache: %s %s when it was listed=%v, at %s", w.id, ch.Kind, ch.Name, cur[ch.Name], r.rec.at(ch.At))
		}
		cur[ch.Name] = ch.Kind != discovery.Left
		if !cur[ch.Name] {
			delete(cur, ch.Name)
		}
		noDuplicates(r, w, "cache", sc.Instances(), func(in discovery.Instance) string { return in.ID })
		signal(changed)
	}
}

// followView checks the group View's history as followCache does, and per
// node (id and session) that it joins once and when it leaves.
func (r *registryRecipe) followView(w *worker, v *group.View, sub *group.Changes, changed chan<- struct{}) {
	cur := map[string]int64{} // id -> session of the listed node
	joined := map[regLeft]bool{}
	leave := func(id string, sess int64, at time.Time) {
		r.mu.Lock()
		r.lefts = append(r.lefts, regLeft{observer: w.id, id: id, session: sess, at: at})
		r.mu.Unlock()
	}
	join := func(id string, sess int64, at time.Time) {
		k := regLeft{id: id, session: sess}
		if joined[k] {
			r.rec.violate("%s: view: %s of session 0x%x listed again in the same session (a flap), at %s", w.id, id, uint64(sess), r.rec.at(at))
		}
		joined[k] = true
	}
	for {
		ch, err := sub.Next(context.Background())
		if err != nil {
			return
		}
		old, listed := cur[ch.Name]
		if (ch.Kind == group.Joined) == listed {
			r.rec.violate("%s: view: %s %s when it was listed=%v, at %s", w.id, ch.Kind, ch.Name, listed, r.rec.at(ch.At))
		}
		switch {
		case ch.Kind == group.Joined:
			join(ch.Name, ch.New.Session, ch.At)
			cur[ch.Name] = ch.New.Session
		case ch.Kind == group.Left:
			leave(ch.Name, old, ch.At)
			delete(cur, ch.Name)
		case ch.New.Session != old: // replaced between two reads
			leave(ch.Name, old, ch.At)
			join(ch.Name, ch.New.Session, ch.At)
			cur[ch.Name] = ch.New.Session
		}
		noDuplicates(r, w, "view", v.Members(), func(m group.Member) string { return m.ID })
		signal(changed)
	}
}

// noDuplicates checks that a list sorted by id holds no id twice.
func noDuplicates[T any](r *registryRecipe, w *worker, what string, list []T, id func(T) string) {
	for i := 1; i < len(list); i++ {
		if id(list[i]) == id(list[i-1]) {
			r.rec.violate("%s: %s lists %s twice", w.id, what, id(list[i]))
		}
	}
}

func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// converge waits for every worker to stop changing its instances, then
// for both observers to list exactly the registered instances, with their
// data, and not be stale.
func (r *registryRecipe) converge(w *worker, sc *discovery.ServiceCache, view *group.View, changed <-chan struct{}) {
	select {
	case <-r.allStopped:
	case <-time.After(20 * time.Second):
		r.rec.note(fmt.Sprintf("%s: workers still changing 20s after the end; comparing anyway", w.id))
	}
	start := time.Now()
	deadline := time.NewTimer(registryQuiesce)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond) // staleness ends without a change
	defer tick.Stop()
	for {
		diff := r.diff(sc, view)
		if diff == "" {
			r.rec.count("converged", 1)
			r.rec.count("converge ms", int(time.Since(start).Milliseconds()))
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			r.rec.violate("%s: the observers differ from the registered instances %v after the workers stopped: %s", w.id, registryQuiesce, diff)
			return
		}
	}
}

// diff describes how the observers differ from the registered instances
// ("" if they do not).
func (r *registryRecipe) diff(sc *discovery.ServiceCache, view *group.View) string {
	r.mu.Lock()
	want := maps.Clone(r.open)
	r.mu.Unlock()
	var out []string
	if s, _ := sc.Stale(); s {
		out = append(out, "cache stale")
	}
	if s, _ := view.Stale(); s {
		out = append(out, "view stale")
	}
	got := map[string]bool{}
	for _, in := range sc.Instances() {
		got[in.ID] = true
		v, ok := want[in.ID]
		if !ok {
			out = append(out, "cache lists "+in.ID)
			continue
		}
		var p regPayload
		if err := in.DecodePayload(&p); err != nil || v > 0 && p.Version != v {
			out = append(out, fmt.Sprintf("cache: %s at version %d (%v), not %d", in.ID, p.Version, err, v))
		}
	}
	members := map[string]bool{}
	for _, m := range view.Members() {
		members[m.ID] = true
		if _, ok := want[m.ID]; !ok {
			out = append(out, "view lists "+m.ID)
		}
	}
	for id := range want {
		if !got[id] {
			out = append(out, "cache misses "+id)
		}
		if !members[id] {
			out = append(out, "view misses "+id)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// check reports the convergence and checks the ghosts: each node of a lost
// session left every observer's list within the session timeout plus
// registryGhostMargin of its owner declaring the session lost.
func (r *registryRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	r.mu.Lock()
	lefts := slices.Clone(r.lefts)
	workers := maps.Clone(r.workers)
	r.mu.Unlock()
	var worst, excused time.Duration
	ghosts := 0
	for _, l := range lefts {
		var lost time.Time
		var timeout time.Duration
		for _, w := range workers {
			if t, ok := w.sessionEnded(l.session); ok {
				lost, timeout = t, w.c.SessionTimeout()
			}
		}
		g := l.at.Sub(lost)
		if lost.IsZero() || g < -timeout {
			continue // its session did not end, or not while it was listed
		}
		ghosts++
		if g <= timeout+registryGhostMargin {
			worst = max(worst, g)
			continue
		}
		if r.rec.inj != nil && r.rec.inj.during(l.observer, lost.Add(-timeout), l.at) {
			excused = max(excused, g)
			continue
		}
		r.rec.violate("%s: %s of session 0x%x listed until %s, %v after its session was lost (limit %v)",
			l.observer, l.id, uint64(l.session), r.rec.at(l.at), g.Round(time.Millisecond), timeout+registryGhostMargin)
	}
	n := r.rec.counter("converged")
	avg := 0
	if n > 0 {
		avg = r.rec.counter("converge ms") / n
	}
	res.Notes = append(res.Notes,
		fmt.Sprintf("%d of %d workers' observers listed exactly the registered instances after the end (mean %d ms)", n, res.Workers, avg),
		fmt.Sprintf("%d departures of lost sessions' instances seen; latest %v after the loss (%v where faults overlapped)",
			ghosts, worst.Round(time.Millisecond), excused.Round(time.Millisecond)))
}
