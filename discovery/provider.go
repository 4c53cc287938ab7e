package discovery

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoInstance is returned by [Provider.Instance] when no instance is
// up: none listed, or every one disabled or noted down.
var ErrNoInstance = errors.New("discovery: no instance available")

// Source gives a Provider the current instances of one service, without
// I/O: a cache kept up to date by watches. The slice must not be changed
// after it is returned (a new list is a new slice), so that a Provider
// can reuse what it derived from it.
type Source interface {
	Instances() []Instance
}

// SourceFunc adapts a function to Source.
type SourceFunc func() []Instance

// Instances calls f.
func (f SourceFunc) Instances() []Instance { return f() }

// Strategy chooses one of the instances a Provider offers (never empty).
// Strategies are called concurrently.
type Strategy interface {
	Pick(instances []Instance) Instance
}

// RoundRobin returns a strategy that takes the instances in turn
// (Curator's RoundRobinStrategy, without its overflow: a 64-bit counter
// that wraps harmlessly, where Curator's int throws after 2^31 picks).
func RoundRobin() Strategy { return new(roundRobin) }

type roundRobin struct{ n atomic.Uint64 }

func (r *roundRobin) Pick(ins []Instance) Instance {
	return ins[(r.n.Add(1)-1)%uint64(len(ins))]
}

// Random returns a strategy that picks uniformly at random (Curator's
// RandomStrategy).
func Random() Strategy { return random{} }

type random struct{}

func (random) Pick(ins []Instance) Instance { return ins[rand.IntN(len(ins))] }

// Sticky returns a strategy that keeps returning the instance inner chose
// last, by id, for as long as it is offered (listed, enabled, not down),
// and asks inner again when it is not (Curator's StickyStrategy).
func Sticky(inner Strategy) Strategy { return &sticky{inner: inner} }

type sticky struct {
	inner Strategy
	id    atomic.Pointer[string]
}

func (s *sticky) Pick(ins []Instance) Instance {
	if id := s.id.Load(); id != nil {
		for i := range ins {
			if ins[i].ID == *id {
				return ins[i]
			}
		}
	}
	in := s.inner.Pick(ins)
	s.id.Store(&in.ID)
	return in
}

// Provider picks an instance of a service from a [Source], in memory: a
// pick makes no request (Curator's ServiceProvider). It offers the
// instances that are enabled and not noted down. A Provider is safe for
// concurrent use.
type Provider struct {
	src      Source
	strategy Strategy
	down     downPolicy

	view atomic.Pointer[view] // the offered instances, derived from one source list
	mu   sync.Mutex           // guards errs
	errs map[string]*downStatus
	gen  atomic.Uint64 // bumped when the set of down instances may have changed
}

// view is the offered instances derived from one source list and one
// down generation.
type view struct {
	src    *Instance // the source slice's first element, as its identity
	n      int
	gen    uint64
	until  time.Time // the earliest end of a down period among the source's instances
	offers []Instance
}

type downPolicy struct {
	timeout   time.Duration
	threshold int
}

type downStatus struct {
	start time.Time
	count int
}

// ProviderOption configures a Provider.
type ProviderOption func(*Provider)

// WithStrategy sets how instances are chosen (default RoundRobin).
func WithStrategy(s Strategy) ProviderOption { return func(p *Provider) { p.strategy = s } }

// WithDownPolicy sets Curator's DownInstancePolicy: an instance with
// threshold errors noted ([Provider.NoteError]) within timeout of the
// first is not offered until timeout after that first error; then its
// errors are forgotten. Default: 30s and 2, as Curator.
func WithDownPolicy(timeout time.Duration, threshold int) ProviderOption {
	return func(p *Provider) { p.down = downPolicy{timeout: timeout, threshold: max(threshold, 1)} }
}

// NewProvider returns a Provider over src.
func NewProvider(src Source, opts ...ProviderOption) *Provider {
	p := &Provider{src: src, strategy: RoundRobin(), down: downPolicy{30 * time.Second, 2}, errs: map[string]*downStatus{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Instance returns an instance chosen by the strategy among those
// offered, or ErrNoInstance. It makes no request.
func (p *Provider) Instance() (Instance, error) {
	offers := p.offers()
	if len(offers) == 0 {
		return Instance{}, ErrNoInstance
	}
	return p.strategy.Pick(offers), nil
}

// Instances returns the instances offered now: enabled, not down.
func (p *Provider) Instances() []Instance { return append([]Instance(nil), p.offers()...) }

// NoteError records an error of in (Curator's noteError). Under the down
// policy, enough errors make in not offered for a while. It does not know
// whether in is really down: a partitioned caller marks healthy
// instances, and the registry keeps listing them.
func (p *Provider) NoteError(in Instance) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.purge(now)
	st := p.errs[in.ID]
	if st == nil {
		st = &downStatus{start: now}
		p.errs[in.ID] = st
	}
	st.count++
	p.gen.Add(1)
}

// purge forgets errors older than the timeout. Caller holds p.mu.
func (p *Provider) purge(now time.Time) {
	for id, st := range p.errs {
		if now.Sub(st.start) >= p.down.timeout {
			delete(p.errs, id)
		}
	}
}

// offers returns the offered instances, derived again only when the
// source's list or the down instances changed, or a down period ended.
func (p *Provider) offers() []Instance {
	src := p.src.Instances()
	if len(src) == 0 {
		return nil
	}
	gen := p.gen.Load()
	if v := p.view.Load(); v != nil && v.src == &src[0] && v.n == len(src) && v.gen == gen &&
		(v.until.IsZero() || time.Now().Before(v.until)) {
		return v.offers
	}
	v := &view{src: &src[0], n: len(src), gen: gen}
	now := time.Now()
	p.mu.Lock()
	p.purge(now)
	for _, in := range src {
		if in.Disabled {
			continue
		}
		if st := p.errs[in.ID]; st != nil && st.count >= p.down.threshold {
			if end := st.start.Add(p.down.timeout); v.until.IsZero() || end.Before(v.until) {
				v.until = end
			}
			continue
		}
		v.offers = append(v.offers, in)
	}
	p.mu.Unlock()
	p.view.Store(v)
	return v.offers
}
