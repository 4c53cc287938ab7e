package cache

import (
	"time"

	"github.com/go-zookeeper/zk"
)

// Entry is one cached node: its path (relative to the client's
// namespace), its data (nil when the cache keeps stats only, see
// [WithoutData]) and its stat. Entries handed out by a cache are never
// modified afterwards; do not modify them either.
type Entry struct {
	Path string
	Data []byte
	Stat zk.Stat
}

// EventKind says what an [Event] reports.
type EventKind int

const (
	// Created: a node appeared in the cache (Event.New).
	Created EventKind = iota + 1
	// Changed: a node's data or stat changed (Event.Old and Event.New). A
	// node deleted and recreated between two reads of the cache is
	// reported as Changed with a different Stat.Czxid.
	Changed
	// Deleted: a node left the cache (Event.Old). The nodes below it are
	// reported first.
	Deleted
	// Initialized: the initial load is complete; the cache holds every
	// node that existed when it was read.
	Initialized
	// Stale: the connection was suspended or the session lost at
	// Event.At; the cache may miss changes until Reinitialized.
	Stale
	// Reinitialized: after a reconnection or a new session, the cache
	// has read every node again; the events before it brought it up to
	// date.
	Reinitialized
)

func (k EventKind) String() string {
	switch k {
	case Created:
		return "created"
	case Changed:
		return "changed"
	case Deleted:
		return "deleted"
	case Initialized:
		return "initialized"
	case Stale:
		return "stale"
	case Reinitialized:
		return "reinitialized"
	}
	return "unknown"
}

// Event is one change of a cache. Old is the entry before the change (nil
// for Created), New the entry after it (nil for Deleted). Path is the
// node's path for node events and the cache's path otherwise. At is when
// the cache applied the change (for Stale: when the connection was
// suspended).
type Event struct {
	Kind     EventKind
	Path     string
	Old, New *Entry
	At       time.Time
}
