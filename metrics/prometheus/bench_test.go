package zkprom_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zkrecipes/zkrecipes"
	zkprom "github.com/zkrecipes/zkrecipes/metrics/prometheus"
)

// BenchmarkObserverLockCycle is the adapter's CPU cost for the events of
// one uncontended lock cycle (W1): a create and a delete, each an OpStart
// and an OpDone, one acquisition and one release. Divided by W1's cycle
// time it is the adapter's share, free of the network's noise.
func BenchmarkObserverLockCycle(b *testing.B) {
	m := zkprom.New()
	prometheus.NewRegistry().MustRegister(m)
	ob := m.Observer()
	create := zkrecipes.OpEvent{Op: "create", Path: "/w1/lock/lock-"}
	del := zkrecipes.OpEvent{Op: "delete", Path: "/w1/lock/_c_x-lock-0000000001"}
	acq := zkrecipes.LockEvent{Path: "/w1/lock", Kind: "mutex", Result: "ok", Wait: time.Millisecond}
	rel := zkrecipes.LockEvent{Path: "/w1/lock", Kind: "mutex", Held: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		ob.OpStart(create)
		create.Duration, create.Result = 300*time.Microsecond, "ok"
		ob.OpDone(create)
		ob.LockAcquire(acq)
		ob.OpStart(del)
		del.Duration, del.Result = 300*time.Microsecond, "ok"
		ob.OpDone(del)
		ob.LockRelease(rel)
	}
}
