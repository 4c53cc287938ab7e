package zkrecipes

import (
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
)

type waits []time.Duration

func (w *waits) NextBackOff() time.Duration {
	d := (*w)[0]
	*w = (*w)[1:]
	return d
}

// A user's Backoff drives the retry loops as given, and any negative wait
// stops them (they stop at backoff.Stop only).
func TestWithRetry_NegativeWaitStops(t *testing.T) {
	var o options
	WithRetry(func() Backoff { return &waits{0, 5 * time.Millisecond, -7 * time.Second} })(&o)
	b := o.newBackOff()
	assert.Equal(t, time.Duration(0), b.NextBackOff())
	assert.Equal(t, 5*time.Millisecond, b.NextBackOff())
	assert.Equal(t, backoff.Stop, b.NextBackOff())
}
