package counter

import "errors"

var (
	// ErrCorrupt means a counter node holds data of the wrong size: not
	// 8 bytes for an AtomicLong, not 4 for a SharedCount (empty data reads
	// as 0 for both).
	ErrCorrupt = errors.New("counter: corrupt value")
	// ErrOverflow is returned by AtomicLong.Add (Increment, Decrement) when
	// the result would leave the int64 range. Nothing is written: an
	// AtomicLong never wraps around (Curator's does).
	ErrOverflow = errors.New("counter: int64 overflow")
)

// A write in flight when its session was lost (or, for a cancelled call,
// while the connection was down) returns an error wrapping
// zkrecipes.ErrUncertain, as in every package: it cannot be known whether
// it was applied. Only then; in every other case a call reports exactly
// what happened.

// Internal outcomes of one versioned write.
var (
	errConflict = errors.New("counter: version conflict")
	errMissing  = errors.New("counter: node missing")
)
