package election_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
)

func ExampleElection_Campaign() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	e, err := election.New(c, "/services/billing/leader", election.WithID("host-a"))
	if err != nil {
		log.Fatal(err)
	}
	term, err := e.Campaign(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Always resign, also after losing: it deletes our node so the next
	// participant is elected without waiting for our session to expire.
	defer term.Resign(context.WithoutCancel(ctx))

	// Work only while the term lasts, and fence external writes with the
	// term's token so a deposed leader that resumes after a pause is refused.
	for term.Context().Err() == nil {
		fmt.Println("leading with token", term.Token())
		select {
		case <-term.Done():
		case <-time.After(time.Second):
		}
	}
	fmt.Println("leadership ended:", context.Cause(term.Context()))
}

func ExampleRun() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The job runs on exactly one host at a time; when leadership is lost
	// its context is cancelled, and Run campaigns again.
	err = election.Run(ctx, c, "/jobs/nightly-report", func(ctx context.Context) error {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				fmt.Println("generating the report")
			}
		}
	}, election.WithID("host-a"), election.WithGracePeriod(10*time.Second))
	fmt.Println("Run ended:", err)
}

func ExampleElection_Observe() {
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	e, err := election.New(c, "/services/billing/leader")
	if err != nil {
		log.Fatal(err)
	}
	for p := range e.Observe(ctx) {
		if p.Node == "" {
			fmt.Println("no leader")
			continue
		}
		fmt.Println("leader is", p.ID)
	}
}
