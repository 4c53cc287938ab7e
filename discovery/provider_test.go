package discovery_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/discovery"
)

func list(ids ...string) []discovery.Instance {
	out := make([]discovery.Instance, len(ids))
	for i, id := range ids {
		out[i] = discovery.Instance{Name: "svc", ID: id}
	}
	return out
}

func picks(t *testing.T, p *discovery.Provider, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		in, err := p.Instance()
		require.NoError(t, err)
		ids = append(ids, in.ID)
	}
	return ids
}

func TestProvider_RoundRobin(t *testing.T) {
	src := list("a", "b", "c")
	rr := discovery.RoundRobin()
	p := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return src }), discovery.WithStrategy(rr))
	assert.Equal(t, []string{"a", "b", "c", "a"}, picks(t, p, 4))

	// Past 2^31 and past 2^64 picks: no error, still in turn.
	discovery.SetRoundRobinCounter(rr, math.MaxInt32)
	picks(t, p, 3)
	discovery.SetRoundRobinCounter(rr, math.MaxUint64)
	got := picks(t, p, 2) // MaxUint64 % 3 == 0: "a", then the counter wraps to 0: "a"
	assert.Equal(t, []string{"a", "a"}, got)
}

func TestProvider_RandomAndSticky(t *testing.T) {
	src := list("a", "b", "c")
	p := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return src }), discovery.WithStrategy(discovery.Random()))
	seen := map[string]bool{}
	for _, id := range picks(t, p, 300) {
		seen[id] = true
	}
	assert.Len(t, seen, 3, "random reaches every instance")

	cur := src
	sp := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return cur }),
		discovery.WithStrategy(discovery.Sticky(discovery.RoundRobin())))
	first := picks(t, sp, 5)
	assert.Equal(t, []string{"a", "a", "a", "a", "a"}, first)
	cur = list("b", "c") // a left
	got := picks(t, sp, 3)
	assert.NotEqual(t, "a", got[0], "a new choice once a left")
	assert.Equal(t, []string{got[0], got[0], got[0]}, got, "and it sticks")
}

func TestProvider_DisabledAndDown(t *testing.T) {
	src := list("a", "b", "c")
	src[1].Disabled = true
	const timeout = 200 * time.Millisecond
	p := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return src }), discovery.WithDownPolicy(timeout, 2))
	assert.Equal(t, []string{"a", "c", "a", "c"}, picks(t, p, 4), "disabled instances are not offered")

	p.NoteError(src[0])
	assert.Len(t, p.Instances(), 2, "one error is under the threshold")
	noted := time.Now()
	p.NoteError(src[0])
	assert.Equal(t, []string{"c", "c"}, picks(t, p, 2), "down after two errors")

	// Offered again once the timeout since the first error has passed.
	require.Eventually(t, func() bool { return len(p.Instances()) == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(noted), timeout/2)

	empty := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return list() }))
	_, err := empty.Instance()
	assert.ErrorIs(t, err, discovery.ErrNoInstance)
}

// A pick is in memory: no request, no allocation.
func BenchmarkProvider_Pick(b *testing.B) {
	for _, s := range []struct {
		name string
		s    func() discovery.Strategy
	}{{"round-robin", discovery.RoundRobin}, {"random", discovery.Random}, {"sticky", func() discovery.Strategy { return discovery.Sticky(discovery.Random()) }}} {
		b.Run(fmt.Sprintf("%s/50", s.name), func(b *testing.B) {
			src := list()
			for i := range 50 {
				src = append(src, discovery.Instance{Name: "svc", ID: fmt.Sprintf("inst-%02d", i)})
			}
			p := discovery.NewProvider(discovery.SourceFunc(func() []discovery.Instance { return src }), discovery.WithStrategy(s.s()))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.Instance(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
