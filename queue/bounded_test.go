package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestIntegration_Queue_Bounded(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 30*time.Second)
	cs := clients(t, 2)
	prod := zktest.Must(queue.New(cs[0], qpath, queue.WithMaxItems(3)))
	cons := zktest.Must(queue.New(cs[1], qpath))
	for _, d := range []string{"a", "b", "c"} {
		_, err := prod.TryPut(ctx, []byte(d))
		require.NoError(t, err)
	}
	_, err := prod.TryPut(ctx, []byte("d"))
	require.ErrorIs(t, err, queue.ErrFull)
	_, err = prod.PutBatch(ctx, payloads("too-many", 4))
	require.ErrorIs(t, err, queue.ErrTooLarge)

	// Put waits for room; ctx bounds the wait.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = prod.Put(short, []byte("d"))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	done := make(chan error, 1)
	go func() {
		_, err := prod.Put(ctx, []byte("d"))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Put did not wait for room: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	m := take(t, ctx, cons)
	select {
	case err := <-done:
		t.Fatalf("a held message still counts: Put returned %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, m.Ack(ctx)) // room: the waiting Put is woken by a watch
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Put not woken by an acknowledgement")
	}
	n, err := prod.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
}
