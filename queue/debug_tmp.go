package queue

import (
	"fmt"
	"sync/atomic"
)

var dbg struct {
	refresh, claimBatches, claimOps, taken, gone, ackBatches, ackOps, waits, helped, own, staleUntil atomic.Int64
}

func DebugStats() string {
	return fmt.Sprintf("refresh=%d waits=%d claimBatches=%d claimOps=%d taken=%d gone=%d ackBatches=%d ackOps=%d own=%d helped=%d",
		dbg.refresh.Load(), dbg.waits.Load(), dbg.claimBatches.Load(), dbg.claimOps.Load(), dbg.taken.Load(), dbg.gone.Load(), dbg.ackBatches.Load(), dbg.ackOps.Load(), dbg.own.Load(), dbg.helped.Load())
}
