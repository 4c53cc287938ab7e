package queue

import (
	"context"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
)

// Every put transaction first creates a receipt: an ephemeral node named
// by the put's nonce, in the producer's session. It makes a put whose reply
// was lost safe to send again while that session lives: if the first
// attempt applied, the receipt exists and the second fails on it
// (NodeExists) without storing anything; if the second applies first, the
// first, should it still arrive, fails the same way. Looking for the
// messages instead cannot tell a put that never applied from one whose
// messages were consumed before we looked (chaos found messages stored
// twice that way). A receipt is deleted once its put's outcome is known,
// by a later put's transaction or, when none comes soon, on its own.

// receipts holds the receipts whose puts are settled, to be deleted.
type receipts struct {
	mu      sync.Mutex
	pending map[string]*zkrecipes.Session // receipt path → the session that owns it
	flush   *time.Timer
}

// receiptFlushDelay is how long a settled receipt waits for a later put to
// delete it in passing before it is deleted on its own.
const receiptFlushDelay = 100 * time.Millisecond

// maxReceiptDeletes bounds the deletions a put carries along.
const maxReceiptDeletes = 32

// settled queues receipt (owned by s) for deletion.
func (q *Queue) settled(receipt string, s *zkrecipes.Session) {
	r := &q.rcpt
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string]*zkrecipes.Session{}
	}
	r.pending[receipt] = s
	if r.flush == nil {
		r.flush = time.AfterFunc(receiptFlushDelay, q.flushReceipts)
	}
}

// takeReceipts hands a put up to maxReceiptDeletes receipts of session s
// to delete in its transaction; it must return them (giveBack) unless the
// transaction applied. Receipts of ended sessions are gone already.
func (q *Queue) takeReceipts(s *zkrecipes.Session) map[string]*zkrecipes.Session {
	r := &q.rcpt
	r.mu.Lock()
	defer r.mu.Unlock()
	var out map[string]*zkrecipes.Session
	for p, ps := range r.pending {
		if ps.Err() != nil {
			delete(r.pending, p)
			continue
		}
		if ps != s {
			continue
		}
		if out == nil {
			out = map[string]*zkrecipes.Session{}
		}
		out[p] = ps
		delete(r.pending, p)
		if len(out) == maxReceiptDeletes {
			break
		}
	}
	return out
}

// giveBack returns receipts a transaction did not delete.
func (q *Queue) giveBack(taken map[string]*zkrecipes.Session) {
	for p, s := range taken {
		q.settled(p, s)
	}
}

// flushReceipts deletes the pending receipts, on a client-owned goroutine.
func (q *Queue) flushReceipts() {
	r := &q.rcpt
	r.mu.Lock()
	all := r.pending
	r.pending, r.flush = nil, nil
	r.mu.Unlock()
	if len(all) == 0 {
		return
	}
	cleanup.Detached(seam.Spawner(q.c), q.c.SessionTimeout(), func(ctx context.Context) {
		for p, s := range all {
			if err := cleanup.Delete(ctx, s, p); err != nil {
				q.c.Logger().Debug("queue: delete put receipt", "receipt", p, "err", err)
			}
		}
	})
}
