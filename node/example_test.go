package node_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/node"
)

// The classic /servers registration: the node stays in place while the
// process runs, across connection and session loss, and goes when it
// stops.
func ExampleNode() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	n, err := node.New(c, "/servers/web-1", []byte(`{"addr":"10.0.0.7:8080"}`))
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	n.Start()
	defer n.Close(context.WithoutCancel(ctx))

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var conflict *node.ConflictError
	switch err := n.WaitCreated(wctx); {
	case errors.As(err, &conflict):
		log.Fatalf("another process (session %#x) is registered as web-1", conflict.Owner)
	case err != nil:
		log.Fatal(err)
	}
	log.Printf("registered at %s", n.ActualPath())

	// Later: new data, kept across re-creations.
	if err := n.SetData(ctx, []byte(`{"addr":"10.0.0.7:8080","draining":true}`)); err != nil {
		log.Print(err)
	}
}

// A node that outlives a restart of its process by up to the TTL.
func ExampleTTL() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	n, err := node.NewTTL(c, "/servers/batch-1", []byte("10.0.0.9"), time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	n.Start()
	defer n.Close(context.WithoutCancel(ctx))
	if err := n.WaitCreated(ctx); err != nil {
		log.Fatal(err)
	}
}
