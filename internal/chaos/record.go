package chaos

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// outcome classifies a finished operation.
type outcome int

const (
	opOK        outcome = iota
	opFailed            // returned an error and had no effect
	opAmbiguous         // returned an error and may or may not have had its effect
)

func (o outcome) String() string {
	switch o {
	case opOK:
		return "ok"
	case opFailed:
		return "failed"
	case opAmbiguous:
		return "ambiguous"
	}
	return "?"
}

// opRec is one operation of one worker.
type opRec struct {
	worker     string
	start, end time.Time
	outcome    outcome
	// progress marks the operations whose success shows the recipe is
	// available (an acquisition, a term, an ack); availability gaps are
	// measured between them.
	progress bool
}

// maxDetails bounds the violation descriptions kept per recipe.
const maxDetails = 200

// recorder collects one recipe's operations, violations and counters. It
// is safe for concurrent use by the recipe's workers.
type recorder struct {
	t0  time.Time
	inj *injector // the run's faults, for checks that excuse what they overlap

	mu         sync.Mutex
	ops        []opRec
	violations int
	details    []string
	counters   map[string]int
	notes      []string // diagnostics (stalls), not violations
	logs       *logBook // what the recipe's clients logged
}

func newRecorder(t0 time.Time) *recorder {
	return &recorder{t0: t0, counters: map[string]int{}, logs: newLogBook(t0)}
}

// op records an operation of worker w that started at start and ends now.
func (r *recorder) op(w *worker, start time.Time, o outcome, progress bool) {
	r.opAt(w, start, time.Now(), o, progress)
}

func (r *recorder) opAt(w *worker, start, end time.Time, o outcome, progress bool) {
	r.mu.Lock()
	r.ops = append(r.ops, opRec{worker: w.id, start: start, end: end, outcome: o, progress: progress && o == opOK})
	r.mu.Unlock()
}

// violate records a broken guarantee with a precise description.
func (r *recorder) violate(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations++
	if len(r.details) < maxDetails {
		r.details = append(r.details, fmt.Sprintf(format, args...))
	}
}

// note keeps a diagnostic line (the first maxDetails).
func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters["stalls"]++
	if len(r.notes) < maxDetails {
		r.notes = append(r.notes, s)
	}
}

// count adds n to a named counter ("duplicates", "fenced", ...).
func (r *recorder) count(name string, n int) {
	r.mu.Lock()
	r.counters[name] += n
	r.mu.Unlock()
}

func (r *recorder) counter(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counters[name]
}

// at formats t as an offset from the start of the run, for messages.
func (r *recorder) at(t time.Time) string {
	return fmt.Sprintf("%+.3fs", t.Sub(r.t0).Seconds())
}

// opStats summarises the operations into res.
func (r *recorder) opStats(res *Result, in *injector, from, to time.Time) {
	// from is the start of the workload, so UnavailableAt is an offset in it.
	r.mu.Lock()
	ops := append([]opRec(nil), r.ops...)
	r.mu.Unlock()
	var faulted []time.Duration
	var progress []time.Time
	for _, o := range ops {
		switch o.outcome {
		case opOK:
			res.Ops++
		case opFailed:
			res.Failed++
		case opAmbiguous:
			res.Ambiguous++
		}
		if o.outcome == opOK && in.during(o.worker, o.start, o.end) {
			faulted = append(faulted, o.end.Sub(o.start))
		}
		if o.progress {
			progress = append(progress, o.end)
		}
	}
	res.FaultOps = len(faulted)
	res.P50, res.P99 = percentile(faulted, 0.50), percentile(faulted, 0.99)
	res.MaxUnavailable, res.UnavailableAt = longestGap(progress, from, to)
}

// percentile returns the q-quantile (nearest rank) of ds, 0 if empty.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// longestGap returns the longest interval inside [from, to] containing no
// time in ts, and where it starts (as an offset from from).
func longestGap(ts []time.Time, from, to time.Time) (time.Duration, time.Duration) {
	s := append([]time.Time(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
	prev := from
	var best, at time.Duration
	for _, t := range append(s, to) {
		if t.Before(from) {
			continue
		}
		if t.After(to) {
			t = to
		}
		if g := t.Sub(prev); g > best {
			best, at = g, prev.Sub(from)
		}
		prev = t
	}
	return best, at
}
