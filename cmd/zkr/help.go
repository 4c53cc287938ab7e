package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

var helpGroups = []struct {
	title string
	names []string
}{
	{"Recipes", []string{"lock", "elect", "queue", "barrier", "counter"}},
	{"Service discovery and membership", []string{"register", "discover", "members"}},
	{"Znodes (in zkCli's spirit)", []string{"ls", "get", "stat", "create", "set", "delete", "deleteall", "watch"}},
	{"Trying and measuring", []string{"demo", "server", "bench", "version"}},
}

const helpIntro = `zkr runs ZooKeeper coordination recipes from the shell (the zkrecipes library).

Usage: zkr [global flags] COMMAND [flags] [args] [-- CMD [ARGS...]]
       zkr help COMMAND      details, flags and examples of one command
`

const helpTail = `Exit codes:
  0    success
  1    failure (no such node, bad version, connection or session trouble, ...)
  2    usage error: bad flags, arguments or paths
  3    the lock or leadership was lost while CMD ran (CMD was stopped)
  4    --timeout expired before the lock, message or barrier
  N    lock, elect, register, queue take --exec and barrier enter pass CMD's own exit
       status through (128+signal if a signal killed it)
  130  interrupted by SIGINT (143: SIGTERM) before a one-shot command finished;
       watch, elect and elect --observe run until interrupted and then exit 0

Signals: on SIGINT or SIGTERM zkr stops CMD (the same signal, then SIGKILL
after --grace), releases locks, resigns leadership, returns a held queue
message, closes its session and exits. A second signal exits at once.

Environment:
  ZK_SERVERS   servers when --servers is not given (default 127.0.0.1:2181)

Examples:
  zkr demo                                      # embedded ZooKeeper, live walkthrough
  export ZK_SERVERS=zk1:2181,zk2:2181,zk3:2181
  zkr lock /locks/backup -- ./backup.sh         # one backup at a time, cluster-wide
  zkr elect /elect/cron --id $(hostname) -- ./scheduler
  echo job-42 | zkr queue put /jobs && zkr queue take --exec ./work.sh /jobs
  zkr counter add /counters/deploys 1
  zkr ls -R /locks
  zkr bench all --json
`

func (a *app) printHelp(w io.Writer) {
	fmt.Fprint(w, helpIntro)
	for _, g := range helpGroups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.names {
			c, ok := lookupCommand(n)
			if !ok {
				continue
			}
			for _, line := range commandLines(c) {
				fmt.Fprintln(w, line)
			}
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command name):\n")
	fs := flag.NewFlagSet("zkr", flag.ContinueOnError)
	(&app{}).globalFlags(fs, true)
	fs.Lookup("session-timeout").DefValue = "10s"
	fs.Lookup("connect-timeout").DefValue = "15s"
	printFlags(w, fs)
	fmt.Fprintln(w)
	fmt.Fprint(w, helpTail)
}

func commandLines(c *command) []string {
	cs := c.subs
	if len(cs) == 0 {
		cs = []*command{c}
	}
	var out []string
	for _, s := range cs {
		if len(s.synopsis) > 38 {
			out = append(out, "  "+s.synopsis, fmt.Sprintf("  %-38s %s", "", s.summary))
			continue
		}
		out = append(out, fmt.Sprintf("  %-38s %s", s.synopsis, s.summary))
	}
	return out
}

// printFlags is flag.PrintDefaults with "--name" for long flags.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		typ, usage := flag.UnquoteUsage(f)
		line := "  " + dash + f.Name
		if typ != "" {
			line += " " + typ
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		line += "\n    \t" + usage
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" && f.DefValue != "[]" {
			if typ == "string" {
				line += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				line += fmt.Sprintf(" (default %v)", f.DefValue)
			}
		}
		fmt.Fprintln(w, line)
	})
}

// para joins lines into a help paragraph (keeps source lines short).
func para(lines ...string) string { return strings.Join(lines, "\n") }
