package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// write stores items in the newest open bucket of lane prio in one
// transaction (see putTx), together with extra operations. The transaction
// checks that the bucket is still open (data version 0): a sealed bucket
// takes no more items, so an item is never placed behind one stored later
// in a newer bucket. It starts with the put's receipt (see receipts), so
// after a lost reply it is simply sent again while the session lives: the
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
	p := &putReq{nonce: zkpath.Nonce(), items: items, extra: extra}
	p.receipt = q.l.receipt(p.nonce)
	b, err := q.newestBucket(ctx, prio)
	if err != nil {
		return nil, err
	}
	var d doubt
	defer func() { q.giveBack(d.receipts) }() // unless known deleted (set to nil)
	for hops := 0; ; hops++ {
		if hops > 1000 {
			return nil, fmt.Errorf("queue: no open bucket found in lane %d after %d tries", prio, hops)
		}
		s, err := q.writeSession(ctx, pin)
		if d.open() && (err != nil || s != d.in || ctx.Err() != nil) {
			// The session that may hold the receipt is over (or we stop
			// asking it): only the messages can tell now.
			return q.resolveLost(ctx, p, &d)
		}
		if err != nil {
			return nil, err
		}
		// After a lost reply, carry no receipts: their fate must tell
		// whether that first attempt applied.
		var drop map[string]*zkrecipes.Session
		if !d.open() {
			drop = q.takeReceipts(s)
		}
		tx := q.putTx(b, p, drop)
		res, err := s.Multi(ctx, tx.reqs...)
		if err == nil {
			// No earlier attempt applied (its receipt would have stopped
			// this one): any doubtful receipts are still there, and the
			// deferred giveBack queues them again.
			q.settled(p.receipt, s)
			ids, top := tx.ids(res)
			if top >= int64(q.o.bucketSize)-1 {
				q.seal(ctx, b)
			}
			return ids, nil
		}
		f, gone := tx.classify(res, err)
		// The receipts it was to delete wait for the next transaction, but
		// for one found gone already; after a lost reply, until we know
		// whether it applied.
		if f == txReceiptGone {
			delete(drop, gone)
		}
		if f == txLost && !d.open() {
			d.receipts = drop
		} else {
			q.giveBack(drop)
		}
		switch f {
		case txLost:
			d.add(err, s, b)
			q.c.Logger().Debug("queue: put's reply lost, sending it again", "queue", q.path, "nonce", fmt.Sprintf("%016x", p.nonce), "bucket", b.name(), "err", err)
		case txApplied:
			if d.n == 1 {
				d.receipts = nil // the one lost attempt applied: it deleted them
			} // else which one did is unknown: a later delete meets NoNode and forgets them
			q.settled(p.receipt, s)
			d.try(b)
			return q.idsOf(ctx, s, p, d.tried)
		case txNoQueue:
			q.ensured.Store(false)
			if err := q.ensure(ctx); err != nil {
				return nil, err
			}
		case txSealed:
			b = q.learnNewest(prio, b.next())
		case txBucketGone:
			if b, err = q.relistNewest(ctx, prio); err != nil {
				return nil, err
			}
		case txReceiptGone: // send again without it
		default:
			if d.open() {
				return q.resolveLost(ctx, p, &d)
			}
			return nil, err
		}
	}
}

// putReq is one put, the same in every attempt.
type putReq struct {
	nonce   uint64 // in the receipt's and every message's name
	receipt string
	items   []putItem
	extra   []any
}

// doubt is what a put knows of its attempts whose reply was lost.
type doubt struct {
	n     int                // how many
	err   error              // the last one's error
	in    *zkrecipes.Session // the session they were sent in
	tried []bucketRef        // their buckets: where the put may have applied
	// The receipts the first one was to delete: gone if and only if it
	// applied. Later attempts carry none, so that an answer tells what
	// became of them.
	receipts map[string]*zkrecipes.Session
}

// open reports whether an attempt may have applied unseen.
func (d *doubt) open() bool { return d.n > 0 }

func (d *doubt) add(err error, s *zkrecipes.Session, b bucketRef) {
	d.n++
	d.err, d.in = err, s
	d.try(b)
}

func (d *doubt) try(b bucketRef) {
	if !slices.Contains(d.tried, b) {
		d.tried = append(d.tried, b)
	}
}

// putTx is one attempt's transaction. Its operations, in order:
//
//	opReceipt  create the put's receipt: fails if an earlier attempt applied
//	opOpen     check that the bucket is still open (data version 0)
//	opItems…   create each message (sequential)
//	extra…     the caller's operations (a dead-letter move's deletes)
//	drops…     delete receipts of settled puts, in passing
type putTx struct {
	reqs  []any
	b     bucketRef
	items int      // how many opItems
	drops []string // the receipts deleted by the last len(drops) operations
}

const (
	opReceipt = 0
	opOpen    = 1
	opItems   = 2
)

func (q *Queue) putTx(b bucketRef, p *putReq, drop map[string]*zkrecipes.Session) *putTx {
	bucket := q.l.bucket(b)
	tx := &putTx{b: b, items: len(p.items), reqs: make([]any, 0, opItems+len(p.items)+len(p.extra)+len(drop))}
	tx.reqs = append(tx.reqs,
		&zk.CreateRequest{Path: p.receipt, Flags: zk.FlagEphemeral, Acl: q.o.acl},
		&zk.CheckVersionRequest{Path: bucket, Version: 0})
	for _, it := range p.items {
		var data []byte
		if !it.inline {
			data = it.data
		}
		tx.reqs = append(tx.reqs, &zk.CreateRequest{Path: bucket + "/" + itemBase(p.nonce, it.visibleAt, it.data, it.inline), Data: data, Flags: zk.FlagSequence, Acl: q.o.acl})
	}
	tx.reqs = append(tx.reqs, p.extra...)
	for r := range drop {
		tx.reqs = append(tx.reqs, &zk.DeleteRequest{Path: r, Version: -1})
		tx.drops = append(tx.drops, r)
	}
	return tx
}

// ids returns the ids of the messages an applied transaction stored, and
// the highest sequence number among them (the bucket's fill).
func (tx *putTx) ids(res []zk.MultiResponse) ([]msgID, int64) {
	ids := make([]msgID, tx.items)
	var top int64
	for i := range ids {
		ids[i] = msgID{tx.b, zkpath.Base(res[opItems+i].String)}
		if it, ok := parseItem(ids[i].item); ok && it.seq > top {
			top = it.seq
		}
	}
	return ids, top
}

// txFailure is what a failed put transaction tells.
type txFailure int

const (
	txFailed      txFailure = iota // the put failed: err says why
	txLost                         // no answer: it may have applied
	txApplied                      // the receipt exists: an earlier attempt applied
	txNoQueue                      // no receipts directory: the queue was deleted, or made by an older version
	txSealed                       // the bucket is sealed: its successor exists or existed
	txBucketGone                   // the bucket was drained and deleted after sealing
	txReceiptGone                  // a receipt to delete was gone already (returned)
)

// classify names a transaction's failure by the operation that caused it.
func (tx *putTx) classify(res []zk.MultiResponse, err error) (txFailure, string) {
	if ambiguous(err) {
		return txLost, ""
	}
	i := failedOp(res)
	firstDrop := len(tx.reqs) - len(tx.drops)
	switch {
	case i == opReceipt && errors.Is(err, zk.ErrNodeExists):
		return txApplied, ""
	case i == opReceipt && errors.Is(err, zk.ErrNoNode):
		return txNoQueue, ""
	case i == opOpen && errors.Is(err, zk.ErrBadVersion):
		return txSealed, ""
	case i == opOpen && errors.Is(err, zk.ErrNoNode):
		return txBucketGone, ""
	case i >= firstDrop && errors.Is(err, zk.ErrNoNode):
		return txReceiptGone, tx.drops[i-firstDrop]
	}
	return txFailed, ""
}

// writeSession returns pin, or the client's current session if pin is nil.
func (q *Queue) writeSession(ctx context.Context, pin *zkrecipes.Session) (*zkrecipes.Session, error) {
	if pin != nil {
		return pin, pin.Err()
	}
	return q.c.WaitSession(ctx)
}
