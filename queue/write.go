package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// write stores items in the newest open bucket of lane prio in one
// transaction, together with extra operations. The transaction checks
// that the bucket is still open (data version 0): a sealed bucket takes
// no more items, so an item is never placed behind one stored later in a
// newer bucket. It starts with the put's receipt (see receipts), so after
// a lost reply it is simply sent again while the session lives: the
// receipt lets at most one attempt apply, and tells when one did. If the
// session ends with the outcome open, the receipt is gone with it, and the
// messages' presence decides (they carry the nonce in their names); if
// they are gone too (consumed, or never stored), the outcome is unknown.
//
// A non-nil pin is the session to write in (a dead-letter move must not
// outlive the claim it consumes); otherwise the client's current one.
func (q *Queue) write(ctx context.Context, pin *zkrecipes.Session, prio int, items []putItem, extra []any) ([]msgID, error) {
	for i := range items {
		items[i].inline = q.inlines(items[i].data)
	}
	nonce := zkpath.Nonce()
	receipt := q.l.receipt(nonce)
	b, err := q.newestBucket(ctx, prio)
	if err != nil {
		return nil, err
	}
	var (
		tried  []bucketRef        // buckets of the attempts that may have applied
		lost   error              // the lost reply of such an attempt
		lostIn *zkrecipes.Session // the session it was sent in
		doubts int                // attempts whose reply was lost
		// The receipts the first such attempt was to delete: gone if and
		// only if it applied. Later attempts carry none, so that an
		// answer tells what became of them.
		doubtful map[string]*zkrecipes.Session
	)
	defer func() { q.giveBack(doubtful) }() // unless known deleted (set to nil)
	for hops := 0; ; hops++ {
		if hops > 1000 {
			return nil, fmt.Errorf("queue: no open bucket found in lane %d after %d tries", prio, hops)
		}
		s, err := q.writeSession(ctx, pin)
		switch {
		case lost != nil && (err != nil || s != lostIn || ctx.Err() != nil):
			return q.resolveLost(ctx, receipt, tried, nonce, items, lost)
		case err != nil:
			return nil, err
		}
		var drop map[string]*zkrecipes.Session
		if lost == nil {
			drop = q.takeReceipts(s)
		}
		reqs := make([]any, 0, 2+len(items)+len(extra)+len(drop))
		reqs = append(reqs,
			&zk.CreateRequest{Path: receipt, Flags: zk.FlagEphemeral, Acl: q.o.acl},
			&zk.CheckVersionRequest{Path: q.l.bucket(b), Version: 0})
		for _, it := range items {
			var data []byte
			if !it.inline {
				data = it.data
			}
			reqs = append(reqs, &zk.CreateRequest{Path: q.l.bucket(b) + "/" + itemBase(nonce, it.visibleAt, it.data, it.inline), Data: data, Flags: zk.FlagSequence, Acl: q.o.acl})
		}
		reqs = append(reqs, extra...)
		firstDrop := len(reqs)
		dropped := make([]string, 0, len(drop))
		for p := range drop {
			reqs = append(reqs, &zk.DeleteRequest{Path: p, Version: -1})
			dropped = append(dropped, p)
		}
		res, err := s.Multi(ctx, reqs...)
		if err == nil {
			ids := make([]msgID, len(items))
			var top int64
			for i := range items {
				ids[i] = msgID{b, zkpath.Base(res[2+i].String)}
				if it, ok := parseItem(ids[i].item); ok && it.seq > top {
					top = it.seq
				}
			}
			q.settled(receipt, s)
			// No earlier attempt applied (its receipt would have stopped
			// this one): the doubtful receipts are still there, and the
			// deferred giveBack queues them again.
			if top >= int64(q.o.bucketSize)-1 {
				q.seal(ctx, b)
			}
			return ids, nil
		}
		// Not applied, or not known to be: the receipts it was to delete
		// wait for the next transaction, but for one found gone already;
		// after a lost reply, until we know whether it applied.
		i := failedOp(res)
		if i >= firstDrop && errors.Is(err, zk.ErrNoNode) {
			delete(drop, dropped[i-firstDrop])
		}
		if ambiguous(err) && doubts == 0 {
			doubtful = drop
		} else {
			q.giveBack(drop)
		}
		switch {
		case ambiguous(err):
			doubts++
			if !slices.Contains(tried, b) {
				tried = append(tried, b)
			}
			lost, lostIn = err, s
			q.c.Logger().Debug("queue: put's reply lost, sending it again", "queue", q.path, "nonce", fmt.Sprintf("%016x", nonce), "bucket", b.name(), "err", err)
		case i == 0 && errors.Is(err, zk.ErrNodeExists): // an earlier attempt applied
			if doubts == 1 {
				doubtful = nil // it was the one that deleted them
			} // else which one is unknown: a later delete meets NoNode and forgets them
			q.settled(receipt, s)
			if !slices.Contains(tried, b) {
				tried = append(tried, b)
			}
			return q.idsOf(ctx, s, tried, nonce, items)
		case i == 0 && errors.Is(err, zk.ErrNoNode): // no receipts directory: the queue was deleted, or made by an older version
			q.ensured.Store(false)
			if err := q.ensure(ctx); err != nil {
				return nil, err
			}
		case i == 1 && errors.Is(err, zk.ErrBadVersion): // sealed: its successor exists or existed
			b = q.learnNewest(prio, b.next())
		case i == 1 && errors.Is(err, zk.ErrNoNode): // drained and deleted after sealing
			if b, err = q.relistNewest(ctx, prio); err != nil {
				return nil, err
			}
		case i >= firstDrop && errors.Is(err, zk.ErrNoNode): // a receipt to delete was gone: send again without it
		default:
			if lost != nil {
				return q.resolveLost(ctx, receipt, tried, nonce, items, lost)
			}
			return nil, err
		}
	}
}

// writeSession returns pin, or the client's current session if pin is nil.
func (q *Queue) writeSession(ctx context.Context, pin *zkrecipes.Session) (*zkrecipes.Session, error) {
	if pin != nil {
		return pin, pin.Err()
	}
	return q.c.WaitSession(ctx)
}

// resolveLost settles a put whose session ended while its outcome was
// open: the receipt, if the server has not yet removed it with the
// session, or the messages, if any is still there, say it applied;
// otherwise nobody can tell.
func (q *Queue) resolveLost(ctx context.Context, receipt string, tried []bucketRef, nonce uint64, items []putItem, lost error) ([]msgID, error) {
	s, err := q.c.WaitSession(ctx)
	if err == nil {
		err = catchUp(ctx, s, receipt)
	}
	var ok bool
	if err == nil {
		ok, _, err = s.Exists(ctx, receipt)
	}
	var found []itemAt
	if err == nil {
		found, err = q.lookPut(ctx, s, tried, nonce)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w (after %w)", zkrecipes.ErrUncertain, err, lost)
	case ok || len(found) > 0:
		return positions(tried, found, nonce, items), nil
	default:
		return nil, fmt.Errorf("%w: the session ended with the put in doubt, and its messages are not in the queue (never stored, or consumed already) (after %w)", zkrecipes.ErrUncertain, lost)
	}
}

// idsOf returns the ids of a put that applied in an earlier attempt.
func (q *Queue) idsOf(ctx context.Context, s *zkrecipes.Session, tried []bucketRef, nonce uint64, items []putItem) ([]msgID, error) {
	found, err := q.lookPut(ctx, s, tried, nonce)
	if err != nil {
		return nil, fmt.Errorf("%w: stored, but its ids could not be read: %w", zkrecipes.ErrUncertain, err)
	}
	return positions(tried, found, nonce, items), nil
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
func positions(tried []bucketRef, found []itemAt, nonce uint64, items []putItem) []msgID {
	b := tried[len(tried)-1]
	if len(found) > 0 {
		b = found[0].b
	}
	ids := make([]msgID, len(items))
	j := 0
	for i, it := range items {
		base := itemBase(nonce, it.visibleAt, it.data, it.inline)
		if j < len(found) && strings.HasPrefix(found[j].it.name, base) && len(found[j].it.name) == len(base)+zkpath.SeqLen {
			ids[i] = msgID{found[j].b, found[j].it.name}
			j++
			continue
		}
		ids[i] = msgID{b, base + strings.Repeat("0", zkpath.SeqLen)}
	}
	return ids
}
