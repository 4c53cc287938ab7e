package queue

import "errors"

var (
	// ErrEmpty is returned by Poll when no message can be taken at once.
	ErrEmpty = errors.New("queue: empty")
	// ErrFull is returned by TryPut (and TryPutBatch) on a bounded queue
	// (WithMaxItems) that has no room.
	ErrFull = errors.New("queue: full")
	// ErrTooLarge is returned, before anything is written, for a message
	// larger than MaxMessageSize, a batch of more than MaxBatch messages,
	// or a batch whose transaction would exceed ZooKeeper's request limit.
	ErrTooLarge = errors.New("queue: too large")
	// ErrInvalidPriority is returned for a priority outside
	// MinPriority..MaxPriority.
	ErrInvalidPriority = errors.New("queue: invalid priority")
	// ErrInvalidID is returned by Remove for a string that is not a
	// message id of this package.
	ErrInvalidID = errors.New("queue: invalid message id")
	// ErrNotFound is returned by Remove when the message is not (or no
	// longer) in the queue.
	ErrNotFound = errors.New("queue: message not found")
	// ErrClaimLost is returned by Ack, Nack and DeadLetter when the
	// consumer no longer holds the message: its session ended (the message
	// is, or will be, delivered again) or the claim was removed.
	ErrClaimLost = errors.New("queue: claim lost")
	// ErrSettled is returned by a second Ack, Nack or DeadLetter of the
	// same Message.
	ErrSettled = errors.New("queue: message already settled")
	// ErrNotClaimed is returned by Nack and DeadLetter of a message taken
	// in at-most-once mode: it left the queue when it was taken.
	ErrNotClaimed = errors.New("queue: message was taken at most once and cannot be returned")
)

// An operation whose outcome could not be established returns an error
// wrapping zkrecipes.ErrUncertain, as in every package: a put whose reply
// was lost and whose session then ended with its messages not in the queue
// (never stored, or consumed already), or whose ids could not be read; an
// Ack or dead-letter move in flight when the session ended whose effect
// could not be read.
