package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// queueScene: a consumer dies holding a message; the message is delivered
// again to another consumer once the dead one's session expires.
func (d *demoEnv) queueScene(ctx context.Context) error {
	const jobs = 5
	const path = "/work/thumbnails"
	n := d.n
	n.title("3. A work queue: a consumer dies in the middle of a job")
	n.say("A producer queues %d jobs. Consumers claim a job, work on it, and acknowledge it", jobs)
	n.say("when done. A claim belongs to the consumer's session: if the consumer dies, its")
	n.say("claim dies with it and the job is delivered again (at-least-once).")
	n.say("")
	prod, err := d.client(ctx, 10*time.Second, nil)
	if err != nil {
		return err
	}
	defer prod.Close()
	pq, err := queue.New(prod, path)
	if err != nil {
		return err
	}
	for i := 1; i <= jobs; i++ {
		if _, err := pq.Put(ctx, []byte(fmt.Sprintf("job-%d", i))); err != nil {
			return err
		}
	}
	n.actor("producer", "queued job-1 .. job-%d", jobs)

	fd := zktest.NewFaultDialer()
	defer fd.Close()
	ca, err := d.client(ctx, d.o.faultTimeout, fd)
	if err != nil {
		return err
	}
	defer ca.Close()
	qa, err := queue.New(ca, path)
	if err != nil {
		return err
	}
	m, err := qa.Take(ctx)
	if err != nil {
		return err
	}
	n.actor("consumer-A", "took %s (delivery #%d) and starts working on it", m.Data, m.Deliveries)
	if err := sleep(ctx, 300*time.Millisecond); err != nil {
		return err
	}
	n.say("")
	n.say(">>> consumer-A's host dies: its network goes silent, %s is never acknowledged <<<", m.Data)
	n.say("")
	fd.Blackhole()
	died := time.Now()

	cb, err := d.client(ctx, 10*time.Second, nil)
	if err != nil {
		return err
	}
	defer cb.Close()
	qb, err := queue.New(cb, path)
	if err != nil {
		return err
	}
	done := map[string]int{}
	for len(done) < jobs {
		tctx, cancel := context.WithTimeout(ctx, 6*d.o.faultTimeout+10*time.Second)
		msg, err := qb.Take(tctx)
		cancel()
		if err != nil {
			return fmt.Errorf("consumer-B waiting for jobs (done: %v): %w", done, err)
		}
		job := string(msg.Data)
		if msg.Deliveries > 1 {
			n.actor("consumer-B", "took %s (delivery #%d): REDELIVERED %.1fs after consumer-A died", job, msg.Deliveries, time.Since(died).Seconds())
		} else {
			n.actor("consumer-B", "took %s (delivery #%d)", job, msg.Deliveries)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			_ = msg.Nack(context.WithoutCancel(ctx))
			return err
		}
		if err := msg.Ack(ctx); err != nil {
			return err
		}
		done[job]++
		n.actor("consumer-B", "finished %s (acknowledged)", job)
	}
	left, err := pq.Len(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(done))
	for j := range done {
		names = append(names, j)
	}
	sort.Strings(names)
	n.say("")
	n.say("All %d jobs were completed (%s); %d left in the queue: nothing lost, and", jobs, strings.Join(names, ", "), left)
	n.say("%s, whose consumer died, was done by consumer-B after consumer-A's session expired.", m.Data)
	return nil
}
