package queue

import (
	"sync"

	"github.com/zkrecipes/zkrecipes"
)

// batcher merges operations that goroutines of one Queue start at about
// the same time into one transaction (group commit): the first caller
// sends its operation alone; callers that arrive while a transaction is in
// flight queue up, and the first of them sends everything queued as the
// next transaction. A lone caller waits for nothing; under load a
// ZooKeeper transaction carries many messages, which is what makes
// consumers fast (a server handles a transaction of 16 claims at about the
// cost of one).
type batcher[T any] struct {
	mu      sync.Mutex
	pending []*op[T]
	running bool
}

// op is one caller's operation and, once sent, its outcome.
type op[T any] struct {
	v    T
	err  error
	done chan struct{} // closed when err is set
	lead chan struct{} // closed when this caller must send the next batch
}

// maxBatchOps bounds the operations merged into one transaction, far below
// ZooKeeper's request size limit for the small operations batched here.
const maxBatchOps = 128

// do runs v through send, batched with others, and returns its outcome:
// v as send left it, and the error send set (nil: success). do closes the
// ops' done channels. do waits for the batch even if the caller's context
// ends: an operation, once queued, is sent, and its outcome must be known.
func (b *batcher[T]) do(v T, send func([]*op[T])) (T, error) {
	o := &op[T]{v: v, done: make(chan struct{}), lead: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, o)
	if b.running {
		b.mu.Unlock()
		select {
		case <-o.done:
			return o.v, o.err
		case <-o.lead:
		}
		b.mu.Lock()
	}
	b.running = true
	n := min(len(b.pending), maxBatchOps)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	b.mu.Unlock()

	send(batch)
	for _, x := range batch {
		close(x.done)
	}

	b.mu.Lock()
	if len(b.pending) > 0 {
		close(b.pending[0].lead)
	} else {
		b.running = false
	}
	b.mu.Unlock()
	<-o.done // o was in this batch, or an earlier one
	return o.v, o.err
}

// bySession sends batch in groups of one session each, in order of first
// appearance: a transaction runs in one session, and claims and acks must
// be sent in the session that owns (or will own) the claims.
func bySession[T any](batch []*op[T], session func(T) *zkrecipes.Session, send func(*zkrecipes.Session, []*op[T])) {
	for len(batch) > 0 {
		s := session(batch[0].v)
		var mine, rest []*op[T]
		for _, o := range batch {
			if session(o.v) == s {
				mine = append(mine, o)
			} else {
				rest = append(rest, o)
			}
		}
		send(s, mine)
		batch = rest
	}
}
