package lock_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

func connect(ctx context.Context) *zkrecipes.Client {
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"}, zkrecipes.WithNamespace("/myapp"))
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleMutex() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := connect(ctx)
	defer c.Close()

	m, err := lock.NewMutex(c, "/locks/nightly-report")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err) // ctx done, session lost, ...: no node is left behind
	}
	// Unlock with a context that outlives a cancelled ctx.
	defer m.Unlock(context.WithoutCancel(ctx))

	for step := 0; step < 10; step++ {
		select {
		case <-m.Lost():
			log.Print("lock lost: stop, someone else may hold it now")
			return
		default:
		}
		// ... one step of work ...
	}
}

func ExampleMutex_TryLock() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	m, err := lock.NewMutex(c, "/locks/cron")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	switch err := m.TryLock(ctx); {
	case errors.Is(err, lock.ErrLocked):
		return // another instance runs the job
	case err != nil:
		log.Fatal(err)
	}
	defer m.Unlock(context.WithoutCancel(ctx))
	// ... run the job ...
}

// The fencing token guards a resource against a holder that was paused
// past its session's expiry: the store remembers the highest token it has
// seen and refuses writes that carry a lower one.
func ExampleMutex_Token() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	m, err := lock.NewMutex(c, "/locks/ledger")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(context.WithoutCancel(ctx))
	write := func(token int64, entry string) error {
		// e.g. UPDATE ledger SET ..., fence = $token WHERE fence <= $token
		return nil
	}
	if err := write(m.Token(), "credit 10"); err != nil {
		log.Fatal(err)
	}
}

func ExampleRWMutex() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	rw, err := lock.NewRWMutex(c, "/locks/config")
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}

	// Readers share the lock.
	if err := rw.RLock(ctx); err != nil {
		log.Fatal(err)
	}
	// ... read ...
	_ = rw.RUnlock(ctx)

	// A writer excludes everyone; it may downgrade to a reader.
	if err := rw.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	// ... write ...
	if err := rw.RLock(ctx); err != nil { // at once: we hold the write lock
		log.Fatal(err)
	}
	_ = rw.Unlock(ctx) // readers may join now
	// ... read what we wrote ...
	_ = rw.RUnlock(ctx)
}

func ExampleSemaphore() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	// At most 3 concurrent transcodes across the fleet.
	s, err := lock.NewSemaphore(c, "/limits/transcode", 3)
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	lease, err := s.Acquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Release(context.WithoutCancel(ctx))
	select {
	case <-lease.Lost():
		return
	default:
		// ... transcode ...
	}
}

func ExampleSemaphore_AcquireN() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	s, err := lock.NewSemaphore(c, "/limits/gpu", 4)
	if err != nil {
		log.Fatal(err) // an invalid path or option
	}
	leases, err := s.AcquireN(ctx, 2) // both or none
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		for _, l := range leases {
			_ = l.Release(context.WithoutCancel(ctx))
		}
	}()
}

func ExampleNewMultiLock() {
	ctx := context.Background()
	var c *zkrecipes.Client // from zkrecipes.Connect
	bob, err := lock.NewMutex(c, "/accounts/bob")
	if err != nil {
		log.Fatal(err)
	}
	alice, err := lock.NewMutex(c, "/accounts/alice")
	if err != nil {
		log.Fatal(err)
	}
	// Order does not matter: MultiLock acquires by path.
	ml := lock.NewMultiLock(bob, alice)
	if err := ml.Lock(ctx); err != nil {
		log.Fatal(err) // nothing is held
	}
	defer ml.Unlock(context.WithoutCancel(ctx))
	// ... transfer between the two accounts ...
}
