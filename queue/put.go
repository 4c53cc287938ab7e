package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe"
)

// maxRequest is ZooKeeper's default limit on one request (jute.maxbuffer,
// 0xfffff bytes), less a margin for what the estimate leaves out.
const maxRequest = 0xfffff - 512

type putItem struct {
	data      []byte
	visibleAt time.Time // zero: visible at once
	inline    bool      // data goes in the node's name (set by write)
}

// Put adds data to the queue at DefaultPriority and returns the message's
// id once it is durably stored. On a bounded queue (WithMaxItems) it first
// waits for room. Put returns when the message is stored, ctx is done, or
// the write fails. If ctx is done while the write is in flight, Put
// returns ctx's error and removes the message as soon as the write's
// outcome is known (a consumer may already have received it in that
// window). A reply lost to a connection loss is recognised: the message is
// stored once, never twice.
func (q *Queue) Put(ctx context.Context, data []byte) (string, error) {
	return q.putOne(ctx, DefaultPriority, putItem{data: data}, false)
}

// PutPriority is Put with a priority in MinPriority..MaxPriority: consumers
// take messages of a higher priority first; within a priority, in put order.
func (q *Queue) PutPriority(ctx context.Context, data []byte, priority int) (string, error) {
	return q.putOne(ctx, priority, putItem{data: data}, false)
}

// PutAt is Put for a message that consumers do not see before t (a zero or
// past t: at once). Visibility is judged by each consumer's wall clock
// against t as the producer gave it, so clock skew between hosts shifts
// delivery by the skew; delays much shorter than the skew are not
// meaningful.
func (q *Queue) PutAt(ctx context.Context, data []byte, t time.Time) (string, error) {
	return q.putOne(ctx, DefaultPriority, putItem{data: data, visibleAt: t}, false)
}

// TryPut is Put that returns ErrFull instead of waiting for room on a
// bounded queue.
func (q *Queue) TryPut(ctx context.Context, data []byte) (string, error) {
	return q.putOne(ctx, DefaultPriority, putItem{data: data}, true)
}

// PutBatch adds up to MaxBatch messages in one transaction: either all are
// stored, consecutively and in order, or none (a batch holding one message
// over MaxMessageSize is refused before anything is written). It returns
// their ids in order. Cancellation and lost replies are handled as in Put.
func (q *Queue) PutBatch(ctx context.Context, batch [][]byte) ([]string, error) {
	items := make([]putItem, len(batch))
	for i, d := range batch {
		items[i] = putItem{data: d}
	}
	return q.put(ctx, DefaultPriority, items, false)
}

func (q *Queue) putOne(ctx context.Context, prio int, it putItem, try bool) (string, error) {
	ids, err := q.put(ctx, prio, []putItem{it}, try)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

func (q *Queue) put(ctx context.Context, prio int, items []putItem, try bool) ([]string, error) {
	ob := observe.StartQueue(q.c, q.path)
	ids, err := q.putItems(ctx, prio, items, try)
	ob.Put(len(items), err)
	return ids, err
}

func (q *Queue) putItems(ctx context.Context, prio int, items []putItem, try bool) ([]string, error) {
	if err := q.checkPut(prio, items); err != nil {
		return nil, err
	}
	if err := q.ensure(ctx); err != nil {
		return nil, err
	}
	if q.o.maxItems > 0 {
		if err := q.waitRoom(ctx, len(items), try); err != nil {
			return nil, err
		}
	}
	ids, err := detach(ctx, q.c,
		func(dctx context.Context) ([]msgID, error) { return q.write(dctx, nil, prio, items, nil) },
		func(dctx context.Context, ids []msgID) { q.unput(dctx, ids) })
	if err != nil {
		return nil, fmt.Errorf("queue: put to %s: %w", q.path, err)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, nil
}

// checkPut refuses bad input before any write.
func (q *Queue) checkPut(prio int, items []putItem) error {
	if prio < MinPriority || prio > MaxPriority {
		return fmt.Errorf("%w: %d is outside %d..%d", ErrInvalidPriority, prio, MinPriority, MaxPriority)
	}
	switch {
	case len(items) == 0:
		return fmt.Errorf("queue: %w: empty batch", zkrecipes.ErrInvalidArgument)
	case len(items) > MaxBatch:
		return fmt.Errorf("%w: batch of %d messages exceeds MaxBatch (%d)", ErrTooLarge, len(items), MaxBatch)
	}
	// The whole transaction must fit one request: a check, then per item
	// a create with its path, data and ACL.
	pathLen := len(q.c.Namespace()) + len(q.l.items) + len("/b-000-0000000000/") + len(itemBase(0, time.Now(), nil, true)) + 16
	size := 64 + pathLen
	for i, it := range items {
		if len(it.data) > MaxMessageSize {
			return fmt.Errorf("%w: message %d has %d bytes, more than MaxMessageSize (%d)", ErrTooLarge, i, len(it.data), MaxMessageSize)
		}
		size += 80 + pathLen + len(it.data)
		if q.inlines(it.data) {
			size += inlineEnc.EncodedLen(len(it.data)) - len(it.data)
		}
	}
	if size > maxRequest {
		return fmt.Errorf("%w: batch of %d bytes exceeds ZooKeeper's request limit", ErrTooLarge, size)
	}
	return nil
}

// unput removes what a put abandoned by its caller wrote.
func (q *Queue) unput(ctx context.Context, ids []msgID) {
	for _, id := range ids {
		if err := q.c.Delete(ctx, q.l.item(id), -1); err != nil {
			q.c.Logger().Debug("queue: remove abandoned put", "id", id.String(), "err", err)
		}
	}
}
