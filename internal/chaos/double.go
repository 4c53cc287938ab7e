package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
)

// The double-barrier workload: as many workers as the barrier has members
// go through it round after round (Enter, a little work, Leave), so every
// round needs every worker. Hence, from the workers' own timelines:
//   - nobody passes Enter while another worker has left its last round
//     and not yet called Enter again (that worker cannot be in the round);
//   - nobody returns from Leave while another worker has passed Enter and
//     not yet called Leave (that worker is still inside the round).
//
// A crashed member's node lingers until the server expires its session and
// counts meanwhile (documented), and a member whose session expired counts
// no longer; so instants within two session timeouts of a session loss
// are not checked.
func init() {
	register(spec{name: "double", workers: doubleMembers, new: func(rec *recorder) recipe { return &doubleRecipe{rec: rec} }})
}

const (
	doublePath    = "/double"
	doubleMembers = 3
)

type doubleRecipe struct {
	rec *recorder

	mu      sync.Mutex
	visits  []visit
	losses  []time.Time // when any worker's client declared its session lost
	timeout time.Duration
}

// visit is one worker's pass through the barrier; zero times did not
// happen (a failed Enter has no entered, leave or left).
type visit struct {
	worker  string
	slot    int
	enter   time.Time // Enter called
	entered time.Time // Enter returned success
	leave   time.Time // Leave called
	left    time.Time // Leave returned success
}

func (d *doubleRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

// The barrier's node keeps its round record until the server reaps it.
func (d *doubleRecipe) leftoverOK(p string, _ *zk.Stat) bool { return p == doublePath }

func (d *doubleRecipe) work(ctx context.Context, w *worker) {
	defer func() {
		d.mu.Lock()
		d.losses = append(d.losses, w.lossTimes()...)
		if s := w.c.Session(); s != nil {
			d.timeout = max(d.timeout, s.Timeout())
		}
		d.mu.Unlock()
	}()
	b := must(barrier.NewDouble(w.c, doublePath, doubleMembers))
	for ctx.Err() == nil {
		v := visit{worker: w.id, slot: w.slot, enter: time.Now()}
		ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := b.Enter(ectx)
		cancel()
		if err != nil {
			d.rec.op(w, v.enter, opFailed, false)
			d.count(err)
			d.add(v)
			sleepOr(w.jitter(time.Millisecond, 20*time.Millisecond), ctx.Done())
			continue
		}
		v.entered = time.Now()
		d.rec.opAt(w, v.enter, v.entered, opOK, true)
		sleepOr(w.tenure(0, 20*time.Millisecond), ctx.Done())
		v.leave = time.Now()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err = b.Leave(lctx)
		cancel()
		if err == nil {
			v.left = time.Now()
		} else {
			d.count(err)
		}
		d.add(v)
	}
}

func (d *doubleRecipe) add(v visit) {
	d.mu.Lock()
	d.visits = append(d.visits, v)
	d.mu.Unlock()
}

func (d *doubleRecipe) count(err error) {
	switch {
	case errors.Is(err, barrier.ErrTooManyMembers):
		d.rec.count("too many members", 1)
	case errors.Is(err, zkrecipes.ErrSessionLost):
		d.rec.count("session lost", 1)
	default:
		d.rec.count("other errors", 1)
	}
}

func (d *doubleRecipe) check(_ context.Context, _ *zkrecipes.Client, res *Result) {
	d.mu.Lock()
	visits, losses, timeout := append([]visit(nil), d.visits...), append([]time.Time(nil), d.losses...), d.timeout
	d.mu.Unlock()
	checked, skipped := checkDouble(d.rec, visits, doubleMembers, losses, 2*timeout)
	res.Notes = append(res.Notes, fmt.Sprintf("%d passes checked, %d near a session loss not; %d too many members, %d session losses, %d other errors",
		checked, skipped, d.rec.counter("too many members"), d.rec.counter("session lost"), d.rec.counter("other errors")))
}

// checkDouble checks the workers' timelines (see the workload's comment)
// and reports how many passes (Enter and Leave returns) it checked and
// how many it skipped for lying within window of a session loss.
func checkDouble(rec *recorder, visits []visit, workers int, losses []time.Time, window time.Duration) (checked, skipped int) {
	bySlot := make([][]visit, workers)
	for _, v := range visits {
		bySlot[v.slot] = append(bySlot[v.slot], v)
	}
	for _, vs := range bySlot {
		sort.Slice(vs, func(a, b int) bool { return vs[a].enter.Before(vs[b].enter) })
	}
	// latest returns slot's last visit begun at or before t.
	latest := func(slot int, t time.Time) (visit, bool) {
		vs := bySlot[slot]
		i := sort.Search(len(vs), func(i int) bool { return vs[i].enter.After(t) })
		if i == 0 {
			return visit{}, false
		}
		return vs[i-1], true
	}
	nearLoss := func(t time.Time) bool {
		for _, l := range losses {
			if t.After(l.Add(-window)) && t.Before(l.Add(window)) {
				return true
			}
		}
		return false
	}
	for _, v := range visits {
		for _, pass := range []struct {
			at    time.Time
			enter bool
		}{{v.entered, true}, {v.left, false}} {
			if pass.at.IsZero() {
				continue
			}
			if nearLoss(pass.at) {
				skipped++
				continue
			}
			checked++
			for k := range workers {
				if k == v.slot {
					continue
				}
				u, ok := latest(k, pass.at)
				switch {
				case pass.enter && (!ok || !u.left.IsZero() && u.left.Before(pass.at)):
					rec.violate("double: %s passed Enter at %s while worker %d was out of the barrier (its last visit: %s)",
						v.worker, rec.at(pass.at), k, describeVisit(rec, u, ok))
				case !pass.enter && ok && !u.entered.IsZero() && u.entered.Before(pass.at) && (u.leave.IsZero() || u.leave.After(pass.at)):
					rec.violate("double: %s returned from Leave at %s while %s was still inside (its visit: %s)",
						v.worker, rec.at(pass.at), u.worker, describeVisit(rec, u, ok))
				}
			}
		}
	}
	return checked, skipped
}

func describeVisit(rec *recorder, u visit, ok bool) string {
	if !ok {
		return "none"
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return rec.at(t)
	}
	return fmt.Sprintf("enter %s, entered %s, leave %s, left %s", at(u.enter), at(u.entered), at(u.leave), at(u.left))
}
