package barrier_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
)

func ExampleBarrier() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	gate, err := barrier.New(c, "/app/maintenance")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	if err := gate.Set(ctx); err != nil { // close the gate
		log.Fatal(err)
	}
	// ... elsewhere, workers block until the gate opens:
	//	err := gate.Wait(ctx)
	if err := gate.Remove(ctx); err != nil { // open it again
		log.Fatal(err)
	}
}

func ExampleDouble() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// One of 4 workers that start a batch together and finish together.
	// A fresh path per batch keeps batches apart in the member list.
	for batch := 0; batch < 3; batch++ {
		d, err := barrier.NewDouble(c, fmt.Sprintf("/app/batch-%d", batch), 4)
		if err != nil {
			log.Fatal(err) // an invalid path or option
		}
		if err := d.Enter(ctx); err != nil {
			log.Fatal(err)
		}
		// ... all 4 workers are here: do the batch ...
		if err := d.Leave(ctx); err != nil {
			log.Fatal(err)
		}
		// ... all 4 workers are done with the batch ...
	}
}
