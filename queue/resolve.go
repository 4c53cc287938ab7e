package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// resolveLost settles a put whose session ended while its outcome was
// open: the receipt, if the server has not yet removed it with the
// session, or the messages, if any is still there, say it applied;
// otherwise nobody can tell.
func (q *Queue) resolveLost(ctx context.Context, p *putReq, d *doubt) ([]msgID, error) {
	s, err := q.c.WaitSession(ctx)
	if err == nil {
		err = catchUp(ctx, s, p.receipt)
	}
	var ok bool
	if err == nil {
		ok, _, err = s.Exists(ctx, p.receipt)
	}
	var found []itemAt
	if err == nil {
		found, err = q.lookPut(ctx, s, d.tried, p.nonce)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w (after %w)", zkrecipes.ErrUncertain, err, d.err)
	case ok || len(found) > 0:
		return positions(d.tried, found, p), nil
	default:
		return nil, fmt.Errorf("%w: the session ended with the put in doubt, and its messages are not in the queue (never stored, or consumed already) (after %w)", zkrecipes.ErrUncertain, d.err)
	}
}

// idsOf returns the ids of a put that applied in an earlier attempt.
func (q *Queue) idsOf(ctx context.Context, s *zkrecipes.Session, p *putReq, tried []bucketRef) ([]msgID, error) {
	found, err := q.lookPut(ctx, s, tried, p.nonce)
	if err != nil {
		return nil, fmt.Errorf("%w: stored, but its ids could not be read: %w", zkrecipes.ErrUncertain, err)
	}
	return positions(tried, found, p), nil
}

// itemAt is a stored message of a put.
type itemAt struct {
	b  bucketRef
	it itemInfo
}

// lookPut finds the messages with nonce in buckets, after a sync: the
// server we read from must have applied the put if it applied.
func (q *Queue) lookPut(ctx context.Context, s *zkrecipes.Session, buckets []bucketRef, nonce uint64) ([]itemAt, error) {
	prefix := noncePrefix(nonce)
	var found []itemAt
	for _, b := range buckets {
		if err := catchUp(ctx, s, q.l.bucket(b)); err != nil {
			return nil, err
		}
		names, _, err := s.Children(ctx, q.l.bucket(b))
		if errors.Is(err, zk.ErrNoNode) {
			continue // drained and deleted: whatever it held is consumed
		}
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				if it, ok := parseItem(n); ok {
					found = append(found, itemAt{b, it})
				}
			}
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].it.seq < found[j].it.seq })
	return found, nil
}

// positions returns the ids of a stored put's items from those still in
// the queue: each found message is matched to the first unmatched item
// whose name it bears. An item consumed before we looked gets an id with
// sequence 0, which names no message (Remove finds nothing: it is gone).
func positions(tried []bucketRef, found []itemAt, p *putReq) []msgID {
	b := tried[len(tried)-1]
	if len(found) > 0 {
		b = found[0].b
	}
	ids := make([]msgID, len(p.items))
	j := 0
	for i, it := range p.items {
		base := itemBase(p.nonce, it.visibleAt, it.data, it.inline)
		if j < len(found) && strings.HasPrefix(found[j].it.name, base) && len(found[j].it.name) == len(base)+zkpath.SeqLen {
			ids[i] = msgID{found[j].b, found[j].it.name}
			j++
			continue
		}
		ids[i] = msgID{b, base + strings.Repeat("0", zkpath.SeqLen)}
	}
	return ids
}
