package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/counter"
)

const counterDetails = `The counter is Curator's DistributedAtomicLong (8-byte big-endian), or with
--shared Curator's SharedCount (4-byte big-endian int32), so Java services
share the same count. A missing node reads as 0. Every update is a versioned
compare-and-set applied exactly once, also when a reply is lost; if a write's
outcome cannot be known (its session ended while it was in flight) zkr says
so and exits 1.`

func init() {
	register(&command{
		name: "counter", summary: "shared counters (Curator DistributedAtomicLong / SharedCount compatible)",
		details: counterDetails,
		subs: []*command{
			{
				name: "get", synopsis: "counter get [--shared] PATH", summary: "print the counter's value",
				examples: []string{"zkr counter get /counters/deploys", "zkr counter get --json --shared /counters/slots"},
				setup:    counterCmd(counterGet, 0),
			},
			{
				name: "add", synopsis: "counter add [--shared] PATH DELTA", summary: "add DELTA (may be negative) and print the new value",
				examples: []string{"zkr counter add /counters/deploys 1", "zkr counter add /counters/budget -25"},
				setup:    counterCmd(counterAdd, 1),
			},
			{
				name: "set", synopsis: "counter set [--shared] PATH VALUE", summary: "set the counter to VALUE",
				examples: []string{"zkr counter set /counters/deploys 0"},
				setup:    counterCmd(counterSet, 1),
			},
		},
	})
}

type counterOp func(ctx context.Context, a *app, c counterHandle, n int64) error

// counterHandle is an AtomicLong or a SharedCount.
type counterHandle struct {
	atomic *counter.AtomicLong
	shared *counter.SharedCount
}

func counterCmd(op counterOp, nargs int) func(*app, *flag.FlagSet) runner {
	return func(a *app, fs *flag.FlagSet) runner {
		shared := fs.Bool("shared", false, "a SharedCount (4-byte int32) instead of a DistributedAtomicLong (8-byte int64)")
		return func(ctx context.Context, p parsed) error {
			if err := wantArgs("counter", p.pos, 1+nargs, 1+nargs); err != nil {
				return err
			}
			var n int64
			if nargs > 0 {
				v, err := strconv.ParseInt(p.pos[1], 10, 64)
				if err != nil {
					return usagef("counter: %q is not an integer", p.pos[1])
				}
				if *shared && (v < math.MinInt32 || v > math.MaxInt32) {
					return usagef("counter: %d does not fit a SharedCount (int32)", v)
				}
				n = v
			}
			path := p.pos[0]
			return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
				h := counterHandle{}
				var err error
				if *shared {
					h.shared, err = counter.NewSharedCount(c, path, 0)
				} else {
					h.atomic, err = counter.NewAtomicLong(c, path)
				}
				if err != nil {
					return err
				}
				return op(ctx, a, h, n)
			})
		}
	}
}

func counterGet(ctx context.Context, a *app, h counterHandle, _ int64) error {
	if h.shared != nil {
		v, err := h.shared.Get(ctx)
		if err != nil {
			return err
		}
		return a.printCount(map[string]any{"value": v.Count, "version": v.Version}, int64(v.Count))
	}
	v, err := h.atomic.Get(ctx)
	if err != nil {
		return err
	}
	return a.printCount(map[string]any{"value": v}, v)
}

func counterAdd(ctx context.Context, a *app, h counterHandle, delta int64) error {
	if h.shared != nil {
		pre, post, err := sharedAdd(ctx, h.shared, delta)
		if err != nil {
			return err
		}
		return a.printCount(map[string]any{"pre": pre, "value": post}, int64(post))
	}
	r, err := h.atomic.Add(ctx, delta)
	if err != nil {
		return err
	}
	return a.printCount(map[string]any{"pre": r.Pre, "value": r.Post, "attempts": r.Attempts}, r.Post)
}

func counterSet(ctx context.Context, a *app, h counterHandle, v int64) error {
	var err error
	if h.shared != nil {
		err = h.shared.Set(ctx, int32(v))
	} else {
		err = h.atomic.Set(ctx, v)
	}
	if err != nil {
		return err
	}
	return a.printCount(map[string]any{"value": v}, v)
}

// sharedAdd adds delta to a SharedCount with versioned writes, retrying on
// conflict, as Curator users do with trySetCount.
func sharedAdd(ctx context.Context, s *counter.SharedCount, delta int64) (pre, post int32, err error) {
	for attempt := 0; ; attempt++ {
		v, err := s.Get(ctx)
		if err != nil {
			return 0, 0, err
		}
		n := int64(v.Count) + delta
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, 0, fmt.Errorf("counter: %d%+d overflows a SharedCount (int32)", v.Count, delta)
		}
		ok, err := s.TrySet(ctx, v, int32(n))
		if err != nil {
			return 0, 0, err
		}
		if ok {
			return v.Count, int32(n), nil
		}
		if err := sleep(ctx, time.Duration(1+min(attempt, 50))*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
}

func (a *app) printCount(j map[string]any, v int64) error {
	if a.json {
		return a.printJSON(j)
	}
	a.printf("%d\n", v)
	return nil
}
