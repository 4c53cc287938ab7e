// Package zkotel records what a zkrecipes client and its recipes do as
// OpenTelemetry metrics, through any metric.MeterProvider:
//
//	m, err := zkotel.New(otel.GetMeterProvider())
//	...
//	c, err := zkrecipes.Connect(ctx, servers, zkrecipes.WithObserver(m.Observer()))
//
// It is a module of its own (github.com/zkrecipes/zkrecipes/metrics/otel),
// so that users of zkrecipes who do not use it never download
// OpenTelemetry. The instruments are those of the Prometheus adapter
// (metrics/prometheus), named the OpenTelemetry way, in seconds:
//
//	zkrecipes.op.duration{op,result}             histogram       every operation of the client, retries included
//	zkrecipes.op.in_flight{op}                   updown counter  operations started and not yet returned
//	zkrecipes.op.retries{op}                     counter         attempts sent again after a connection loss
//	zkrecipes.connection.state{state}            updown counter  clients in each state
//	zkrecipes.connection.changes{state}          counter         state changes, by the state entered
//	zkrecipes.suspension.duration{outcome}       histogram       suspensions, by how they ended (reconnected, lost, closed)
//	zkrecipes.sessions.lost{reason}              counter         expired, timeout, new_session
//	zkrecipes.lock.wait{path,kind,result}        histogram       lock acquisitions
//	zkrecipes.lock.hold{path,kind}               histogram       holds, from acquisition to release
//	zkrecipes.lock.held{path,kind}               updown counter  holds now
//	zkrecipes.lock.lost{path,kind}               counter         holds lost
//	zkrecipes.leader{path}                       updown counter  terms this process holds now
//	zkrecipes.leadership.changes{path,change}    counter         elected, resigned, lost
//	zkrecipes.queue.put.duration{path,result}    histogram       puts
//	zkrecipes.queue.put.messages{path}           counter         messages stored
//	zkrecipes.queue.take.duration{path,result}   histogram       takes, waiting included
//	zkrecipes.queue.redeliveries{path}           counter         messages handed out again
//	zkrecipes.queue.dead_letters{path}           counter         messages moved to the dead-letter queue
//	zkrecipes.cache.nodes{path,kind}             updown counter  nodes held by the caches of package cache (kind node, children, tree)
//	zkrecipes.cache.syncs{path,kind,type}        counter         complete loads: initial, resync
//	zkrecipes.cache.stale{path,kind}             updown counter  caches stale now (until their resync)
//	zkrecipes.cache.sync.age{path,kind}          gauge           seconds since the last complete load, read when collected
//	zkrecipes.service.instances{path,service}    updown counter  instances in the discovery ServiceCaches of each service
//
// The age of a cache's last load is that of the most recent load of any
// cache with those attributes, and stays after the cache is closed.
package zkotel

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the Meter.
const ScopeName = "github.com/zkrecipes/zkrecipes/metrics/otel"

// Metrics holds the instruments. It is safe for concurrent use; give each
// client its own Observer.
type Metrics struct {
	path func(string) string

	opDuration, suspension, lockWait, lockHold, putDuration, takeDuration metric.Float64Histogram
	opInFlight, connState, lockHeld, leader                               metric.Int64UpDownCounter
	opRetries, connChanges, sessLost, lockLost, leaderChanges             metric.Int64Counter
	putMessages, redeliveries, deadLetters                                metric.Int64Counter
	cacheNodes, cacheStale, instances                                     metric.Int64UpDownCounter
	cacheSyncs                                                            metric.Int64Counter

	mu       sync.Mutex
	lastSync map[cacheKey]time.Time // for zkrecipes.cache.sync.age
}

type cacheKey struct{ path, kind string }

// Option configures New.
type Option func(*Metrics)

// WithPathLabel maps a recipe's path to its path attribute, to bound the
// number of series when paths carry ids. The default keeps the path.
func WithPathLabel(f func(path string) string) Option {
	return func(m *Metrics) {
		if f != nil {
			m.path = f
		}
	}
}

// New creates the instruments on a Meter of mp.
func New(mp metric.MeterProvider, opts ...Option) (*Metrics, error) {
	m := &Metrics{path: func(p string) string { return p }, lastSync: map[cacheKey]time.Time{}}
	for _, o := range opts {
		o(m)
	}
	meter := mp.Meter(ScopeName)
	var errs []error
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	updown := func(name, desc string) metric.Int64UpDownCounter {
		u, err := meter.Int64UpDownCounter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return u
	}
	counter := func(name, desc string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	m.opDuration = hist("zkrecipes.op.duration", "Duration of ZooKeeper operations, retries included.")
	m.opInFlight = updown("zkrecipes.op.in_flight", "ZooKeeper operations started and not yet returned.")
	m.opRetries = counter("zkrecipes.op.retries", "Attempts sent again after a connection loss.")
	m.connState = updown("zkrecipes.connection.state", "Clients in each connection state.")
	m.connChanges = counter("zkrecipes.connection.changes", "Connection state changes, by the state entered.")
	m.suspension = hist("zkrecipes.suspension.duration", "Connection suspensions, by how they ended.")
	m.sessLost = counter("zkrecipes.sessions.lost", "Sessions lost, by reason.")
	m.lockWait = hist("zkrecipes.lock.wait", "Time lock acquisitions waited, by result.")
	m.lockHold = hist("zkrecipes.lock.hold", "Time locks were held.")
	m.lockHeld = updown("zkrecipes.lock.held", "Locks held now.")
	m.lockLost = counter("zkrecipes.lock.lost", "Lock holds lost.")
	m.leader = updown("zkrecipes.leader", "Leadership terms held now by this process.")
	m.leaderChanges = counter("zkrecipes.leadership.changes", "Leadership changes of this process.")
	m.putDuration = hist("zkrecipes.queue.put.duration", "Duration of queue puts.")
	m.putMessages = counter("zkrecipes.queue.put.messages", "Messages stored by queue puts.")
	m.takeDuration = hist("zkrecipes.queue.take.duration", "Duration of queue takes, waiting included.")
	m.redeliveries = counter("zkrecipes.queue.redeliveries", "Queue messages handed out again.")
	m.deadLetters = counter("zkrecipes.queue.dead_letters", "Queue messages moved to the dead-letter queue.")
	m.cacheNodes = updown("zkrecipes.cache.nodes", "Nodes held by caches.")
	m.cacheSyncs = counter("zkrecipes.cache.syncs", "Complete loads of caches: initial, resync.")
	m.cacheStale = updown("zkrecipes.cache.stale", "Caches stale now: they may miss changes until their resync.")
	m.instances = updown("zkrecipes.service.instances", "Instances in service discovery caches.")
	_, err := meter.Float64ObservableGauge("zkrecipes.cache.sync.age", metric.WithUnit("s"),
		metric.WithDescription("Seconds since the last complete load of a cache."),
		metric.WithFloat64Callback(m.observeAge))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// observeAge reports the age of each cache's last complete load.
func (m *Metrics) observeAge(_ context.Context, o metric.Float64Observer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for k, t := range m.lastSync {
		o.Observe(now.Sub(t).Seconds(), attrs("path", k.path, "kind", k.kind))
	}
	return nil
}

func attrs(kv ...string) metric.MeasurementOption {
	a := make([]attribute.KeyValue, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		a = append(a, attribute.String(kv[i], kv[i+1]))
	}
	return metric.WithAttributes(a...)
}

// Observer returns an Observer that records into m, for one client: call
// it once per client (it tracks that client's connection state).
func (m *Metrics) Observer() zkrecipes.Observer {
	ctx := context.Background()
	var state zkrecipes.State // ConnState is called for one client at a time, in order
	return zkrecipes.Observer{
		OpStart: func(e zkrecipes.OpEvent) { m.opInFlight.Add(ctx, 1, attrs("op", e.Op)) },
		OpDone: func(e zkrecipes.OpEvent) {
			m.opInFlight.Add(ctx, -1, attrs("op", e.Op))
			m.opDuration.Record(ctx, e.Duration.Seconds(), attrs("op", e.Op, "result", e.Result))
		},
		Retry: func(e zkrecipes.RetryEvent) { m.opRetries.Add(ctx, 1, attrs("op", e.Op)) },
		ConnState: func(e zkrecipes.ConnEvent) {
			if state != 0 {
				m.connState.Add(ctx, -1, attrs("state", state.String()))
			}
			state = e.State
			if e.State != zkrecipes.Closed {
				m.connState.Add(ctx, 1, attrs("state", e.State.String()))
			}
			m.connChanges.Add(ctx, 1, attrs("state", e.State.String()))
			if e.SuspendedFor > 0 {
				m.suspension.Record(ctx, e.SuspendedFor.Seconds(), attrs("outcome", outcome(e.State)))
			}
			if e.State == zkrecipes.Lost {
				m.sessLost.Add(ctx, 1, attrs("reason", e.Reason))
			}
		},
		LockAcquire: func(e zkrecipes.LockEvent) {
			p := m.path(e.Path)
			m.lockWait.Record(ctx, e.Wait.Seconds(), attrs("path", p, "kind", e.Kind, "result", e.Result))
			if e.Err == nil {
				m.lockHeld.Add(ctx, 1, attrs("path", p, "kind", e.Kind))
			}
		},
		LockRelease: func(e zkrecipes.LockEvent) {
			a := attrs("path", m.path(e.Path), "kind", e.Kind)
			m.lockHold.Record(ctx, e.Held.Seconds(), a)
			m.lockHeld.Add(ctx, -1, a)
		},
		LockLost: func(e zkrecipes.LockEvent) { m.lockLost.Add(ctx, 1, attrs("path", m.path(e.Path), "kind", e.Kind)) },
		Leadership: func(e zkrecipes.LeaderEvent) {
			p := m.path(e.Path)
			change, d := "resigned", int64(-1)
			switch {
			case e.Leader:
				change, d = "elected", 1
			case e.Lost:
				change = "lost"
			}
			m.leader.Add(ctx, d, attrs("path", p))
			m.leaderChanges.Add(ctx, 1, attrs("path", p, "change", change))
		},
		QueuePut: func(e zkrecipes.QueueEvent) {
			p := m.path(e.Path)
			m.putDuration.Record(ctx, e.Duration.Seconds(), attrs("path", p, "result", e.Result))
			if e.Err == nil {
				m.putMessages.Add(ctx, int64(e.Messages), attrs("path", p))
			}
		},
		QueueTake: func(e zkrecipes.QueueEvent) {
			m.takeDuration.Record(ctx, e.Duration.Seconds(), attrs("path", m.path(e.Path), "result", e.Result))
		},
		QueueRedelivery: func(e zkrecipes.QueueEvent) { m.redeliveries.Add(ctx, 1, attrs("path", m.path(e.Path))) },
		QueueDeadLetter: func(e zkrecipes.QueueEvent) { m.deadLetters.Add(ctx, 1, attrs("path", m.path(e.Path))) },
		CacheSize: func(e zkrecipes.CacheEvent) {
			m.cacheNodes.Add(ctx, int64(e.Delta), attrs("path", m.path(e.Path), "kind", e.Kind))
		},
		CacheStale: func(e zkrecipes.CacheEvent) {
			m.cacheStale.Add(ctx, 1, attrs("path", m.path(e.Path), "kind", e.Kind))
		},
		CacheSync: func(e zkrecipes.CacheEvent) {
			p := m.path(e.Path)
			typ := "initial"
			if e.Resync {
				typ = "resync"
			}
			m.cacheSyncs.Add(ctx, 1, attrs("path", p, "kind", e.Kind, "type", typ))
			var d int64 // a point from the first load on, 0 until stale
			if e.Stale {
				d = -1
			}
			m.cacheStale.Add(ctx, d, attrs("path", p, "kind", e.Kind))
			m.mu.Lock()
			m.lastSync[cacheKey{p, e.Kind}] = time.Now()
			m.mu.Unlock()
		},
		CacheClose: func(e zkrecipes.CacheEvent) {
			a := attrs("path", m.path(e.Path), "kind", e.Kind)
			m.cacheNodes.Add(ctx, -int64(e.Nodes), a)
			if e.Stale {
				m.cacheStale.Add(ctx, -1, a)
			}
		},
		ServiceInstances: func(e zkrecipes.ServiceEvent) {
			m.instances.Add(ctx, int64(e.Delta), attrs("path", m.path(e.Path), "service", e.Service))
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
