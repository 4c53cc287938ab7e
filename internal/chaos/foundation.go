package chaos

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// The foundation workload checks the root package's retry rule directly:
// read-modify-write increments with a versioned Set through
// zkrecipes.Client. A Set retried after a lost reply must count once. Two
// registers: "/unique" writes the value plus a per-increment nonce (the
// documented way to make a write recognisable), "/plain" writes only the
// 8-byte value, as a Curator-compatible counter must.
func init() {
	register(spec{name: "foundation", workers: 3, new: func(rec *recorder) recipe {
		return &foundation{rec: rec, regs: map[string]*casReg{
			"/unique": {written: map[int64]string{}, seen: map[string]map[int64]bool{}, outcome: map[string]outcome{}},
			"/plain":  {written: map[int64]string{}},
		}}
	}})
}

type foundation struct {
	rec  *recorder
	regs map[string]*casReg
}

// casReg tallies one register.
type casReg struct {
	mu        sync.Mutex
	ok        int
	ambiguous int
	written   map[int64]string // value -> who reported writing it
	// unique register only: every (nonce, value) a read saw, and how each
	// increment ended. A nonce seen with two values was applied twice.
	seen    map[string]map[int64]bool
	outcome map[string]outcome
}

func (f *foundation) setup(ctx context.Context, c *zkrecipes.Client) error {
	for p := range f.regs {
		if _, err := c.Create(ctx, p, make([]byte, 8), zkrecipes.Persistent); err != nil {
			return err
		}
	}
	return nil
}

func (f *foundation) leftoverOK(p string, _ *zk.Stat) bool { return f.regs[p] != nil }

func (f *foundation) work(ctx context.Context, w *worker) {
	for seq := 0; ctx.Err() == nil; seq++ {
		p, unique := "/plain", seq%2 == 0
		if unique {
			p = "/unique"
		}
		reg := f.regs[p]
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, 20*time.Second)
		nonce := fmt.Sprintf("%s#%d", w.id, seq)
		v, err := increment(octx, w.c, p, reg.observe, func(v int64) []byte {
			if unique {
				return append(binary.BigEndian.AppendUint64(nil, uint64(v)), nonce...)
			}
			return binary.BigEndian.AppendUint64(nil, uint64(v))
		})
		cancel()
		o := classify(err)
		f.rec.op(w, start, o, true)
		reg.mu.Lock()
		if reg.outcome != nil {
			reg.outcome[nonce] = o
		}
		reg.mu.Unlock()
		reg.tally(f.rec, p, o, v, nonce)
	}
}

// tally counts one increment's outcome; a success must be the only one
// to report writing its value.
func (r *casReg) tally(rec *recorder, p string, o outcome, v int64, who string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch o {
	case opOK:
		r.ok++
		who = fmt.Sprintf("%s at %s", who, rec.at(time.Now()))
		if prev, dup := r.written[v]; dup {
			rec.violate("%s: %s and %s both report writing value %d (two increments, one write)", p, prev, who, v)
		}
		r.written[v] = who
	case opAmbiguous:
		r.ambiguous++
	}
}

// checkFinal checks that the final value lies between the successful
// increments and those plus the ambiguous ones, and returns a note.
func (r *casReg) checkFinal(rec *recorder, p string, final int64) string {
	r.mu.Lock()
	lo, hi := int64(r.ok), int64(r.ok+r.ambiguous)
	r.mu.Unlock()
	if final < lo || final > hi {
		rec.violate("%s: final value %d outside [successes %d, successes+ambiguous %d]", p, final, lo, hi)
	}
	return fmt.Sprintf("%s: final %d, successes %d, ambiguous %d", p, final, lo, hi-lo)
}

// increment reads p and writes value+1 with the read version, until a
// write is accepted; it returns the value written.
func increment(ctx context.Context, c *zkrecipes.Client, p string, observe func([]byte), enc func(int64) []byte) (int64, error) {
	for {
		data, st, err := c.Get(ctx, p)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errRead, err)
		}
		observe(data)
		v := int64(binary.BigEndian.Uint64(data[:8])) + 1
		_, err = c.Set(ctx, p, enc(v), st.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			continue
		}
		return v, err
	}
}

// observe notes the nonce and value of a write a read saw.
func (r *casReg) observe(data []byte) {
	if r.seen == nil || len(data) <= 8 {
		return
	}
	v, nonce := int64(binary.BigEndian.Uint64(data[:8])), string(data[8:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[nonce] == nil {
		r.seen[nonce] = map[int64]bool{}
	}
	r.seen[nonce][v] = true
}

// errRead marks a failure before anything was written.
var errRead = errors.New("chaos: read failed")

// classify tells a clean failure from one that may have taken effect.
func classify(err error) outcome {
	switch {
	case err == nil:
		return opOK
	case errors.Is(err, errRead), errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNoNode), errors.Is(err, zk.ErrNodeExists):
		return opFailed
	default:
		return opAmbiguous
	}
}

func (f *foundation) check(ctx context.Context, c *zkrecipes.Client, res *Result) {
	for _, p := range []string{"/unique", "/plain"} {
		reg := f.regs[p]
		data, _, err := c.Get(ctx, p)
		if err != nil {
			f.rec.violate("%s: cannot read the final value: %v", p, err)
			continue
		}
		note := reg.checkFinal(f.rec, p, int64(binary.BigEndian.Uint64(data[:8])))
		f.checkSeen(p, reg)
		res.Notes = append(res.Notes, note)
	}
}

// checkSeen reports increments that reads saw applied twice, or applied
// although they were reported as failed.
func (f *foundation) checkSeen(p string, reg *casReg) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for nonce, vals := range reg.seen {
		if len(vals) > 1 {
			var vs []int64
			for v := range vals {
				vs = append(vs, v)
			}
			slices.Sort(vs)
			f.rec.violate("%s: increment %s applied %d times (read back as values %v); it ended %s", p, nonce, len(vs), vs, reg.outcome[nonce])
		}
		if o, ok := reg.outcome[nonce]; ok && o == opFailed {
			f.rec.violate("%s: increment %s reported a clean failure but its write was read back", p, nonce)
		}
	}
}
