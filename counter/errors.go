package counter

import "errors"

var (
	// ErrCorrupt means a counter node holds data of the wrong size: not
	// 8 bytes for an AtomicLong, not 4 for a SharedCount (empty data reads
	// as 0 for both).
	ErrCorrupt = errors.New("counter: corrupt value")
	// ErrIndeterminate means a write was in flight when its session was
	// lost (or, for a cancelled call, while the connection was down), so it
	// cannot be known whether it was applied. It is returned only then; in
	// every other case a call reports exactly what happened. Errors that
	// match it also match zkrecipes.ErrUncertain.
	ErrIndeterminate = errors.New("counter: outcome of a write in flight is unknown")
	// ErrOverflow is returned by AtomicLong.Add (Increment, Decrement) when
	// the result would leave the int64 range. Nothing is written: an
	// AtomicLong never wraps around (Curator's does).
	ErrOverflow = errors.New("counter: int64 overflow")
)

// Internal outcomes of one versioned write.
var (
	errConflict = errors.New("counter: version conflict")
	errMissing  = errors.New("counter: node missing")
)
