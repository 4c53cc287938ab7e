package queue

import (
	"fmt"
	"sync/atomic"
)

var dbg struct {
	refresh, claimBatches, claimOps, taken, gone, ackBatches, ackOps, gets, waits, lists atomic.Int64
}

func DebugStats() string {
	return fmt.Sprintf("refresh=%d lists=%d waits=%d claimBatches=%d claimOps=%d taken=%d gone=%d ackBatches=%d ackOps=%d",
		dbg.refresh.Load(), dbg.lists.Load(), dbg.waits.Load(), dbg.claimBatches.Load(), dbg.claimOps.Load(), dbg.taken.Load(), dbg.gone.Load(), dbg.ackBatches.Load(), dbg.ackOps.Load())
}
