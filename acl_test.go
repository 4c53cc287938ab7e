package zkrecipes_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Every recipe that creates nodes takes WithACL, and every node it creates
// at or below its path carries that ACL, except the containers made for
// missing parents (a lock's path, a semaphore's directories), which get
// the client's. Each case creates what its recipe can create while the
// nodes are there to be read.
func TestIntegration_WithACL_EveryRecipe(t *testing.T) {
	zktest.SkipIfShort(t)
	// Everything but ADMIN: distinct from the client's default, and still
	// lets the test's cleanup delete the nodes.
	acl := zk.WorldACL(zk.PermRead | zk.PermWrite | zk.PermCreate | zk.PermDelete)
	cases := []struct {
		name string
		path string
		// parents are the containers made as missing parents, which get
		// the client's ACL.
		parents []string
		// run creates the recipe's nodes, calls check while they exist,
		// and releases them.
		run func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func())
	}{
		{"lock.Mutex", "/mutex", []string{"/mutex"}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			m := zktest.Must(lock.NewMutex(c, "/mutex", lock.WithACL(acl)))
			require.NoError(t, m.Lock(ctx))
			check()
			require.NoError(t, m.Unlock(ctx))
		}},
		{"lock.RWMutex", "/rw", []string{"/rw"}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			rw := zktest.Must(lock.NewRWMutex(c, "/rw", lock.WithACL(acl)))
			require.NoError(t, rw.Lock(ctx))
			require.NoError(t, rw.RLock(ctx)) // the write holder may read
			check()
			require.NoError(t, rw.RUnlock(ctx))
			require.NoError(t, rw.Unlock(ctx))
		}},
		{"lock.Semaphore", "/sem", []string{"/sem", "/sem/leases", "/sem/locks"}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			s := zktest.Must(lock.NewSemaphore(c, "/sem", 2, lock.WithACL(acl)))
			l, err := s.Acquire(ctx)
			require.NoError(t, err)
			check()
			require.NoError(t, l.Release(ctx))
		}},
		{"election", "/elect", []string{"/elect"}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			e := zktest.Must(election.New(c, "/elect", election.WithACL(acl)))
			term, err := e.Campaign(ctx)
			require.NoError(t, err)
			check()
			require.NoError(t, term.Resign(ctx))
		}},
		{"queue", "/queue", []string{}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			q := zktest.Must(queue.New(c, "/queue", queue.WithACL(acl)))
			_, err := q.Put(ctx, []byte("m"))
			require.NoError(t, err)
			_, err = q.Put(ctx, []byte("n"))
			require.NoError(t, err)
			m, err := q.Take(ctx) // a claim and a consumer node
			require.NoError(t, err)
			check()
			require.NoError(t, m.Ack(ctx))
		}},
		{"barrier.Barrier", "/barrier", []string{}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			b := zktest.Must(barrier.New(c, "/barrier", barrier.WithACL(acl)))
			require.NoError(t, b.Set(ctx))
			check()
			require.NoError(t, b.Remove(ctx))
		}},
		{"barrier.Double", "/double", []string{"/double"}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			d := zktest.Must(barrier.NewDouble(c, "/double", 1, barrier.WithACL(acl)))
			require.NoError(t, d.Enter(ctx))
			check()
			require.NoError(t, d.Leave(ctx))
		}},
		{"counter.AtomicLong", "/atomic", []string{}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			a := zktest.Must(counter.NewAtomicLong(c, "/atomic", counter.WithACL(acl)))
			_, err := a.Increment(ctx) // the node and our write marker
			require.NoError(t, err)
			check()
		}},
		{"counter.SharedCount", "/shared", []string{}, func(ctx context.Context, t *testing.T, c *zkrecipes.Client, check func()) {
			s := zktest.Must(counter.NewSharedCount(c, "/shared", 0, counter.WithACL(acl)))
			v, err := s.Get(ctx)
			require.NoError(t, err)
			ok, err := s.TrySet(ctx, v, 1)
			require.NoError(t, err)
			require.True(t, ok)
			check()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c := zktest.Client(t)
			check := func() {
				nodes := aclTree(t, c, tc.path)
				require.Greater(t, len(nodes), len(tc.parents), "nodes: %v", nodes)
				for _, p := range nodes {
					want := acl
					if slices.Contains(tc.parents, p) {
						want = c.ACL()
					}
					got, _, err := c.Conn().GetACL(c.Namespace() + p)
					if errors.Is(err, zk.ErrNoNode) {
						continue // transient (a queue's put receipt), gone since the listing
					}
					require.NoError(t, err, p)
					assert.Equal(t, want, got, "ACL of %s", p)
				}
			}
			tc.run(ctx, t, c, check)
		})
	}
}

// aclTree returns p and every node below it, relative to c's namespace
// (read through the raw connection, which takes server paths).
func aclTree(t *testing.T, c *zkrecipes.Client, p string) []string {
	t.Helper()
	out := []string{p}
	kids, _, err := c.Conn().Children(c.Namespace() + p)
	require.NoError(t, err, p)
	for _, k := range kids {
		out = append(out, aclTree(t, c, p+"/"+k)...)
	}
	return out
}
