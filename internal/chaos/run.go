package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/zktest"
	"go.uber.org/goleak"
)

// Config sets up a run. The zero value runs every recipe for a minute.
type Config struct {
	// Seed makes the fault schedule; 0 picks one from the clock. The same
	// seed always plans the same faults.
	Seed int64
	// Duration is the length of the workload (default 1 minute). Faults are
	// injected from a few seconds in until a few seconds before the end.
	Duration time.Duration
	// SessionTimeout of the workers' sessions (default 2s).
	SessionTimeout time.Duration
	// Recipes to run (default: all registered).
	Recipes []string
	// Log receives progress lines (nil: discarded); Verbose adds every
	// fault as it is injected.
	Log     io.Writer
	Verbose bool
	// Ensemble to use (default: start a private 3-member one and close it
	// at the end). The run stops and restarts its members.
	Ensemble *zktest.Ensemble
}

func (cfg *Config) defaults() {
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Minute
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 2 * time.Second
	}
	if len(cfg.Recipes) == 0 {
		cfg.Recipes = Recipes()
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
}

// Plan returns the schedule cfg's run would inject, without running it.
func Plan(cfg Config) (Schedule, error) {
	cfg.defaults()
	specs, err := pick(cfg.Recipes)
	if err != nil {
		return Schedule{}, err
	}
	return plan(cfg.Seed, planParams{cfg.Duration, cfg.SessionTimeout, ensembleSize, workerIDs(specs)}), nil
}

const (
	ensembleSize = 3
	stopGrace    = time.Minute // how long workers get to return after the workload ends
)

func pick(names []string) ([]spec, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	byName := map[string]spec{}
	for _, s := range registry {
		byName[s.name] = s
	}
	var out []spec
	for _, s := range sortedSpecs() {
		for _, n := range names {
			if n == s.name {
				out = append(out, s)
			}
		}
	}
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("chaos: unknown recipe %q (have %v)", n, Recipes())
		}
	}
	return out, nil
}

func workerIDs(specs []spec) []string {
	var ids []string
	for _, s := range specs {
		for i := range s.workers {
			ids = append(ids, fmt.Sprintf("%s/%d", s.name, i))
		}
	}
	return ids
}

// Run starts a 3-member ensemble, runs the recipes' workers under the
// seeded fault schedule for cfg.Duration, stops everything, checks every
// guarantee and returns the figures. An error means the harness could not
// run (no ZooKeeper, ...), not that a recipe misbehaved: that is in the
// Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	specs, err := pick(cfg.Recipes)
	if err != nil {
		return nil, err
	}
	sched := plan(cfg.Seed, planParams{cfg.Duration, cfg.SessionTimeout, ensembleSize, workerIDs(specs)})
	fmt.Fprintf(cfg.Log, "chaos: seed %d (rerun with it to replay the schedule), %v, recipes %v\n", cfg.Seed, cfg.Duration, cfg.Recipes)
	if cfg.Verbose {
		fmt.Fprint(cfg.Log, sched)
	}
	baseline := goleak.IgnoreCurrent()

	ens, own := cfg.Ensemble, cfg.Ensemble == nil
	if own {
		if ens, err = zktest.StartEnsemble(ensembleSize); err != nil {
			return nil, err
		}
		defer ens.Close()
	} else if ens.Size() != ensembleSize {
		return nil, fmt.Errorf("chaos: ensemble of %d members, want %d", ens.Size(), ensembleSize)
	}
	r := &runner{cfg: cfg, ens: ens, ns: fmt.Sprintf("/chaos-%d-%08x", cfg.Seed, rand.Uint32())}
	rep, err := r.run(ctx, specs, sched)
	if err != nil {
		return nil, err
	}
	if own {
		ens.Close()
	}
	if err := goleak.Find(baseline); err != nil {
		rep.Leaked = err.Error()
	}
	return rep, nil
}

// runner holds one run's state.
type runner struct {
	cfg Config
	ens *zktest.Ensemble
	ns  string
	mu  sync.Mutex // serialises log lines
}

func (r *runner) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.cfg.Log, "chaos: "+format+"\n", args...)
}

// instance is one recipe in a run.
type instance struct {
	spec    spec
	rec     *recorder
	r       recipe
	admin   *zkrecipes.Client
	workers []*worker
}

func (r *runner) connect(ctx context.Context, ns string, opts ...zkrecipes.Option) (*zkrecipes.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	all := append([]zkrecipes.Option{zkrecipes.WithSessionTimeout(r.cfg.SessionTimeout), zkrecipes.WithNamespace(ns)}, opts...)
	return zkrecipes.Connect(cctx, r.ens.Addrs(), all...)
}
