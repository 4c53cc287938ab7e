package scope

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

type ender struct{ ends int }

func (e *ender) End() { e.ends++ }

type key struct{ name string }

func TestValue_OnePerKey(t *testing.T) {
	var st Store
	made := 0
	create := func() *ender { made++; return &ender{} }
	a := Value(&st, key{"a"}, create)
	assert.Same(t, a, Value(&st, key{"a"}, create), "same key, same value")
	b := Value(&st, key{"b"}, create)
	assert.NotSame(t, a, b, "another key, another value")
	assert.Equal(t, 2, made, "create runs once per key")
}

func TestEnd_EndsEveryValueOnce(t *testing.T) {
	var st Store
	a := Value(&st, key{"a"}, func() *ender { return &ender{} })
	n := Value(&st, key{"n"}, func() int { return 7 }) // not an Ender
	assert.Equal(t, 7, n)
	st.End()
	st.End()
	assert.Equal(t, 1, a.ends)
	assert.Nil(t, st.vals, "an ended store keeps nothing")
}

func TestValue_AfterEndKeepsNothing(t *testing.T) {
	var st Store
	old := Value(&st, key{"a"}, func() *ender { return &ender{} })
	st.End()
	v := Value(&st, key{"a"}, func() *ender { return &ender{} })
	assert.NotSame(t, old, v)
	assert.Equal(t, 1, v.ends, "a value made after the end is ended")
	assert.NotSame(t, v, Value(&st, key{"a"}, func() *ender { return &ender{} }))
	assert.Nil(t, st.vals)
}

func TestValue_ConcurrentCallersShareOne(t *testing.T) {
	var st Store
	const n = 8
	got := make([]*ender, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i] = Value(&st, key{"a"}, func() *ender { return &ender{} }) })
	}
	wg.Wait()
	for _, g := range got {
		assert.Same(t, got[0], g)
	}
}

func TestOf_PanicsWithoutStore(t *testing.T) {
	saved := of
	defer func() { of = saved }()
	of = func(any) *Store { return nil }
	assert.PanicsWithValue(t, "scope: int owns no store", func() { Of(1) })
}
