package discovery

import (
	"errors"

	"github.com/zkrecipes/zkrecipes/node"
)

var (
	// ErrCorrupt is wrapped by the error for an instance record that is
	// not JSON of the expected shape.
	ErrCorrupt = errors.New("discovery: corrupt instance record")
	// ErrConflict is wrapped by [Discovery.Register]'s error when another
	// live session (another process) has registered the same service and
	// id, and kept it for longer than the conflict wait; its node is left
	// alone. It is node.ErrConflict: the error is a [*node.ConflictError].
	ErrConflict = node.ErrConflict
	// ErrUnregistered is returned by the methods of a Registration after
	// Unregister.
	ErrUnregistered = errors.New("discovery: unregistered")
)
