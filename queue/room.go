package queue

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/go-zookeeper/zk"
)

// waitRoom returns once a bounded queue has room for n more messages, or
// ErrFull at once if try is set. It counts with one stat per bucket; while
// the queue is full it waits on child watches of every bucket and of the
// items directory (an acknowledgement anywhere makes room), never polling.
func (q *Queue) waitRoom(ctx context.Context, n int, try bool) error {
	if n > q.o.maxItems {
		return fmt.Errorf("%w: batch of %d exceeds the queue's bound of %d", ErrTooLarge, n, q.o.maxItems)
	}
	for {
		count, err := q.Len(ctx)
		if err != nil {
			return err
		}
		if count+n <= q.o.maxItems {
			return nil
		}
		if try {
			return fmt.Errorf("%w: %s holds %d of %d", ErrFull, q.path, count, q.o.maxItems)
		}
		chans, count, err := q.watchCount(ctx)
		if err != nil {
			return err
		}
		if count+n <= q.o.maxItems {
			return nil
		}
		if err := waitAny(ctx, chans); err != nil {
			return err
		}
	}
}

// watchCount counts the messages from watched listings and returns the
// watches' channels.
func (q *Queue) watchCount(ctx context.Context) ([]<-chan struct{}, int, error) {
	names, _, ch, err := q.w.children(ctx, q.l.items)
	if err != nil {
		return nil, 0, fmt.Errorf("queue: watch %s: %w", q.l.items, err)
	}
	chans := []<-chan struct{}{ch}
	count := 0
	for _, name := range names {
		b, ok := parseBucket(name)
		if !ok {
			continue
		}
		items, _, bch, err := q.w.children(ctx, q.l.bucket(b))
		if errors.Is(err, zk.ErrNoNode) {
			continue // deleted since the listing; the items watch has fired
		}
		if err != nil {
			return nil, 0, fmt.Errorf("queue: watch %s: %w", b.name(), err)
		}
		count += len(items)
		chans = append(chans, bch)
	}
	return chans, count, nil
}

// waitAny blocks until one of chans is closed or ctx is done.
func waitAny(ctx context.Context, chans []<-chan struct{}) error {
	cases := make([]reflect.SelectCase, 0, len(chans)+1)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	for _, ch := range chans {
		if ch != nil {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
		}
	}
	if i, _, _ := reflect.Select(cases); i == 0 {
		return ctx.Err()
	}
	return nil
}
