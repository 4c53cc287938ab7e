package chaos

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
)

// The shared-count workload: workers increment one counter.SharedCount
// with Get and TrySet (Curator's compare-and-set) while each also watches
// it. TrySet documents that an error means nothing was applied, except
// zkrecipes.ErrUncertain: so the final count must lie between the successful
// increments and those plus the indeterminate ones, no two successes may
// write the same count, and a watcher must never see the count go back.
func init() {
	register(spec{name: "sharedcount", workers: 3, new: func(rec *recorder) recipe {
		return &sharedRecipe{rec: rec, reg: casReg{written: map[int64]string{}}}
	}})
}

const sharedPath = "/shared"

type sharedRecipe struct {
	rec *recorder
	reg casReg // ambiguous: the zkrecipes.ErrUncertain increments
}

func (s *sharedRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (s *sharedRecipe) leftoverOK(p string, _ *zk.Stat) bool { return p == sharedPath }

func (s *sharedRecipe) work(ctx context.Context, w *worker) {
	sc := must(counter.NewSharedCount(w.c, sharedPath, 0))
	var wg sync.WaitGroup
	wg.Go(func() { s.watch(ctx, w, sc) })
	defer wg.Wait()
	for ctx.Err() == nil {
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, 20*time.Second)
		n, err := s.increment(octx, sc)
		cancel()
		o := opOK
		switch {
		case errors.Is(err, zkrecipes.ErrUncertain):
			o = opAmbiguous
		case err != nil:
			o = opFailed
		}
		s.rec.op(w, start, o, true)
		s.reg.tally(s.rec, sharedPath, o, int64(n), w.id)
	}
}

// increment reads the count and sets it one higher, until a TrySet wins.
func (s *sharedRecipe) increment(ctx context.Context, sc *counter.SharedCount) (int32, error) {
	for {
		v, err := sc.Get(ctx)
		if err != nil {
			return 0, err
		}
		ok, err := sc.TrySet(ctx, v, v.Count+1)
		if err != nil || ok {
			return v.Count + 1, err
		}
	}
}

// watch checks that the counts a watcher receives never go back.
func (s *sharedRecipe) watch(ctx context.Context, w *worker, sc *counter.SharedCount) {
	var last counter.Value
	for v := range sc.Watch(ctx) {
		if v.Count < last.Count || v.Version < last.Version {
			s.rec.violate("sharedcount: %s's watch went back from %d (version %d) to %d (version %d) at %s",
				w.id, last.Count, last.Version, v.Count, v.Version, s.rec.at(time.Now()))
		}
		last = v
	}
}

func (s *sharedRecipe) check(ctx context.Context, c *zkrecipes.Client, res *Result) {
	v, err := must(counter.NewSharedCount(c, sharedPath, 0)).Get(ctx)
	if err != nil {
		s.rec.violate("sharedcount: cannot read the final count: %v", err)
		return
	}
	res.Notes = append(res.Notes, s.reg.checkFinal(s.rec, sharedPath, int64(v.Count)))
}
