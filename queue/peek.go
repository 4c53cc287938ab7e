package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"
)

// Peeked is a copy of a message as Peek found it. It holds no claim and
// cannot be settled.
type Peeked struct {
	ID         string
	Data       []byte
	Priority   int
	Deliveries int // how many times the message was claimed so far (0: never)
}

// Peek returns the message a sole consumer would be handed next (the
// highest priority, the oldest visible, unclaimed message) without
// claiming it: no delivery is counted, and no consumer is kept from it, so
// it may have been taken by the time Peek returns. It returns ErrEmpty if
// no message could be taken now. Peek only reads and writes nothing.
func (q *Queue) Peek(ctx context.Context) (*Peeked, error) {
	names, _, err := q.c.Children(ctx, q.l.items)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("queue: peek %s: %w", q.path, err)
	}
	claims, _, err := q.c.Children(ctx, q.l.claims)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return nil, fmt.Errorf("queue: peek %s: %w", q.path, err)
	}
	claimed := make(map[string]bool, len(claims))
	for _, n := range claims {
		claimed[n] = true
	}
	for _, lane := range lanes(names) {
		for _, b := range lane {
			p, err := q.peekBucket(ctx, b, claimed)
			if err != nil || p != nil {
				return p, err
			}
		}
	}
	return nil, ErrEmpty
}

// peekBucket returns the first visible, unclaimed message of bucket b, or
// nil if it has none.
func (q *Queue) peekBucket(ctx context.Context, b bucketRef, claimed map[string]bool) (*Peeked, error) {
	names, _, err := q.c.Children(ctx, q.l.bucket(b))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil // dropped since the listing
	}
	if err != nil {
		return nil, fmt.Errorf("queue: peek %s: %w", q.l.bucket(b), err)
	}
	items := make([]itemInfo, 0, len(names))
	for _, n := range names {
		if it, ok := parseItem(n); ok {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].seq < items[j].seq })
	now := time.Now().UnixMilli()
	for _, it := range items {
		id := msgID{b, it.name}
		if claimed[id.claimName()] || it.visibleAt > now {
			continue
		}
		data, st, err := q.c.Get(ctx, q.l.item(id))
		if errors.Is(err, zk.ErrNoNode) {
			continue // acknowledged or removed since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("queue: peek %s: %w", id, err)
		}
		// Claims count as claimOps writes them: a message in its name
		// gets its data rewritten, any other a child created and deleted.
		deliveries := int(st.Cversion / 2)
		if it.inline {
			data, deliveries = it.data, int(st.Version)
		}
		return &Peeked{ID: id.String(), Data: data, Priority: b.prio, Deliveries: deliveries}, nil
	}
	return nil, nil
}
