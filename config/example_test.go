package config_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/config"
)

type Limits struct {
	MaxConns int `json:"max_conns"`
}

func ExampleValue() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	limits, err := config.New[Limits](c, "/config/limits")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	defer limits.Close()
	sub := limits.Subscribe()
	defer sub.Close()
	if err := limits.Start(ctx); err != nil {
		log.Fatal(err)
	}
	cur, err := limits.Wait(ctx) // until someone has written it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("max conns:", cur.Value.MaxConns)
	for {
		u, err := sub.Next(ctx)
		switch {
		case err != nil:
			return
		case !u.Present:
			fmt.Println("limits deleted: using defaults")
		case u.Err != nil:
			fmt.Println("bad limits, keeping the last good ones:", u.Err)
		default:
			fmt.Println("max conns now:", u.Value.MaxConns)
		}
	}
}

// Raise the limit by one, whatever other writers do meanwhile.
func ExampleValue_CompareAndSet() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	limits, err := config.New[Limits](c, "/config/limits")
	if err != nil {
		log.Fatal(err)
	}
	defer limits.Close()
	if err := limits.Start(ctx); err != nil {
		log.Fatal(err)
	}
	for {
		cur, err := limits.Wait(ctx)
		if err != nil {
			log.Fatal(err)
		}
		ok, err := limits.CompareAndSet(ctx, cur.Version, Limits{MaxConns: cur.Value.MaxConns + 1})
		if err != nil {
			log.Fatal(err) // including an unknowable outcome (zkrecipes.ErrUncertain)
		}
		if ok {
			return
		}
		// Lost to another writer: the cache will show its value; try again.
	}
}
