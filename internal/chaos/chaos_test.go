package chaos_test

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/chaos"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Flags (or the environment variables in brackets) tune TestChaos:
//
//	go test ./chaos -run '^TestChaos$' -v -args -chaos.duration=10m -chaos.seed=42
var (
	flagDuration = flag.Duration("chaos.duration", 0, "workload length [CHAOS_DURATION] (default 60s)")
	flagSeed     = flag.Int64("chaos.seed", 0, "fault schedule seed [CHAOS_SEED] (default: random, printed)")
	flagRecipes  = flag.String("chaos.recipes", "", "comma-separated recipes to run [CHAOS_RECIPES] (default: all but those in notByDefault)")
	flagVerbose  = flag.Bool("chaos.verbose", false, "print the schedule and every fault as injected [CHAOS_VERBOSE]")
)

// shortDuration keeps TestChaos (run by `make test`) well under 3 minutes
// including the ensemble's start and the final checks.
const shortDuration = 60 * time.Second

func config(t *testing.T) chaos.Config {
	t.Helper()
	cfg := chaos.Config{Duration: shortDuration, Log: os.Stdout}
	if d := *flagDuration; d > 0 {
		cfg.Duration = d
	} else if s := os.Getenv("CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "CHAOS_DURATION")
		cfg.Duration = d
	}
	if *flagSeed != 0 {
		cfg.Seed = *flagSeed
	} else if s := os.Getenv("CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		require.NoError(t, err, "CHAOS_SEED")
		cfg.Seed = seed
	}
	recipes := *flagRecipes
	if recipes == "" {
		recipes = os.Getenv("CHAOS_RECIPES")
	}
	if recipes != "" {
		cfg.Recipes = strings.Split(recipes, ",")
	} else {
		for _, n := range chaos.Recipes() {
			if _, ok := notByDefault[n]; !ok {
				cfg.Recipes = append(cfg.Recipes, n)
			}
		}
	}
	cfg.Verbose = *flagVerbose || os.Getenv("CHAOS_VERBOSE") != ""
	return cfg
}

// notByDefault are recipes run only when named (-chaos.recipes), each
// with why: a workload that finds a bug not fixed yet would fail every
// run it loses the race in.
var notByDefault = map[string]string{}

// TestChaos runs every recipe under the seeded fault schedule against a
// private 3-member ensemble and fails on any violation. `make chaos` runs
// it for 10 minutes; `make test` for a minute.
func TestChaos(t *testing.T) {
	zktest.SkipIfShort(t)
	cfg := config(t)
	runChaos(t, cfg)
}

func runChaos(t *testing.T, cfg chaos.Config) *chaos.Report {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	rep, err := chaos.Run(t.Context(), cfg)
	require.NoError(t, err)
	fmt.Fprintln(os.Stdout)
	rep.WriteTable(os.Stdout)
	if n := rep.Violations(); n > 0 {
		fmt.Fprint(os.Stdout, rep.Schedule)
		t.Errorf("%d violations; replay with: go test ./chaos -run '^TestChaos$' -v -args -chaos.seed=%d -chaos.duration=%v -chaos.recipes=%s",
			n, cfg.Seed, cfg.Duration, strings.Join(recipesOf(rep), ","))
	}
	if len(rep.HarnessErrors) > 0 {
		t.Errorf("the harness failed (results inconclusive): %v", rep.HarnessErrors)
	}
	return rep
}

func recipesOf(rep *chaos.Report) []string {
	var names []string
	for _, r := range rep.Results {
		names = append(names, r.Recipe)
	}
	return names
}
