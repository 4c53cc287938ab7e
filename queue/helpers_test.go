package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

const qpath = "/jobs"

// clients returns n clients, each with its own session, sharing one namespace.
func clients(t *testing.T, n int, opts ...zkrecipes.Option) []*zkrecipes.Client {
	t.Helper()
	ns := zktest.Namespace(t)
	out := make([]*zkrecipes.Client, n)
	for i := range out {
		out[i] = zktest.ClientAt(t, zktest.Servers(t), ns, opts...)
	}
	return out
}

func take(t *testing.T, ctx context.Context, q *queue.Queue) *queue.Message {
	t.Helper()
	m, err := q.Take(ctx)
	require.NoError(t, err)
	return m
}

func put(t *testing.T, ctx context.Context, q *queue.Queue, data string) string {
	t.Helper()
	id, err := q.Put(ctx, []byte(data))
	require.NoError(t, err)
	return id
}

// children lists p, empty if it does not exist.
func children(t *testing.T, c *zkrecipes.Client, p string) []string {
	t.Helper()
	ch, _, err := c.Children(context.Background(), p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	require.NoError(t, err)
	sort.Strings(ch)
	return ch
}

// claims lists the claims of the queue at qpath.
func claims(t *testing.T, c *zkrecipes.Client) []string {
	t.Helper()
	return children(t, c, qpath+"/claims")
}

// purge deletes every message of the queue at p quickly (transactions of
// many deletes), so that test cleanup of deep queues stays fast.
func purge(t *testing.T, c *zkrecipes.Client, p string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // runs in t.Cleanup
	defer cancel()
	for _, b := range children(t, c, p+"/items") {
		names := children(t, c, p+"/items/"+b)
		for len(names) > 0 {
			n := min(len(names), 1000)
			reqs := make([]any, n)
			for i, name := range names[:n] {
				reqs[i] = &zk.DeleteRequest{Path: p + "/items/" + b + "/" + name, Version: -1}
			}
			_, err := c.Multi(ctx, reqs...)
			require.NoError(t, err)
			names = names[n:]
		}
	}
}

func payloads(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%s-%06d", prefix, i))
	}
	return out
}

// waitUntil polls cond until it holds, failing the test when ctx ends
// first (cond has no event to wait on).
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
