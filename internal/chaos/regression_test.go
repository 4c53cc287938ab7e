package chaos_test

import (
	"os"
	"testing"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/chaos"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// regressions are schedules that once exposed a violation. Each replays
// the same faults (seed, duration and recipe list fix the schedule); the
// thread timing differs, so a replay makes the failure likely, not
// certain. Keep each short: they run in `make test`.
var regressions = []struct {
	name string
	cfg  chaos.Config
	bug  string
}{
	{
		name: "foundation-set-retry",
		cfg:  chaos.Config{Seed: 788424633, Duration: 30 * time.Second, Recipes: []string{"foundation"}},
		bug: "a versioned Set whose first attempt landed but whose reply was lost, retried after another " +
			"client wrote, returned zk.ErrBadVersion, so the caller's read-modify-write loop applied it twice " +
			"(foundation/0#908 read back as values 1493 and 1499; /plain ended above successes+ambiguous)",
	},
	{
		name: "queue-claim-lost-ack-and-consume-redelivery",
		cfg:  chaos.Config{Seed: 346232998, Duration: 40 * time.Second, Recipes: []string{"queue"}},
		bug: "queue/2 took queue/0-64 at +4.35s and acked it as its link was black-holed (+4.4s): Ack " +
			"returned ErrClaimLost (\"will be delivered again\") at +6.35s, yet the message was never " +
			"delivered again nor left in the queue (the Ack had landed); and Consume (queue/4) ran its " +
			"handler twice on queue/0-333 (+15.41s, +15.72s, both Deliveries = 1) within one live session " +
			"after server 1 was killed",
	},
}

func TestChaosRegressions(t *testing.T) {
	zktest.SkipIfShort(t)
	for _, r := range regressions {
		t.Run(r.name, func(t *testing.T) {
			cfg := r.cfg
			cfg.Log = os.Stdout
			t.Logf("replaying seed %d: %s", cfg.Seed, r.bug)
			runChaos(t, cfg)
		})
	}
}
