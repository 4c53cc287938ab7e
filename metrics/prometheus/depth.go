package zkprom

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zkrecipes/zkrecipes/queue"
)

// QueueDepth returns a Collector of zkrecipes_queue_depth{path}: the
// messages in each of qs (waiting, delayed and held, as queue.Queue.Len
// counts them), read from ZooKeeper when scraped, which costs one listing
// plus one stat per bucket of each queue; a scrape waits for them at most
// timeout. A queue that cannot be read then has no sample. Register it
// beside m for the queues worth watching: the depth is not derived from
// the client's events, which see only this process's puts and takes.
func (m *Metrics) QueueDepth(timeout time.Duration, qs ...*queue.Queue) prometheus.Collector {
	return &depth{
		desc: prometheus.NewDesc(prometheus.BuildFQName(m.namespace, "", "queue_depth"),
			"Messages in the queue: waiting, delayed and held (read at scrape time).", []string{"path"}, nil),
		path:    m.path,
		timeout: timeout,
		qs:      qs,
	}
}

type depth struct {
	desc    *prometheus.Desc
	path    func(string) string
	timeout time.Duration
	qs      []*queue.Queue
}

func (d *depth) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *depth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, q := range d.qs {
		wg.Go(func() {
			if n, err := q.Len(ctx); err == nil {
				ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(n), d.path(q.Path()))
			}
		})
	}
	wg.Wait()
}
