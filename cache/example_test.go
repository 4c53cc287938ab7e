package cache_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// The live list of servers: each server registers an ephemeral node under
// /servers; clients follow the children.
func ExampleChildren() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	servers, err := cache.NewChildren(c, "/servers")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	defer servers.Close()
	sub := servers.Subscribe()
	defer sub.Close()
	if err := servers.Start(ctx); err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return
		}
		switch ev.Kind {
		case cache.Created:
			fmt.Printf("up: %s at %s\n", ev.Path, ev.New.Data)
		case cache.Deleted:
			fmt.Printf("down: %s\n", ev.Path)
		case cache.Stale:
			fmt.Printf("the list may be stale since %v\n", ev.At)
		}
	}
}

func ExampleNode() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	n, err := cache.NewNode(c, "/config/feature-flags")
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if en, ok := n.Get(); ok { // from memory
		fmt.Printf("flags %s (version %d)\n", en.Data, en.Stat.Version)
	} else {
		fmt.Println("no flags yet")
	}
}

func ExampleTree_Walk() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	t, err := cache.NewTree(c, "/config", cache.WithMaxDepth(3))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	if err := t.Start(ctx); err != nil {
		log.Fatal(err)
	}
	t.Walk(func(e *cache.Entry) bool {
		fmt.Printf("%s = %q\n", e.Path, e.Data)
		return true
	})
	if stale, since := t.Stale(); stale {
		fmt.Printf("(may be stale since %v)\n", since)
	}
}
