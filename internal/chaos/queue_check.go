package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

// check drains the queue, then judges every message. It runs after every
// worker's session ended, so every claim has ended too.
func (q *queueRecipe) check(ctx context.Context, c *zkrecipes.Client, res *Result) {
	qu := must(queue.New(c, queuePath))
	drained := q.drain(ctx, qu, true)
	left, err := qu.Len(ctx)
	if err == nil && left > 0 {
		q.rec.violate("Poll returned ErrEmpty with Len = %d messages in the queue (no consumer left)", left)
		drained += q.drain(ctx, qu, false)
		left, err = qu.Len(ctx)
	}
	if err != nil || left != 0 {
		q.rec.violate("after draining with Take, Len = %d (err %v), want 0", left, err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var names []string
	for name := range q.msgs {
		names = append(names, name)
	}
	sort.Strings(names)
	// Claims that ended unsettled closed their Lost channel when their
	// session ended; settled ones never close it: stop waiting soon.
	deadline := time.Now().Add(5 * time.Second)
	lostAt := map[*delivery]time.Time{}
	for _, name := range names {
		for _, d := range q.msgs[name].deliveries {
			if d.claim != nil {
				if at, ok := d.claim.lostAt(deadline); ok {
					lostAt[d] = at
				}
			}
		}
	}
	unknown, delivered, missing := 0, 0, 0
	for _, name := range names {
		st := q.msgs[name]
		dups, lost := q.checkMessage(name, st, lostAt, left == 0)
		res.Duplicates += dups
		if lost {
			missing++
		}
		if st.put == opAmbiguous {
			unknown++
		}
		if len(st.deliveries) > 0 {
			delivered++
		}
	}
	if missing > 0 && left != 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d messages put but never acknowledged: some of the %d the drain could not take", missing, left))
	}
	q.checkBatches()
	res.Notes = append(res.Notes, fmt.Sprintf("%d messages, %d with an unknown put outcome, %d delivered, %d drained at the end",
		len(names), unknown, delivered, drained))
}

// drain takes and acknowledges whatever is left, as the "drain" consumer:
// with Poll until ErrEmpty, or with Take until a take waits for a while.
func (q *queueRecipe) drain(ctx context.Context, qu *queue.Queue, poll bool) int {
	for n := 0; ; n++ {
		var m *queue.Message
		var err error
		if poll {
			m, err = qu.Poll(ctx)
		} else {
			tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			m, err = qu.Take(tctx)
			cancel()
		}
		if errors.Is(err, queue.ErrEmpty) || (!poll && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
			return n
		}
		if err != nil {
			q.rec.violate("drain: %v", err)
			return n
		}
		d := &delivery{id: m.ID, worker: "drain", taken: time.Now(), deliveries: m.Deliveries, how: "drain"}
		if err := m.Ack(ctx); err != nil {
			q.rec.violate("drain: Ack of %q: %v", m.Data, err)
			d.how = "unknown"
		}
		q.mu.Lock()
		st := q.state(string(m.Data))
		st.deliveries = append(st.deliveries, d)
		q.mu.Unlock()
	}
}

// checkMessage judges one message's deliveries and returns how many were
// duplicates (hand-outs after a claim was lost rather than returned), and
// whether its put succeeded but it was never acknowledged: lost, if the
// drain emptied the queue (drained).
func (q *queueRecipe) checkMessage(name string, st *msgState, lostAt map[*delivery]time.Time, drained bool) (int, bool) {
	if !st.putTried {
		q.rec.violate("%s was delivered but never put", name)
	}
	ds := st.deliveries
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].taken.Before(ds[j].taken) })
	stored := map[string]bool{}
	for _, d := range ds {
		stored[d.id] = true
	}
	if len(stored) > 1 {
		q.rec.violate("%s was stored %d times (a put applied more than once); hand-outs: %s", name, len(stored), q.describe(ds, lostAt))
		for id := range stored {
			if n := putNonce(id); n != "" {
				for _, l := range q.rec.logs.context(n, time.Second) {
					q.rec.note(name + ": " + l)
				}
			}
		}
	}
	acks, dups := 0, 0
	lateAcks := 0
	maybeAcked := false // an Ack or Nack whose outcome is unknown: it may have landed
	for i, d := range ds {
		if d.how == "unknown" {
			maybeAcked = true
		}
		if d.how == "ack" || d.how == "drain" {
			// An ack whose claim was lost before it settled is counted
			// apart: it may be this delivery's own or a redelivery's.
			if at, ok := lostAt[d]; ok && at.Before(d.settled) {
				lateAcks++
			} else {
				acks++
			}
		}
		if d.deliveries < i+1 {
			q.rec.violate("%s: hand-out #%d to %s at %s reported Deliveries = %d", name, i+1, d.worker, q.rec.at(d.taken), d.deliveries)
		}
		if i == 0 {
			continue
		}
		prev := ds[i-1]
		switch prev.how {
		case "nack", "consumed-nack":
		case "ack", "drain":
			// An Ack made after its session was lost reports success when
			// the message is no longer in the queue (settled), which a
			// redelivery's Ack may have done: an allowed, counted duplicate
			// of at-least-once delivery, not a second live claim.
			if at, ok := lostAt[prev]; ok && !at.After(d.taken.Add(claimSlack)) {
				dups++
				continue
			}
			q.rec.violate("%s: handed to %s at %s after %s acknowledged it at %s", name, d.worker, q.rec.at(d.taken), prev.worker, q.rec.at(prev.settled))
		default:
			dups++
			at, ok := lostAt[prev]
			if !ok || at.After(d.taken.Add(claimSlack)) {
				end := "never"
				if ok {
					end = q.rec.at(at)
				}
				q.rec.violate("%s: handed to %s at %s while %s's claim (taken %s, settled %q) was live; it learned of the loss: %s",
					name, d.worker, q.rec.at(d.taken), prev.worker, q.rec.at(prev.taken), prev.how, end)
			}
		}
	}
	if acks == 0 && lateAcks > 0 {
		acks = 1
	}
	if acks > 1 {
		q.rec.violate("%s was acknowledged %d times", name, acks)
	}
	missing := acks == 0 && !maybeAcked && st.put == opOK && (len(ds) == 0 || ds[len(ds)-1].how != "consumed")
	if missing && drained {
		q.rec.violate("%s: put succeeded but it was never acknowledged nor left in the queue; hand-outs: %s", name, q.describe(ds, lostAt))
	}
	return dups, missing
}

func (q *queueRecipe) describe(ds []*delivery, lostAt map[*delivery]time.Time) string {
	if len(ds) == 0 {
		return "none"
	}
	var parts []string
	for _, d := range ds {
		s := fmt.Sprintf("%s took %s at %s, %s", d.worker, d.id, q.rec.at(d.taken), d.how)
		if !d.settled.IsZero() {
			s += " at " + q.rec.at(d.settled)
		}
		if at, ok := lostAt[d]; ok {
			s += ", claim lost at " + q.rec.at(at)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// checkBatches checks that every batch whose put failed ambiguously was
// stored whole or not at all: the drain makes every stored message seen.
func (q *queueRecipe) checkBatches() {
	for _, names := range q.batches {
		seen := 0
		for _, name := range names {
			if len(q.msgs[name].deliveries) > 0 {
				seen++
			}
		}
		if seen != 0 && seen != len(names) {
			q.rec.violate("batch %v (put failed) was stored in part: %d of %d messages seen", names, seen, len(names))
		}
	}
}

// putNonce returns the nonce of the put that stored the message with this
// id ("b-<prio>-<n>.m-<nonce>-..."), as the queue logs it.
func putNonce(id string) string {
	_, item, ok := strings.Cut(id, ".m-")
	if !ok || len(item) < 16 {
		return ""
	}
	return item[:16]
}
