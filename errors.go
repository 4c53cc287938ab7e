package zkrecipes

import (
	"errors"
	"fmt"

	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

var (
	// ErrClosed is returned by every operation on a closed Client.
	ErrClosed = errors.New("zkrecipes: client closed")
	// ErrSessionLost is returned by an operation whose session ended before
	// it completed. Ephemeral nodes of that session are gone (or will be once
	// the server expires it); nothing was retried in a new session.
	ErrSessionLost = retry.ErrSessionLost
	// ErrUncertain means a write may or may not have been applied: its
	// reply was lost (the error then also matches zk.ErrConnectionClosed),
	// or ctx ended while it was in flight (the error then also matches
	// context.Canceled or context.DeadlineExceeded), and what the server
	// holds now cannot tell. A write that was provably not sent never
	// matches it. Recipes that need certainty make their writes
	// recognisable (unique data, marker nodes) and look.
	ErrUncertain = errors.New("zkrecipes: outcome unknown: the write may or may not have been applied")
	// ErrRepeatedDrop is returned by an operation whose request was
	// outstanding on maxDrops connections in a row that each closed before
	// its reply. The request is not sent again: a request the server
	// refuses by closing the connection would otherwise be resent after
	// every reconnection, and each time suspend everything the session
	// holds. For a write the error also matches ErrUncertain.
	ErrRepeatedDrop = errors.New("zkrecipes: the connection closed before the reply on every attempt")
	// ErrInvalidPath is wrapped by every path validation error.
	ErrInvalidPath = zkpath.ErrInvalidPath
	// ErrInvalidArgument is wrapped by errors for bad options and arguments.
	ErrInvalidArgument = errors.New("zkrecipes: invalid argument")
	// ErrTooLarge is wrapped by the error of a write refused before it was
	// sent because its data or the whole request exceeds what the server
	// accepts (see MaxDataSize and WithMaxBufferSize). It matches
	// ErrInvalidArgument too.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalidArgument)
)

// OpError records a failed operation on one znode. Err keeps the
// underlying cause, so errors.Is(err, zk.ErrNoNode) works through it.
type OpError struct {
	Op   string // "create", "get", ...
	Path string // path as the caller gave it, relative to the namespace
	Err  error
}

func (e *OpError) Error() string { return fmt.Sprintf("zkrecipes: %s %s: %v", e.Op, e.Path, e.Err) }

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// uncertainError is the cause of a write that may or may not have been
// applied. It matches ErrUncertain and, through Unwrap, its cause: ctx's
// error for a write abandoned in flight, zk.ErrConnectionClosed for a lost
// reply.
type uncertainError struct{ cause error }

func uncertain(cause error) error { return &uncertainError{cause} }

func (e *uncertainError) Error() string {
	return e.cause.Error() + " (outcome unknown: the write may or may not have been applied)"
}

func (e *uncertainError) Unwrap() error        { return e.cause }
func (e *uncertainError) Is(target error) bool { return target == ErrUncertain }
