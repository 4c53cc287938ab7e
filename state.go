package zkrecipes

import (
	"strconv"
	"time"
)

// State is a connection state in Curator's terms.
type State int

const (
	// Connected: a new session was established. Every session starts with
	// exactly one Connected; after Lost the next session starts with Connected
	// too, never with Reconnected.
	Connected State = iota + 1
	// Suspended: the connection dropped. The session may still be alive on
	// the server and its ephemeral nodes still exist, but this client cannot
	// know; holders of locks and leadership should stop acting.
	Suspended
	// Reconnected: the connection came back with the same session.
	Reconnected
	// Lost: the session is gone. Either the server said it expired, or the
	// client stayed disconnected for the negotiated session timeout and
	// declared it lost itself (a partitioned client never hears of expiry),
	// timing the session timeout from the last byte the server sent. The
	// session is never used again. The server removes its ephemeral nodes
	// when it expires the session, which it does at its next tick after the
	// timeout, so they may outlive Lost by up to one server tick.
	Lost
	// Closed: the client was closed; no further changes follow.
	Closed
)

func (s State) String() string {
	switch s {
	case Connected:
		return "Connected"
	case Suspended:
		return "Suspended"
	case Reconnected:
		return "Reconnected"
	case Lost:
		return "Lost"
	case Closed:
		return "Closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// IsConnected reports whether s leaves the client able to talk to the session.
func (s State) IsConnected() bool { return s == Connected || s == Reconnected }

// StateChange is one transition, delivered to subscribers in order.
type StateChange struct {
	State   State
	Session *Session // the session the transition is about (nil only for Closed before any session)
	At      time.Time
}
