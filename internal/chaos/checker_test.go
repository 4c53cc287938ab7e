package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at builds times as offsets in milliseconds from a fixed origin.
var origin = time.Unix(1_700_000_000, 0)

func ms2t(ms int) time.Time { return origin.Add(time.Duration(ms) * time.Millisecond) }

func tenure(worker string, slot int, token int64, call, acq, rel, reld int) hold {
	return hold{worker: worker, slot: slot, token: token, call: ms2t(call), acquired: ms2t(acq), release: ms2t(rel), released: ms2t(reld)}
}

func TestCheckHolds(t *testing.T) {
	cases := []struct {
		name   string
		limit  int
		tokens bool
		holds  []hold
		want   int // violations
		legal  bool
	}{
		{"sequential", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 11, 1, 21, 30, 31),
			tenure("a", 0, 12, 23, 31, 40, 41),
		}, 0, true},
		{"hand-over at one instant", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 11, 1, 20, 30, 31),
		}, 0, true},
		{"overlap", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 11, 1, 15, 30, 31),
		}, 1, false},
		{"token goes back", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 9, 1, 21, 30, 31),
		}, 1, false},
		{"token repeats", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 10, 1, 21, 30, 31),
		}, 1, false},
		{"unknown tokens are skipped", 1, true, []hold{
			tenure("a", 0, 10, 0, 5, 20, 22),
			tenure("b", 1, 0, 1, 21, 30, 31),
			tenure("a", 0, 12, 23, 31, 40, 41),
		}, 0, true},
		{"two of two leases", 2, false, []hold{
			tenure("a", 0, 0, 0, 5, 20, 22),
			tenure("b", 1, 0, 1, 6, 30, 31),
			tenure("c", 2, 0, 1, 21, 35, 36),
		}, 0, true},
		{"three of two leases", 2, false, []hold{
			tenure("a", 0, 0, 0, 5, 20, 22),
			tenure("b", 1, 0, 1, 6, 30, 31),
			tenure("c", 2, 0, 1, 7, 35, 36),
		}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(origin)
			note := checkHolds(rec, tc.holds, tc.limit, tc.tokens)
			assert.Equal(t, tc.want, rec.violations, "violations: %v", rec.details)
			if tc.legal {
				assert.Contains(t, note, "porcupine Ok")
			}
		})
	}
}

func TestCheckHoldsPorcupineSeesLateLoss(t *testing.T) {
	// b's acquire returned before a learned it lost: both the sweep and
	// porcupine see it, and it counts once.
	rec := newRecorder(origin)
	holds := []hold{
		tenure("a", 0, 10, 0, 5, 50, 60),
		tenure("b", 1, 11, 10, 40, 70, 71),
	}
	holds[0].lost = true
	note := checkHolds(rec, holds, 1, true)
	assert.Contains(t, note, "Illegal")
	assert.Equal(t, 1, rec.violations, "%v", rec.details)
}

func TestPlanIsDeterministicAndSafe(t *testing.T) {
	p := planParams{duration: 10 * time.Minute, sessionTimeout: 2 * time.Second, servers: 3,
		workers: []string{"lock/0", "lock/1", "queue/0", "queue/1"}}
	a, b := plan(42, p), plan(42, p)
	require.Equal(t, a, b)
	assert.NotEqual(t, a, plan(43, p))

	restarts := 0
	last := map[string]time.Duration{}
	kinds := map[Kind]int{}
	for _, f := range a.Faults {
		kinds[f.Kind]++
		assert.Greater(t, f.At, time.Duration(0))
		assert.Less(t, f.At, p.duration)
		if f.Kind == RestartEnsemble {
			restarts++
		}
		if f.Kind == Expire {
			assert.Greater(t, f.For, p.sessionTimeout, "a black hole must outlast the session")
		}
		if f.Kind == StopServer {
			assert.Less(t, f.Server, p.servers)
		}
		// Faults of one lane are planned apart: the earlier one ends first.
		if prev, ok := last[f.Worker]; ok {
			assert.GreaterOrEqual(t, f.At, prev, "%v overlaps the previous fault on its lane", f)
		}
		last[f.Worker] = f.At + f.For
	}
	assert.Equal(t, 1, restarts)
	for k := Kind(0); k < numKinds; k++ {
		assert.Positive(t, kinds[k], "no %v fault planned", k)
	}
	assert.True(t, strings.HasPrefix(a.String(), "schedule (seed 42"))
}

func TestLongestGapAndPercentile(t *testing.T) {
	gap, at := longestGap([]time.Time{ms2t(100), ms2t(150), ms2t(900)}, ms2t(0), ms2t(1000))
	assert.Equal(t, 750*time.Millisecond, gap)
	assert.Equal(t, 150*time.Millisecond, at)
	gap, _ = longestGap(nil, ms2t(0), ms2t(1000))
	assert.Equal(t, time.Second, gap)

	ds := []time.Duration{5, 1, 4, 2, 3}
	assert.Equal(t, time.Duration(3), percentile(ds, 0.5))
	assert.Equal(t, time.Duration(5), percentile(ds, 0.99))
	assert.Equal(t, time.Duration(0), percentile(nil, 0.5))
}

func TestLooksLikeItem(t *testing.T) {
	for name, want := range map[string]bool{
		"mutex":    false,
		"leases":   false,
		"register": false,
		"_c_0a1b2c3d-0000-4000-8000-000000000001-lock-0000000007": true,
		"lock-0000000007": true,
		"qn-0000000123":   true,
		"v2":              false,
	} {
		assert.Equal(t, want, looksLikeItem(name), name)
	}
}

func TestCheckReadWrite(t *testing.T) {
	cases := []struct {
		name          string
		reads, writes []hold
		want          int // violations
	}{
		{"readers share", []hold{
			tenure("a", 0, 0, 0, 5, 20, 22),
			tenure("b", 1, 0, 1, 6, 30, 31),
		}, nil, 0},
		{"writer after readers", []hold{
			tenure("a", 0, 0, 0, 5, 20, 22),
			tenure("b", 1, 0, 1, 6, 30, 31),
		}, []hold{tenure("c", 2, 10, 2, 30, 40, 41)}, 0},
		{"writer among readers", []hold{
			tenure("a", 0, 0, 0, 5, 20, 22),
		}, []hold{tenure("c", 2, 10, 2, 15, 40, 41)}, 1},
		{"reader under a writer", []hold{
			tenure("a", 0, 0, 0, 25, 30, 32),
		}, []hold{tenure("c", 2, 10, 2, 15, 40, 41)}, 1},
		{"two writers", nil, []hold{
			tenure("c", 2, 10, 2, 15, 40, 41),
			tenure("d", 3, 11, 2, 39, 50, 51),
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(origin)
			checkReadWrite(rec, tc.reads, tc.writes)
			assert.Equal(t, tc.want, rec.violations, strings.Join(rec.details, "\n"))
		})
	}
}

// pass builds a double-barrier visit of slot from millisecond offsets; a
// negative offset did not happen.
func pass(slot, enter, entered, leave, left int) visit {
	t := func(ms int) time.Time {
		if ms < 0 {
			return time.Time{}
		}
		return ms2t(ms)
	}
	return visit{worker: string(rune('a' + slot)), slot: slot, enter: t(enter), entered: t(entered), leave: t(leave), left: t(left)}
}

func TestCheckDouble(t *testing.T) {
	round := func(base int) []visit { // three members, one round, all in order
		return []visit{
			pass(0, base, base+10, base+20, base+30),
			pass(1, base+2, base+10, base+22, base+30),
			pass(2, base+5, base+11, base+25, base+31),
		}
	}
	cases := []struct {
		name    string
		visits  []visit
		losses  []int
		want    int // violations
		skipped int
	}{
		{"two rounds", append(round(0), round(40)...), nil, 0, 0},
		{"next round called while the last one's leaves return", append(round(0), []visit{
			pass(0, 40, 50, 60, 70),
			pass(1, 41, 50, 61, 70),
			pass(2, 29, 50, 65, 71), // called Enter before 0 and 1 returned from Leave
		}...), nil, 0, 0},
		{"failed enter then in", append([]visit{pass(2, 0, -1, -1, -1)}, round(3)...), nil, 0, 0},
		{"entered before the last member came", []visit{
			pass(0, 0, 10, 20, 40),
			pass(1, 2, 10, 22, 40),
			pass(2, 15, 16, 25, 40), // called Enter after 0 and 1 passed
		}, nil, 2, 0},
		{"entered while one was still gone from the last round", append(round(0), []visit{
			pass(0, 40, 50, 60, 70),
			pass(1, 41, 50, 61, 70),
			pass(2, 55, 56, 65, 71), // left at 31, entered again only at 55
		}...), nil, 2, 0},
		{"left while one was inside", []visit{
			pass(0, 0, 10, 20, 30),
			pass(1, 2, 10, 22, 30),
			pass(2, 5, 11, 35, 40), // called Leave after the others left
		}, nil, 2, 0},
		{"near a session loss", []visit{
			pass(0, 0, 10, 20, 30),
			pass(1, 2, 10, 22, 30),
			pass(2, 15, 16, 25, 31),
		}, []int{12}, 0, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(origin)
			var losses []time.Time
			for _, l := range tc.losses {
				losses = append(losses, ms2t(l))
			}
			_, skipped := checkDouble(rec, tc.visits, 3, losses, 50*time.Millisecond)
			assert.Equal(t, tc.want, rec.violations, strings.Join(rec.details, "\n"))
			assert.Equal(t, tc.skipped, skipped)
		})
	}
}
