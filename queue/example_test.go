package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

// A producer puts jobs; Put returns once the job is stored.
func Example_producer() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"zk1:2181", "zk2:2181", "zk3:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	jobs, err := queue.New(c, "/jobs", queue.WithMaxItems(10000))
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	for i := range 100 {
		if _, err := jobs.Put(ctx, []byte(fmt.Sprintf("job %d", i))); err != nil {
			log.Fatal(err)
		}
	}
	// Urgent work overtakes the backlog; scheduled work waits for its time.
	_, _ = jobs.PutPriority(ctx, []byte("urgent"), 9)
	_, _ = jobs.PutAt(ctx, []byte("tomorrow"), time.Now().Add(24*time.Hour))
	// A batch is stored all or nothing, in one transaction.
	_, _ = jobs.PutBatch(ctx, [][]byte{[]byte("a"), []byte("b"), []byte("c")})
}

// A pool of consumers: run this in as many processes as you like. Each job
// goes to one consumer at a time; a job whose consumer crashes goes to
// another one; a job that failed 5 times goes to the dead-letter queue.
func Example_consumerPool() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"zk1:2181", "zk2:2181", "zk3:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	jobs, err := queue.New(c, "/jobs", queue.WithMaxDeliveries(5))
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	err = jobs.Consume(ctx, func(ctx context.Context, m *queue.Message) error {
		// ctx is cancelled if this consumer loses its claim on m.
		return process(ctx, m.Data) // nil: acknowledged; an error: returned to the queue
	}, queue.WithConcurrency(8), queue.WithPrefetch(32))
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// Taking and settling messages by hand.
func ExampleQueue_Take() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"zk1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	jobs, err := queue.New(c, "/jobs")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	for {
		m, err := jobs.Take(ctx) // waits for a message
		if err != nil {
			log.Fatal(err)
		}
		if err := process(ctx, m.Data); err != nil {
			_ = m.Nack(ctx) // back to the queue, in its place
			continue
		}
		if err := m.Ack(ctx); errors.Is(err, queue.ErrClaimLost) {
			log.Printf("job %s will be done again: our session ended", m.ID)
		}
	}
}

// At-most-once: a take removes the message, as Curator's
// SimpleDistributedQueue does.
func ExampleWithAtMostOnce() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"zk1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	events, err := queue.New(c, "/events", queue.WithAtMostOnce())
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	m, err := events.Poll(ctx)
	switch {
	case errors.Is(err, queue.ErrEmpty):
		fmt.Println("nothing to do")
	case err == nil:
		fmt.Printf("event %s\n", m.Data) // never seen by anyone else, lost if we crash now
	}
}

func process(context.Context, []byte) error { return nil }
