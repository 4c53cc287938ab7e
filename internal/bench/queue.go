package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

// Queue workload knobs that the anchors do not have.
const (
	queuePrefetch = 32   // Consume prefetch of each consumer
	queueBatch    = 100  // messages per PutBatch in queue-batch
	depthSamples  = 1000 // measured takes per depth
	depthWarmup   = 100
)

func init() {
	Register(Workload{
		Name: "queue", Anchor: "W4",
		Help: "work queue: producers x items of payload bytes with Put, consumers with Consume+Ack (at-least-once), each its own session; items/s, lost, duplicated",
		Run:  func(ctx context.Context, p *Params, e *Emitter) error { return runQueue(ctx, p, e, false) },
	})
	Register(Workload{
		Name: "queue-batch",
		Help: fmt.Sprintf("the queue workload with producers using PutBatch of %d messages", queueBatch),
		Run:  func(ctx context.Context, p *Params, e *Emitter) error { return runQueue(ctx, p, e, true) },
	})
	Register(Workload{
		Name: "queue-depth",
		Help: "take latency at each --w4-depths depth (Take timed; Ack and a refill Put keep the depth, untimed; round trips count Take+Ack); p50/p99 and their ratio deepest/shallowest",
		Run:  runQueueDepth,
	})
}

// w4Payload is the anchors' payload: "p<producer>-<seq>;" padded with dots.
func w4Payload(prod, seq, size int) []byte {
	id := fmt.Sprintf("p%d-%d;", prod, seq)
	b := bytes.Repeat([]byte("."), max(size, len(id)))
	copy(b, id)
	return b
}

func w4ID(b []byte) string {
	s, _, _ := strings.Cut(string(b), ";")
	return s
}

// tally counts distinct deliveries as the anchors' Tally does.
type tally struct {
	mu     sync.Mutex
	total  int
	seen   map[string]bool
	dups   int
	done   chan struct{}
	doneAt time.Time
}

func newTally(total int) *tally {
	return &tally{total: total, seen: make(map[string]bool, total), done: make(chan struct{})}
}

func (t *tally) record(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := w4ID(b)
	if t.seen[id] {
		t.dups++
		return
	}
	t.seen[id] = true
	if len(t.seen) == t.total {
		t.doneAt = time.Now()
		close(t.done)
	}
}

type counted struct {
	c   *zkrecipes.Client
	cnt *Counter
}

func connectN(ctx context.Context, p *Params, n int) ([]counted, func(), error) {
	out := make([]counted, 0, n)
	closeAll := func() {
		for _, c := range out {
			c.c.Close()
		}
	}
	for range n {
		cnt := &Counter{}
		c, err := zkrecipes.Connect(ctx, p.Servers, zkrecipes.WithSessionTimeout(p.SessionTimeout), zkrecipes.WithDialer(cnt.Dial))
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		out = append(out, counted{c, cnt})
	}
	return out, closeAll, nil
}

func requests(cs []counted) int64 {
	var n int64
	for _, c := range cs {
		n += c.cnt.Requests()
	}
	return n
}

func runQueue(ctx context.Context, p *Params, e *Emitter, batch bool) error {
	P, C, per, size := p.W4Producers, p.W4Consumers, p.W4Items, p.W4Payload
	total := P * per
	path := p.Root + "/w4-zkrecipes/queue"
	variant := fmt.Sprintf("queue.Queue at-least-once: Put, Consume(prefetch %d)+Ack", queuePrefetch)
	if batch {
		path = p.Root + "/w4-zkrecipes-batch/queue"
		variant = fmt.Sprintf("queue.Queue at-least-once: PutBatch(%d), Consume(prefetch %d)+Ack", queueBatch, queuePrefetch)
	}
	floor, err := Floor(ctx, p)
	if err != nil {
		return err
	}
	pcs, closeP, err := connectN(ctx, p, P)
	if err != nil {
		return err
	}
	defer closeP()
	ccs, closeC, err := connectN(ctx, p, C)
	if err != nil {
		return err
	}
	defer closeC()

	t := newTally(total)
	cctx, stopConsumers := context.WithCancel(ctx)
	defer stopConsumers()
	var wg sync.WaitGroup
	for _, cc := range ccs {
		q := must(queue.New(cc.c, path, queue.WithInline(p.W4Inline)))
		// Create the queue's nodes and register the consumer before the clock.
		if _, err := q.Poll(ctx); err != nil && !errors.Is(err, queue.ErrEmpty) {
			return err
		}
		wg.Go(func() {
			_ = q.Consume(cctx, func(_ context.Context, m *queue.Message) error {
				t.record(m.Data)
				return nil
			}, queue.WithPrefetch(queuePrefetch))
		})
	}
	req0P, req0C := requests(pcs), requests(ccs)
	pctx, stopProducers := context.WithCancel(ctx)
	defer stopProducers()
	gate := make(chan struct{})
	var prodErrs atomic.Int64
	lat := make([][]time.Duration, P)
	var pwg sync.WaitGroup
	for i, pc := range pcs {
		q := must(queue.New(pc.c, path, queue.WithInline(p.W4Inline)))
		pwg.Go(func() {
			<-gate
			if batch {
				for s := 0; s < per; s += queueBatch {
					msgs := make([][]byte, 0, queueBatch)
					for k := s; k < min(per, s+queueBatch); k++ {
						msgs = append(msgs, w4Payload(i, k, size))
					}
					st := time.Now()
					if _, err := q.PutBatch(pctx, msgs); err != nil {
						prodErrs.Add(int64(len(msgs)))
					}
					lat[i] = append(lat[i], time.Since(st))
				}
				return
			}
			for s := range per {
				st := time.Now()
				if _, err := q.Put(pctx, w4Payload(i, s, size)); err != nil {
					prodErrs.Add(1)
				}
				lat[i] = append(lat[i], time.Since(st))
			}
		})
	}
	variant += fmt.Sprintf(", inline %v", p.W4Inline && size <= queue.MaxInline)
	p.Logf("%s: %d producers x %d, %d consumers", variant, P, per, C)
	t0 := time.Now()
	close(gate)
	timedOut := false
	select {
	case <-t.done:
	case <-time.After(p.W4Timeout):
		timedOut = true
	case <-ctx.Done():
		return ctx.Err()
	}
	t.mu.Lock()
	end := t.doneAt
	t.mu.Unlock()
	if timedOut {
		end = time.Now()
	}
	el := end.Sub(t0).Seconds()
	time.Sleep(300 * time.Millisecond) // as the anchors: let stragglers reveal duplicates
	stopProducers()
	pwg.Wait()
	stopConsumers()
	wg.Wait()

	t.mu.Lock()
	distinct, dups := len(t.seen), t.dups
	t.mu.Unlock()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	putP50 := Pct(all, 0.5)
	r := Result{
		"impl": p.Impl, "workload": "W4", "variant": variant,
		"items_s": R2(float64(distinct) / el), "lost": total - distinct, "duplicated": dups,
		"elapsed_s": R2(el), "timed_out": timedOut, "producer_errors": prodErrs.Load(), "total": total,
		"put_p50_us": putP50, "put_p99_us": Pct(all, 0.99),
		"p50_x_rtt":                   R2(putP50 / floor.ExistsP50),
		"round_trips_per_op":          R2(float64(requests(pcs)-req0P+requests(ccs)-req0C) / float64(total)),
		"producer_round_trips_per_op": R2(float64(requests(pcs)-req0P) / float64(total)),
		"consumer_round_trips_per_op": R2(float64(requests(ccs)-req0C) / float64(total)),
	}
	if batch {
		r["put_unit"] = fmt.Sprintf("batch of %d", queueBatch)
	}
	e.Emit(r)
	return nil
}
