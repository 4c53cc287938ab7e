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
	{"Recipes", []string{"lock", "elect", "queue", "barrier", "counter", "config"}},
	{"Service discovery and membership", []string{"register", "discover", "members"}},
	{"Znodes (in zkCli's spirit)", []string{"ls", "get", "stat", "create", "set", "delete", "deleteall", "watch", "getacl", "setacl"}},
	{"Trying and measuring", []string{"demo", "server", "bench", "version"}},
}

const helpIntro = `zkr runs ZooKeeper coordination recipes from the shell (the zkrecipes library).

Usage: zkr [global flags] COMMAND [flags] [args] [-- CMD [ARGS...]]
       zkr help COMMAND      details, flags and examples of one command
       zkr help json         the fields of --json output
`

const helpTail = `Exit codes:
  0    success
  1    failure (no such node, bad version, connection or session trouble, ...)
  2    usage error: bad flags, arguments, paths or settings
  3    the lock, leadership or queue claim was lost while CMD ran (CMD was stopped)
  4    --timeout expired before the lock, message or barrier
  N    lock, elect, register, queue take --exec/-- CMD and barrier enter pass CMD's
       own exit status through (128+signal if a signal killed it; 126/127: CMD
       could not be run / was not found)
  130  interrupted by SIGINT (143: SIGTERM) before a one-shot command finished;
       watch, elect and elect --observe run until interrupted and then exit 0
  CMD's status 1-4 looks like zkr's own: --high-exit-codes turns zkr's 1-4 into
  201-204, and with --json the last stderr line says who decided the status
  ({"by":"zkr"|"command",...}, see 'zkr help json').

Signals: CMD runs in a process group of its own. On SIGINT or SIGTERM zkr
sends the same signal to CMD's group, waits up to --grace, kills what is left
of the group, releases locks, resigns leadership, returns a held queue
message, closes its session and exits. A signal that arrives twice within a
second (one kill of zkr's process group, as timeout(1) sends it) counts once.
A second signal later kills CMD's group at once and still releases; a third
exits without cleanup. From a terminal, CMD cannot read the terminal (it is
not in the foreground group); give it its input another way.

Settings: every global flag also comes from the environment as ZKR_<NAME>
(ZKR_SERVERS, ZKR_SESSION_TIMEOUT, ZKR_AUTH, ZKR_TLS_CA, ...; ZK_SERVERS
still works) and from a config file of "name = value" lines with the same
names (--config-file, $ZKR_CONFIG_FILE, else ~/.config/zkr/config if it
exists). A flag wins over the environment, which wins over the file.

Examples:
  zkr demo                                      # embedded ZooKeeper, live walkthrough
  export ZKR_SERVERS=zk1:2181,zk2:2181,zk3:2181
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

// jsonHelp documents --json output: 'zkr help json'.
const jsonHelp = `--json: what zkr prints as JSON

stdout carries data, one JSON value per line; stderr carries zkr's messages
and errors, one JSON object per line. CMD's own output is CMD's.

Data on stdout:
  get                 {path, data, data_base64, stat}: data only when valid UTF-8;
                      data_base64 always (binary-safe)
  stat, set           stat: {czxid, mzxid, pzxid, ctime, mtime (RFC 3339), version,
                      cversion, aversion, ephemeral_owner, data_length, num_children}
  setacl              the node's stat after the change
  ls                  ["child", ...] (-R: full paths)
  create              {path}: the created path (for -s with its sequence number)
  getacl              {path, acl: [{scheme, id, perms}], aversion}; perms from "cdrwa"
  counter get|set     {value}
  counter add         {pre, value, attempts} (--shared: {pre, value})
  queue put           {id}, one per message (--lines: one line each)
  queue len           {len}
  queue peek|take     {id, data, data_base64, deliveries, priority}; peek's
                      deliveries counts earlier claims only (peeking claims nothing)
  lock (no CMD)       {path, node, token} once acquired
  elect (no CMD)      {leader: true, path, id, token} once elected
  elect --list        [{id, node, token, leader}, ...] in election order
  elect --observe     {time, leader, node, token, has_leader} per change
  watch               {time, event, path} per event (with --data: data, data_base64)
  watch, --observe    {time, event, state, path} per connection change: event is
                      Disconnected (output may be stale), Reconnected, SessionLost
                      or Connected (a new session)
  discover            [record, ...]: each instance's record, Curator's JSON as stored
                      (name, id, address, port, sslPort, payload, ...); without
                      SERVICE ["name", ...]
  members             [{name, data, data_base64, ephemeral_owner}, ...]
  register (no CMD)   nothing on stdout; messages on stderr
  version             {version, revision, go, zk}
  server              {servers, dir}
  bench               one object per result (see 'zkr help bench')

On stderr:
  messages            {time, level: "info", msg}
  --debug             the client's log records (slog JSON: time, level, msg, ...)
  a non-zero exit     last line {level: "error", exit, by, kind, error}: exit is the
                      process's status; by is "zkr" or "command" (CMD's own status,
                      passed through; error is then absent); kind is one of usage,
                      failure, lost, timeout, interrupted, command
`
