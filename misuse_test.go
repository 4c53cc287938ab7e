package zkrecipes_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/barrier"
	"github.com/zkrecipes/zkrecipes/counter"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// misuseEnv is what the wrong calls of TestIntegration_Misuse are made
// with: an open client in a fresh namespace, the same namespace through a
// closed client, and a context that is already cancelled.
type misuseEnv struct {
	c      *zkrecipes.Client
	closed *zkrecipes.Client
	done   context.Context
}

// misuseRow is one wrong call. call returns the error the caller sees;
// want lists the documented sentinels it must match (errors.Is, all of
// them), or panics the start of the panic message it must raise instead.
type misuseRow struct {
	name   string
	call   func(ctx context.Context, e *misuseEnv) error
	want   []error
	panics string
}

var (
	big    = make([]byte, zkrecipes.MaxDataSize+1)
	noACL  = []zk.ACL{}
	errNil = errors.New("no error") // never matched: a row that gets nil fails
)

func ignore[T any](_ T, err error) error { return err }

func misuseRows() []misuseRow {
	inv, path := zkrecipes.ErrInvalidArgument, zkrecipes.ErrInvalidPath
	closed, canceled := zkrecipes.ErrClosed, context.Canceled
	q := func(e *misuseEnv, opts ...queue.Option) *queue.Queue {
		qu, err := queue.New(e.c, "/q", opts...)
		if err != nil {
			panic(err)
		}
		return qu
	}
	return []misuseRow{
		// Invalid paths, given to constructors and operations.
		{name: "lock.NewMutex relative path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewMutex(e.c, "locks/m"))
		}},
		{name: "lock.NewRWMutex trailing slash", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewRWMutex(e.c, "/rw/"))
		}},
		{name: "lock.NewSemaphore reserved path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewSemaphore(e.c, "/zookeeper/s", 2))
		}},
		{name: "queue.New root", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/"))
		}},
		{name: "queue.New relative path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "q"))
		}},
		{name: "barrier.New empty path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.New(e.c, ""))
		}},
		{name: "barrier.NewDouble double slash", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.NewDouble(e.c, "/a//b", 2))
		}},
		{name: "counter.NewAtomicLong relative path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewAtomicLong(e.c, "n"))
		}},
		{name: "counter.NewSharedCount dot segment", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewSharedCount(e.c, "/a/./n", 0))
		}},
		{name: "election.New relative path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(election.New(e.c, "elect"))
		}},
		{name: "election.WithGracePeriod negative", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(election.New(e.c, "/e", election.WithGracePeriod(-time.Second)))
		}},
		{name: "election.WithLayout unknown", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(election.New(e.c, "/e", election.WithLayout(7)))
		}},
		{name: "Create relative path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.c.Create(ctx, "rel", nil, zkrecipes.Persistent))
		}},
		{name: "Set reserved path", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.c.Set(ctx, "/zookeeper/quota", nil, -1))
		}},
		{name: "Delete trailing slash", want: []error{path}, call: func(ctx context.Context, e *misuseEnv) error {
			return e.c.Delete(ctx, "/victim/", -1)
		}},

		// Invalid option values: reported by the constructor.
		{name: "counter.WithPromotionLock not a path", want: []error{inv, path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewAtomicLong(e.c, "/n", counter.WithPromotionLock("not-a-path")))
		}},
		{name: "counter.WithPromoteAfter 0", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewAtomicLong(e.c, "/n", counter.WithPromoteAfter(0)))
		}},
		{name: "counter.WithBackoff max < base", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewSharedCount(e.c, "/n", 0, counter.WithBackoff(time.Second, time.Millisecond)))
		}},
		{name: "counter.WithACL empty", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewSharedCount(e.c, "/n", 0, counter.WithACL(noACL)))
		}},
		{name: "queue.WithMaxItems 0", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/q", queue.WithMaxItems(0)))
		}},
		{name: "queue.WithMaxDeliveries -1", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/q", queue.WithMaxDeliveries(-1)))
		}},
		{name: "queue.WithBucketSize 1", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/q", queue.WithBucketSize(1)))
		}},
		{name: "queue.WithDeadLetterPath relative", want: []error{inv, path}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/q", queue.WithDeadLetterPath("dead")))
		}},
		{name: "queue.WithDeadLetterPath the queue itself", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(e.c, "/q", queue.WithDeadLetterPath("/q")))
		}},
		{name: "queue.WithConcurrency 0", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return q(e).Consume(ctx, func(context.Context, *queue.Message) error { return nil }, queue.WithConcurrency(0))
		}},
		{name: "queue.WithPrefetch 0", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return q(e).Consume(ctx, func(context.Context, *queue.Message) error { return nil }, queue.WithPrefetch(0))
		}},
		{name: "queue Consume nil handler", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return q(e).Consume(ctx, nil)
		}},
		{name: "lock.WithData too large", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewMutex(e.c, "/m", lock.WithData(big)))
		}},
		{name: "barrier.WithData too large", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.NewDouble(e.c, "/d", 2, barrier.WithData(big)))
		}},
		{name: "barrier.WithACL empty", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.New(e.c, "/b", barrier.WithACL(noACL)))
		}},

		// Sizes and counts given to operations.
		{name: "Create data too large", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.c.Create(ctx, "/big", big, zkrecipes.Persistent))
		}},
		{name: "queue Put too large", want: []error{queue.ErrTooLarge}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(q(e).Put(ctx, make([]byte, queue.MaxMessageSize+1)))
		}},
		{name: "queue PutBatch too many", want: []error{queue.ErrTooLarge}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(q(e).PutBatch(ctx, make([][]byte, queue.MaxBatch+1)))
		}},
		{name: "queue PutBatch empty", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(q(e).PutBatch(ctx, nil))
		}},
		{name: "queue PutPriority 256", want: []error{queue.ErrInvalidPriority}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(q(e).PutPriority(ctx, []byte("x"), queue.MaxPriority+1))
		}},
		{name: "queue Remove bad id", want: []error{queue.ErrInvalidID}, call: func(ctx context.Context, e *misuseEnv) error {
			return q(e).Remove(ctx, "no-such-id")
		}},
		{name: "Semaphore AcquireN 0", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			s, err := lock.NewSemaphore(e.c, "/s", 2)
			if err != nil {
				return err
			}
			return ignore(s.AcquireN(ctx, 0))
		}},
		{name: "Semaphore AcquireN above maxLeases", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			s, err := lock.NewSemaphore(e.c, "/s", 2)
			if err != nil {
				return err
			}
			return ignore(s.AcquireN(ctx, 3))
		}},
		{name: "Set data too large", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.c.Set(ctx, "/victim", big, -1))
		}},
		{name: "Multi part too large", want: []error{inv}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.c.Multi(ctx, &zk.SetDataRequest{Path: "/victim", Data: big, Version: -1}))
		}},

		// Programmer errors: panics naming the package, function and argument.
		{name: "lock.NewSemaphore 0 leases", panics: "lock: NewSemaphore: maxLeases must be at least 1, got 0", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewSemaphore(e.c, "/s", 0))
		}},
		{name: "barrier.NewDouble 0 members", panics: "barrier: NewDouble: members must be at least 1, got 0", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.NewDouble(e.c, "/d", 0))
		}},
		{name: "lock.NewMultiLock no locks", panics: "lock: NewMultiLock: no locks", call: func(ctx context.Context, e *misuseEnv) error {
			return lock.NewMultiLock().Lock(ctx)
		}},
		{name: "lock.NewMultiLock nil lock", panics: "lock: NewMultiLock: lock 0 is nil", call: func(ctx context.Context, e *misuseEnv) error {
			return lock.NewMultiLock((*lock.Mutex)(nil)).Lock(ctx)
		}},
		{name: "lock.NewMutex nil client", panics: "lock: NewMutex: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewMutex(nil, "/m"))
		}},
		{name: "lock.NewRWMutex nil client", panics: "lock: NewRWMutex: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewRWMutex(nil, "/m"))
		}},
		{name: "lock.NewSemaphore nil client", panics: "lock: NewSemaphore: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(lock.NewSemaphore(nil, "/s", 1))
		}},
		{name: "queue.New nil client", panics: "queue: New: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(queue.New(nil, "/q"))
		}},
		{name: "barrier.New nil client", panics: "barrier: New: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.New(nil, "/b"))
		}},
		{name: "barrier.NewDouble nil client", panics: "barrier: NewDouble: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(barrier.NewDouble(nil, "/d", 2))
		}},
		{name: "counter.NewAtomicLong nil client", panics: "counter: NewAtomicLong: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewAtomicLong(nil, "/n"))
		}},
		{name: "counter.NewSharedCount nil client", panics: "counter: NewSharedCount: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(counter.NewSharedCount(nil, "/n", 0))
		}},
		{name: "election.New nil client", panics: "election: New: nil client", call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(election.New(nil, "/e"))
		}},

		// A closed client: constructors accept it, every operation says so.
		{name: "closed: Create", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(e.closed.Create(ctx, "/x", nil, zkrecipes.Persistent))
		}},
		{name: "closed: Delete", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			return e.closed.Delete(ctx, "/victim", -1)
		}},
		{name: "closed: Mutex.Lock", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			m, err := lock.NewMutex(e.closed, "/m")
			if err != nil {
				return err
			}
			return m.Lock(ctx)
		}},
		{name: "closed: Semaphore.Acquire", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			s, err := lock.NewSemaphore(e.closed, "/s", 2)
			if err != nil {
				return err
			}
			return ignore(s.Acquire(ctx))
		}},
		{name: "closed: queue Put", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			qu, err := queue.New(e.closed, "/q")
			if err != nil {
				return err
			}
			return ignore(qu.Put(ctx, []byte("x")))
		}},
		{name: "closed: AtomicLong.Increment", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			a, err := counter.NewAtomicLong(e.closed, "/n")
			if err != nil {
				return err
			}
			return ignore(a.Increment(ctx))
		}},
		{name: "closed: Barrier.Set", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			b, err := barrier.New(e.closed, "/b")
			if err != nil {
				return err
			}
			return b.Set(ctx)
		}},
		{name: "closed: Double.Enter", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			d, err := barrier.NewDouble(e.closed, "/d", 2)
			if err != nil {
				return err
			}
			return d.Enter(ctx)
		}},
		{name: "closed: Campaign", want: []error{closed}, call: func(ctx context.Context, e *misuseEnv) error {
			return ignore(zktest.Must(election.New(e.closed, "/e")).Campaign(ctx))
		}},

		// A ctx that is done before the call: nothing is sent.
		{name: "done ctx: Create", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return ignore(e.c.Create(e.done, "/x", nil, zkrecipes.Persistent))
		}},
		{name: "done ctx: Set", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return ignore(e.c.Set(e.done, "/victim", []byte("changed"), -1))
		}},
		{name: "done ctx: Delete", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return e.c.Delete(e.done, "/victim", -1)
		}},
		{name: "done ctx: Multi", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return ignore(e.c.Multi(e.done, &zk.CreateRequest{Path: "/x"}))
		}},
		{name: "done ctx: Mutex.Lock", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			m, err := lock.NewMutex(e.c, "/m")
			if err != nil {
				return err
			}
			return m.Lock(e.done)
		}},
		{name: "done ctx: Semaphore.Acquire", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			s, err := lock.NewSemaphore(e.c, "/s", 2)
			if err != nil {
				return err
			}
			return ignore(s.Acquire(e.done))
		}},
		{name: "done ctx: queue Put", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return ignore(q(e).Put(e.done, []byte("x")))
		}},
		{name: "done ctx: AtomicLong.Increment", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			a, err := counter.NewAtomicLong(e.c, "/n")
			if err != nil {
				return err
			}
			return ignore(a.Increment(e.done))
		}},
		{name: "done ctx: SharedCount.Set", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			s, err := counter.NewSharedCount(e.c, "/sc", 0)
			if err != nil {
				return err
			}
			return s.Set(e.done, 3)
		}},
		{name: "done ctx: Barrier.Set", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			b, err := barrier.New(e.c, "/b")
			if err != nil {
				return err
			}
			return b.Set(e.done)
		}},
		{name: "done ctx: Double.Enter", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			d, err := barrier.NewDouble(e.c, "/d", 2)
			if err != nil {
				return err
			}
			return d.Enter(e.done)
		}},
		{name: "done ctx: Campaign", want: []error{canceled}, call: func(_ context.Context, e *misuseEnv) error {
			return ignore(zktest.Must(election.New(e.c, "/e")).Campaign(e.done))
		}},
	}
}

// TestIntegration_Misuse makes one wrong call per row, across every
// package, and checks that it fails with the documented error (or panics
// with the documented message), that nothing under the test's namespace
// changed (not even a node created and deleted again: parents' child
// versions are compared) and that a lock held on the same client is still
// held.
func TestIntegration_Misuse(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := zktest.Namespace(t)
	c := zktest.ClientAt(t, zktest.Servers(t), ns)
	closed, err := zkrecipes.Connect(ctx, zktest.Servers(t), zkrecipes.WithNamespace(ns))
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	done, stop := context.WithCancel(ctx)
	stop()
	e := &misuseEnv{c: c, closed: closed, done: done}

	_, err = c.Create(ctx, "/victim", []byte("v"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	held, err := lock.NewMutex(c, "/held")
	require.NoError(t, err)
	require.NoError(t, held.Lock(ctx))
	defer held.Unlock(context.WithoutCancel(ctx))

	for _, row := range misuseRows() {
		t.Run(row.name, func(t *testing.T) {
			before := tree(t, ctx, c)
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			err, panicked := call(rctx, e, row.call)
			switch {
			case row.panics != "":
				msg, _ := panicked.(string)
				require.Truef(t, strings.HasPrefix(msg, row.panics), "want a panic %q..., got %#v (error %v)", row.panics, panicked, err)
			case panicked != nil:
				t.Fatalf("panicked: %v", panicked)
			default:
				if err == nil {
					err = errNil
				}
				for _, w := range row.want {
					require.ErrorIs(t, err, w)
				}
			}
			select {
			case <-held.Lost():
				t.Fatal("the lock held on the same client was lost")
			default:
			}
			require.Equal(t, before, tree(t, ctx, c), "the tree changed")
		})
	}
}

// call runs fn and returns its error, or what it panicked with.
func call(ctx context.Context, e *misuseEnv, fn func(context.Context, *misuseEnv) error) (err error, panicked any) {
	defer func() { panicked = recover() }()
	return fn(ctx, e), nil
}

// tree returns every node under the client's namespace with its data,
// data version and child version (which moves when a child was created
// or deleted, even if the tree looks the same again).
func tree(t *testing.T, ctx context.Context, c *zkrecipes.Client) []string {
	t.Helper()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.Get(ctx, p)
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("%s data=%q v%d cv%d", p, data, st.Version, st.Cversion))
		kids, _, err := c.Children(ctx, p)
		require.NoError(t, err)
		sort.Strings(kids)
		for _, k := range kids {
			if p == "/" {
				walk("/" + k)
			} else {
				walk(p + "/" + k)
			}
		}
	}
	walk("/")
	return out
}
