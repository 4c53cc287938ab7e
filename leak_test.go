package zkrecipes_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A closed Client, and everything recipes kept for it, is garbage: a
// process that connects and closes clients again and again (a reconnecting
// worker, a CLI, a test suite) does not grow. Each client is used by every
// recipe that keeps state per client or per session (a counter's writer,
// a lock's parent watch), and by election and queue, then closed.
//
// Its cost is CPU: about 22 ms per client under -race (30 requests and a
// session; a little over half of it in the server, and a quarter of the
// client's share in clearing and freeing go-zookeeper's two 1.5 MiB
// buffers per connection), so more clients at a time do not make it faster.
func TestIntegration_Client_ClosedClientsAreFreed(t *testing.T) {
	zktest.SkipIfShort(t)
	const (
		first   = 100  // clients before the first heap reading (also a warm-up)
		total   = 1000 // clients in all
		workers = 4    // clients in use at a time
		// The heap may grow by this much from the first reading to the
		// second, 900 clients later: 1 KiB per client. One retained client
		// costs over a thousand times that (its go-zookeeper Conn keeps a
		// 1.5 MiB buffer: the heap grew by 1.5 MiB per client when they
		// leaked), and the readings of two forced collections differ by
		// tens of KiB (measured: +4 to +19 B per client).
		slack = (total - first) << 10
	)
	// A server of its own that does not fsync: the test makes 30 000
	// requests, and its subject is the client's memory, not durability.
	servers := []string{zktest.NewServer(t, zktest.WithExtraConfig("forceSync=no")).Addr()}
	ns := zktest.Namespace(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	ignore := goleak.IgnoreCurrent()

	var made, freed atomic.Int64
	run := func(from, to int) {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		next := atomic.Int64{}
		next.Store(int64(from))
		for w := range workers {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(to); i = next.Add(1) - 1 {
					if err := useClient(ctx, servers, ns, w, &freed); err != nil {
						errs <- fmt.Errorf("client %d: %w", i, err)
						cancel()
						return
					}
					made.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}

	run(0, first)
	gone1 := collect(t, &made, &freed)
	freed1 := freed.Load()
	heap1 := liveHeap()
	run(first, total)
	gone2 := collect(t, &made, &freed)
	heap2 := liveHeap()
	t.Logf("heap after %d clients: %d KiB, after %d: %d KiB (%+d B per client)",
		first, heap1>>10, total, heap2>>10, (int64(heap2)-int64(heap1))/(total-first))

	assert.True(t, gone1, "clients not collected: %d of the first %d freed", freed1, first)
	assert.True(t, gone2, "clients not collected: %d of %d freed", freed.Load(), total)
	assert.LessOrEqual(t, int64(heap2)-int64(heap1), int64(slack), "the heap grows with the number of clients closed")
	goleak.VerifyNone(t, ignore)

	c := zktest.ClientAt(t, servers, ns)
	n, err := zktest.Must(counter.NewAtomicLong(c, "/n")).Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(total), n, "increments")
}

// useClient connects, uses a counter, a lock (relocked until its parent
// watch is set), an election and a queue, and closes the client, counting
// it in freed once it is garbage.
func useClient(ctx context.Context, servers []string, ns string, w int, freed *atomic.Int64) error {
	d := zktest.NewFaultDialer()
	defer d.Close()
	c, err := zkrecipes.Connect(ctx, servers, zkrecipes.WithNamespace(ns),
		zkrecipes.WithSessionTimeout(4*time.Second), zkrecipes.WithDialer(d.Dial))
	if err != nil {
		return err
	}
	defer c.Close()
	runtime.AddCleanup(c, func(n *atomic.Int64) { n.Add(1) }, freed)

	if _, err := zktest.Must(counter.NewAtomicLong(c, "/n")).Increment(ctx); err != nil {
		return fmt.Errorf("counter: %w", err)
	}

	m := zktest.Must(lock.NewMutex(c, fmt.Sprintf("/l%d", w)))
	sent := len(d.Sent())
	for range 2 { // the second hold sets the parent watch
		if err := lockUnlock(ctx, m); err != nil {
			return err
		}
	}
	tick := time.NewTicker(time.Millisecond) // the watch is set on a client goroutine
	defer tick.Stop()
	for !slices.Contains(d.Sent()[sent:], zktest.OpGetData) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("lock: no parent watch: %w", ctx.Err())
		}
	}
	if err := lockUnlock(ctx, m); err != nil {
		return err
	}

	term, err := zktest.Must(election.New(c, fmt.Sprintf("/e%d", w))).Campaign(ctx)
	if err != nil {
		return fmt.Errorf("election: %w", err)
	}
	if err := term.Resign(ctx); err != nil {
		return fmt.Errorf("election: %w", err)
	}

	q := zktest.Must(queue.New(c, fmt.Sprintf("/q%d", w)))
	if _, err := q.Put(ctx, []byte("x")); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	msg, err := q.Take(ctx)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if err := msg.Ack(ctx); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}

func lockUnlock(ctx context.Context, m *lock.Mutex) error {
	if err := m.Lock(ctx); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if err := m.Unlock(ctx); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// collect forces collections until every client made is freed, and
// reports whether they all were within a deadline. A queue keeps its
// client for a while after its last message is settled (its idle timer),
// so the deadline is longer than that.
func collect(t *testing.T, made, freed *atomic.Int64) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for freed.Load() < made.Load() {
		if time.Now().After(deadline) {
			return false
		}
		runtime.GC()
		select { // cleanups run on their own goroutine after the GC
		case <-time.After(20 * time.Millisecond):
		case <-t.Context().Done():
			return false
		}
	}
	return true
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
