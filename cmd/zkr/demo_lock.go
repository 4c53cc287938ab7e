package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// lockScene: several workers, each with its own session, take turns on one
// mutex; a fenced "storage" checks every write's token.
func (d *demoEnv) lockScene(ctx context.Context) error {
	const workers, rounds = 4, 2
	n := d.n
	n.title("1. A distributed lock with fencing tokens")
	n.say("%d workers (separate ZooKeeper sessions, as if on separate hosts) each want the", workers)
	n.say("lock at /jobs/report %d times. Waiters queue in FIFO order; each release wakes", rounds)
	n.say("only the next waiter. Every hold carries a fencing token (the lock node's")
	n.say("creation zxid) that grows with every holder; the storage refuses stale tokens,")
	n.say("which protects it even from a holder that was paused past its session's expiry.")
	n.say("")
	clients := make([]*zkrecipes.Client, workers)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		c, err := d.client(ctx, 10*time.Second, nil)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	st := &fencedStorage{}
	var inside atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- d.lockWorker(ctx, c, fmt.Sprintf("worker-%d", i+1), rounds, st, &inside)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	n.say("")
	n.say("%d critical sections, never two at once; the storage saw tokens %v,", workers*rounds, st.accepted)
	n.say("strictly increasing, so a late write from an earlier holder would be refused.")
	return nil
}

func (d *demoEnv) lockWorker(ctx context.Context, c *zkrecipes.Client, who string, rounds int, st *fencedStorage, inside *atomic.Int32) error {
	m, err := lock.NewMutex(c, "/jobs/report", lock.WithData([]byte(who)))
	if err != nil {
		return err
	}
	for r := 0; r < rounds; r++ {
		d.n.actor(who, "waiting for the lock")
		if err := m.Lock(ctx); err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
		if inside.Add(1) != 1 {
			return fmt.Errorf("%s: two holders at once", who)
		}
		tok := m.Token()
		d.n.actor(who, "HOLDS the lock      token %d", tok)
		if ok, last := st.write(tok); ok {
			d.n.actor(who, "  storage accepted the write (token %d > %d)", tok, last)
		} else {
			d.n.actor(who, "  storage REFUSED the write (token %d <= %d)", tok, last)
		}
		werr := sleep(ctx, 150*time.Millisecond) // the work
		inside.Add(-1)
		d.n.actor(who, "releases the lock")
		if err := m.Unlock(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
		if werr != nil {
			return werr
		}
	}
	return nil
}

// fencedStorage accepts a write only with a token above every earlier one.
type fencedStorage struct {
	mu       sync.Mutex
	last     int64
	accepted []int64
}

func (s *fencedStorage) write(token int64) (ok bool, last int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last = s.last
	if token <= s.last {
		return false, last
	}
	s.last = token
	s.accepted = append(s.accepted, token)
	return true, last
}
