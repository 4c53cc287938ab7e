package zkrecipes_test

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

func ExampleConnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"},
		zkrecipes.WithNamespace("/myapp"),
		zkrecipes.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Paths are relative to the namespace: this is /myapp/config on the server.
	if _, err := c.Create(ctx, "/config", []byte("v1"), zkrecipes.Persistent, zkrecipes.WithParents()); err != nil {
		log.Fatal(err)
	}
}

func ExampleClient_Subscribe() {
	var c *zkrecipes.Client // from Connect
	ctx := context.Background()
	sub := c.Subscribe()
	defer sub.Close()
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			return // the client was closed
		}
		switch ch.State {
		case zkrecipes.Suspended:
			fmt.Println("connection lost; pausing work that needs exclusivity")
		case zkrecipes.Lost:
			fmt.Printf("session %x lost; its ephemeral nodes are gone\n", ch.Session.ID())
		case zkrecipes.Connected:
			fmt.Printf("new session %x\n", ch.Session.ID())
		}
	}
}

func ExampleSession() {
	var c *zkrecipes.Client // from Connect
	ctx := context.Background()
	s, err := c.WaitSession(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Operations through s run in this session only: after it is lost they
	// fail with ErrSessionLost instead of running in a new one.
	if _, err := s.Create(ctx, "/workers/w-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents()); err != nil {
		log.Fatal(err)
	}
	<-s.Done()
	log.Printf("session over: %v", s.Err())
}

// An Observer with the hooks one needs: here, slow operations are logged
// and lost sessions counted. The metrics/prometheus and metrics/otel
// modules fill in every hook.
func ExampleWithObserver() {
	var lost atomic.Int64
	ob := zkrecipes.Observer{
		OpDone: func(e zkrecipes.OpEvent) {
			if e.Duration > 100*time.Millisecond {
				log.Printf("slow %s %s: %v (%s)", e.Op, e.Path, e.Duration, e.Result)
			}
		},
		ConnState: func(e zkrecipes.ConnEvent) {
			if e.State == zkrecipes.Lost {
				lost.Add(1) // e.Reason: expired, timeout or new_session
			}
		},
	}
	c, err := zkrecipes.Connect(context.Background(), []string{"127.0.0.1:2181"}, zkrecipes.WithObserver(ob))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
