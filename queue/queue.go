package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Priorities of PutPriority: higher is delivered first. Put, PutAt and
// PutBatch use DefaultPriority.
const (
	MinPriority     = 0
	MaxPriority     = 255
	DefaultPriority = 0
)

// MaxMessageSize is the largest message, in bytes: ZooKeeper's default
// limit on a node's data (jute.maxbuffer, 1 MB, less room for the request
// around it). Messages carry no header, so all of it is payload.
const MaxMessageSize = zkrecipes.MaxDataSize

// MaxBatch is the most messages one PutBatch accepts.
const MaxBatch = 1000

// Queue is a work queue at one path. Producers and consumers in any number
// of processes share a queue by using the same path; within a process one
// Queue value may be used by any number of goroutines at once (they share
// its listing cache and watches).
type Queue struct {
	c    *zkrecipes.Client
	path string
	l    layout
	o    options

	ensured atomic.Bool
	w       *watches
	prod    producer
	rcpt    receipts
	cur     *cursor
	reg     registration
	claims  batcher[claimOp]
	acks    batcher[ackOp]

	dlqOnce sync.Once
	dlq     *Queue
}

// New returns the queue at path. It does no I/O: the queue's nodes are
// created by the first operation. An invalid path (or "/") is an error
// wrapping zkrecipes.ErrInvalidPath, an invalid option one wrapping
// zkrecipes.ErrInvalidArgument; a nil c panics (a programmer error, see
// the package doc, "Bad input").
func New(c *zkrecipes.Client, path string, opts ...Option) (*Queue, error) {
	o := defaultOptions()
	if err := misuse.Construct("queue", "New", c, path, &o, &o.Errs, opts); err != nil {
		return nil, err
	}
	if path == "/" {
		return nil, fmt.Errorf("queue: New: %w: %q: a queue cannot be the root", zkrecipes.ErrInvalidPath, path)
	}
	if o.deadLetter == "" {
		o.deadLetter = zkpath.Join(path, deadDir)
	} else if o.deadLetter == path || o.deadLetter == "/" {
		return nil, fmt.Errorf("queue: New: WithDeadLetterPath(%q): not the queue itself nor the root: %w", o.deadLetter, zkrecipes.ErrInvalidArgument)
	}
	return newQueue(c, path, o), nil
}

func newQueue(c *zkrecipes.Client, path string, o options) *Queue {
	q := &Queue{c: c, path: path, l: newLayout(path), o: o, w: newWatches(c)}
	q.prod.newest = map[int]int64{}
	q.cur = newCursor(q)
	return q
}

// Path returns the queue's path, relative to the namespace.
func (q *Queue) Path() string { return q.path }

// DeadLetterQueue returns the queue that receives dead-lettered messages
// (see WithMaxDeliveries), with the same bucket size, WithInline and
// WithACL settings as q.
func (q *Queue) DeadLetterQueue() *Queue {
	q.dlqOnce.Do(func() {
		o := defaultOptions()
		o.bucketSize, o.inline, o.acl = q.o.bucketSize, q.o.inline, q.o.acl
		o.deadLetter = zkpath.Join(q.o.deadLetter, deadDir)
		q.dlq = newQueue(q.c, q.o.deadLetter, o)
	})
	return q.dlq
}

// ensure creates the queue's fixed nodes once per Queue value. They are
// persistent: a queue is durable, and its containers' parents are left to
// ZooKeeper's reaper only above the queue path.
func (q *Queue) ensure(ctx context.Context) error {
	if q.ensured.Load() {
		return nil
	}
	// The receipts directory is made last (and was added after the
	// others): once it exists, so does everything else.
	if ok, _, err := q.c.Exists(ctx, q.l.receipts); err == nil && ok {
		q.ensured.Store(true)
		return nil
	}
	for _, p := range []string{q.l.root, q.l.items, q.l.claims, q.l.consumers, q.l.signal, q.l.receipts} {
		_, err := q.c.Create(ctx, p, nil, zkrecipes.Persistent, zkrecipes.WithParents(), zkrecipes.WithNodeACL(q.o.acl))
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("queue: create %s: %w", p, err)
		}
	}
	q.ensured.Store(true)
	return nil
}

// Len returns the number of messages in the queue: waiting, delayed, and
// held by consumers but not yet acknowledged. It reads one stat per bucket.
func (q *Queue) Len(ctx context.Context) (int, error) {
	buckets, err := q.buckets(ctx)
	if err != nil {
		return 0, err
	}
	counts := make([]int, len(buckets))
	errs := make([]error, len(buckets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // pipelined on the one connection
	for i, b := range buckets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok, st, err := q.c.Exists(ctx, q.l.bucket(b))
			if err == nil && ok {
				counts[i] = int(st.NumChildren)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	n := 0
	for i := range buckets {
		if errs[i] != nil {
			return 0, fmt.Errorf("queue: len %s: %w", q.path, errs[i])
		}
		n += counts[i]
	}
	return n, nil
}

// buckets lists every bucket of every lane (unsorted).
func (q *Queue) buckets(ctx context.Context) ([]bucketRef, error) {
	names, _, err := q.c.Children(ctx, q.l.items)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: list %s: %w", q.l.items, err)
	}
	out := make([]bucketRef, 0, len(names))
	for _, n := range names {
		if b, ok := parseBucket(n); ok {
			out = append(out, b)
		}
	}
	return out, nil
}

// Remove deletes the message with the given id (as returned by Put or
// Message.ID), also if a consumer holds it: that consumer's Ack then
// succeeds and its Nack fails with ErrClaimLost. It returns ErrNotFound if
// the message is not in the queue (already acknowledged or removed).
// Curator's DistributedIdQueue.remove.
func (q *Queue) Remove(ctx context.Context, id string) error {
	m, err := parseID(id)
	if err != nil {
		return err
	}
	err = q.c.Delete(ctx, q.l.item(m), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("queue: remove %s: %w", id, err)
	}
	// A claim left by a holder is harmless (its item is gone) and dies with
	// its session; remove it now so the claims list stays short.
	if err := q.c.Delete(ctx, q.l.claim(m), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		q.c.Logger().Debug("queue: remove claim", "id", id, "err", err)
	}
	return nil
}
