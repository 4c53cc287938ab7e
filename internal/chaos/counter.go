package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
)

// The counter workload: workers add small random deltas to one
// counter.AtomicLong, the last one with a promotion lock that it takes
// after two lost races. A successful Add must report Post = Pre + delta,
// the (Pre, Post] ranges of successful adds must be disjoint (none counted
// twice, none lost), and the final value must lie between the sum of
// successful deltas and that plus the deltas of zkrecipes.ErrUncertain adds.
func init() {
	register(spec{name: "counter", workers: 4, new: func(rec *recorder) recipe { return &counterRecipe{rec: rec} }})
}

const (
	counterPath   = "/atomic"
	promotionPath = "/promotion"
)

type counterRecipe struct {
	rec *recorder

	mu        sync.Mutex
	adds      []counterAdd
	sumOK     int64
	sumMaybe  int64 // deltas of adds whose outcome is unknown
	promoted  int
	failedAdd int
}

type counterAdd struct {
	worker    string
	delta     int64
	pre, post int64
	at        time.Time
}

func (c *counterRecipe) setup(context.Context, *zkrecipes.Client) error { return nil }

func (c *counterRecipe) leftoverOK(string, *zk.Stat) bool { return false }

func (c *counterRecipe) work(ctx context.Context, w *worker) {
	var opts []counter.Option
	if w.slot == 3 {
		opts = append(opts, counter.WithPromotionLock(promotionPath), counter.WithPromoteAfter(2))
	}
	a := must(counter.NewAtomicLong(w.c, counterPath, opts...))
	for ctx.Err() == nil {
		delta := int64(1 + w.rng.Intn(5))
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, 20*time.Second)
		r, err := a.Add(actx, delta)
		cancel()
		c.mu.Lock()
		switch {
		case err == nil:
			c.sumOK += delta
			c.adds = append(c.adds, counterAdd{worker: w.id, delta: delta, pre: r.Pre, post: r.Post, at: time.Now()})
			if r.Promoted {
				c.promoted++
			}
		case errors.Is(err, zkrecipes.ErrUncertain):
			c.sumMaybe += delta
		default:
			c.failedAdd++
		}
		c.mu.Unlock()
		switch {
		case err == nil:
			c.rec.op(w, start, opOK, true)
		case errors.Is(err, zkrecipes.ErrUncertain):
			c.rec.op(w, start, opAmbiguous, false)
		default:
			c.rec.op(w, start, opFailed, false)
		}
	}
}

func (c *counterRecipe) check(ctx context.Context, admin *zkrecipes.Client, res *Result) {
	final, err := must(counter.NewAtomicLong(admin, counterPath)).Get(ctx)
	if err != nil {
		c.rec.violate("cannot read the final value: %v", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	adds := append([]counterAdd(nil), c.adds...)
	sort.Slice(adds, func(i, j int) bool { return adds[i].pre < adds[j].pre })
	for i, a := range adds {
		if a.post != a.pre+a.delta {
			c.rec.violate("%s added %d at %s but reported %d -> %d", a.worker, a.delta, c.rec.at(a.at), a.pre, a.post)
		}
		if i > 0 && a.pre < adds[i-1].post {
			p := adds[i-1]
			c.rec.violate("%s's add %d -> %d at %s overlaps %s's %d -> %d at %s: one increment counted twice or lost",
				a.worker, a.pre, a.post, c.rec.at(a.at), p.worker, p.pre, p.post, c.rec.at(p.at))
		}
	}
	if final < c.sumOK || final > c.sumOK+c.sumMaybe {
		c.rec.violate("final value %d outside [successful %d, successful+indeterminate %d]", final, c.sumOK, c.sumOK+c.sumMaybe)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("final %d; successful deltas %d (%d adds, %d promoted), indeterminate deltas %d, failed adds %d",
		final, c.sumOK, len(adds), c.promoted, c.sumMaybe, c.failedAdd))
}
