package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// producer caches, per priority lane, the newest bucket it knows.
type producer struct {
	mu     sync.Mutex
	newest map[int]int64
}

// seal closes bucket b and opens its successor in one transaction, so that
// a successor exists exactly when its predecessor is sealed. Failures are
// left to the next put, which sees the high sequence number again.
func (q *Queue) seal(ctx context.Context, b bucketRef) {
	nb := b.next()
	_, err := q.c.Multi(ctx,
		&zk.SetDataRequest{Path: q.l.bucket(b), Data: sealed, Version: 0},
		&zk.CreateRequest{Path: q.l.bucket(nb), Acl: q.o.acl})
	switch {
	case err == nil, errors.Is(err, zk.ErrBadVersion): // sealed by us, or by another producer
		q.learnNewest(b.prio, nb)
	case ambiguous(err):
		if ok, _, err := q.c.Exists(ctx, q.l.bucket(nb)); err == nil && ok {
			q.learnNewest(b.prio, nb)
		}
	default:
		q.c.Logger().Debug("queue: seal bucket", "bucket", b.name(), "err", err)
	}
}

// learnNewest records that b exists or existed and returns the newest
// bucket now known for its lane.
func (q *Queue) learnNewest(prio int, b bucketRef) bucketRef {
	q.prod.mu.Lock()
	defer q.prod.mu.Unlock()
	if n, ok := q.prod.newest[prio]; !ok || n < b.num {
		q.prod.newest[prio] = b.num
	}
	return bucketRef{prio, q.prod.newest[prio]}
}

func (q *Queue) newestBucket(ctx context.Context, prio int) (bucketRef, error) {
	q.prod.mu.Lock()
	n, ok := q.prod.newest[prio]
	q.prod.mu.Unlock()
	if ok {
		return bucketRef{prio, n}, nil
	}
	return q.relistNewest(ctx, prio)
}

// relistNewest finds the newest bucket of lane prio by listing the items
// directory, creating the lane's first bucket if it has none. The newest
// bucket is never deleted, so a lane never loses its position.
func (q *Queue) relistNewest(ctx context.Context, prio int) (bucketRef, error) {
	for {
		all, err := q.buckets(ctx)
		if err != nil {
			return bucketRef{}, err
		}
		best := bucketRef{prio, -1}
		for _, b := range all {
			if b.prio == prio && b.num > best.num {
				best = b
			}
		}
		if best.num >= 0 {
			q.prod.mu.Lock()
			q.prod.newest[prio] = best.num // may move back: the cache was ahead of reality
			q.prod.mu.Unlock()
			return best, nil
		}
		_, err = q.c.Create(ctx, q.l.bucket(bucketRef{prio, 0}), nil, zkrecipes.Persistent, zkrecipes.WithNodeACL(q.o.acl))
		if errors.Is(err, zk.ErrNoNode) { // the queue itself was deleted: recreate it
			q.ensured.Store(false)
			err = q.ensure(ctx)
		}
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return bucketRef{}, fmt.Errorf("queue: create first bucket: %w", err)
		}
	}
}
