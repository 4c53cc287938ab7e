package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/observe"
)

// deadLetter moves a claimed message to the dead-letter queue: one
// transaction stores it there (same data and priority, at the end of its
// lane) and deletes our claim and the message. It runs in the session that
// holds the claim, so a consumer whose session ended cannot move a message
// that another consumer may hold by now. A lost reply is recognised by the
// dead-letter queue's put (its nonce): the move happens once.
func (q *Queue) deadLetter(ctx context.Context, m *Message) error {
	if m.atMostOnce {
		return ErrNotClaimed
	}
	dlq := q.DeadLetterQueue()
	if err := dlq.ensure(ctx); err != nil {
		return err
	}
	extra := []any{
		&zk.DeleteRequest{Path: q.l.claim(m.id), Version: -1},
		&zk.DeleteRequest{Path: q.l.item(m.id), Version: -1},
	}
	_, err := dlq.write(ctx, m.s, m.Priority, []putItem{{data: m.Data}}, extra)
	if err == nil {
		observe.DeadLetter(q.c, q.path, m.Deliveries)
		q.c.Logger().Info("queue: message dead-lettered", "queue", q.path, "id", m.ID, "deliveries", m.Deliveries, "to", dlq.path)
		return nil
	}
	if errors.Is(err, zkrecipes.ErrUncertain) { // not ErrClaimLost: the move may have landed
		return fmt.Errorf("queue: dead-letter %s: %w", m.ID, err)
	}
	if lost := m.lostErr(err); lost != nil {
		return lost
	}
	if errors.Is(err, zk.ErrNoNode) {
		// Our claim or the message is gone: Remove deleted it while we held it.
		if ok, _, eerr := m.s.Exists(ctx, q.l.item(m.id)); eerr == nil && !ok {
			_ = m.drop(ctx)
			return nil
		}
		return fmt.Errorf("%w: claim deleted by someone else", ErrClaimLost)
	}
	return fmt.Errorf("queue: dead-letter %s: %w", m.ID, err)
}
