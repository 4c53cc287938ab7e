package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// producer caches, per priority lane, the newest bucket it knows.
type producer struct {
	mu     sync.Mutex
	newest map[int]int64
}

// multier is a *zkrecipes.Client (any session) or a *zkrecipes.Session
// (pinned: a dead-letter move must not outlive the claim it consumes).
type multier interface {
	Multi(ctx context.Context, reqs ...any) ([]zk.MultiResponse, error)
}

// write stores items in the newest open bucket of lane prio in one
// transaction, together with extra operations. The transaction checks
// that the bucket is still open (data version 0): a sealed bucket takes
// no more items, so an item is never placed behind one stored later in a
// newer bucket. All items share one nonce in their names, which finds the
// transaction again after a lost reply: it applied iff an item carrying
// the nonce exists.
func (q *Queue) write(ctx context.Context, m multier, pinned bool, prio int, items []putItem, extra []any) ([]msgID, error) {
	nonce := zkpath.Nonce()
	b, err := q.newestBucket(ctx, prio)
	if err != nil {
		return nil, err
	}
	for hops := 0; ; hops++ {
		if hops > 1000 {
			return nil, fmt.Errorf("queue: no open bucket found in lane %d after %d tries", prio, hops)
		}
		bp := q.l.bucket(b)
		reqs := make([]any, 0, 1+len(items)+len(extra))
		reqs = append(reqs, &zk.CheckVersionRequest{Path: bp, Version: 0})
		for _, it := range items {
			var data []byte
			if !isInline(it.data) {
				data = it.data
			}
			reqs = append(reqs, &zk.CreateRequest{Path: bp + "/" + itemBase(nonce, it.visibleAt, it.data), Data: data, Flags: zk.FlagSequence})
		}
		reqs = append(reqs, extra...)
		res, err := m.Multi(ctx, reqs...)
		if err == nil {
			ids := make([]msgID, len(items))
			var top int64
			for i := range items {
				ids[i] = msgID{b, zkpath.Base(res[1+i].String)}
				if it, ok := parseItem(ids[i].item); ok && it.seq > top {
					top = it.seq
				}
			}
			if top >= int64(q.o.bucketSize)-1 {
				q.seal(ctx, b)
			}
			return ids, nil
		}
		if ambiguous(err) {
			ids, ferr := q.findPut(ctx, b, nonce)
			switch {
			case ferr != nil:
				return nil, fmt.Errorf("%w: %w (after %w)", ErrOutcomeUnknown, ferr, err)
			case ids != nil:
				return ids, nil
			case pinned && errors.Is(err, zkrecipes.ErrSessionLost):
				return nil, err
			}
			continue // not applied: try again
		}
		switch i := failedOp(res); {
		case i == 0 && errors.Is(err, zk.ErrBadVersion): // sealed: its successor exists or existed
			b = q.learnNewest(prio, b.next())
		case i == 0 && errors.Is(err, zk.ErrNoNode): // drained and deleted after sealing
			if b, err = q.relistNewest(ctx, prio); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
}

// findPut looks for the items of the transaction with nonce in bucket b,
// retrying reads until ctx is done. It returns nil ids if there are none.
func (q *Queue) findPut(ctx context.Context, b bucketRef, nonce uint64) ([]msgID, error) {
	prefix := noncePrefix(nonce)
	for {
		var names []string
		s, err := q.c.WaitSession(ctx)
		if err == nil {
			err = catchUp(ctx, s, q.l.bucket(b))
		}
		if err == nil {
			names, _, err = s.Children(ctx, q.l.bucket(b))
		}
		if errors.Is(err, zk.ErrNoNode) {
			// Only a sealed bucket is deleted, once emptied: our items, if
			// they were stored, have been consumed already.
			return nil, fmt.Errorf("bucket %s is gone", b.name())
		}
		if err == nil {
			var found []itemInfo
			for _, n := range names {
				if len(n) > len(prefix) && n[:len(prefix)] == prefix {
					if it, ok := parseItem(n); ok {
						found = append(found, it)
					}
				}
			}
			if len(found) == 0 {
				return nil, nil
			}
			sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
			ids := make([]msgID, len(found))
			for i, it := range found {
				ids[i] = msgID{b, it.name}
			}
			return ids, nil
		}
		if !transient(err) || !sleep(ctx, 50*time.Millisecond) {
			return nil, err
		}
	}
}

// seal closes bucket b and opens its successor in one transaction, so that
// a successor exists exactly when its predecessor is sealed. Failures are
// left to the next put, which sees the high sequence number again.
func (q *Queue) seal(ctx context.Context, b bucketRef) {
	nb := b.next()
	_, err := q.c.Multi(ctx,
		&zk.SetDataRequest{Path: q.l.bucket(b), Data: sealed, Version: 0},
		&zk.CreateRequest{Path: q.l.bucket(nb)})
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
		_, err = q.c.Create(ctx, q.l.bucket(bucketRef{prio, 0}), nil, zkrecipes.Persistent)
		if errors.Is(err, zk.ErrNoNode) { // the queue itself was deleted: recreate it
			q.ensured.Store(false)
			err = q.ensure(ctx)
		}
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return bucketRef{}, fmt.Errorf("queue: create first bucket: %w", err)
		}
	}
}
