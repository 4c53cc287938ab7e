// Command overhead measures what the Prometheus adapter costs an
// uncontended lock cycle (the W1 workload of zkr bench, with
// bench.Params.W1Observer set): the cycle runs on a plain client, a second
// plain client (the control) and a client observed by a zkprom.Metrics, in
// blocks of 50 whose order rotates, and the overhead is the median over
// blocks of the relative difference of the observed and the plain arm's
// block medians (control_pct: the same for the control, the noise band).
// It repeats W1 -rounds times and prints the median of the rounds' figures.
//
//	go run ./internal/overhead                      # embedded server, forceSync=no
//	go run ./internal/overhead -servers host:2181   # an ensemble of yours
//	go run ./internal/overhead -observer noop       # the plumbing alone
//
// Any flag of zkr bench's workloads (-w1-cycles, -w1-warmup, ...) works.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zkrecipes/zkrecipes/internal/bench"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func run() error {
	var p bench.Params
	fs := flag.NewFlagSet("overhead", flag.ExitOnError)
	p.RegisterFlags(fs)
	servers := fs.String("servers", "", "comma-separated servers (default: start an embedded server with forceSync=no)")
	rounds := fs.Int("rounds", 5, "W1 runs")
	observer := fs.String("observer", "prometheus", "prometheus, or noop (an Observer whose fields do nothing)")
	jsonOut := fs.Bool("json", false, "RESULT lines as JSON")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *servers == "" {
		srv, err := zktest.StartServer(zktest.WithExtraConfig("forceSync=no"))
		if err != nil {
			return err
		}
		defer srv.Close()
		*servers = srv.Addr()
	}
	p.Servers = strings.Split(*servers, ",")
	p.Log = os.Stderr
	reg := prometheus.NewRegistry()
	switch *observer {
	case "prometheus":
		m := zkprom.New()
		reg.MustRegister(m)
		ob := m.Observer()
		p.W1Observer, p.W1ObserverName = &ob, "prometheus"
	case "noop":
		ob := bench.NoopObserver()
		p.W1Observer, p.W1ObserverName = &ob, "noop"
	default:
		return fmt.Errorf("unknown -observer %q", *observer)
	}
	w, _ := bench.Lookup("W1")
	e := &bench.Emitter{W: os.Stdout, JSON: *jsonOut}
	var blocks, controls, p50s []float64
	for i := range *rounds {
		p.Root = fmt.Sprintf("/bench-overhead-%d", time.Now().UnixNano()) // a fresh root each round
		p.Logf("round %d of %d", i+1, *rounds)
		n := len(e.All)
		if err := w.Run(ctx, &p, e); err != nil {
			return err
		}
		for _, r := range e.All[n:] {
			if v, ok := r["overhead_pct"].(float64); ok {
				blocks = append(blocks, v)
				controls = append(controls, r["control_pct"].(float64))
				p50s = append(p50s, r["overhead_pct_of_p50s"].(float64))
			}
		}
	}
	slices.Sort(blocks)
	slices.Sort(controls)
	slices.Sort(p50s)
	fams, err := reg.Gather()
	if err != nil {
		return err
	}
	e.Emit(bench.Result{
		"impl": p.Impl, "workload": "W1", "variant": "observer overhead, median of rounds (" + p.W1ObserverName + ")",
		"rounds":                   len(blocks),
		"overhead_pct":             blocks[len(blocks)/2],
		"control_pct":              controls[len(controls)/2],
		"overhead_pct_of_p50s":     p50s[len(p50s)/2],
		"overhead_pct_per_round":   blocks,
		"control_pct_per_round":    controls,
		"metric_families_recorded": len(fams),
	})
	return nil
}
