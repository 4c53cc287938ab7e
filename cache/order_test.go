package cache_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Writers set, delete and recreate nodes of a tree as fast as they can
// while the cached client's connection is cut now and then. Every path's
// events must follow its history (created only when absent, changed and
// deleted only when present, values by increasing mzxid: never an older
// value after a newer one, never a deleted node brought back), and once
// the writers stop the cache must equal the server's tree.
func TestIntegration_Tree_ChurnOrderAndConvergence(t *testing.T) {
	zktest.SkipIfShort(t)
	ctx := zktest.Context(t, 60*time.Second)
	ns, srv := zktest.Namespace(t), zktest.Servers(t)
	w := zktest.ClientAt(t, srv, ns)
	c, d := zktest.FaultyClientAt(t, srv, ns)
	mustCreate(ctx, t, w, "/ch", "")
	tr := zktest.Must(cache.NewTree(c, "/ch"))
	defer tr.Close()
	sub := tr.Subscribe()
	defer sub.Close()
	require.NoError(t, tr.Start(ctx))

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 150 {
				p := fmt.Sprintf("/ch/%d", r.IntN(3))
				if r.IntN(2) == 0 {
					p += fmt.Sprintf("/%d", r.IntN(3))
				}
				if err := churn(ctx, w, r, p, fmt.Sprintf("%d-%d", g, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	cuts := make(chan struct{})
	go func() {
		defer close(cuts)
		for range 3 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(150 * time.Millisecond):
				d.Cut()
			}
		}
	}()
	wg.Wait()
	<-cuts
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	h := history{}
	for {
		want, err := serverTree(ctx, w, "/ch")
		require.NoError(t, err)
		if got := cacheTree(tr); fmt.Sprint(got) == fmt.Sprint(want) {
			if stale, _ := tr.Stale(); !stale {
				break
			}
		}
		ev, err := sub.Next(ctx)
		require.NoError(t, err, "the cache did not converge: cache %v, server %v", paths(cacheTree(tr)), paths(want))
		h.check(t, ev)
	}
	// The events queued so far follow the histories too.
	for {
		qctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		ev, err := sub.Next(qctx)
		cancel()
		if err != nil {
			break
		}
		h.check(t, ev)
	}
	t.Logf("%d events", h.n)
}

func churn(ctx context.Context, c *zkrecipes.Client, r *rand.Rand, p, v string) error {
	var err error
	switch r.IntN(3) {
	case 0:
		_, err = c.Set(ctx, p, []byte(v), -1)
	case 1:
		err = c.Delete(ctx, p, -1)
	default:
		_, err = c.Create(ctx, p, []byte(v), zkrecipes.Persistent, zkrecipes.WithParents())
	}
	if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNotEmpty) {
		return nil
	}
	return err
}

// history checks that each path's events are consistent with one history.
type history struct {
	n    int
	cur  map[string]*cache.Entry
	last map[string]int64 // mzxid of the last value seen
}

func (h *history) check(t *testing.T, ev cache.Event) {
	t.Helper()
	if h.cur == nil {
		h.cur, h.last = map[string]*cache.Entry{}, map[string]int64{}
	}
	h.n++
	cur := h.cur[ev.Path]
	switch ev.Kind {
	case cache.Created:
		assert.Nil(t, cur, "created while present: %s", ev.Path)
	case cache.Changed:
		if assert.NotNil(t, cur, "changed while absent: %s", ev.Path) {
			assert.Equal(t, cur, ev.Old, "changed from another value than the last one: %s", ev.Path)
		}
	case cache.Deleted:
		if assert.NotNil(t, cur, "deleted while absent: %s", ev.Path) {
			assert.Equal(t, cur, ev.Old, ev.Path)
		}
		h.cur[ev.Path] = nil
		return
	default:
		return
	}
	assert.Greater(t, ev.New.Stat.Mzxid, h.last[ev.Path], "an older value after a newer one: %s", ev.Path)
	h.last[ev.Path] = ev.New.Stat.Mzxid
	h.cur[ev.Path] = ev.New
}
