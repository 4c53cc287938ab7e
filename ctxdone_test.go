package zkrecipes_test

import (
	"context"
	"errors"
	"regexp"
	"runtime"
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
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

var zxidRe = regexp.MustCompile(`Zxid: (0x[0-9a-f]+)`)

// serverZxid is the last transaction id the server applied: unchanged
// across a row, it shows that no write of any client landed.
func serverZxid(t *testing.T) string {
	t.Helper()
	servers := zktest.Servers(t)
	out, err := zktest.FourLetterWord(servers[0], "srvr", 5*time.Second)
	require.NoError(t, err)
	m := zxidRe.FindStringSubmatch(out)
	require.NotNil(t, m, "no zxid in srvr output %q", out)
	return m[1]
}

// An operation called with a ctx that is already done sends nothing and
// returns ctx's error: no request frame leaves the client and the server
// applies no write, over 1000 calls per operation (root operations and
// every recipe entry point that writes).
func TestIntegration_CancelledCtx_SendsNothing(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 60*time.Second)
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/node", []byte("v"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	_, err = c.Create(ctx, "/dir", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/barrier", nil, zkrecipes.Persistent)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/double", nil, zkrecipes.Persistent)
	require.NoError(t, err)

	done, cancel := context.WithCancel(context.Background())
	cancel()
	mutex := zktest.Must(lock.NewMutex(c, "/lock"))
	rw := zktest.Must(lock.NewRWMutex(c, "/rw"))
	sem := zktest.Must(lock.NewSemaphore(c, "/sem", 2))
	elect := zktest.Must(election.New(c, "/elect"))
	q := zktest.Must(queue.New(c, "/queue"))
	al := zktest.Must(counter.NewAtomicLong(c, "/atomic"))
	sc := zktest.Must(counter.NewSharedCount(c, "/shared", 0))
	bar := zktest.Must(barrier.New(c, "/barrier"))
	dbl := zktest.Must(barrier.NewDouble(c, "/double", 2))
	set := func(v int32) *zk.SetDataRequest {
		return &zk.SetDataRequest{Path: "/node", Data: []byte("x"), Version: v}
	}

	rows := []struct {
		name string
		call func(context.Context) error
	}{
		{"Create", func(ctx context.Context) error {
			_, err := c.Create(ctx, "/dir/n", nil, zkrecipes.Persistent)
			return err
		}},
		{"CreateProtectedSequential", func(ctx context.Context) error {
			_, err := c.Create(ctx, "/dir/s-", nil, zkrecipes.EphemeralSequential)
			return err
		}},
		{"CreateAndList", func(ctx context.Context) error {
			_, _, _, err := seam.CreateAndList(ctx, s, "/dir/l-", nil, zkrecipes.EphemeralSequential)
			return err
		}},
		{"Set", func(ctx context.Context) error { _, err := c.Set(ctx, "/node", []byte("x"), -1); return err }},
		{"SessionSet", func(ctx context.Context) error { _, err := s.Set(ctx, "/node", []byte("x"), -1); return err }},
		{"Delete", func(ctx context.Context) error { return c.Delete(ctx, "/node", -1) }},
		{"Multi", func(ctx context.Context) error { _, err := c.Multi(ctx, set(-1)); return err }},
		{"Sync", func(ctx context.Context) error { return c.Sync(ctx, "/node") }},
		{"Get", func(ctx context.Context) error { _, _, err := c.Get(ctx, "/node"); return err }},
		{"GetW", func(ctx context.Context) error { _, _, _, err := c.GetW(ctx, "/node"); return err }},
		{"Exists", func(ctx context.Context) error { _, _, err := c.Exists(ctx, "/node"); return err }},
		{"ExistsW", func(ctx context.Context) error { _, _, _, err := c.ExistsW(ctx, "/node"); return err }},
		{"Children", func(ctx context.Context) error { _, _, err := c.Children(ctx, "/dir"); return err }},
		{"ChildrenW", func(ctx context.Context) error { _, _, _, err := c.ChildrenW(ctx, "/dir"); return err }},
		{"Mutex.Lock", mutex.Lock},
		{"Mutex.TryLock", mutex.TryLock},
		{"RWMutex.RLock", rw.RLock},
		{"Semaphore.Acquire", func(ctx context.Context) error { _, err := sem.Acquire(ctx); return err }},
		{"Semaphore.AcquireN", func(ctx context.Context) error { _, err := sem.AcquireN(ctx, 2); return err }},
		{"Semaphore.TryAcquire", func(ctx context.Context) error { _, err := sem.TryAcquire(ctx); return err }},
		{"RWMutex.Lock", rw.Lock},
		{"RWMutex.TryRLock", rw.TryRLock},
		{"Election.Campaign", func(ctx context.Context) error { _, err := elect.Campaign(ctx); return err }},
		{"election.Run", func(ctx context.Context) error {
			return election.Run(ctx, c, "/run", func(context.Context) error { return nil })
		}},
		{"Queue.Put", func(ctx context.Context) error { _, err := q.Put(ctx, []byte("m")); return err }},
		{"Queue.PutBatch", func(ctx context.Context) error {
			_, err := q.PutBatch(ctx, [][]byte{[]byte("a"), []byte("b")})
			return err
		}},
		{"Queue.PutAt", func(ctx context.Context) error { _, err := q.PutAt(ctx, []byte("m"), time.Now()); return err }},
		{"Queue.PutPriority", func(ctx context.Context) error { _, err := q.PutPriority(ctx, []byte("m"), 1); return err }},
		{"Queue.TryPut", func(ctx context.Context) error { _, err := q.TryPut(ctx, []byte("m")); return err }},
		{"Queue.Poll", func(ctx context.Context) error { _, err := q.Poll(ctx); return err }},
		{"Queue.Consume", func(ctx context.Context) error {
			return q.Consume(ctx, func(context.Context, *queue.Message) error { return nil })
		}},
		{"Queue.Take", func(ctx context.Context) error { _, err := q.Take(ctx); return err }},
		{"AtomicLong.Increment", func(ctx context.Context) error { _, err := al.Increment(ctx); return err }},
		{"AtomicLong.Add", func(ctx context.Context) error { _, err := al.Add(ctx, 5); return err }},
		{"AtomicLong.CompareAndSet", func(ctx context.Context) error { _, err := al.CompareAndSet(ctx, 0, 1); return err }},
		{"SharedCount.TrySet", func(ctx context.Context) error { _, err := sc.TrySet(ctx, counter.Value{}, 1); return err }},
		{"AtomicLong.Set", func(ctx context.Context) error { return al.Set(ctx, 7) }},
		{"SharedCount.Set", func(ctx context.Context) error { return sc.Set(ctx, 7) }},
		{"Barrier.Set", bar.Set},
		{"Barrier.Remove", bar.Remove},
		{"Barrier.Wait", bar.Wait},
		{"Double.Enter", dbl.Enter},
	}
	const calls = 1000
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			zxid, sent := serverZxid(t), requests(d)
			start := time.Now()
			for i := range calls {
				err := row.call(done)
				if !assert.ErrorIs(t, err, context.Canceled, "call %d", i) {
					break
				}
				assert.NotErrorIs(t, err, zkrecipes.ErrUncertain, "nothing was sent: the outcome is certain")
			}
			per := time.Since(start) / calls
			assert.Equal(t, 0, requests(d)-sent, "request frames sent for cancelled calls")
			assert.Equal(t, zxid, serverZxid(t), "the server applied writes for cancelled calls")
			t.Logf("%s: %v per cancelled call", row.name, per)
		})
	}
}

// A write whose ctx ends while it is in flight may or may not have been
// applied, and its error says so: it matches ctx's error and ErrUncertain.
// A read cancelled in flight returns ctx's error alone.
func TestIntegration_CancelledCtx_InFlightWriteUncertain(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	for _, row := range []struct {
		name  string
		op    int32
		write bool
		call  func(context.Context) error
	}{
		{"Set", zktest.OpSetData, true, func(ctx context.Context) error { _, err := c.Set(ctx, "/n", []byte("x"), -1); return err }},
		{"Delete", zktest.OpDelete, true, func(ctx context.Context) error {
			if _, err := c.Create(context.WithoutCancel(ctx), "/d", nil, zkrecipes.Persistent); err != nil {
				return err
			}
			return c.Delete(ctx, "/d", -1)
		}},
		{"Multi", zktest.OpMulti, true, func(ctx context.Context) error {
			_, err := c.Multi(ctx, &zk.SetDataRequest{Path: "/n", Data: []byte("m"), Version: -1})
			return err
		}},
		{"Get", zktest.OpGetData, false, func(ctx context.Context) error { _, _, err := c.Get(ctx, "/n"); return err }},
	} {
		t.Run(row.name, func(t *testing.T) {
			inFlight := 0
			for range 30 {
				from := len(d.Sent())
				cctx, cancel := context.WithCancel(ctx)
				go func() {
					defer cancel()
					for !slices.Contains(d.Sent()[from:], row.op) && cctx.Err() == nil {
						runtime.Gosched()
					}
				}()
				err := row.call(cctx)
				cancel()
				if err == nil {
					continue
				}
				inFlight++
				require.ErrorIs(t, err, context.Canceled)
				require.Equal(t, row.write, errors.Is(err, zkrecipes.ErrUncertain), "%v", err)
				if row.name == "Delete" {
					_ = c.Delete(ctx, "/d", -1)
				}
			}
			t.Logf("%d of 30 cancelled in flight", inFlight)
			assert.NotZero(t, inFlight, "no call was cancelled in flight")
		})
	}
}
