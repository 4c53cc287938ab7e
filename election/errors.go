package election

import "errors"

var (
	// ErrNoLeader is returned by [Election.Leader] when nobody campaigns.
	ErrNoLeader = errors.New("election: no leader")
	// ErrCampaigning is returned by [Election.Campaign] while an earlier
	// campaign of the same Election is in progress or its term has not been
	// resigned: an Election is one participant, with one node at a time.
	ErrCampaigning = errors.New("election: already campaigning or leading (resign the previous term first)")
	// ErrResigned is the cause (see [context.Cause]) of a term's context
	// after [Term.Resign].
	ErrResigned = errors.New("election: resigned")
	// ErrLeadershipLost is wrapped by the cause of a term's context when
	// leadership ended without Resign: the session was lost or the client
	// closed, the connection was suspended (under the default policy), or
	// the term's node was deleted by someone else.
	ErrLeadershipLost = errors.New("election: leadership lost")
	// ErrNodeDeleted is returned by [Election.Campaign] when our node was
	// deleted by someone else (an operator, a reaper) while we waited, and
	// wrapped, with ErrLeadershipLost, by the cause of a term whose node
	// was deleted.
	ErrNodeDeleted = errors.New("election: node deleted by someone else")
)
