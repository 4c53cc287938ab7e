package zkrecipes

import (
	"errors"
	"testing"
)

// Without an Observer an operation's observer work reads no clock and
// allocates nothing.
func TestObserverUnsetCostsNothing(t *testing.T) {
	c := &Client{o: defaultOptions()}
	var sp opSpan
	allocs := testing.AllocsPerRun(100, func() {
		sp = c.startOp("get", "/x")
		sp.retry(2, errors.ErrUnsupported)
		sp.end(nil)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per operation without an Observer, want 0", allocs)
	}
	if !sp.start.IsZero() {
		t.Error("the clock was read without an Observer")
	}
}
