package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

// The queue workload: two producers (one with Put, one with PutBatch) and
// three consumers (two with Take and Ack or, now and then, Nack; one with
// Consume) on one at-least-once queue; an admin client drains what is left
// at the end. Every message whose put succeeded must be acknowledged
// exactly once (or found by the drain); a message is delivered again only
// after a Nack or after its consumer's claim was lost (its session ended);
// a batch is stored whole or not at all. See queueCheck.
func init() {
	register(spec{name: "queue", workers: 5, new: func(rec *recorder) recipe {
		return &queueRecipe{rec: rec, msgs: map[string]*msgState{}}
	}})
}

const queuePath = "/queue"

// claimSlack is how long after another consumer took a message its
// previous consumer may still learn that its claim is lost: the server
// expires a session on its tick, up to a tick and a round trip before the
// client's own timer declares it lost.
const claimSlack = time.Second

type queueRecipe struct {
	rec *recorder

	mu      sync.Mutex
	msgs    map[string]*msgState // by payload
	batches [][]string           // batches whose outcome is unknown
	buckets int                  // empty bucket nodes accepted as leftovers
}

// msgState is what happened to one message.
type msgState struct {
	put        outcome
	putTried   bool
	deliveries []*delivery
}

// delivery is one hand-out of a message.
type delivery struct {
	id         string // Message.ID: the stored message handed out
	worker     string
	taken      time.Time
	deliveries int    // Message.Deliveries as reported
	how        string // "ack", "nack", "lost" (claim lost), "unknown" (an Ack), "unknown-nack", "consumed", "consumed-nack", "drain"
	settled    time.Time
	claim      *lossClock // the message's Lost channel; nil for the drain
}

func (q *queueRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

// leftoverOK accepts one empty bucket: the open one, which takes the next
// put. Sealed buckets must be gone once drained.
func (q *queueRecipe) leftoverOK(p string, _ *zk.Stat) bool {
	if !strings.HasPrefix(p, queuePath+"/items/b-") || q.buckets > 0 {
		return false
	}
	q.buckets++
	return true
}

func (q *queueRecipe) state(payload string) *msgState {
	m := q.msgs[payload]
	if m == nil {
		m = &msgState{put: opFailed}
		q.msgs[payload] = m
	}
	return m
}

func (q *queueRecipe) work(ctx context.Context, w *worker) {
	qu := must(queue.New(w.c, queuePath))
	switch w.slot {
	case 0, 1:
		q.produce(ctx, w, qu)
	case 2, 3:
		q.take(ctx, w, qu)
	default:
		q.consume(ctx, w, qu)
	}
}

func (q *queueRecipe) produce(ctx context.Context, w *worker, qu *queue.Queue) {
	for seq := 0; ctx.Err() == nil; {
		n := 1
		if w.slot == 1 {
			n = 1 + w.rng.Intn(5)
		}
		batch := make([][]byte, n)
		names := make([]string, n)
		for i := range batch {
			names[i] = fmt.Sprintf("%s-%d", w.id, seq)
			batch[i] = []byte(names[i])
			seq++
		}
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		var err error
		if w.slot == 1 {
			_, err = qu.PutBatch(pctx, batch)
		} else {
			_, err = qu.Put(pctx, batch[0])
		}
		cancel()
		o := opOK
		if err != nil {
			o = opAmbiguous // the message may be stored (and even delivered)
		}
		q.rec.op(w, start, o, false)
		q.mu.Lock()
		for _, name := range names {
			st := q.state(name)
			st.put, st.putTried = o, true
		}
		if n > 1 && err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			q.batches = append(q.batches, names) // cancelled batches may be removed piecemeal
		}
		q.mu.Unlock()
		// Keep the producers a little slower than the consumers, so the
		// queue stays shallow and the drain at the end short.
		sleepOr(time.Duration(n)*w.jitter(5*time.Millisecond, 45*time.Millisecond), ctx.Done())
	}
}

// delivered records a hand-out and checks it against the previous one.
func (q *queueRecipe) delivered(w *worker, m *queue.Message) *delivery {
	d := &delivery{id: m.ID, worker: w.id, taken: time.Now(), deliveries: m.Deliveries, claim: watchLoss(m.Lost())}
	q.mu.Lock()
	st := q.state(string(m.Data))
	st.deliveries = append(st.deliveries, d)
	q.mu.Unlock()
	return d
}

func (q *queueRecipe) settle(d *delivery, how string) {
	q.mu.Lock()
	d.how, d.settled = how, time.Now()
	q.mu.Unlock()
}

func (q *queueRecipe) take(ctx context.Context, w *worker, qu *queue.Queue) {
	for ctx.Err() == nil {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := qu.Take(tctx)
		cancel()
		if err != nil {
			continue
		}
		d := q.delivered(w, m)
		sleepOr(w.tenure(0, 10*time.Millisecond), ctx.Done())
		start := time.Now()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		nack := ctx.Err() != nil || w.rng.Intn(20) == 0 // give messages back when stopping
		if nack {
			err = m.Nack(sctx)
		} else {
			err = m.Ack(sctx)
		}
		cancel()
		switch {
		case err == nil && nack:
			q.settle(d, "nack")
		case err == nil:
			q.settle(d, "ack")
			q.rec.op(w, start, opOK, true)
		case errors.Is(err, queue.ErrClaimLost):
			q.settle(d, "lost")
			q.rec.op(w, start, opFailed, false)
		case nack:
			q.settle(d, "unknown-nack") // the message stays either way
			q.rec.op(w, start, opAmbiguous, false)
		default:
			q.settle(d, "unknown") // an Ack: the message may be gone
			q.rec.op(w, start, opAmbiguous, false)
		}
		if err == nil {
			d.claim.end() // settled: Lost never closes now
		}
	}
}

// consume runs Consume, whose settlements happen in the background: the
// checker only knows whether the handler asked for an Ack or a Nack.
func (q *queueRecipe) consume(ctx context.Context, w *worker, qu *queue.Queue) {
	var mu sync.Mutex // the handler runs concurrently; w.rng is not safe for that
	handler := func(hctx context.Context, m *queue.Message) error {
		d := q.delivered(w, m)
		mu.Lock()
		wait, fail := w.jitter(0, 10*time.Millisecond), w.rng.Intn(20) == 0
		mu.Unlock()
		sleepOr(wait, hctx.Done())
		if fail || hctx.Err() != nil {
			q.settle(d, "consumed-nack")
			return errors.New("chaos: nack")
		}
		q.settle(d, "consumed")
		q.rec.op(w, d.taken, opOK, true)
		return nil
	}
	err := qu.Consume(ctx, handler, queue.WithPrefetch(4), queue.WithConcurrency(2))
	if err != nil && ctx.Err() == nil {
		q.rec.violate("%s: Consume returned before its context was done: %v", w.id, err)
	}
}
