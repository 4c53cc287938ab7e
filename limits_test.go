package zkrecipes_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/lock"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// requests counts the request frames d saw written, pings excepted.
func requests(d *zktest.FaultDialer) int {
	n := 0
	for _, op := range d.Sent() {
		if op != zktest.OpPing {
			n++
		}
	}
	return n
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// An oversized Set fails at once with the size error and sends nothing:
// the lock and the leadership held on the same client stay held, and the
// session's connection is never dropped.
func TestIntegration_Client_OversizedSetKeepsLocks(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/config", []byte("v1"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	m := zktest.Must(lock.NewMutex(c, "/lock"))
	require.NoError(t, m.Lock(ctx))
	term, err := zktest.Must(election.New(c, "/elect")).Campaign(ctx)
	require.NoError(t, err)
	s := c.Session()
	conns, suspended, sent := seam.Connections(s), s.Suspended(), requests(d)

	start := time.Now()
	_, err = c.Set(ctx, "/config", make([]byte, 1100*1024), -1)
	took := time.Since(start)
	require.ErrorIs(t, err, zkrecipes.ErrTooLarge)
	require.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	assert.Less(t, took, time.Second, "the size error waited for the server") // a drop and retries take seconds; a loaded machine, 150 ms
	assert.Equal(t, sent, requests(d), "the oversized Set was sent")

	// A round trip after it: the connection it would have dropped is the
	// one this Sync uses.
	require.NoError(t, c.Sync(ctx, "/config"))
	assert.Equal(t, conns, seam.Connections(s), "the connection was dropped")
	assert.False(t, isClosed(suspended), "the session was suspended")
	assert.False(t, isClosed(m.Lost()), "the lock was lost")
	assert.False(t, isClosed(term.Done()), "the leadership ended")
	data, _, err := c.Get(ctx, "/config")
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), data)
	require.NoError(t, term.Resign(ctx))
	require.NoError(t, m.Unlock(ctx))
}

// Every write is checked against the node limit and the request limit
// before it is sent, up to and past go-zookeeper's buffer, and a request
// of exactly the server's limit still goes through.
func TestIntegration_Client_RequestSizeLimits(t *testing.T) {
	zktest.SkipIfShort(t)
	c, d := zktest.FaultyClient(t)
	ctx := zktest.Context(t, 30*time.Second)
	_, err := c.Create(ctx, "/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	// A Set frame is xid, opcode, path, data, version: 20 bytes and the
	// two. This path makes one of MaxDataSize bytes exactly 0xfffff long.
	long := "/" + strings.Repeat("p", 0xfffff-20-zkrecipes.MaxDataSize-len(c.Namespace())-1)
	_, err = c.Create(ctx, long, nil, zkrecipes.Persistent)
	require.NoError(t, err)
	_, err = c.Set(ctx, long, make([]byte, zkrecipes.MaxDataSize), -1)
	require.NoError(t, err, "a request of exactly the server's limit")

	big := func(n int) []byte { return make([]byte, n) }
	half := func() *zk.SetDataRequest { return &zk.SetDataRequest{Path: "/n", Data: big(600 << 10), Version: -1} }
	rows := []struct {
		name string
		call func() error
	}{
		{"Set/over the node limit", func() error { _, err := c.Set(ctx, "/n", big(zkrecipes.MaxDataSize+1), -1); return err }},
		{"Set/1.4MB", func() error { _, err := c.Set(ctx, "/n", big(1400<<10), -1); return err }},
		{"Set/over go-zookeeper's buffer", func() error { _, err := c.Set(ctx, "/n", big(2<<20), -1); return err }},
		{"Set/request one byte over", func() error { _, err := c.Set(ctx, long+"q", big(zkrecipes.MaxDataSize), -1); return err }},
		{"Create/1.4MB", func() error { _, err := c.Create(ctx, "/c", big(1400<<10), zkrecipes.Persistent); return err }},
		{"Create/sequential request over", func() error {
			_, err := c.Create(ctx, long[:len(long)-30]+"-", big(zkrecipes.MaxDataSize), zkrecipes.PersistentSequential)
			return err
		}},
		{"Multi/part over the node limit", func() error {
			_, err := c.Multi(ctx, &zk.CreateRequest{Path: "/m", Data: big(zkrecipes.MaxDataSize + 1)})
			return err
		}},
		{"Multi/total over the request limit", func() error { _, err := c.Multi(ctx, half(), half()); return err }},
		{"Get/path over the request limit", func() error { _, _, err := c.Get(ctx, "/"+strings.Repeat("g", 1<<20)); return err }},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			sent, conns := requests(d), seam.Connections(c.Session())
			err := row.call()
			require.ErrorIs(t, err, zkrecipes.ErrTooLarge)
			require.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
			assert.NotContains(t, err.Error(), "buffer too small")
			assert.Equal(t, sent, requests(d), "request frames sent")
			assert.Equal(t, conns, seam.Connections(c.Session()), "connections")
		})
	}
	_, st, err := c.Get(ctx, "/n")
	require.NoError(t, err)
	assert.Zero(t, st.Version, "a refused Set was applied")
}

// syncBuffer is a bytes.Buffer for a logger written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// rearm is a retry policy that arms d to cut the connection again after
// the next request with opcode op, before each retry: every attempt of the
// operation is followed by a drop while it awaits its reply.
type rearm struct {
	d  *zktest.FaultDialer
	op int32
}

func (r rearm) NextBackOff() time.Duration { r.d.CutAfterRequest(r.op); return 5 * time.Millisecond }

// A request after which the connection closes, every time, is not sent
// again forever: after retry.MaxDrops drops in a row the operation fails
// with ErrRepeatedDrop (and, for a write, ErrUncertain: the fault here lets
// the server apply it), and says so at Warn.
func TestIntegration_Client_RepeatedDropFails(t *testing.T) {
	zktest.SkipIfShort(t)
	for _, row := range []struct {
		name  string
		op    int32
		write bool
		call  func(context.Context, *zkrecipes.Client) error
	}{
		{"Set", zktest.OpSetData, true, func(ctx context.Context, c *zkrecipes.Client) error {
			_, err := c.Set(ctx, "/n", []byte("x"), -1)
			return err
		}},
		{"Get", zktest.OpGetData, false, func(ctx context.Context, c *zkrecipes.Client) error {
			_, _, err := c.Get(ctx, "/n")
			return err
		}},
	} {
		t.Run(row.name, func(t *testing.T) {
			d := zktest.NewFaultDialer()
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			c := zktest.Client(t, zkrecipes.WithDialer(d.Dial), zkrecipes.WithLogger(logger),
				zkrecipes.WithRetry(func() zkrecipes.Backoff { return rearm{d, row.op} }))
			ctx := zktest.Context(t, 20*time.Second)
			_, err := c.Create(ctx, "/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
			require.NoError(t, err)
			from := len(d.Sent())
			d.CutAfterRequest(row.op)
			err = row.call(ctx, c)
			require.ErrorIs(t, err, zkrecipes.ErrRepeatedDrop)
			require.ErrorIs(t, err, zk.ErrConnectionClosed, "the last cause")
			assert.Equal(t, row.write, errorsIs(err, zkrecipes.ErrUncertain), "uncertain: %v", err)
			n := 0
			for _, op := range d.Sent()[from:] {
				if op == row.op {
					n++
				}
			}
			assert.Equal(t, retry.MaxDrops, n, "attempts sent")
			assert.Contains(t, logs.String(), "level=WARN")
			assert.Contains(t, logs.String(), "not sent again")
			t.Log(err)
		})
	}
}

// A client told the server takes larger requests than it does sends one:
// the server closes the connection on it, for real, and the request is
// not resent forever.
func TestIntegration_Client_ServerRefusedRequestNotResentForever(t *testing.T) {
	zktest.SkipIfShort(t)
	c, _ := zktest.FaultyClient(t, zkrecipes.WithMaxBufferSize(2<<20))
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	conns := seam.Connections(c.Session())
	_, err = c.Set(ctx, "/n", make([]byte, 1100*1024), -1)
	require.ErrorIs(t, err, zkrecipes.ErrRepeatedDrop)
	require.ErrorIs(t, err, zkrecipes.ErrUncertain)
	t.Log(err)
	_, st, err := c.Get(ctx, "/n")
	require.NoError(t, err)
	assert.Zero(t, st.Version, "the server applied the refused request")
	assert.Equal(t, conns+int64(retry.MaxDrops), seam.Connections(c.Session()), "one drop per attempt")
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
