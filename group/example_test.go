package group_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/group"
)

// The classic /servers group: each server joins, and a client prints who
// is up and every change.
func Example() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	servers, err := group.New(c, "/servers")
	if err != nil {
		log.Fatal(err)
	}

	// A server: a member until Leave (or until its process dies and its
	// session expires).
	m, err := servers.Join(ctx, "web-1", []byte("10.0.0.7:8080"))
	if err != nil {
		log.Fatal(err) // node.ErrConflict: another live web-1
	}
	defer m.Leave(context.WithoutCancel(ctx))

	// A client.
	v, err := servers.Watch(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	changes := v.Subscribe()
	defer changes.Close()
	for _, s := range v.Members() {
		fmt.Printf("up: %s at %s\n", s.ID, s.Data)
	}
	for {
		ch, err := changes.Next(ctx)
		if err != nil {
			return
		}
		switch ch.Kind {
		case group.Joined:
			fmt.Printf("joined: %s at %s\n", ch.New.ID, ch.New.Data)
		case group.Left:
			fmt.Printf("left: %s\n", ch.Old.ID)
		case group.Updated:
			fmt.Printf("moved: %s to %s\n", ch.New.ID, ch.New.Data)
		}
	}
}
