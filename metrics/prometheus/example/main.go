// Command example serves a zkrecipes client's metrics on /metrics while a
// lock, an election, a queue and a service cache keep it busy, so that there is something
// to scrape and graph:
//
//	go run ./example                                  # embedded ZooKeeper (needs Java and ZooKeeper: see zktest)
//	go run ./example -servers zk1:2181,zk2:2181 -listen :9464
//	curl -s localhost:9464/metrics | grep ^zkrecipes_
//
// Point a Prometheus at it and import dashboard.json into Grafana.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/lock"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func main() {
	servers := flag.String("servers", "", "comma-separated ZooKeeper servers (default: start an embedded one)")
	listen := flag.String("listen", "127.0.0.1:9464", "address to serve /metrics on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *servers == "" {
		srv, err := zktest.StartServer()
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		*servers = srv.Addr()
	}

	// The adapter: one Metrics registered once, one Observer per client.
	m := zkprom.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, err := zkrecipes.Connect(cctx, strings.Split(*servers, ","),
		zkrecipes.WithNamespace("/zkrecipes-metrics-example"), zkrecipes.WithObserver(m.Observer()))
	cancel()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Addr: *listen}
	go func() {
		if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	log.Printf("serving http://%s/metrics (ZooKeeper %s); Ctrl-C stops", *listen, *servers)

	q, err := queue.New(c, "/queues/jobs", queue.WithMaxDeliveries(3))
	if err != nil {
		log.Fatal(err)
	}
	reg.MustRegister(m.QueueDepth(5*time.Second, q)) // read from ZooKeeper at each scrape

	go lockLoop(ctx, c)
	go electionLoop(ctx, c)
	go queueLoop(ctx, q)
	go discoveryLoop(ctx, c)
	<-ctx.Done()
	_ = hs.Shutdown(context.Background())
}

// lockLoop takes a lock, holds it a little, and lets it go.
func lockLoop(ctx context.Context, c *zkrecipes.Client) {
	mu, err := lock.NewMutex(c, "/locks/report")
	if err != nil {
		log.Fatal(err)
	}
	for ctx.Err() == nil {
		if err := mu.Lock(ctx); err != nil {
			continue
		}
		pause(ctx, 50*time.Millisecond)
		_ = mu.Unlock(context.WithoutCancel(ctx))
		pause(ctx, 20*time.Millisecond)
	}
}

// electionLoop leads for a few seconds at a time.
func electionLoop(ctx context.Context, c *zkrecipes.Client) {
	e, err := election.New(c, "/election/scheduler")
	if err != nil {
		log.Fatal(err)
	}
	for ctx.Err() == nil {
		term, err := e.Campaign(ctx)
		if err != nil {
			continue
		}
		pause(ctx, 5*time.Second)
		_ = term.Resign(context.WithoutCancel(ctx))
		pause(ctx, time.Second)
	}
}

// queueLoop puts jobs and consumes them, failing one in ten (redelivered,
// and dead-lettered after three deliveries).
func queueLoop(ctx context.Context, q *queue.Queue) {
	go func() {
		for ctx.Err() == nil {
			_, _ = q.Put(ctx, []byte("job"))
			pause(ctx, 30*time.Millisecond)
		}
	}()
	_ = q.Consume(ctx, func(ctx context.Context, m *queue.Message) error {
		if rand.IntN(10) == 0 {
			return errors.New("flaky job")
		}
		return nil
	})
}

// discoveryLoop keeps a ServiceCache of service "api" (the instance
// count and the cache metrics of its children cache) while instances come
// and go.
func discoveryLoop(ctx context.Context, c *zkrecipes.Client) {
	d, err := discovery.New(c, "/services")
	if err != nil {
		log.Fatal(err)
	}
	sc, err := d.Cache(ctx, "api")
	if err != nil {
		return // ctx done
	}
	defer sc.Close()
	var regs []*discovery.Registration
	for i := 0; ctx.Err() == nil; i++ {
		if len(regs) < 3 || rand.IntN(2) == 0 {
			in := discovery.Instance{Name: "api", ID: strconv.Itoa(i), Address: "10.0.0.1", Port: 8000 + i%1000}
			if r, err := d.Register(ctx, in); err == nil {
				regs = append(regs, r)
			}
		} else if len(regs) > 0 {
			_ = regs[0].Unregister(context.WithoutCancel(ctx))
			regs = regs[1:]
		}
		pause(ctx, time.Second)
	}
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
