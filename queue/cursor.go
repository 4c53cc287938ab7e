package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// cand is a message a taker may try to claim.
type cand struct {
	id     msgID
	prio   int
	inline bool   // its data is in its name: data
	data   []byte // inline data
}

// cursor chooses the messages the takers of one Queue try to claim. It
// lists one bucket at a time (the oldest with something to take, in the
// highest lane that has any) and hands its messages out in order, one per
// taker, so concurrent takers of a process never compete with each other.
// A take costs no listing until the cached candidates run out: the cost of
// a take does not grow with the depth of the queue.
//
// The cache is dropped early when a watch says it may be wrong in a way
// that matters: a new bucket or lane (items directory), a released claim
// (the signal node; a Nack), a consumer gone (its claims with it), or a put
// into a lane of higher priority. When there is nothing to take, takers
// wait on those watches and on the newest bucket of every lane (a put), and
// on a timer for the earliest delayed message.
type cursor struct {
	q *Queue

	mu         sync.Mutex
	listing                                 // the last refresh's
	pos        int                          // next candidate of listing.cands to hand out
	busy       map[msgID]*zkrecipes.Session // being claimed, or held, by takers of this Queue, in that session
	held       map[msgID]*zkrecipes.Session // handed out by this Queue and not settled, in that session
	refreshing chan struct{}                // non-nil while one taker refreshes for all
	kick       chan struct{}                // closed (and replaced) when waiting takers must list again
	sleepers   int                          // takers waiting for a change (tests wait for them)

	skip   map[bucketRef]time.Time // sealed buckets with nothing to take until then (zero: until a release)
	unskip bool                    // forget skip at the next refresh (a Nack here)

	// Messages of other consumers' shares seen unclaimed since when, as of
	// the last listing (waiting) and this one (nextWaiting); owned by the
	// refresher.
	waiting, nextWaiting map[msgID]time.Time
	last                 time.Time // start of the last refresh
}

func newCursor(q *Queue) *cursor {
	return &cursor{q: q, busy: map[msgID]*zkrecipes.Session{}, held: map[msgID]*zkrecipes.Session{}, skip: map[bucketRef]time.Time{}, kick: make(chan struct{})}
}

// next returns a candidate (marked busy), waiting until there is one. With
// poll it lists afresh instead of waiting and returns ErrEmpty if there is
// nothing to take.
func (c *cursor) next(ctx context.Context, s *zkrecipes.Session, poll bool) (cand, error) {
	fresh := poll
	for {
		c.mu.Lock()
		if cd, ok := c.popLocked(s); ok {
			c.mu.Unlock()
			return cd, nil
		}
		if !fresh && !c.found && !c.staleLocked() && c.wake != nil {
			// Nothing to take and nothing changed since the last listing.
			wake, until := append(c.wake[:len(c.wake):len(c.wake)], c.kick), c.until
			c.sleepers++
			c.mu.Unlock()
			err := waitFor(ctx, wake, until)
			c.mu.Lock()
			c.sleepers--
			if err == nil {
				c.found = true // force a refresh
			}
			c.mu.Unlock()
			if err != nil {
				return cand{}, err
			}
			continue
		}
		if ch := c.refreshing; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return cand{}, ctx.Err()
			}
			continue
		}
		ch := make(chan struct{})
		c.refreshing = ch
		last := c.last
		c.mu.Unlock()
		err := c.pace(ctx, last, fresh)
		if err == nil {
			err = c.refresh(ctx, fresh)
		}
		c.mu.Lock()
		c.refreshing = nil
		close(ch)
		if err == nil {
			if cd, ok := c.popLocked(s); ok {
				c.mu.Unlock()
				return cd, nil
			}
		}
		found := c.found
		c.mu.Unlock()
		if err != nil {
			return cand{}, err
		}
		if poll && !found {
			return cand{}, ErrEmpty
		}
		if poll {
			// The listing found candidates but was stale at once (it
			// dropped a drained bucket, whose watch fired) or others took
			// them first: list again, as Take does.
			continue
		}
		fresh = false
	}
}

// minRefresh spaces the listings of a busy queue: when puts keep waking
// the takers, each listing then picks up every message put meanwhile,
// instead of one listing (two reads) per message and consumer. It delays a
// message by at most this much, and only while the queue is busy.
const minRefresh = 10 * time.Millisecond

// pace waits until minRefresh has passed since the last refresh began,
// and records the start of this one. Poll (fresh) does not wait.
func (c *cursor) pace(ctx context.Context, last time.Time, fresh bool) error {
	if d := minRefresh - time.Since(last); d > 0 && !fresh && !sleep(ctx, d) {
		return ctx.Err()
	}
	c.mu.Lock()
	c.last = time.Now()
	c.mu.Unlock()
	return nil
}

// popLocked hands out the next candidate unless the cache is stale.
func (c *cursor) popLocked(s *zkrecipes.Session) (cand, bool) {
	if c.staleLocked() {
		c.cands, c.pos = nil, 0
		return cand{}, false
	}
	for c.pos < len(c.cands) {
		cd := c.cands[c.pos]
		c.pos++
		if c.holdsLocked(cd.id) {
			continue // never hand out a message this Queue holds
		}
		if bs, busy := c.busy[cd.id]; !busy || bs.Err() != nil {
			c.busy[cd.id] = s
			return cd, true
		}
	}
	return cand{}, false
}

func (c *cursor) staleLocked() bool {
	if !c.until.IsZero() && !time.Now().Before(c.until) {
		return true
	}
	for _, ch := range c.stale {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// holdsLocked reports whether a Message of this Queue holds id, in a
// session that lives.
func (c *cursor) holdsLocked(id msgID) bool {
	hs, ok := c.held[id]
	return ok && hs.Err() == nil
}

// hold records a message handed out, until done or released.
func (c *cursor) hold(id msgID, s *zkrecipes.Session) {
	c.mu.Lock()
	c.held[id] = s
	c.mu.Unlock()
}

// done forgets a candidate once its message was settled or taken by
// someone else.
func (c *cursor) done(id msgID) {
	c.mu.Lock()
	delete(c.busy, id)
	delete(c.held, id)
	c.mu.Unlock()
}

// released forgets a message this Queue returned to the queue (Nack) and
// drops the listing, so that the next take here sees it at once, in its
// place, without waiting for the signal watch's event.
func (c *cursor) released(id msgID) {
	c.mu.Lock()
	delete(c.busy, id)
	delete(c.held, id)
	c.cands, c.pos = nil, 0
	c.found = true
	c.unskip = true
	close(c.kick)
	c.kick = make(chan struct{})
	c.mu.Unlock()
}

// retry forgets a candidate whose take failed without an answer (it may
// still be there to take), and makes every taker list again.
func (c *cursor) retry(id msgID) {
	c.mu.Lock()
	delete(c.busy, id)
	c.found = true
	close(c.kick)
	c.kick = make(chan struct{})
	c.mu.Unlock()
}

// waitFor blocks until one of chans closes, until passes, or ctx is done.
func waitFor(ctx context.Context, chans []<-chan struct{}, until time.Time) error {
	if !until.IsZero() {
		tctx, cancel := context.WithDeadline(ctx, until)
		defer cancel()
		err := waitAny(tctx, chans)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil
		}
		return err
	}
	return waitAny(ctx, chans)
}
