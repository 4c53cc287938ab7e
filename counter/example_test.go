package counter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
)

func ExampleAtomicLong() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	hits, err := counter.NewAtomicLong(c, "/stats/hits")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	r, err := hits.Increment(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("hits went from %d to %d\n", r.Pre, r.Post)
}

func ExampleAtomicLong_CompareAndSet() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Under heavy contention, queue on a Curator-compatible mutex after a
	// few lost writes instead of retrying against everyone else.
	epoch, err := counter.NewAtomicLong(c, "/app/epoch", counter.WithPromotionLock("/app/epoch-lock"))
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	ok, err := epoch.CompareAndSet(ctx, 0, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("claimed epoch 1:", ok)
}

func ExampleSharedCount() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	workers, err := counter.NewSharedCount(c, "/app/workers", 4)
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	v, err := workers.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if ok, err := workers.TrySet(ctx, v, v.Count+1); err != nil || !ok {
		log.Printf("someone else changed it first (ok=%v, err=%v)", ok, err)
	}
}

func ExampleSharedCount_Watch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the watch and closes the channel
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	workers, err := counter.NewSharedCount(c, "/app/workers", 4)
	if err != nil {
		log.Fatal(err)
	}
	for v := range workers.Watch(ctx) {
		fmt.Println("workers:", v.Count)
		if v.Count == 0 {
			break
		}
	}
}
