// Package bench holds the benchmark workloads behind "zkr bench". Each
// workload prints RESULT lines with the field names of the anchor harness
// (Curator, kazoo, go-zookeeper run the same workloads), so our figures
// tabulate beside theirs, and reports latency also as a multiple of the
// server's raw round trip: the physical floor.
package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
	"github.com/zkrecipes/zkrecipes/queue"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Params are the workload knobs, with the anchors' flag names and defaults.
type Params struct {
	Servers        []string
	Root           string // fresh root path for this run
	SessionTimeout time.Duration
	Impl           string // "impl" field of RESULT lines

	RawWarmup, RawOps  int
	W1Warmup, W1Cycles int
	// W1Observer, if set, adds a W1 arm on a client reporting to it, and a
	// result comparing it with the plain client (see observer.go).
	W1Observer       *zkrecipes.Observer
	W1ObserverName   string
	W2Clients        int
	W2Counts         []int    // lock-contended: session counts to run (default: W2Clients)
	W2Variants       []string // lock-contended: implementations, in order (default: mutex, mutex-nocancel)
	W2Rounds         int      // lock-contended: rounds, alternating the variants' order
	W2Warmup         time.Duration
	W2Duration       time.Duration
	W3Candidates     int
	W3Rounds         int
	W4Producers      int
	W4Consumers      int
	W4Items          int
	W4Payload        int
	W4Inline         bool // queue: WithInline (small messages in the node name)
	W4Timeout        time.Duration
	W4Depths         []int // queue-depth: depths at which take latency is measured
	W5Clients        int
	W5Increments     int
	W6Clients        int
	W6Rounds         int
	CutsClients      int
	CutsDuration     time.Duration
	CutsMin, CutsMax time.Duration
	W8Instances      int
	W8Kill, W8Close  int
	W8SessionTimeout time.Duration
	W8Lookups        int
	W8Timeout        time.Duration
	W8Observer       string
	// discovery-scale
	ScaleInstances  []int // instance counts of one service
	ScaleServices   []int // service counts
	ScalePerService int   // instances per service in the service runs
	ScalePerClient  int   // instances sharing one client
	W7Parents       int
	W7Children      int
	W7Payload       int
	W7Updates       int
	W7Rate          float64
	W7Churn         time.Duration
	W7ChurnParents  int
	W7ChurnNames    int
	W7QuiesceMs     int
	W7Seed          int64
	W7InitTimeout   time.Duration
	W7Phases        string
	W7Variants      string
	W7Inflight      int
	W7HeapProfile   string

	Log io.Writer // progress messages (stderr)
}

// RegisterFlags adds the anchors' flags to fs. Unknown anchor flags are
// the caller's to ignore.
func (p *Params) RegisterFlags(fs *flag.FlagSet) {
	fs.Func("root", "fresh root path (default /bench-zkrecipes-<unix-nanos>)", func(s string) error {
		if err := zkpath.Validate(s); err != nil || s == "/" {
			return fmt.Errorf("bad root %q: a path below / is needed", s)
		}
		p.Root = s
		return nil
	})
	fs.DurationVar(&p.SessionTimeout, "session-timeout", 30*time.Second, "session timeout")
	fs.StringVar(&p.Impl, "impl", "zkrecipes", "impl field of RESULT lines")
	fs.IntVar(&p.RawWarmup, "raw-warmup", 1000, "raw: warm-up ops")
	fs.IntVar(&p.RawOps, "raw-ops", 2000, "raw: measured ops per kind")
	fs.IntVar(&p.W1Warmup, "w1-warmup", 200, "lock-uncontended: warm-up cycles")
	fs.IntVar(&p.W1Cycles, "w1-cycles", 2000, "lock-uncontended: measured cycles")
	fs.Func("w1-observer", "lock-uncontended: also run the cycle on a client with this Observer and report the overhead: none, noop", p.observerFlag)
	fs.IntVar(&p.W2Clients, "w2-clients", 8, "lock-contended: sessions")
	fs.Func("w2-counts", "lock-contended: comma-separated session counts, each run in turn (default: --w2-clients)", func(s string) error {
		p.W2Counts = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil || n <= 0 {
				return fmt.Errorf("bad count %q", f)
			}
			p.W2Counts = append(p.W2Counts, n)
		}
		return nil
	})
	fs.Func("w2-variants", "lock-contended: comma-separated implementations, run in this order: mutex (cancellable ctx), mutex-nocancel, zk.Lock (go-zookeeper) (default mutex,mutex-nocancel)", func(s string) error {
		p.W2Variants = strings.Split(s, ",")
		return nil
	})
	fs.IntVar(&p.W2Rounds, "w2-rounds", 1, "lock-contended: rounds per session count; even rounds run the variants in reverse order")
	secs(fs, &p.W2Warmup, "w2-warmup-s", 2, "lock-contended: warm-up seconds")
	secs(fs, &p.W2Duration, "w2-duration-s", 10, "lock-contended: measured seconds")
	fs.IntVar(&p.W3Candidates, "w3-candidates", 3, "election: candidates")
	fs.IntVar(&p.W3Rounds, "w3-rounds", 50, "election: failover rounds")
	fs.IntVar(&p.W4Producers, "w4-producers", 2, "queue: producers")
	fs.IntVar(&p.W4Consumers, "w4-consumers", 2, "queue: consumers")
	fs.IntVar(&p.W4Items, "w4-items", 5000, "queue: items per producer")
	fs.IntVar(&p.W4Payload, "w4-payload", 100, "queue: payload bytes")
	fs.BoolVar(&p.W4Inline, "w4-inline", queue.DefaultInline, "queue: store messages of up to queue.MaxInline bytes in the node name (queue.WithInline)")
	secs(fs, &p.W4Timeout, "w4-timeout-s", 120, "queue: timeout seconds")
	fs.Func("w4-depths", "queue-depth: comma-separated depths (default 1000,100000)", func(s string) error {
		p.W4Depths = nil
		for _, f := range strings.Split(s, ",") {
			var d int
			if _, err := fmt.Sscan(f, &d); err != nil || d <= 0 {
				return fmt.Errorf("bad depth %q", f)
			}
			p.W4Depths = append(p.W4Depths, d)
		}
		return nil
	})
	fs.IntVar(&p.W5Clients, "w5-clients", 8, "counter: sessions")
	fs.IntVar(&p.W5Increments, "w5-increments", 500, "counter: increments per session")
	fs.IntVar(&p.W6Clients, "w6-clients", 8, "double-barrier: sessions (= members)")
	fs.IntVar(&p.W6Rounds, "w6-rounds", 50, "double-barrier: rounds")
	fs.IntVar(&p.CutsClients, "cuts-clients", 8, "lock-under-cuts: sessions")
	secs(fs, &p.CutsDuration, "cuts-duration-s", 20, "lock-under-cuts: seconds")
	secs(fs, &p.CutsMin, "cuts-min-s", 0.2, "lock-under-cuts: shortest interval between cuts of a connection")
	secs(fs, &p.CutsMax, "cuts-max-s", 0.5, "lock-under-cuts: longest interval")
	fs.IntVar(&p.W8Instances, "w8-instances", 50, "discovery: instances (own sessions)")
	fs.IntVar(&p.W8Kill, "w8-kill", 10, "discovery: instances whose connections die (sessions expire)")
	fs.IntVar(&p.W8Close, "w8-close", 10, "discovery: instances closed without unregistering")
	fs.Func("w8-session-timeout-ms", "discovery: session timeout in ms (default 4000)", func(s string) error {
		var ms int
		if _, err := fmt.Sscan(s, &ms); err != nil || ms <= 0 {
			return fmt.Errorf("bad milliseconds %q", s)
		}
		p.W8SessionTimeout = time.Duration(ms) * time.Millisecond
		return nil
	})
	p.W8SessionTimeout = 4 * time.Second
	fs.IntVar(&p.W8Lookups, "w8-lookups", 10000, "discovery: measured picks")
	secs(fs, &p.W8Timeout, "w8-timeout-s", 30, "discovery: timeout of each phase")
	fs.StringVar(&p.W8Observer, "w8-observer", "cache", "discovery: the observer: cache (discovery.Cache, reading each instance's JSON) or names (a probe: kazoo ShallowParty's observer, a children-watch loop that reads no data)")
	p.ScaleInstances, p.ScaleServices = []int{100, 1000}, []int{10, 100}
	intList(fs, &p.ScaleInstances, "scale-instances", "discovery-scale: instance counts of one service (default 100,1000)")
	intList(fs, &p.ScaleServices, "scale-services", "discovery-scale: service counts (default 10,100)")
	fs.IntVar(&p.ScalePerService, "scale-per-service", 10, "discovery-scale: instances per service in the service runs")
	fs.IntVar(&p.ScalePerClient, "scale-per-client", 50, "discovery-scale: instances sharing one client (session)")
	fs.IntVar(&p.W7Parents, "w7-parents", 100, "tree-cache: parents under the cache root")
	fs.IntVar(&p.W7Children, "w7-children", 100, "tree-cache: leaves per parent")
	fs.IntVar(&p.W7Payload, "w7-payload", 100, "tree-cache: bytes of data per parent and leaf")
	fs.IntVar(&p.W7Updates, "w7-updates", 2000, "tree-cache: updates of random leaves (propagate)")
	fs.Float64Var(&p.W7Rate, "w7-rate", 200, "tree-cache: updates per second (open loop)")
	secs(fs, &p.W7Churn, "w7-churn-s", 5, "tree-cache: churn seconds")
	fs.IntVar(&p.W7ChurnParents, "w7-churn-parents", 10, "tree-cache: parents churned")
	fs.IntVar(&p.W7ChurnNames, "w7-churn-names", 20, "tree-cache: child names per churned parent")
	fs.IntVar(&p.W7QuiesceMs, "w7-quiesce-ms", 2000, "tree-cache: quiesce before comparing cache and server")
	fs.Int64Var(&p.W7Seed, "w7-seed", 1, "tree-cache: random seed")
	secs(fs, &p.W7InitTimeout, "w7-init-timeout-s", 300, "tree-cache: give up waiting for the load after this")
	fs.StringVar(&p.W7Phases, "w7-phases", "load,propagate,churn", "tree-cache: phases to report (the load always runs)")
	fs.StringVar(&p.W7Variants, "w7-variants", "treecache,treecache-oneshot", "tree-cache: variants (zkrecipes has treecache, a persistent recursive watch, and treecache-oneshot; others are skipped)")
	fs.IntVar(&p.W7Inflight, "w7-inflight", 256, "tree-cache: reads in flight while loading (cache.WithMaxInFlight) and for server reads")
	fs.StringVar(&p.W7HeapProfile, "w7-heapprofile", "", "tree-cache: write a heap profile to `file` right after the load, the cache alive, and to file.before right before it (go tool pprof -diff_base; samples every 4 KiB allocated)")
}

// intList parses a comma-separated list of positive counts into *v.
func intList(fs *flag.FlagSet, v *[]int, name, usage string) {
	fs.Func(name, usage, func(s string) error {
		var out []int
		for _, f := range strings.Split(s, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
				return fmt.Errorf("bad count %q", f)
			}
			out = append(out, n)
		}
		*v = out
		return nil
	})
}

func secs(fs *flag.FlagSet, d *time.Duration, name string, def float64, usage string) {
	*d = time.Duration(def * float64(time.Second))
	fs.Func(name, fmt.Sprintf("%s (default %v)", usage, def), func(s string) error {
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil || f < 0 {
			return fmt.Errorf("bad seconds %q", s)
		}
		*d = time.Duration(f * float64(time.Second))
		return nil
	})
}

// Result is one RESULT line.
type Result map[string]any

// Emitter prints results, one JSON line each ("RESULT {...}") or as text.
type Emitter struct {
	mu   sync.Mutex
	W    io.Writer
	JSON bool
	All  []Result
}

// Emit prints r.
func (e *Emitter) Emit(r Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.All = append(e.All, r)
	if e.JSON {
		b, _ := json.Marshal(map[string]any(r))
		fmt.Fprintf(e.W, "RESULT %s\n", b)
		return
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		if k != "impl" && k != "workload" && k != "variant" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	fmt.Fprintf(e.W, "%s %s (%s)\n", r["workload"], r["variant"], r["impl"])
	for _, k := range keys {
		fmt.Fprintf(e.W, "  %-34s %v\n", k, r[k])
	}
}

// Workload is one named benchmark.
type Workload struct {
	Name   string // as typed after "zkr bench", e.g. "lock-uncontended"
	Anchor string // the anchors' workload id it matches ("W1"), or ""
	Help   string
	Run    func(ctx context.Context, p *Params, e *Emitter) error
}

var (
	regMu    sync.Mutex
	registry = map[string]Workload{}
)

// Register adds a workload; packages call it from init.
func Register(w Workload) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[w.Name]; dup {
		panic("bench: duplicate workload " + w.Name)
	}
	registry[w.Name] = w
}

// Lookup finds a workload by name or by anchor id (case-insensitive).
func Lookup(name string) (Workload, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	if w, ok := registry[name]; ok {
		return w, true
	}
	for _, w := range registry {
		if w.Anchor != "" && strings.EqualFold(w.Anchor, name) {
			return w, true
		}
	}
	return Workload{}, false
}

// All lists the workloads sorted by name.
func All() []Workload {
	regMu.Lock()
	defer regMu.Unlock()
	ws := make([]Workload, 0, len(registry))
	for _, w := range registry {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Name < ws[j].Name })
	return ws
}

// Pct is the nearest-rank percentile of samples (sorted in place), in µs,
// as the anchors compute it.
func Pct(samples []time.Duration, q float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	rank := int(math.Ceil(q*float64(len(samples)))) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(samples) {
		rank = len(samples) - 1
	}
	return US(samples[rank])
}

// US converts to microseconds rounded to 2 decimals.
func US(d time.Duration) float64 { return R2(float64(d) / float64(time.Microsecond)) }

// R2 rounds to 2 decimals.
func R2(f float64) float64 { return math.Round(f*100) / 100 }

// Logf writes a progress line.
func (p *Params) Logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, "[%s] "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
}
