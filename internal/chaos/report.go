package chaos

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result holds one recipe's figures.
type Result struct {
	Recipe  string
	Workers int
	// Ops counts operations that succeeded; Failed those that returned an
	// error and had no effect; Ambiguous those that returned an error and
	// may have had their effect (a lost reply). What an operation is
	// depends on the recipe (see Legend).
	Ops, Failed, Ambiguous int
	// Violations counts broken guarantees; it must be 0. Details describes
	// the first few.
	Violations int
	Details    []string
	// Duplicates counts deliveries beyond the first (queue): legal only
	// after the consumer's session was lost, which the checker verifies.
	Duplicates int
	// Faults counts the faults that hit the recipe's workers (server faults
	// hit everyone), by Kind.
	Faults [numKinds]int
	// SessionsLost counts sessions the workers' clients declared lost.
	SessionsLost int
	// P50 and P99 are the latency of successful operations that overlapped
	// a fault affecting their worker; FaultOps is how many there were.
	P50, P99 time.Duration
	FaultOps int
	// MaxUnavailable is the longest time without progress (see Legend),
	// starting UnavailableAt into the run.
	MaxUnavailable, UnavailableAt time.Duration
	// Leftover counts znodes left behind after every worker closed (they
	// also count as violations).
	Leftover int
	// Notes carries checker figures: porcupine verdicts, fenced writes...
	Notes []string
}

// Report is the outcome of a run.
type Report struct {
	Schedule Schedule
	Duration time.Duration
	Results  []*Result
	// Leaked lists goroutines still running after everything closed.
	Leaked string
	// HarnessErrors are failures of the harness itself (a server that
	// would not restart); they make the run inconclusive, not a recipe bug.
	HarnessErrors []string
}

// Violations sums the violations of every recipe, counting a goroutine
// leak as one.
func (r *Report) Violations() int {
	n := 0
	for _, res := range r.Results {
		n += res.Violations
	}
	if r.Leaked != "" {
		n++
	}
	return n
}

// Legend says what an operation and progress mean per recipe.
const Legend = `ops: foundation = versioned-Set increments; lock/rwmutex/semaphore = acquire+release cycles;
election = terms won; queue = puts and acks; counter/sharedcount = increments.
p50/p99: latency of successful ops that overlapped a fault hitting their worker.
max-unavail: longest time without progress (an acquisition, a term, an ack, an increment).`

// WriteTable prints the per-recipe table, then the details of violations.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "chaos: seed %d, %v workload, %d faults planned\n", r.Schedule.Seed, r.Duration, len(r.Schedule.Faults))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "recipe\tworkers\tops\tfailed\tambiguous\tviolations\tdups\tp50 fault\tp99 fault\tmax-unavail\tsess-lost\tleftover\tfaults (stop/restart-all/cut/expire/slow)\t")
	for _, res := range r.Results {
		f := res.Faults
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d/%d/%d/%d/%d\t\n",
			res.Recipe, res.Workers, res.Ops, res.Failed, res.Ambiguous, res.Violations, res.Duplicates,
			ms(res.P50), ms(res.P99), secs(res.MaxUnavailable), res.SessionsLost, res.Leftover,
			f[StopServer], f[RestartEnsemble], f[Cut], f[Expire], f[Slow])
	}
	tw.Flush()
	fmt.Fprintln(w, Legend)
	for _, res := range r.Results {
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  %s: %s\n", res.Recipe, n)
		}
		if res.MaxUnavailable > 0 {
			fmt.Fprintf(w, "  %s: longest unavailability %s from %+.1fs\n", res.Recipe, secs(res.MaxUnavailable), res.UnavailableAt.Seconds())
		}
	}
	for _, res := range r.Results {
		for _, d := range res.Details {
			fmt.Fprintf(w, "VIOLATION %s: %s\n", res.Recipe, d)
		}
		if res.Violations > len(res.Details) {
			fmt.Fprintf(w, "VIOLATION %s: ... and %d more\n", res.Recipe, res.Violations-len(res.Details))
		}
	}
	if r.Leaked != "" {
		fmt.Fprintf(w, "VIOLATION goroutines leaked:\n%s\n", r.Leaked)
	} else {
		fmt.Fprintln(w, "goroutines leaked: 0")
	}
	for _, e := range r.HarnessErrors {
		fmt.Fprintf(w, "HARNESS ERROR: %s\n", e)
	}
	fmt.Fprintf(w, "total violations: %d\n", r.Violations())
}

// Table returns WriteTable's output.
func (r *Report) Table() string {
	var b strings.Builder
	r.WriteTable(&b)
	return b.String()
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
