package chaos

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"time"
)

// Kind is a kind of fault.
type Kind int

// The fault kinds, in table order.
const (
	// StopServer kills one ensemble member (SIGKILL) and restarts it later.
	// At most one member, a minority of three, is down at a time.
	StopServer Kind = iota
	// RestartEnsemble kills every member, then restarts them all.
	RestartEnsemble
	// Cut drops one worker's connection; its client reconnects in the same
	// session.
	Cut
	// Expire black-holes one worker's network past its session timeout, so
	// the server expires the session (a real expiry), then heals it.
	Expire
	// Slow adds latency to everything one worker's client sends.
	Slow
	numKinds
)

var kindNames = [numKinds]string{"stop", "restart-all", "cut", "expire", "slow"}

func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// isServer reports whether the fault hits the ensemble rather than a client.
func (k Kind) isServer() bool { return k == StopServer || k == RestartEnsemble }

// Fault is one planned fault. Faults on the same target (the ensemble, or
// one worker) never overlap: they run one after another, each no earlier
// than At.
type Fault struct {
	At      time.Duration // offset from the start of the workload
	Kind    Kind
	Server  int           // StopServer: member index
	Worker  string        // client faults: worker id, e.g. "lock/2"
	For     time.Duration // how long the server is down, the link black-holed or slow
	Latency time.Duration // Slow: added one-way latency
}

func (f Fault) String() string {
	at := fmt.Sprintf("+%6.1fs", f.At.Seconds())
	switch f.Kind {
	case StopServer:
		return fmt.Sprintf("%s stop server %d for %v", at, f.Server, f.For.Round(time.Millisecond))
	case RestartEnsemble:
		return fmt.Sprintf("%s restart the whole ensemble (down %v)", at, f.For.Round(time.Millisecond))
	case Cut:
		return fmt.Sprintf("%s cut %s", at, f.Worker)
	case Expire:
		return fmt.Sprintf("%s black-hole %s for %v (session expiry)", at, f.Worker, f.For.Round(time.Millisecond))
	case Slow:
		return fmt.Sprintf("%s slow %s by %v for %v", at, f.Worker, f.Latency, f.For.Round(time.Millisecond))
	}
	return at + " " + f.Kind.String()
}

// Schedule is a seeded plan of faults.
type Schedule struct {
	Seed   int64
	Faults []Fault // sorted by At
}

// String lists the faults one per line.
func (s Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schedule (seed %d, %d faults):\n", s.Seed, len(s.Faults))
	for _, f := range s.Faults {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// planParams shape a schedule.
type planParams struct {
	duration       time.Duration // the workload's length; faults start and end inside it
	sessionTimeout time.Duration
	servers        int
	workers        []string // ids of the client-fault targets, in a fixed order
}

// plan derives a schedule from seed alone (and p): the same seed and
// parameters always give the same faults.
func plan(seed int64, p planParams) Schedule {
	rng := rand.New(rand.NewSource(seed))
	start := min(3*time.Second, p.duration/10)
	end := p.duration - min(5*time.Second, p.duration/8) // quiet tail: let everything settle
	between := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int63n(int64(hi-lo)+1))
	}
	var faults []Fault

	// The ensemble: one member down at a time, and one whole restart in the
	// middle third. A restart takes a few seconds beyond the planned
	// downtime; the lane runs faults in order, so overlap cannot happen.
	restartAt := between(p.duration/3, 2*p.duration/3)
	restarted := false
	for t := start + between(time.Second, 4*time.Second); t < end; {
		if !restarted && t >= restartAt {
			down := between(time.Second, 3*time.Second)
			faults = append(faults, Fault{At: t, Kind: RestartEnsemble, For: down})
			restarted = true
			t += down + 8*time.Second
			continue
		}
		down := between(500*time.Millisecond, 2*p.sessionTimeout+time.Second)
		faults = append(faults, Fault{At: t, Kind: StopServer, Server: rng.Intn(p.servers), For: down})
		t += down + 3*time.Second + between(2*time.Second, 8*time.Second)
	}
	if !restarted && restartAt < end {
		faults = append(faults, Fault{At: restartAt, Kind: RestartEnsemble, For: between(time.Second, 3*time.Second)})
	}

	// Clients: about one fault every 1.2 s across all workers, each worker's
	// faults strictly one after another.
	if len(p.workers) > 0 {
		busy := make(map[string]time.Duration)
		for t := start; ; {
			t += between(400*time.Millisecond, 2*time.Second)
			if t >= end {
				break
			}
			w := p.workers[rng.Intn(len(p.workers))]
			f := Fault{At: t, Worker: w}
			switch r := rng.Intn(100); {
			case r < 40:
				f.Kind = Cut
			case r < 65:
				f.Kind = Expire
				f.For = p.sessionTimeout + between(500*time.Millisecond, 2*time.Second)
			default:
				f.Kind = Slow
				f.For = between(time.Second, 5*time.Second)
				f.Latency = between(10*time.Millisecond, 250*time.Millisecond).Round(time.Millisecond)
			}
			if busy[w] > t {
				continue // still under its previous fault: skip, keep the plan simple
			}
			busy[w] = t + f.For + time.Second
			faults = append(faults, f)
		}
	}
	sort.SliceStable(faults, func(i, j int) bool { return faults[i].At < faults[j].At })
	return Schedule{Seed: seed, Faults: faults}
}
