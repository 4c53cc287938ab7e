package chaos

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// hold is one tenure of a holding recipe (a lock, a lease, a term), as its
// holder saw it.
type hold struct {
	worker   string
	slot     int       // the worker's index in its recipe (< 64)
	token    int64     // fencing token; 0 if the recipe has none
	call     time.Time // acquire called
	acquired time.Time // acquire returned: from here the worker believes it holds
	release  time.Time // it stopped believing: release called, or loss observed
	released time.Time // release (or cleanup after loss) returned
	lost     bool      // ended by loss rather than by release
}

// ledger collects the holds of one recipe.
type ledger struct {
	mu    sync.Mutex
	holds []hold
}

func (l *ledger) add(h hold) {
	l.mu.Lock()
	l.holds = append(l.holds, h)
	l.mu.Unlock()
}

func (l *ledger) all() []hold {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]hold(nil), l.holds...)
}

// checkHolds checks that at no instant more than limit workers believed
// they held (sweeping the [acquired, release] intervals), that tokens
// strictly increase from one tenure to every later one, and that the
// history is linearizable against a limit-lease semaphore (porcupine),
// which also catches what the interval sweeps cannot see, e.g. an acquire
// that returned before the previous holder's release began.
func checkHolds(rec *recorder, holds []hold, limit int, tokens bool) string {
	rec.mu.Lock()
	before := rec.violations
	rec.mu.Unlock()
	checkOverlap(rec, holds, limit)
	if tokens {
		checkTokens(rec, holds)
	}
	res, took := linearizable(holds, limit, tokens)
	rec.mu.Lock()
	found := rec.violations > before
	rec.mu.Unlock()
	// porcupine gives a verdict, not a count: it adds a violation only if
	// the sweeps above, which describe what they find, missed it.
	if res == porcupine.Illegal && !found {
		rec.violate("porcupine: the history of %d tenures is not linearizable as a %d-holder lock", len(holds), limit)
	}
	return fmt.Sprintf("porcupine %s (%d tenures, %v)", res, len(holds), took.Round(time.Millisecond))
}

func checkOverlap(rec *recorder, holds []hold, limit int) {
	sweepTenures(holds, func(i int, active map[int]bool) {
		if len(active) >= limit {
			rec.violate("overlap: %s entered while %d already held (limit %d): %s",
				describeHold(rec, holds[i]), len(active), limit, describeHolds(rec, holds, active))
		}
	})
}

// sweepTenures walks the tenures' [acquired, release] intervals in time
// order and calls entering for each tenure as it begins, with the indexes
// of the tenures held at that instant (not including it). At equal times
// leaving sorts first: a hand-over at one instant is no overlap.
func sweepTenures(holds []hold, entering func(i int, active map[int]bool)) {
	type edge struct {
		t     time.Time
		enter bool
		i     int
	}
	edges := make([]edge, 0, 2*len(holds))
	for i, h := range holds {
		edges = append(edges, edge{h.acquired, true, i}, edge{h.release, false, i})
	}
	sort.Slice(edges, func(a, b int) bool {
		if !edges[a].t.Equal(edges[b].t) {
			return edges[a].t.Before(edges[b].t)
		}
		return !edges[a].enter && edges[b].enter
	})
	active := map[int]bool{}
	for _, e := range edges {
		if !e.enter {
			delete(active, e.i)
			continue
		}
		entering(e.i, active)
		active[e.i] = true
	}
}

// describeHolds describes the tenures whose indexes are in set, sorted.
func describeHolds(rec *recorder, holds []hold, set map[int]bool) string {
	var out []string
	for i := range set {
		out = append(out, describeHold(rec, holds[i]))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func checkTokens(rec *recorder, holds []hold) {
	byAcq := append([]hold(nil), holds...)
	sort.Slice(byAcq, func(a, b int) bool { return byAcq[a].acquired.Before(byAcq[b].acquired) })
	byRel := append([]hold(nil), holds...)
	sort.Slice(byRel, func(a, b int) bool { return byRel[a].release.Before(byRel[b].release) })
	var best *hold // the highest token among tenures that ended before the current one began
	k := 0
	for _, h := range byAcq {
		for k < len(byRel) && !byRel[k].release.After(h.acquired) {
			if byRel[k].token != 0 && (best == nil || byRel[k].token > best.token) {
				best = &byRel[k]
			}
			k++
		}
		if h.token != 0 && best != nil && h.token <= best.token {
			rec.violate("token order: %s got token %d, not above %d of the earlier %s",
				describeHold(rec, h), h.token, best.token, describeHold(rec, *best))
		}
	}
}

func describeHold(rec *recorder, h hold) string {
	end := "released"
	if h.lost {
		end = "lost"
	}
	return fmt.Sprintf("%s token %d held %s..%s (%s)", h.worker, h.token, rec.at(h.acquired), rec.at(h.release), end)
}

// The porcupine model: a semaphore with limit leases; state is the set of
// holders (a bit per slot) and the last token granted.
type semState struct {
	holders uint64
	last    int64
}

type semInput struct {
	acquire bool
	slot    int
}

func semModel(limit int, tokens bool) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return semState{} },
		Step: func(state, input, output any) (bool, any) {
			s, in := state.(semState), input.(semInput)
			bit := uint64(1) << in.slot
			if !in.acquire {
				return s.holders&bit != 0, semState{s.holders &^ bit, s.last}
			}
			tok := output.(int64) // 0: the holder has no token
			if s.holders&bit != 0 || bits.OnesCount64(s.holders) >= limit || (tokens && tok != 0 && tok <= s.last) {
				return false, s
			}
			return true, semState{s.holders | bit, max(s.last, tok)}
		},
		DescribeOperation: func(input, output any) string {
			in := input.(semInput)
			if in.acquire {
				return fmt.Sprintf("acquire(%d) -> %v", in.slot, output)
			}
			return fmt.Sprintf("release(%d)", in.slot)
		},
	}
}

// linearizable checks the acquire/release history with porcupine. An
// acquire spans [call, acquired]; a release spans [release, released],
// where release is the moment the holder stopped believing it held.
func linearizable(holds []hold, limit int, tokens bool) (porcupine.CheckResult, time.Duration) {
	if len(holds) == 0 {
		return porcupine.Ok, 0
	}
	t0 := holds[0].call
	ns := func(t time.Time) int64 { return t.Sub(t0).Nanoseconds() }
	ops := make([]porcupine.Operation, 0, 2*len(holds))
	for _, h := range holds {
		ops = append(ops,
			porcupine.Operation{ClientId: h.slot, Input: semInput{true, h.slot}, Call: ns(h.call), Output: h.token, Return: ns(h.acquired)},
			porcupine.Operation{ClientId: h.slot, Input: semInput{false, h.slot}, Call: ns(h.release), Return: ns(later(h.released, h.release))})
	}
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(semModel(limit, tokens), ops, time.Minute)
	return res, time.Since(start)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lossClock notes the moment a "lost" channel closes, which is when a
// holder learns it no longer holds: the end of its tenure, however long
// the worker then takes to notice (it may be blocked in a write).
type lossClock struct {
	ch   <-chan struct{}
	at   time.Time // written by the watcher before done closes
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func watchLoss(ch <-chan struct{}) *lossClock {
	l := &lossClock{ch: ch, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		select {
		case <-ch:
			l.at = time.Now()
		case <-l.stop:
		}
	}()
	return l
}

// lost reports whether the channel has closed so far.
func (l *lossClock) lost() bool {
	select {
	case <-l.ch:
		return true
	default:
		return false
	}
}

// end stops watching and returns the end of the tenure: when the channel
// closed, or now if it did not.
func (l *lossClock) end() (time.Time, bool) {
	now := time.Now()
	l.once.Do(func() { close(l.stop) })
	<-l.done
	if !l.at.IsZero() {
		return l.at, true
	}
	if l.lost() {
		return now, true
	}
	return now, false
}

// lostAt waits until deadline at most for the channel to close, then
// stops watching; it returns when the channel closed, if it did.
func (l *lossClock) lostAt(deadline time.Time) (time.Time, bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
	return l.at, !l.at.IsZero()
}
