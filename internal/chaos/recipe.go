package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// recipe is one recipe's workload and checker. Each lives in its own file
// (lock.go, queue.go, ...) and registers itself in init, so a recipe whose
// package does not build can be taken out by removing one file.
type recipe interface {
	// setup runs once before the workers start, on an admin client in the
	// recipe's namespace.
	setup(ctx context.Context, c *zkrecipes.Client) error
	// work is one worker's loop. It returns soon after ctx is done, having
	// released whatever it held.
	work(ctx context.Context, w *worker)
	// check runs after every worker's client closed and the ensemble has
	// expired their sessions; it checks the recipe's guarantees into res
	// (through the recorder) on an admin client.
	check(ctx context.Context, c *zkrecipes.Client, res *Result)
	// leftoverOK reports whether the znode p (relative to the recipe's
	// namespace) may remain after check, e.g. a register the checker uses.
	leftoverOK(p string, st *zk.Stat) bool
}

// spec describes a registered recipe.
type spec struct {
	name    string
	workers int
	new     func(rec *recorder) recipe
}

var (
	registryMu sync.Mutex
	registry   []spec
)

func register(s spec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, s)
}

// Recipes returns the names of the registered recipes, in table order.
func Recipes() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, len(registry))
	for i, s := range sortedSpecs() {
		names[i] = s.name
	}
	return names
}

func sortedSpecs() []spec {
	order := map[string]int{"foundation": 0, "lock": 1, "relock": 2, "rwmutex": 3, "semaphore": 4, "election": 5, "queue": 6, "counter": 7, "sharedcount": 8, "double": 9, "cache": 10, "registry": 11}
	out := append([]spec(nil), registry...)
	rank := func(n string) int {
		if r, ok := order[n]; ok {
			return r
		}
		return len(order)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (rank(out[j].name) < rank(out[j-1].name) ||
			rank(out[j].name) == rank(out[j-1].name) && out[j].name < out[j-1].name); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// worker is one participant of a recipe, with its own client, session and
// network link.
type worker struct {
	id   string // "lock/2"
	slot int    // index within the recipe
	c    *zkrecipes.Client
	link *link
	rec  *recorder
	rng  *rand.Rand // only the worker's goroutine uses it

	book *sessionBook

	mu    sync.Mutex
	ended map[int64]time.Time // session id -> when the client declared it lost
}

// sessionBook maps session ids to the workers that own them, for
// diagnostics.
type sessionBook struct {
	mu sync.Mutex
	m  map[int64]string
}

func (b *sessionBook) add(id int64, worker string) {
	b.mu.Lock()
	b.m[id] = worker
	b.mu.Unlock()
}

func (b *sessionBook) owner(id int64) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w, ok := b.m[id]; ok {
		return w
	}
	return fmt.Sprintf("0x%x", uint64(id))
}

// watchSessions records when each of the worker's sessions ended, until
// the client closes.
func (w *worker) watchSessions(sub *zkrecipes.Subscription) {
	defer sub.Close()
	for {
		ch, err := sub.Next(context.Background())
		if err != nil || ch.State == zkrecipes.Closed {
			return
		}
		if ch.State == zkrecipes.Connected && ch.Session != nil {
			w.book.add(ch.Session.ID(), w.id)
		}
		if ch.State == zkrecipes.Lost && ch.Session != nil {
			w.mu.Lock()
			w.ended[ch.Session.ID()] = ch.At
			w.mu.Unlock()
		}
	}
}

// sessionEnded returns when session id ended, if the client saw it end.
func (w *worker) sessionEnded(id int64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.ended[id]
	return t, ok
}

func (w *worker) losses() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ended)
}

// lossTimes returns when the client declared each of the worker's sessions
// lost.
func (w *worker) lossTimes() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]time.Time, 0, len(w.ended))
	for _, t := range w.ended {
		out = append(out, t)
	}
	return out
}

// sessionID is the id of the client's current session (0 before any).
func (w *worker) sessionID() int64 {
	if s := w.c.Session(); s != nil {
		return s.ID()
	}
	return 0
}

// jitter returns a random duration in [lo, hi].
func (w *worker) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(w.rng.Int63n(int64(hi-lo)+1))
}

// tenure returns how long to hold something: mostly in [lo, hi], but one
// time in twenty between 200ms and 1.5s, so that faults strike holders.
func (w *worker) tenure(lo, hi time.Duration) time.Duration {
	if w.rng.Intn(20) == 0 {
		return w.jitter(200*time.Millisecond, 1500*time.Millisecond)
	}
	return w.jitter(lo, hi)
}

// sleepOr waits d, or less if stop closes first; it reports whether the full
// d passed. Workers use it to spend time in a critical section.
func sleepOr(d time.Duration, stop ...<-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var a, b <-chan struct{}
	if len(stop) > 0 {
		a = stop[0]
	}
	if len(stop) > 1 {
		b = stop[1]
	}
	select {
	case <-t.C:
		return true
	case <-a:
		return false
	case <-b:
		return false
	}
}

// stalled describes an acquisition that timed out although the workload
// was still running: who held what under dir at that moment. These are
// diagnostics for a liveness problem, reported as notes.
func (w *worker) stalled(ctx context.Context, dir string, call time.Time, err error) {
	if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s waited from %s until %s (%v); session 0x%x connected=%v; under %s:",
		w.id, w.rec.at(call), w.rec.at(time.Now()), err, uint64(w.sessionID()), w.c.Session().Connected(), dir)
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	werr := walk(dctx, w.c, dir, func(nd node) {
		if nd.stat.EphemeralOwner != 0 {
			fmt.Fprintf(&b, " %s(owner %s)", zkpath.Base(nd.path), w.book.owner(nd.stat.EphemeralOwner))
		}
	})
	if werr != nil {
		fmt.Fprintf(&b, " (listing failed: %v)", werr)
	}
	w.rec.note(b.String())
}
