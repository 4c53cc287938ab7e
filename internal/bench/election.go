package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
)

func init() {
	Register(Workload{
		Name: "election-failover", Anchor: "W3",
		Help: "W3: 3 candidates, each its own session; the leader resigns and re-joins, time until another candidate holds a term (p50/p99 ms, ×RTT); Campaign/Resign, then Run",
		Run: func(ctx context.Context, p *Params, e *Emitter) error {
			if err := runElectionFailover(ctx, p, e); err != nil {
				return err
			}
			return runRunFailover(ctx, p, e)
		},
	})
	Register(Workload{
		Name: "election-crash-failover",
		Help: "the leader's connection is black-holed (a crash): time until another candidate holds a term, against session timeout + 3 RTT",
		Run:  runElectionCrashFailover,
	})
}

// candidate is one participant with its own client.
type candidate struct {
	id   int
	c    *zkrecipes.Client
	e    *election.Election
	term *election.Term
	hole *holeDialer // crash workload only
}

type elected struct {
	id  int
	at  time.Time
	t   *election.Term
	err error
}

// campaign starts cand's campaign; the result arrives on events.
func (cand *candidate) campaign(ctx context.Context, events chan<- elected) {
	go func() {
		t, err := cand.e.Campaign(ctx)
		events <- elected{cand.id, time.Now(), t, err}
	}()
}

func connectCandidate(ctx context.Context, p *Params, ns string, id int, timeout time.Duration, dial func(string, string, time.Duration) (net.Conn, error)) (*candidate, error) {
	opts := []zkrecipes.Option{zkrecipes.WithNamespace(ns), zkrecipes.WithSessionTimeout(timeout)}
	if dial != nil {
		opts = append(opts, zkrecipes.WithDialer(dial))
	}
	c, err := zkrecipes.Connect(ctx, p.Servers, opts...)
	if err != nil {
		return nil, err
	}
	e := must(election.New(c, "/election", election.WithID(fmt.Sprintf("c%d", id))))
	return &candidate{id: id, c: c, e: e}, nil
}

// connectCandidates connects W3's candidates, counting their requests,
// and a poller of their participants whose requests are not counted. The
// returned release deletes namespace ns and closes every client; defer it
// even when an error is returned.
func connectCandidates(ctx context.Context, p *Params, ns string) (cands []*candidate, poll *candidate, counter *Counter, release func(), err error) {
	counter = &Counter{}
	release = func() {
		if poll != nil {
			deleteNamespace(poll.c, ns)
			poll.c.Close()
		}
		for _, cand := range cands {
			cand.c.Close()
		}
	}
	for i := range p.W3Candidates {
		cand, err := connectCandidate(ctx, p, ns, i, p.SessionTimeout, counter.Dial)
		if err != nil {
			return cands, poll, counter, release, err
		}
		cands = append(cands, cand)
	}
	poll, err = connectCandidate(ctx, p, ns, p.W3Candidates, p.SessionTimeout, nil)
	return cands, poll, counter, release, err
}

// waitRegistered polls (1 ms) until n participants' nodes are listed, as
// the anchors do before each round: one listing, no data read (reading
// every participant's id, as Participants does, made each poll 1+n
// requests, whose garbage and server work spilled into the failover
// measured next).
func waitRegistered(ctx context.Context, poll *candidate, n int) {
	for k := 0; k < 5000 && ctx.Err() == nil; k++ {
		if kids, _, err := poll.c.Children(ctx, poll.e.Path()); err == nil && len(kids) == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// nextLeader waits for a candidate other than old to be elected.
func nextLeader(ctx context.Context, events <-chan elected, old int, within time.Duration) (elected, error) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case ev := <-events:
			if ev.err != nil {
				return ev, fmt.Errorf("candidate c%d: %w", ev.id, ev.err)
			}
			if ev.id != old {
				return ev, nil
			}
		case <-deadline.C:
			return elected{}, errors.New("timeout")
		case <-ctx.Done():
			return elected{}, ctx.Err()
		}
	}
}

func runElectionFailover(ctx context.Context, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return err
	}
	n := p.W3Candidates
	cands, poll, counter, release, err := connectCandidates(ctx, p, p.Root+"-election")
	defer release()
	if err != nil {
		return err
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan elected, 4*n)
	for _, cand := range cands {
		cand.campaign(cctx, events)
	}
	first, err := nextLeader(ctx, events, -1, 30*time.Second)
	if err != nil {
		return fmt.Errorf("no initial leader: %w", err)
	}
	leader := first.id
	cands[leader].term = first.t
	var lat []time.Duration
	timeouts := 0
	req0 := counter.Requests()
	for r := 0; r < p.W3Rounds; r++ {
		waitRegistered(ctx, poll, n)
		t0 := time.Now()
		_ = cands[leader].term.Resign(ctx) // relinquish
		ev, err := nextLeader(ctx, events, leader, 30*time.Second)
		if err != nil {
			timeouts++
			p.Logf("election-failover: round %d: %v", r, err)
			break
		}
		lat = append(lat, ev.at.Sub(t0))
		old := leader
		leader = ev.id
		cands[leader].term = ev.t
		cands[old].campaign(cctx, events) // the old leader re-joins
	}
	reqs := counter.Requests() - req0
	if cands[leader].term != nil {
		_ = cands[leader].term.Resign(ctx)
	}
	p50 := Pct(lat, 0.5)
	failFloor := floor.DeleteP50 + floor.ExistsP50
	e.Emit(Result{
		"impl": p.Impl, "workload": "W3", "variant": "election.Campaign/Resign (LeaderLatch layout)",
		"p50_ms": R2(p50 / 1000), "p99_ms": R2(Pct(lat, 0.99) / 1000),
		"rounds": len(lat), "timeouts": timeouts,
		"p50_x_rtt":          R2(p50 / floor.ExistsP50),
		"p50_x_floor":        R2(p50 / failFloor),
		"round_trips_per_op": R2(float64(reqs) / float64(max(len(lat), 1))),
	})
	return nil
}

func runElectionCrashFailover(ctx context.Context, p *Params, e *Emitter) error {
	floor, err := Floor(ctx, p)
	if err != nil {
		return err
	}
	const rounds = 5
	// A short session keeps the rounds short; 4s is the smallest timeout a
	// server with the default tickTime (2s) grants.
	timeout := min(p.SessionTimeout, 4*time.Second)
	n := p.W3Candidates
	ns := p.Root + "-election-crash"
	poll, err := connectCandidate(ctx, p, ns, -1, timeout, nil)
	if err != nil {
		return err
	}
	defer poll.c.Close()
	defer deleteNamespace(poll.c, ns)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan elected, 4*n)
	next := 0
	join := func() (*candidate, error) {
		h := &holeDialer{}
		cand, err := connectCandidate(ctx, p, ns, next, timeout, h.Dial)
		if err != nil {
			return nil, err
		}
		next++
		cand.hole = h
		cand.campaign(cctx, events)
		return cand, nil
	}
	live := map[int]*candidate{}
	defer func() {
		for _, cand := range live {
			cand.c.Close()
		}
	}()
	for range n {
		cand, err := join()
		if err != nil {
			return err
		}
		live[cand.id] = cand
	}
	first, err := nextLeader(ctx, events, -1, 30*time.Second)
	if err != nil {
		return fmt.Errorf("no initial leader: %w", err)
	}
	leader := first.id
	var lat []time.Duration
	var negotiated time.Duration
	timeouts := 0
	for r := 0; r < rounds; r++ {
		waitRegistered(ctx, poll, n)
		crashed := live[leader]
		negotiated = crashed.c.SessionTimeout()
		// Rounds start right after the previous expiry, which the server
		// does on a tick boundary; a random pause decorrelates the crash
		// from that boundary.
		time.Sleep(rand.N(250 * time.Millisecond))
		t0 := time.Now()
		crashed.hole.Blackhole()
		ev, err := nextLeader(ctx, events, leader, 3*negotiated+10*time.Second)
		if err != nil {
			timeouts++
			p.Logf("election-crash-failover: round %d: %v", r, err)
			break
		}
		lat = append(lat, ev.at.Sub(t0))
		p.Logf("election-crash-failover: round %d: new leader after %v", r, ev.at.Sub(t0))
		crashed.c.Close()
		delete(live, leader)
		leader = ev.id
		cand, err := join() // a replacement candidate
		if err != nil {
			return err
		}
		live[cand.id] = cand
	}
	bound := float64(negotiated/time.Microsecond) + 3*floor.ExistsP50
	within := 0
	var worst time.Duration
	for _, l := range lat {
		if US(l) <= bound {
			within++
		}
		worst = max(worst, l)
	}
	e.Emit(Result{
		"impl": p.Impl, "workload": "election-crash-failover", "variant": "leader black-holed, never healed",
		"p50_ms": R2(Pct(lat, 0.5) / 1000), "max_ms": R2(US(worst) / 1000),
		// beyond the session timeout: the server's expiry granularity (one
		// tick at most) plus our watch-and-list
		"over_timeout_p50_ms": R2((Pct(lat, 0.5) - float64(negotiated/time.Microsecond)) / 1000),
		"session_timeout_ms":  negotiated.Milliseconds(),
		"bound_ms":            R2(bound / 1000), "within_bound": within,
		"rounds": len(lat), "timeouts": timeouts,
	})
	return nil
}

// deleteNamespace removes the (empty by now) namespace node.
func deleteNamespace(c *zkrecipes.Client, ns string) {
	_ = c.Conn().Delete(ns+"/election", -1)
	_ = c.Conn().Delete(ns, -1)
}
