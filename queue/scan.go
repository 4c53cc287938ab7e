package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// refresh lists the queue and installs the next candidates, or, if there
// is nothing to take, the watches to wait on. Only one taker refreshes at a
// time (cursor.refreshing), so c.skip needs no lock here. fresh bypasses
// the listings cached under armed watches (Poll must not miss a message
// whose watch event is still on its way).
func (c *cursor) refresh(ctx context.Context, fresh bool) error {
	q := c.q
	if err := q.ensure(ctx); err != nil {
		return err
	}
	busy := c.busyNow()
	dirs, err := c.readDirs(ctx, fresh)
	if err != nil {
		return err
	}
	part := partition{n: 1}
	if s := q.registered(); s != nil {
		part = partitionOf(dirs.consumers, zkpath.Base(q.l.consumer(s.ID())))
	}
	c.nextWaiting = map[msgID]time.Time{}
	defer func() { c.waiting, c.nextWaiting = c.nextWaiting, nil }()
	l, err := c.scan(ctx, dirs, busy, part)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.listing, c.pos = l, 0
	c.mu.Unlock()
	return nil
}

// listing is what a refresh found: the candidates to hand out, or, if
// there are none, what to wait on.
type listing struct {
	cands []cand
	found bool              // cands is not empty (set again to force a refresh)
	stale []<-chan struct{} // any closed: refresh before the next take
	wake  []<-chan struct{} // when there is nothing to take: wait on these
	until time.Time         // refresh at this time (a delayed message becomes visible)
	// The consumers and signal watches: when either closed, forget c.skip
	// (a claim was released or a consumer left).
	releases []<-chan struct{}
}

// busyNow forgets c.skip if a claim was released since the last refresh,
// and returns the messages that takers of this Queue are claiming or hold
// in a session that lives: not candidates.
func (c *cursor) busyNow() map[msgID]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unskip || slices.ContainsFunc(c.releases, closed) {
		clear(c.skip)
		c.unskip = false
	}
	busy := make(map[msgID]bool, len(c.busy))
	for id, s := range c.busy {
		// A message held in a session that ended is free again (its
		// claim is gone), even if its Message was never settled.
		busy[id] = s.Err() == nil
	}
	for id := range c.held {
		busy[id] = busy[id] || c.holdsLocked(id)
	}
	return busy
}

// dirs is a reading of the queue's directories, with the watches armed on
// them: a change to any makes the listing stale.
type dirs struct {
	buckets   []string        // children of items/
	consumers []string        // children of consumers/
	claimed   map[string]bool // children of claims/
	// Watches: a new bucket or lane; a consumer come or gone (its claims
	// with it); a released claim (Nack).
	itemsW, consumersW, signalW <-chan struct{}
}

func (c *cursor) readDirs(ctx context.Context, fresh bool) (*dirs, error) {
	q := c.q
	d := &dirs{}
	var err error
	d.buckets, _, d.itemsW, err = q.w.children(ctx, q.l.items)
	if err == nil && fresh {
		d.buckets, _, err = q.c.Children(ctx, q.l.items)
	}
	if err != nil {
		return nil, c.listErr(q.l.items, err)
	}
	if d.consumers, _, d.consumersW, err = q.w.children(ctx, q.l.consumers); err != nil {
		return nil, c.listErr(q.l.consumers, err)
	}
	if d.signalW, err = q.w.node(ctx, q.l.signal); err != nil {
		return nil, c.listErr(q.l.signal, err)
	}
	claims, _, err := q.c.Children(ctx, q.l.claims)
	if err != nil {
		return nil, c.listErr(q.l.claims, err)
	}
	d.claimed = make(map[string]bool, len(claims))
	for _, n := range claims {
		d.claimed[n] = true
	}
	return d, nil
}

// scan lists the buckets, highest lane first and oldest bucket first, up
// to the first with something to take. On the way it skips buckets known
// to hold nothing takeable, deletes drained ones, and watches the newest
// bucket of each lane it passes: a put there (a higher lane than the
// candidates') makes the listing stale, or wakes the waiting takers.
func (c *cursor) scan(ctx context.Context, d *dirs, busy map[msgID]bool, part partition) (listing, error) {
	base := []<-chan struct{}{d.itemsW, d.consumersW, d.signalW}
	l := listing{stale: base, releases: base[1:]}
	var newest []<-chan struct{}
	now := time.Now()
	for _, lane := range lanes(d.buckets) {
		for i, b := range lane {
			if t, ok := c.skip[b]; ok && (t.IsZero() || now.Before(t)) {
				l.until = earliest(l.until, t)
				continue
			}
			delete(c.skip, b)
			isNewest := i == len(lane)-1
			items, st, ch, err := c.list(ctx, b, isNewest)
			if errors.Is(err, zk.ErrNoNode) {
				continue // deleted since the listing of the items directory
			}
			if err != nil {
				return listing{}, c.listErr(c.q.l.bucket(b), err)
			}
			cands, later, held := c.pick(b, items, d.claimed, busy, part, now)
			l.until = earliest(l.until, later)
			if len(cands) > 0 {
				l.cands, l.found = cands, true
				l.stale = append(base[:len(base):len(base)], newest...)
				return l, nil
			}
			switch {
			case isNewest:
				newest = append(newest, ch)
			case len(items) == 0 && st.Version > 0:
				c.q.dropBucket(ctx, b, st.Version)
			case !held:
				c.skip[b] = later // only claimed or delayed messages: no need to list it again
			}
		}
	}
	l.wake = append(base[:len(base):len(base)], newest...)
	return l, nil
}

// list reads one bucket. The newest bucket of a lane is read under a child
// watch: a put there must wake waiting takers.
func (c *cursor) list(ctx context.Context, b bucketRef, isNewest bool) ([]string, *zk.Stat, <-chan struct{}, error) {
	p := c.q.l.bucket(b)
	if !isNewest {
		items, st, err := c.q.c.Children(ctx, p)
		return items, st, nil, err
	}
	return c.q.w.fresh(ctx, p)
}

func (c *cursor) listErr(p string, err error) error {
	if errors.Is(err, zk.ErrNoNode) {
		c.q.ensured.Store(false) // the queue was deleted under us: recreate it
	}
	return fmt.Errorf("queue: list %s: %w", p, err)
}

// pick returns the messages of bucket b that this consumer can take now,
// in the order to try them: its own share first, oldest first; then the
// others' messages that have been waiting unclaimed for helpAfter (their
// consumer is busy or gone), newest first, so that a helper and the owner
// work towards each other instead of colliding. It also returns the
// earliest time a delayed or deferred message becomes takeable, and
// whether a message is unclaimed but busy here (a take in flight).
func (c *cursor) pick(b bucketRef, names []string, claimed map[string]bool, busy map[msgID]bool, part partition, now time.Time) ([]cand, time.Time, bool) {
	items := make([]itemInfo, 0, len(names))
	for _, n := range names {
		if it, ok := parseItem(n); ok {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].seq < items[j].seq })
	var (
		own, foreign, late []cand // late: foreign ones waiting for helpLate
		later              time.Time
		held               bool
		ms                 = now.UnixMilli()
	)
	for _, it := range items {
		id := msgID{b, it.name}
		cd := cand{id: id, prio: b.prio, inline: it.inline, data: it.data}
		switch {
		case claimed[id.claimName()]:
		case busy[id]:
			held = true
		case it.visibleAt > ms:
			later = earliest(later, time.UnixMilli(it.visibleAt))
		case part.owns(it.name):
			own = append(own, cd)
		default:
			seen, ok := c.waiting[id]
			if !ok {
				seen = now
			}
			c.nextWaiting[id] = seen
			age := now.Sub(seen)
			if age < helpAfter {
				later = earliest(later, seen.Add(helpAfter))
				continue
			}
			foreign = append(foreign, cd)
			if age >= helpLate {
				late = append(late, cd)
			}
		}
	}
	if len(own) > 0 {
		// Help others only from a listing made after our share ran out
		// (their consumer may be about to take them), unless they have
		// waited long: their consumer is stuck.
		return append(own, late...), later, held
	}
	slices.Reverse(foreign)
	return foreign, later, held
}

// helpAfter is how long a message in another consumer's share must wait
// unclaimed (as seen by this consumer's listings) before this consumer
// takes it when it has none of its own; helpLate, when it has.
const (
	helpAfter = 100 * time.Millisecond
	helpLate  = time.Second
)

// partition splits new messages among the live consumers (the children of
// consumers/) by a hash of their names, so that consumers listing the same
// bucket do not all try to claim the same messages.
type partition struct {
	n, self int
}

func (p partition) owns(name string) bool {
	if p.n <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32()%uint32(p.n)) == p.self
}

// partitionOf finds this session among the consumers.
func partitionOf(consumers []string, self string) partition {
	sorted := slices.Clone(consumers)
	slices.Sort(sorted)
	i, ok := slices.BinarySearch(sorted, self)
	if !ok {
		return partition{n: 1}
	}
	return partition{n: len(sorted), self: i}
}

// lanes groups buckets by priority, highest first, each lane oldest first.
func lanes(names []string) [][]bucketRef {
	by := map[int][]bucketRef{}
	for _, n := range names {
		if b, ok := parseBucket(n); ok {
			by[b.prio] = append(by[b.prio], b)
		}
	}
	prios := make([]int, 0, len(by))
	for p := range by {
		prios = append(prios, p)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(prios)))
	out := make([][]bucketRef, len(prios))
	for i, p := range prios {
		out[i] = by[p]
		slices.SortFunc(out[i], func(a, b bucketRef) int { return int(a.num - b.num) })
	}
	return out
}

// dropBucket deletes a sealed bucket that is empty. A sealed bucket takes
// no more puts, so it stays empty; the version check keeps the newest
// (open, version 0) bucket of a lane from ever being deleted.
func (q *Queue) dropBucket(ctx context.Context, b bucketRef, version int32) {
	if err := q.c.Delete(ctx, q.l.bucket(b), version); err != nil && !errors.Is(err, zk.ErrNoNode) {
		q.c.Logger().Debug("queue: drop empty bucket", "bucket", b.name(), "err", err)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
