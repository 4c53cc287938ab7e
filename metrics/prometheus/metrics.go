// Package zkprom exports what a zkrecipes client and its recipes do as
// Prometheus metrics: operation latency by operation and result, retries,
// operations in flight, connection states, suspensions and session
// losses, lock waits, holds and losses, leadership, and queue traffic.
//
//	m := zkprom.New()
//	prometheus.MustRegister(m)
//	c, err := zkrecipes.Connect(ctx, servers, zkrecipes.WithObserver(m.Observer()))
//
// It is a module of its own (github.com/zkrecipes/zkrecipes/metrics/prometheus),
// so that users of zkrecipes who do not use it never download client_golang.
//
// # Metrics
//
// All names start with the namespace, "zkrecipes" unless [WithNamespace]
// says otherwise. Recipe metrics carry the recipe's path as the path label
// (see [WithPathLabel] to bound their number).
//
//	zkrecipes_op_duration_seconds{op,result}          histogram  every operation of the client, retries included
//	zkrecipes_op_in_flight{op}                        gauge      operations started and not yet returned
//	zkrecipes_op_retries_total{op}                    counter    attempts sent again after a connection loss
//	zkrecipes_connection_state{state}                 gauge      clients in each state (Connected, Suspended, Reconnected, Lost)
//	zkrecipes_connection_changes_total{state}         counter    state changes, by the state entered (Reconnected counts reconnects)
//	zkrecipes_suspension_duration_seconds{outcome}    histogram  suspensions, by how they ended (reconnected, lost, closed)
//	zkrecipes_sessions_lost_total{reason}             counter    sessions lost: expired, timeout, new_session
//	zkrecipes_lock_wait_seconds{path,kind,result}     histogram  lock acquisitions (result ok, busy, canceled, ...)
//	zkrecipes_lock_hold_seconds{path,kind}            histogram  holds, from acquisition to release
//	zkrecipes_lock_held{path,kind}                    gauge      holds now
//	zkrecipes_lock_lost_total{path,kind}              counter    holds lost (session, node deleted, suspension)
//	zkrecipes_leader{path}                            gauge      terms this process holds now (1 while leader)
//	zkrecipes_leadership_changes_total{path,change}   counter    elected, resigned, lost
//	zkrecipes_queue_put_duration_seconds{path,result} histogram  puts (a PutBatch is one)
//	zkrecipes_queue_put_messages_total{path}          counter    messages stored by successful puts
//	zkrecipes_queue_take_duration_seconds{path,result} histogram takes, waiting for a message included (result empty for a Poll that found none)
//	zkrecipes_queue_redeliveries_total{path}          counter    messages handed out again
//	zkrecipes_queue_dead_letters_total{path}          counter    messages moved to the dead-letter queue
//	zkrecipes_queue_depth{path}                       gauge      messages in a queue, read when scraped (opt-in: [Metrics.QueueDepth])
//
//	zkrecipes_cache_nodes{path,kind}                  gauge      nodes held by the caches of package cache (kind node, children, tree)
//	zkrecipes_cache_syncs_total{path,kind,type}       counter    complete loads: initial, resync (after a reconnection or in a new session)
//	zkrecipes_cache_stale{path,kind}                  gauge      caches stale now (connection suspended or session lost, until their resync)
//	zkrecipes_cache_last_sync_timestamp_seconds{path,kind} gauge the Unix time of the last complete load
//	zkrecipes_service_instances{path,service}         gauge      instances in the discovery ServiceCaches of each service
//
// # Dashboards
//
// The README beside this file gives the PromQL of the panels that
// matter, and dashboard.json a Grafana dashboard with them.
package zkprom

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/zkrecipes/zkrecipes"
)

// Metrics holds the collectors. It is a prometheus.Collector: register it
// once, and give each client its own Observer. It is safe for concurrent
// use.
type Metrics struct {
	namespace string
	path      func(string) string

	opDuration  *prometheus.HistogramVec
	opInFlight  *prometheus.GaugeVec
	opRetries   *prometheus.CounterVec
	connState   *prometheus.GaugeVec
	connChanges *prometheus.CounterVec
	suspension  *prometheus.HistogramVec
	sessLost    *prometheus.CounterVec

	lockWait *prometheus.HistogramVec
	lockHold *prometheus.HistogramVec
	lockHeld *prometheus.GaugeVec
	lockLost *prometheus.CounterVec

	leader        *prometheus.GaugeVec
	leaderChanges *prometheus.CounterVec

	putDuration  *prometheus.HistogramVec
	putMessages  *prometheus.CounterVec
	takeDuration *prometheus.HistogramVec
	redeliveries *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec

	cacheNodes    *prometheus.GaugeVec
	cacheSyncs    *prometheus.CounterVec
	cacheStale    *prometheus.GaugeVec
	cacheLastSync *prometheus.GaugeVec
	instances     *prometheus.GaugeVec
}

// Option configures New.
type Option func(*config)

type config struct {
	namespace string
	path      func(string) string
	opBuckets []float64
	waitBkts  []float64
}

// WithNamespace sets the metric name prefix (default "zkrecipes").
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithPathLabel maps a recipe's path to its path label, to bound the
// number of series when paths carry ids ("/locks/user-42" to
// "/locks/user"). The default keeps the path.
func WithPathLabel(f func(path string) string) Option {
	return func(c *config) {
		if f != nil {
			c.path = f
		}
	}
}

// WithOpBuckets sets the buckets of the operation and queue latency
// histograms, in seconds (default: 100 µs to 10 s).
func WithOpBuckets(b []float64) Option { return func(c *config) { c.opBuckets = b } }

// WithWaitBuckets sets the buckets of the lock wait and hold and the
// suspension histograms, in seconds (default: 1 ms to 10 min).
func WithWaitBuckets(b []float64) Option { return func(c *config) { c.waitBkts = b } }

// New makes the collectors; register the result with a registry.
func New(opts ...Option) *Metrics {
	cfg := config{
		namespace: "zkrecipes",
		path:      func(p string) string { return p },
		opBuckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		waitBkts:  []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 600},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ns := cfg.namespace
	hist := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets}, labels)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	return &Metrics{
		namespace:     ns,
		path:          cfg.path,
		opDuration:    hist("op_duration_seconds", "Duration of ZooKeeper operations, retries included.", cfg.opBuckets, "op", "result"),
		opInFlight:    gauge("op_in_flight", "ZooKeeper operations started and not yet returned.", "op"),
		opRetries:     counter("op_retries_total", "Attempts of operations sent again after a connection loss.", "op"),
		connState:     gauge("connection_state", "Clients in each connection state.", "state"),
		connChanges:   counter("connection_changes_total", "Connection state changes, by the state entered.", "state"),
		suspension:    hist("suspension_duration_seconds", "Connection suspensions, by how they ended.", cfg.waitBkts, "outcome"),
		sessLost:      counter("sessions_lost_total", "Sessions lost, by reason (expired, timeout, new_session).", "reason"),
		lockWait:      hist("lock_wait_seconds", "Time lock acquisitions waited, by result.", cfg.waitBkts, "path", "kind", "result"),
		lockHold:      hist("lock_hold_seconds", "Time locks were held, from acquisition to release.", cfg.waitBkts, "path", "kind"),
		lockHeld:      gauge("lock_held", "Locks held now.", "path", "kind"),
		lockLost:      counter("lock_lost_total", "Lock holds lost (session, node deleted, suspension).", "path", "kind"),
		leader:        gauge("leader", "Leadership terms held now by this process.", "path"),
		leaderChanges: counter("leadership_changes_total", "Leadership changes of this process: elected, resigned, lost.", "path", "change"),
		putDuration:   hist("queue_put_duration_seconds", "Duration of queue puts, by result.", cfg.opBuckets, "path", "result"),
		putMessages:   counter("queue_put_messages_total", "Messages stored by queue puts.", "path"),
		takeDuration:  hist("queue_take_duration_seconds", "Duration of queue takes, waiting included, by result.", cfg.waitBkts, "path", "result"),
		redeliveries:  counter("queue_redeliveries_total", "Queue messages handed out again.", "path"),
		deadLetters:   counter("queue_dead_letters_total", "Queue messages moved to the dead-letter queue.", "path"),
		cacheNodes:    gauge("cache_nodes", "Nodes held by caches.", "path", "kind"),
		cacheSyncs:    counter("cache_syncs_total", "Complete loads of caches: initial, resync.", "path", "kind", "type"),
		cacheStale:    gauge("cache_stale", "Caches stale now: they may miss changes until their resync.", "path", "kind"),
		cacheLastSync: gauge("cache_last_sync_timestamp_seconds", "Unix time of the last complete load of a cache.", "path", "kind"),
		instances:     gauge("service_instances", "Instances in service discovery caches.", "path", "service"),
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.opDuration, m.opInFlight, m.opRetries, m.connState, m.connChanges, m.suspension, m.sessLost,
		m.lockWait, m.lockHold, m.lockHeld, m.lockLost, m.leader, m.leaderChanges,
		m.putDuration, m.putMessages, m.takeDuration, m.redeliveries, m.deadLetters,
		m.cacheNodes, m.cacheSyncs, m.cacheStale, m.cacheLastSync, m.instances,
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// Observer returns an Observer that records into m, for one client: call
// it once per client (it tracks that client's connection state).
func (m *Metrics) Observer() zkrecipes.Observer {
	var state zkrecipes.State // the client's last state, 0 before the first; see connState
	return zkrecipes.Observer{
		OpStart: func(e zkrecipes.OpEvent) { m.opInFlight.WithLabelValues(e.Op).Inc() },
		OpDone: func(e zkrecipes.OpEvent) {
			m.opInFlight.WithLabelValues(e.Op).Dec()
			m.opDuration.WithLabelValues(e.Op, e.Result).Observe(e.Duration.Seconds())
		},
		Retry: func(e zkrecipes.RetryEvent) { m.opRetries.WithLabelValues(e.Op).Inc() },
		// ConnState is called for one client at a time, in order (under the
		// client's lock), so state needs no lock of its own.
		ConnState: func(e zkrecipes.ConnEvent) {
			if state != 0 {
				m.connState.WithLabelValues(state.String()).Dec()
			}
			state = e.State
			if e.State != zkrecipes.Closed {
				m.connState.WithLabelValues(e.State.String()).Inc()
			}
			m.connChanges.WithLabelValues(e.State.String()).Inc()
			if e.SuspendedFor > 0 {
				m.suspension.WithLabelValues(outcome(e.State)).Observe(e.SuspendedFor.Seconds())
			}
			if e.State == zkrecipes.Lost {
				m.sessLost.WithLabelValues(e.Reason).Inc()
			}
		},
		LockAcquire: func(e zkrecipes.LockEvent) {
			p := m.path(e.Path)
			m.lockWait.WithLabelValues(p, e.Kind, e.Result).Observe(e.Wait.Seconds())
			if e.Err == nil {
				m.lockHeld.WithLabelValues(p, e.Kind).Inc()
			}
		},
		LockRelease: func(e zkrecipes.LockEvent) {
			p := m.path(e.Path)
			m.lockHold.WithLabelValues(p, e.Kind).Observe(e.Held.Seconds())
			m.lockHeld.WithLabelValues(p, e.Kind).Dec()
		},
		LockLost: func(e zkrecipes.LockEvent) { m.lockLost.WithLabelValues(m.path(e.Path), e.Kind).Inc() },
		Leadership: func(e zkrecipes.LeaderEvent) {
			p := m.path(e.Path)
			switch {
			case e.Leader:
				m.leader.WithLabelValues(p).Inc()
				m.leaderChanges.WithLabelValues(p, "elected").Inc()
			case e.Lost:
				m.leader.WithLabelValues(p).Dec()
				m.leaderChanges.WithLabelValues(p, "lost").Inc()
			default:
				m.leader.WithLabelValues(p).Dec()
				m.leaderChanges.WithLabelValues(p, "resigned").Inc()
			}
		},
		QueuePut: func(e zkrecipes.QueueEvent) {
			p := m.path(e.Path)
			m.putDuration.WithLabelValues(p, e.Result).Observe(e.Duration.Seconds())
			if e.Err == nil {
				m.putMessages.WithLabelValues(p).Add(float64(e.Messages))
			}
		},
		QueueTake: func(e zkrecipes.QueueEvent) {
			m.takeDuration.WithLabelValues(m.path(e.Path), e.Result).Observe(e.Duration.Seconds())
		},
		QueueRedelivery: func(e zkrecipes.QueueEvent) { m.redeliveries.WithLabelValues(m.path(e.Path)).Inc() },
		QueueDeadLetter: func(e zkrecipes.QueueEvent) { m.deadLetters.WithLabelValues(m.path(e.Path)).Inc() },
		CacheSize: func(e zkrecipes.CacheEvent) {
			m.cacheNodes.WithLabelValues(m.path(e.Path), e.Kind).Add(float64(e.Delta))
		},
		CacheStale: func(e zkrecipes.CacheEvent) { m.cacheStale.WithLabelValues(m.path(e.Path), e.Kind).Inc() },
		CacheSync: func(e zkrecipes.CacheEvent) {
			p := m.path(e.Path)
			typ := "initial"
			if e.Resync {
				typ = "resync"
			}
			m.cacheSyncs.WithLabelValues(p, e.Kind, typ).Inc()
			m.cacheLastSync.WithLabelValues(p, e.Kind).SetToCurrentTime()
			stale := m.cacheStale.WithLabelValues(p, e.Kind) // a series from the first load on, 0 until stale
			if e.Stale {
				stale.Dec()
			}
		},
		CacheClose: func(e zkrecipes.CacheEvent) {
			p := m.path(e.Path)
			m.cacheNodes.WithLabelValues(p, e.Kind).Sub(float64(e.Nodes))
			if e.Stale {
				m.cacheStale.WithLabelValues(p, e.Kind).Dec()
			}
		},
		ServiceInstances: func(e zkrecipes.ServiceEvent) {
			m.instances.WithLabelValues(m.path(e.Path), e.Service).Add(float64(e.Delta))
		},
	}
}

func outcome(s zkrecipes.State) string {
	switch s {
	case zkrecipes.Reconnected:
		return "reconnected"
	case zkrecipes.Lost:
		return "lost"
	}
	return "closed"
}
