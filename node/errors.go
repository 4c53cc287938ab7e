package node

import (
	"errors"
	"fmt"
)

var (
	// ErrConflict is wrapped by the error of [Node.WaitCreated] while
	// another session's node (or a persistent node) holds the path and has
	// held it for longer than the conflict wait (see [WithConflictWait]).
	// The Node never takes that node over: it keeps waiting and creates its
	// own once the other is gone.
	ErrConflict = errors.New("node: path held by another session")
	// ErrClosed is returned by the methods of a closed Node.
	ErrClosed = errors.New("node: closed")
	// ErrNotStarted is returned by [Node.WaitCreated] before [Node.Start].
	ErrNotStarted = errors.New("node: not started")
)

// ConflictError is the error [Node.WaitCreated] returns while the path is
// held by someone else. It matches ErrConflict under errors.Is.
type ConflictError struct {
	Path  string // the contested path, relative to the namespace
	Owner int64  // the holder's session id; 0 for a persistent node
	Czxid int64  // the creation zxid of the holder's node
}

func (e *ConflictError) Error() string {
	if e.Owner == 0 {
		return fmt.Sprintf("node: %s is a persistent node of someone else (czxid %#x)", e.Path, e.Czxid)
	}
	return fmt.Sprintf("node: %s is held by another live session %#x (czxid %#x)", e.Path, e.Owner, e.Czxid)
}

// Unwrap makes a ConflictError match ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }
