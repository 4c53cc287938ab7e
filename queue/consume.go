package queue

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Handler processes one message. Consume acknowledges the message when the
// handler returns nil and returns it to the queue (Nack) when it returns an
// error. ctx is cancelled when Consume's ctx is done or the message's claim
// is lost (Message.Lost): another consumer may then be handling it.
type Handler func(ctx context.Context, m *Message) error

// Consume runs handler on the queue's messages until ctx is done or the
// client is closed, and then returns ctx's error (or zkrecipes.ErrClosed).
//
// It claims up to the prefetch count of messages ahead (concurrently, so
// claims are pipelined), runs up to the concurrency of handlers at once,
// and settles each message in the background: Ack on nil; on an error
// Nack, or, on a queue made WithMaxDeliveries(n), DeadLetter once the
// message failed its nth delivery. Failures to take (connection or session
// loss) are retried; failures to settle are logged through the client's
// logger, and the message comes back when its claim ends.
//
// When ctx is done, Consume stops taking, returns the messages it holds but
// has not started to the queue (in at-most-once mode: puts them back at
// the end of their lane), waits for running handlers (their ctx is
// cancelled) and settles their messages with a context of its own before
// it returns; a take that was in flight releases its claim before then
// too. A handler that panics crashes the program, as in a plain
// goroutine; its messages come back once the session ends.
func (q *Queue) Consume(ctx context.Context, handler Handler, opts ...ConsumeOption) error {
	o := defaultConsumeOptions()
	if err := misuse.Apply("queue", "Consume", &o, &o.Errs, opts); err != nil {
		return err
	}
	if handler == nil {
		return fmt.Errorf("queue: Consume: nil handler: %w", zkrecipes.ErrInvalidArgument)
	}
	if o.prefetch == 0 {
		o.prefetch = DefaultPrefetch
	}
	o.prefetch = max(o.prefetch, o.concurrency)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{q: q, handler: handler, slots: make(chan struct{}, o.prefetch), work: make(chan *Message, o.prefetch)}
	var fetchers, workers, abandoned sync.WaitGroup
	fctx := withUndoTracker(ctx, &abandoned)
	for range o.prefetch {
		fetchers.Go(func() { r.fetch(fctx, cancel) })
	}
	for range o.concurrency {
		workers.Go(func() { r.handle(ctx) })
	}
	fetchers.Wait()
	close(r.work)
	workers.Wait()
	r.settling.Wait()
	abandoned.Wait() // takes cancelled in flight release their claims
	return context.Cause(ctx)
}

// run is one Consume call.
type run struct {
	q        *Queue
	handler  Handler
	slots    chan struct{} // one per message held, from before its take until it is settled
	work     chan *Message
	settling sync.WaitGroup
}

// fetch takes messages while a prefetch slot is free.
func (r *run) fetch(ctx context.Context, stop context.CancelCauseFunc) {
	wait := 50 * time.Millisecond
	for {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		m, err := r.q.Take(ctx)
		if err != nil {
			<-r.slots
			if ctx.Err() != nil {
				return
			}
			if !transient(err) {
				stop(err)
				return
			}
			r.q.c.Logger().Warn("queue: consume: take failed, retrying", "queue", r.q.path, "err", err)
			if !sleep(ctx, wait) {
				return
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		wait = 50 * time.Millisecond
		r.work <- m // never blocks: work has a place for every slot
	}
}

// handle runs the handler on one message at a time.
func (r *run) handle(ctx context.Context) {
	for m := range r.work {
		if ctx.Err() != nil { // stopping: give it back untouched
			r.settle(ctx, m, "return", r.giveBack(m))
			continue
		}
		err := r.call(ctx, m)
		switch {
		case err != nil && m.atMostOnce: // nothing to return: it left the queue when taken
			r.q.c.Logger().Warn("queue: consume: handler failed, message dropped (at-most-once)", "queue", r.q.path, "id", m.ID, "err", err)
			r.settle(ctx, m, "ack", m.Ack)
		case err == nil:
			r.settle(ctx, m, "ack", m.Ack)
		case r.q.o.maxDeliveries > 0 && m.Deliveries >= r.q.o.maxDeliveries:
			r.settle(ctx, m, "dead-letter", m.DeadLetter)
		default:
			r.settle(ctx, m, "nack", m.Nack)
		}
	}
}

// giveBack returns a message that no handler started: Nack, or in
// at-most-once mode (it left the queue when taken) a put at the end of its
// lane.
func (r *run) giveBack(m *Message) func(context.Context) error {
	if !m.atMostOnce {
		return m.Nack
	}
	return func(ctx context.Context) error {
		_, err := r.q.write(ctx, nil, m.Priority, []putItem{{data: m.Data}}, nil)
		_ = m.Ack(ctx) // settles the Message; a no-op in the queue
		return err
	}
}

// call runs the handler with a ctx that is also cancelled when the claim is lost.
func (r *run) call(ctx context.Context, m *Message) error {
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if lost := m.Lost(); lost != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case <-lost:
				cancel(ErrClaimLost)
			case <-stop:
			}
		}()
	}
	return r.handler(hctx, m)
}

// settle runs Ack, Nack or DeadLetter in the background with a context of
// its own, and frees the message's slot when done.
func (r *run) settle(ctx context.Context, m *Message, op string, fn func(context.Context) error) {
	r.settling.Go(func() {
		defer func() { <-r.slots }()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupHorizon(r.q.c))
		defer cancel()
		if err := fn(sctx); err != nil {
			r.q.c.Logger().Warn(fmt.Sprintf("queue: consume: %s failed", op), "queue", r.q.path, "id", m.ID, "err", err)
		}
	})
}
