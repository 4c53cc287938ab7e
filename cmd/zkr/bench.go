package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/bench"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func init() {
	register(&command{
		name: "bench", synopsis: "bench WORKLOAD...|all|list [flags]",
		summary: "measure recipe latency and throughput against an ensemble",
		details: para("Runs the named workloads (\"all\": every one, rtt first; \"list\": show them)",
			"and prints each result, or with --json one \"RESULT {json}\" line each, with",
			"the field names of the anchor harness that runs Curator, kazoo and go-zookeeper",
			"on the same workloads. Latencies are also given as multiples of the raw round",
			"trip (p50_x_rtt). Without --servers (or $ZK_SERVERS) an embedded ZooKeeper is",
			"started (--zk-config adds zoo.cfg lines, e.g. forceSync=no).",
			"",
			"Anchor-harness interface: --connect HOST:PORT --workloads raw,w1,...,w8 selects",
			"workloads by the anchors' ids (raw, w1..w8), forces RESULT lines and ignores",
			"flags meant for the other harness programs, so zkr can be a section of",
			"run-all.sh (see bench/side-by-side.sh)."),
		examples: []string{
			"zkr bench list",
			"zkr bench rtt lock-uncontended --servers zk1:2181",
			"zkr bench all --json --w2-duration-s 5 --w4-items 1000",
			"zkr bench all --zk-config forceSync=no            # embedded server, no fsync",
			"zkr bench --connect 127.0.0.1:2191 --root /bench-x --workloads raw,w1,w2",
		},
		ownSessionTimeout: true,
		ignoreUnknown:     anchorMode,
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o benchFlags
			o.p.RegisterFlags(fs)
			fs.StringVar(&o.connect, "connect", "", "servers, as the anchor harness names them (same as --servers)")
			fs.StringVar(&o.workloads, "workloads", "", "comma-separated workloads or anchor ids (raw, w1..w8)")
			fs.Var(&o.zkConfig, "zk-config", "zoo.cfg `line` for the embedded server (repeatable)")
			fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the workloads to `file` (go tool pprof)")
			fs.StringVar(&o.blockProfile, "blockprofile", "", "write a profile of where goroutines blocked during the workloads to `file` (go tool pprof)")
			return func(ctx context.Context, p parsed) error { return a.bench(ctx, p, fs, &o) }
		},
	})
}

type benchFlags struct {
	p            bench.Params
	connect      string
	workloads    string
	zkConfig     multiFlag
	cpuProfile   string
	blockProfile string
}

// anchorMode reports whether args use the anchor harness' interface.
func anchorMode(args []string) bool {
	for _, a := range args {
		if !isFlag(a) {
			continue
		}
		if n, _ := flagName(a); n == "connect" || n == "workloads" {
			return true
		}
	}
	return false
}

func (a *app) bench(ctx context.Context, p parsed, fs *flag.FlagSet, o *benchFlags) error {
	anchor := o.connect != "" || o.workloads != ""
	ws, err := selectWorkloads(p.pos, o.workloads, a.stderr)
	if err != nil {
		return err
	}
	if ws == nil {
		a.listWorkloads()
		return nil
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if !explicit["session-timeout"] && a.given["session-timeout"] {
		o.p.SessionTimeout = a.sessionTimeout
	}
	if o.p.Root == "" {
		o.p.Root = fmt.Sprintf("/bench-zkrecipes-%d", time.Now().UnixNano())
	}
	if err := validPath(o.p.Root, false); err != nil {
		return usagef("--root: %v", err)
	}
	o.p.Log = a.stderr
	switch {
	case o.connect != "":
		a.servers = o.connect
	case !a.serversGiven():
		a.logf("no --servers: starting an embedded ZooKeeper to benchmark (zoo.cfg extras: %v)", []string(o.zkConfig))
		srv, err := a.startEmbedded(ctx, zktest.WithExtraConfig(o.zkConfig...))
		if err != nil {
			return err
		}
		defer srv.Close()
		a.servers = srv.Addr()
	}
	if o.p.Servers, err = a.serverList(); err != nil {
		return err
	}
	e := &bench.Emitter{W: a.stdout, JSON: a.json || anchor}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.blockProfile != "" {
		stop, err := blockProfile(o.blockProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	failed := 0
	for _, w := range ws {
		o.p.Logf("%s: %s", w.Name, w.Help)
		if err := w.Run(ctx, &o.p, e); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			a.logf("bench %s: %v", w.Name, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d workloads failed", failed, len(ws))
	}
	return nil
}

// blockProfile starts recording blocking events (every one of 10 µs or
// more, a sample of shorter ones) and returns the function that writes
// them to file and stops.
func blockProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	runtime.SetBlockProfileRate(int((10 * time.Microsecond).Nanoseconds()))
	return func() {
		runtime.SetBlockProfileRate(0)
		_ = pprof.Lookup("block").WriteTo(f, 0)
		f.Close()
	}, nil
}

// selectWorkloads resolves positional names ("all", names, anchor ids) and
// --workloads (anchor ids, where an id selects every workload with that
// anchor, or names). It returns nil for "list" or nothing at all with no
// --workloads.
func selectWorkloads(pos []string, anchorList string, warn io.Writer) ([]bench.Workload, error) {
	var out []bench.Workload
	seen := map[string]bool{}
	add := func(w bench.Workload) {
		if !seen[w.Name] {
			seen[w.Name] = true
			out = append(out, w)
		}
	}
	for _, id := range splitList(anchorList) {
		matched := false
		for _, w := range bench.All() {
			if strings.EqualFold(w.Anchor, id) || w.Name == id {
				add(w)
				matched = true
			}
		}
		if !matched {
			// The harness asks every program for all ids; a workload whose
			// recipe is not built yet is skipped, not fatal.
			fmt.Fprintf(warn, "zkr: bench: no workload for %q; skipped\n", id)
		}
	}
	for _, name := range pos {
		switch name {
		case "list":
			return nil, nil
		case "all":
			for _, w := range allWorkloads() {
				add(w)
			}
		default:
			w, ok := bench.Lookup(name)
			if !ok {
				return nil, usagef("bench: unknown workload %q (see 'zkr bench list')", name)
			}
			add(w)
		}
	}
	if len(out) == 0 && len(pos) == 0 && anchorList == "" {
		return nil, usagef("bench: name a workload, \"all\" or \"list\"")
	}
	if len(out) == 0 && anchorList != "" {
		return nil, errors.New("bench: none of the requested workloads exists")
	}
	return out, nil
}

// allWorkloads lists every workload, rtt first (it sets the floor the
// others divide by), then by name.
func allWorkloads() []bench.Workload {
	ws := bench.All()
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Name == "rtt" && ws[j].Name != "rtt" })
	return ws
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (a *app) listWorkloads() {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tANCHOR\tMEASURES")
	for _, w := range allWorkloads() {
		anchor := w.Anchor
		if anchor == "" {
			anchor = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", w.Name, anchor, w.Help)
	}
	tw.Flush()
}
