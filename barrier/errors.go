package barrier

import "errors"

var (
	// ErrTooManyMembers is returned by [Double.Enter] when the barrier is
	// already full: members others are ahead of us in the round being
	// formed, or a round is under way (entered and not yet left by all of
	// its members). Enter removes our node before returning it.
	ErrTooManyMembers = errors.New("barrier: too many members")
	// ErrAlreadyEntered is returned by [Double.Enter] on a Double that has
	// entered and not yet left.
	ErrAlreadyEntered = errors.New("barrier: already entered")
	// ErrNotEntered is returned by [Double.Leave] on a Double that has not
	// entered (or has already left).
	ErrNotEntered = errors.New("barrier: not entered")
	// ErrMembersMismatch is returned by [Double.Enter] when the round that
	// admitted us was completed by a member created with a different member
	// count: the participants of one barrier must agree on it.
	ErrMembersMismatch = errors.New("barrier: members disagree on the member count")
	// ErrNodeDeleted is returned by [Double.Enter] when our member node
	// vanished while the session lived: someone else deleted it.
	ErrNodeDeleted = errors.New("barrier: member node deleted by someone else")
)
