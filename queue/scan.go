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
	c.mu.Lock()
	if c.unskip {
		clear(c.skip)
		c.unskip = false
	}
	for _, ch := range c.releases {
		if closed(ch) { // a claim was released or a consumer left: look at every bucket again
			clear(c.skip)
			break
		}
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
	c.mu.Unlock()

	names, _, itemsCh, err := q.w.children(ctx, q.l.items)
	if err == nil && fresh {
		names, _, err = q.c.Children(ctx, q.l.items)
	}
	if err != nil {
		return c.listErr(q.l.items, err)
	}
	consumers, _, consCh, err := q.w.children(ctx, q.l.consumers)
	if err != nil {
		return c.listErr(q.l.consumers, err)
	}
	sigCh, err := q.w.node(ctx, q.l.signal)
	if err != nil {
		return c.listErr(q.l.signal, err)
	}
	claimList, _, err := q.c.Children(ctx, q.l.claims)
	if err != nil {
		return c.listErr(q.l.claims, err)
	}
	claimed := make(map[string]bool, len(claimList))
	for _, n := range claimList {
		claimed[n] = true
	}

	part := partition{n: 1}
	if s := q.registered(); s != nil {
		part = partitionOf(consumers, zkpath.Base(q.l.consumer(s.ID())))
	}
	c.nextWaiting = map[msgID]time.Time{}
	defer func() { c.waiting, c.nextWaiting = c.nextWaiting, nil }()

	base := []<-chan struct{}{itemsCh, consCh, sigCh}
	var newest []<-chan struct{} // child watches on the newest bucket of each lane scanned
	var until time.Time
	now := time.Now()
	for _, lane := range lanes(names) {
		for i, b := range lane {
			if t, ok := c.skip[b]; ok && (t.IsZero() || now.Before(t)) {
				until = earliest(until, t)
				continue
			}
			delete(c.skip, b)
			isNewest := i == len(lane)-1
			items, st, ch, err := c.list(ctx, b, isNewest)
			if errors.Is(err, zk.ErrNoNode) {
				continue // deleted since the listing of the items directory
			}
			if err != nil {
				return c.listErr(q.l.bucket(b), err)
			}
			cands, later, held := c.pick(b, items, claimed, busy, part, now)
			until = earliest(until, later)
			if len(cands) > 0 {
				c.install(cands, true, append(base, newest...), nil, until, base[1:])
				return nil
			}
			switch {
			case isNewest:
				newest = append(newest, ch)
			case len(items) == 0 && st.Version > 0:
				q.dropBucket(ctx, b, st.Version)
			case !held:
				c.skip[b] = later // only claimed or delayed messages: no need to list it again
			}
		}
	}
	c.install(nil, false, base, append(base, newest...), until, base[1:])
	return nil
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

// install publishes a refresh's result. releases are the consumers and
// signal watches: the next refresh forgets c.skip if either fired.
func (c *cursor) install(cands []cand, found bool, stale, wake []<-chan struct{}, until time.Time, releases []<-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cands, c.pos, c.found = cands, 0, found
	c.stale, c.wake, c.until = stale, wake, until
	c.releases = releases
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
