package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// electionScene: three candidates run a singleton job through
// election.Run; the leader's network is cut, it steps down, its session
// expires, another takes over; then the old leader's network heals.
func (d *demoEnv) electionScene(ctx context.Context) error {
	const candidates = 3
	const path = "/services/scheduler"
	n := d.n
	n.title("2. Leader election: the leader's host drops off the network")
	n.say("%d candidates run a scheduler that must run on exactly one host. Their sessions", candidates)
	n.say("time out after %v. We will cut the leader's network without closing anything,", d.o.faultTimeout)
	n.say("as a crashed host or a partition would.")
	n.say("")
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	ev := make(chan leaderEvent, 16)
	dialers := make([]*zktest.FaultDialer, candidates)
	clients := make([]*zkrecipes.Client, candidates)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait()
		for i, c := range clients {
			if c != nil {
				dialers[i].Close()
				c.Close()
			}
		}
	}()
	for i := range clients {
		dialers[i] = zktest.NewFaultDialer()
		c, err := d.client(ctx, d.o.faultTimeout, dialers[i])
		if err != nil {
			return err
		}
		clients[i] = c
	}
	obs, err := d.client(ctx, 10*time.Second, nil)
	if err != nil {
		return err
	}
	defer obs.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		viewer, err := election.New(obs, path)
		if err != nil {
			return
		}
		for p := range viewer.Observe(sctx) {
			if p.Node != "" {
				n.actor("observer", "sees leader %s (term token %d)", p.ID, p.Token)
			}
		}
	}()
	for i, c := range clients {
		who := fmt.Sprintf("candidate-%d", i+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = election.Run(sctx, c, path, d.leaderJob(who, ev), election.WithID(who), election.WithGracePeriod(time.Second))
		}()
		n.actor(who, "campaigns")
		if i == 0 {
			// Let the first one win, so the story is easy to follow.
			if _, err := waitLeader(sctx, ev, 10*time.Second); err != nil {
				return err
			}
		}
	}
	if err := sleep(sctx, 1500*time.Millisecond); err != nil {
		return err
	}
	return d.failover(sctx, ev, dialers, clients, path)
}

// failover cuts the leader's network and narrates what follows.
func (d *demoEnv) failover(ctx context.Context, ev chan leaderEvent, dialers []*zktest.FaultDialer, clients []*zkrecipes.Client, path string) error {
	n := d.n
	old := 0 // candidate-1 leads
	n.say("")
	n.say(">>> Cutting candidate-1's network (packets silently dropped) <<<")
	cut := time.Now()
	dialers[old].Blackhole()
	var stopped time.Time
	for {
		e, err := waitLeader(ctx, ev, 6*d.o.faultTimeout+10*time.Second)
		if err != nil {
			return fmt.Errorf("no new leader after the cut: %w", err)
		}
		if e.stopped {
			stopped = e.at
			continue
		}
		n.say("")
		n.say("%s took over %.1fs after the cut (session timeout %v).", e.who, e.at.Sub(cut).Seconds(), d.o.faultTimeout)
		if !stopped.IsZero() && stopped.Before(e.at) {
			n.say("candidate-1 had stopped its job %.1fs before that: there were never two leaders.", e.at.Sub(stopped).Seconds())
		}
		break
	}
	if err := sleep(ctx, 300*time.Millisecond); err != nil {
		return err
	}
	n.say("")
	n.say(">>> Healing candidate-1's network <<<")
	dialers[old].Heal()
	for i := 0; i < 50; i++ {
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
		viewer, err := election.New(clients[old], path)
		if err != nil {
			return err
		}
		ps, err := viewer.Participants(ctx)
		if err == nil && len(ps) == len(clients) {
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			n.say("candidate-1 is back with a new session and waits at the end of the line: %s.", strings.Join(ids, " -> "))
			return nil
		}
	}
	n.say("(candidate-1 has not rejoined yet; moving on)")
	return nil
}

type leaderEvent struct {
	who     string
	at      time.Time
	stopped bool // the leader stopped (lost leadership), else it started
}

// leaderJob is the singleton job: it announces itself and works until its
// term ends.
func (d *demoEnv) leaderJob(who string, ev chan<- leaderEvent) func(context.Context) error {
	return func(ctx context.Context) error {
		d.n.actor(who, "is the LEADER: starts the scheduler")
		send(ev, leaderEvent{who: who, at: time.Now()})
		<-ctx.Done()
		if cause := context.Cause(ctx); errors.Is(cause, election.ErrLeadershipLost) {
			d.n.actor(who, "lost leadership (%s): stops the scheduler at once", strings.TrimPrefix(cause.Error(), "election: leadership lost: "))
			send(ev, leaderEvent{who: who, at: time.Now(), stopped: true})
		}
		return nil
	}
}

func waitLeader(ctx context.Context, ev <-chan leaderEvent, timeout time.Duration) (leaderEvent, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case e := <-ev:
		return e, nil
	case <-t.C:
		return leaderEvent{}, fmt.Errorf("timed out after %v", timeout)
	case <-ctx.Done():
		return leaderEvent{}, ctx.Err()
	}
}

// send never blocks a job: the channel has room for every event of a demo.
func send(ev chan<- leaderEvent, e leaderEvent) {
	select {
	case ev <- e:
	default:
	}
}
