package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// RTT is the raw round trip of one session against the server: the floor
// every recipe latency is divided by.
type RTT struct {
	ExistsP50, ExistsP99 float64 // µs
	GetP50               float64
	CreateP50, DeleteP50 float64
	PairsPerSec          float64 // sequential persistent create+delete
	EphSeqPairP50        float64 // ephemeral-sequential create+delete pair p50
}

// MeasureRTT runs the anchors' RAW workload with a bare go-zookeeper session.
func MeasureRTT(ctx context.Context, p *Params, warmup, ops int) (RTT, error) {
	c, _, err := zk.Connect(p.Servers, p.SessionTimeout, zk.WithLogInfo(false), zk.WithLogger(nopLogger{}))
	if err != nil {
		return RTT{}, err
	}
	defer c.Close()
	acl := zk.WorldACL(zk.PermAll)
	base := p.Root + "-raw"
	if _, err := c.Create(base, nil, 0, acl); err != nil && err != zk.ErrNodeExists {
		return RTT{}, fmt.Errorf("create %s: %w", base, err)
	}
	defer c.Delete(base, -1)
	timeN := func(n int, fn func(i int) error) ([]time.Duration, time.Duration, error) {
		out := make([]time.Duration, 0, n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			s := time.Now()
			if err := fn(i); err != nil {
				return nil, 0, err
			}
			out = append(out, time.Since(s))
		}
		return out, time.Since(t0), nil
	}
	exists := func(int) error { _, _, err := c.Exists(base); return err }
	get := func(int) error { _, _, err := c.Get(base); return err }
	if _, _, err := timeN(warmup, exists); err != nil {
		return RTT{}, err
	}
	ex, _, err := timeN(ops, exists)
	if err != nil {
		return RTT{}, err
	}
	gt, _, err := timeN(ops, get)
	if err != nil {
		return RTT{}, err
	}
	var cr, dl []time.Duration
	_, cdElapsed, err := timeN(ops, func(i int) error {
		np := fmt.Sprintf("%s/n-%d", base, i)
		s := time.Now()
		if _, err := c.Create(np, nil, 0, acl); err != nil {
			return err
		}
		m := time.Now()
		err := c.Delete(np, -1)
		cr, dl = append(cr, m.Sub(s)), append(dl, time.Since(m))
		return err
	})
	if err != nil {
		return RTT{}, err
	}
	es, _, err := timeN(ops, func(int) error {
		np, err := c.Create(base+"/es-", nil, zk.FlagEphemeral|zk.FlagSequence, acl)
		if err != nil {
			return err
		}
		return c.Delete(np, -1)
	})
	if err != nil {
		return RTT{}, err
	}
	return RTT{
		ExistsP50: Pct(ex, 0.5), ExistsP99: Pct(ex, 0.99), GetP50: Pct(gt, 0.5),
		CreateP50: Pct(cr, 0.5), DeleteP50: Pct(dl, 0.5),
		PairsPerSec:   R2(float64(ops) / cdElapsed.Seconds()),
		EphSeqPairP50: Pct(es, 0.5),
	}, nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// rttCache lets every workload of one run divide by the same floor.
var rttCache *RTT

// Floor returns the RTT of this run, measuring it (quickly) on first use.
func Floor(ctx context.Context, p *Params) (RTT, error) {
	if rttCache != nil {
		return *rttCache, nil
	}
	r, err := MeasureRTT(ctx, p, 200, 500)
	if err != nil {
		return RTT{}, err
	}
	rttCache = &r
	return r, nil
}

func init() {
	Register(Workload{
		Name: "rtt", Anchor: "RAW",
		Help: "raw round trip of one session: exists p50/p99 and the sequential create+delete rate",
		Run: func(ctx context.Context, p *Params, e *Emitter) error {
			r, err := MeasureRTT(ctx, p, p.RawWarmup, p.RawOps)
			if err != nil {
				return err
			}
			rttCache = &r
			e.Emit(Result{
				"impl": p.Impl + "-raw", "workload": "RAW", "variant": "go-zookeeper/zk v1.0.4 raw ops",
				"exists_p50_us": r.ExistsP50, "exists_p99_us": r.ExistsP99, "get_p50_us": r.GetP50,
				"create_p50_us": r.CreateP50, "delete_p50_us": r.DeleteP50,
				"create_delete_pairs_s": r.PairsPerSec, "create_delete_ops_s": R2(2 * r.PairsPerSec),
				"ephseq_create_delete_pair_p50_us": r.EphSeqPairP50, "n": p.RawOps,
			})
			return nil
		},
	})
}
