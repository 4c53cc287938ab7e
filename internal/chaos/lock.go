package chaos

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/lock"
)

// The lock workload: workers contend for one lock.Mutex (default policy:
// suspension ends a hold). Inside each critical section the holder writes
// its fencing token into a shared register, a znode that accepts a token
// only if it is at least the one stored (a versioned Set after a read),
// and before leaving reads it back: a different token there while the
// holder still believed it held means another holder got in. The tenures
// are also checked for overlap, token order and, with porcupine, for
// linearizability as a mutex.
//
// The relock workload is the same with two workers, one locking again at
// once after each release and one pausing between holds, so that most of
// the first one's holds take the uncontended shortcut (a single create,
// the token counted on from the last one) and the second one keeps
// breaking into its chain.
func init() {
	register(spec{name: "lock", workers: 4, new: func(rec *recorder) recipe { return &lockRecipe{rec: rec} }})
	register(spec{name: "relock", workers: 2, new: func(rec *recorder) recipe {
		return &lockRecipe{rec: rec, pause: func(w *worker) time.Duration {
			if w.slot == 0 {
				return 0
			}
			return w.jitter(50*time.Millisecond, 400*time.Millisecond)
		}}
	}})
}

const (
	lockPath     = "/mutex"
	registerPath = "/register"
)

type lockRecipe struct {
	rec    *recorder
	ledger ledger
	pause  func(w *worker) time.Duration // between holds (nil: none)
}

func (l *lockRecipe) setup(ctx context.Context, c *zkrecipes.Client) error {
	_, err := c.Create(ctx, registerPath, make([]byte, 8), zkrecipes.Persistent)
	return err
}

func (l *lockRecipe) leftoverOK(p string, _ *zk.Stat) bool { return p == registerPath }

func (l *lockRecipe) work(ctx context.Context, w *worker) {
	m := must(lock.NewMutex(w.c, lockPath, lock.WithData([]byte(w.id))))
	for ctx.Err() == nil {
		call := time.Now()
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := m.Lock(lctx)
		cancel()
		if err != nil {
			l.rec.op(w, call, opFailed, false)
			w.stalled(ctx, lockPath, call, err)
			continue
		}
		h := hold{worker: w.id, slot: w.slot, token: m.Token(), call: call, acquired: time.Now()}
		l.rec.opAt(w, call, h.acquired, opOK, true)
		clock := watchLoss(m.Lost())
		l.critical(ctx, w, h, clock)
		h.release, h.lost = clock.end()
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := m.Unlock(uctx); err != nil && !h.lost {
			l.rec.count("unlock errors", 1)
		}
		cancel()
		h.released = time.Now()
		l.ledger.add(h)
		if l.pause != nil {
			sleepOr(l.pause(w), ctx.Done())
		}
	}
}

// critical writes the token into the register, spends a little time, and
// reads the register back.
func (l *lockRecipe) critical(ctx context.Context, w *worker, h hold, clock *lossClock) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if !l.fencedWrite(rctx, w, h, clock) {
		return
	}
	sleepOr(w.tenure(0, 30*time.Millisecond), clock.ch, ctx.Done())
	data, _, err := w.c.Get(rctx, registerPath)
	if err != nil {
		l.rec.count("register unchecked", 1)
		return
	}
	if got := decodeToken(data); got != h.token && !clock.lost() {
		l.rec.violate("register: %s holding token %d since %s read back token %d at %s: another holder wrote while it held",
			w.id, h.token, l.rec.at(h.acquired), got, l.rec.at(time.Now()))
	}
}

// fencedWrite stores h.token in the register unless a higher token is
// there. A higher token while the holder has not lost is a violation: a
// later holder already came and went (or is inside).
func (l *lockRecipe) fencedWrite(ctx context.Context, w *worker, h hold, clock *lossClock) bool {
	for {
		data, st, err := w.c.Get(ctx, registerPath)
		if err != nil {
			l.rec.count("register unchecked", 1)
			return false
		}
		switch stored := decodeToken(data); {
		case stored == h.token:
			return true // our own earlier write (a retried Set that landed)
		case stored > h.token:
			if clock.lost() {
				l.rec.count("fenced", 1)
			} else {
				l.rec.violate("register: %s holding token %d since %s found the later token %d already written",
					w.id, h.token, l.rec.at(h.acquired), stored)
			}
			return false
		}
		_, err = w.c.Set(ctx, registerPath, binary.BigEndian.AppendUint64(nil, uint64(h.token)), st.Version)
		switch {
		case err == nil:
			return true
		case errors.Is(err, zk.ErrBadVersion):
			continue // re-read: another write came in between
		default:
			l.rec.count("register unchecked", 1)
			return false
		}
	}
}

func decodeToken(data []byte) int64 {
	if len(data) < 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(data[:8]))
}

func (l *lockRecipe) check(ctx context.Context, c *zkrecipes.Client, res *Result) {
	holds := l.ledger.all()
	res.Notes = append(res.Notes, checkHolds(l.rec, holds, 1, true))
	lost := 0
	for _, h := range holds {
		if h.lost {
			lost++
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d holds ended by loss; fenced writes %d, register unchecked %d, unlock errors %d",
		lost, l.rec.counter("fenced"), l.rec.counter("register unchecked"), l.rec.counter("unlock errors")))
	if l.pause != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("%d holds took the uncontended shortcut", shortcuts(holds)))
	}
}

// shortcuts counts the holds whose token is one more than their worker's
// previous one: the mark of a Mutex's uncontended relock, since any two
// real zxids of a worker's holds lie at least two writes apart.
func shortcuts(holds []hold) int {
	last := map[string]int64{}
	n := 0
	for _, h := range holds { // in each worker's order: a worker adds its own holds
		if t, ok := last[h.worker]; ok && h.token == t+1 {
			n++
		}
		last[h.worker] = h.token
	}
	return n
}
