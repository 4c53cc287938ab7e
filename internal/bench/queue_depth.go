package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

// runQueueDepth fills a fresh queue to each depth with PutBatch, then
// measures Take alone; each taken message is acknowledged and replaced by a
// put (both untimed), so the depth stays constant while measuring.
func runQueueDepth(ctx context.Context, p *Params, e *Emitter) error {
	depths := p.W4Depths
	if len(depths) == 0 {
		depths = []int{1000, 100000}
	}
	floor, err := Floor(ctx, p)
	if err != nil {
		return err
	}
	cs, closeAll, err := connectN(ctx, p, 2) // a producer and a consumer session
	if err != nil {
		return err
	}
	defer closeAll()
	var p50s, p99s []float64
	for _, depth := range depths {
		path := fmt.Sprintf("%s/queue-depth-%d", p.Root, depth)
		p.Logf("queue-depth: filling %s to %d", path, depth)
		prod, cons := must(queue.New(cs[0].c, path)), must(queue.New(cs[1].c, path))
		if err := fill(ctx, prod, depth, p.W4Payload); err != nil {
			return err
		}
		if n, err := cons.Len(ctx); err != nil || n != depth {
			return fmt.Errorf("queue-depth: Len = %d, %v; want %d", n, err, depth)
		}
		var lat []time.Duration
		req0 := cs[1].cnt.Requests()
		for i := range depthWarmup + depthSamples {
			st := time.Now()
			m, err := cons.Take(ctx)
			if err != nil {
				return err
			}
			d := time.Since(st)
			if i == depthWarmup {
				req0 = cs[1].cnt.Requests()
			}
			if i >= depthWarmup {
				lat = append(lat, d)
			}
			if err := m.Ack(ctx); err != nil {
				return err
			}
			if _, err := prod.Put(ctx, w4Payload(0, depth+i, p.W4Payload)); err != nil {
				return err
			}
		}
		rt := float64(cs[1].cnt.Requests()-req0) / float64(depthSamples)
		p50, p99 := Pct(lat, 0.5), Pct(lat, 0.99)
		p50s, p99s = append(p50s, p50), append(p99s, p99)
		e.Emit(Result{
			"impl": p.Impl, "workload": "queue-depth", "variant": fmt.Sprintf("depth %d", depth),
			"depth": depth, "take_p50_us": p50, "take_p99_us": p99, "samples": depthSamples,
			"p50_x_rtt": R2(p50 / floor.ExistsP50), "round_trips_per_op": R2(rt),
		})
		if err := drop(ctx, cs[0].c, path); err != nil {
			return err
		}
	}
	if len(depths) > 1 {
		last := len(depths) - 1
		e.Emit(Result{
			"impl": p.Impl, "workload": "queue-depth",
			"variant":   fmt.Sprintf("ratio depth %d / depth %d", depths[last], depths[0]),
			"p50_ratio": R2(p50s[last] / p50s[0]), "p99_ratio": R2(p99s[last] / p99s[0]),
		})
	}
	return nil
}

func fill(ctx context.Context, q *queue.Queue, depth, size int) error {
	for n := 0; n < depth; {
		k := min(queue.MaxBatch, depth-n)
		batch := make([][]byte, k)
		for i := range batch {
			batch[i] = w4Payload(0, n+i, size)
		}
		if _, err := q.PutBatch(ctx, batch); err != nil {
			return err
		}
		n += k
	}
	return nil
}

// drop deletes a queue and its messages, many deletes per transaction
// (a transaction that fails on a node with children is redone child by child).
// Nodes that vanish meanwhile (a put's receipt, deleted by its producer) are
// not an error.
func drop(ctx context.Context, c *zkrecipes.Client, path string) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for len(kids) > 0 {
		k := min(len(kids), 1000)
		reqs := make([]any, k)
		for i, name := range kids[:k] {
			reqs[i] = &zk.DeleteRequest{Path: path + "/" + name, Version: -1}
		}
		if _, err := c.Multi(ctx, reqs...); err != nil {
			for _, name := range kids[:k] {
				if err := drop(ctx, c, path+"/"+name); err != nil {
					return err
				}
			}
		}
		kids = kids[k:]
	}
	if err := c.Delete(ctx, path, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	return nil
}
