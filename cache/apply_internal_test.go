package cache

import (
	"context"
	"log/slog"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
)

// testEngine is an engine whose loop the test drives by hand: replies are
// handed to handle, and nothing is sent.
func testEngine(t *testing.T) (*engine, *Subscription) {
	e := &engine{
		o:   options{maxDepth: -1, maxInFlight: 1},
		log: slog.New(slog.DiscardHandler), ctx: context.Background(),
		initCh: make(chan struct{}), subs: map[*Subscription]struct{}{},
		root: &node{path: "/t"}, gen: 1, epoch: 1, connected: true, inflight: 100,
	}
	return e, e.subscribe()
}

func (e *engine) answer(n *node, o op, tag uint32, mzxid int64, data string, names ...string) {
	st := &zk.Stat{Czxid: 1, Mzxid: mzxid, Pzxid: mzxid}
	if n.parent != nil {
		st.Czxid = 2
	}
	e.handle(reply{request: request{n: n, op: o, gen: e.gen, tag: tag}, data: []byte(data), stat: st, names: names, exists: true})
}

func drain(s *Subscription) []Event { return s.q.Drain() }

func loadedTree(t *testing.T) (*engine, *Subscription, *node) {
	e, sub := testEngine(t)
	e.resync()
	ep := e.epoch
	e.answer(e.root, opGet, ep, 3, "root")
	e.answer(e.root, opChildren, ep, 4, "", "a")
	a := e.root.kids.get("a")
	require.NotNil(t, a)
	e.answer(a, opGet, ep, 5, "a5")
	e.answer(a, opChildren, ep, 5, "")
	evs := drain(sub)
	require.Len(t, evs, 3)
	require.Equal(t, Initialized, evs[2].Kind)
	return e, sub, a
}

// A read of a child answered before its deletion but handed to the cache
// after the listing that removed it does not bring the child back.
func TestApply_LateReplyDoesNotResurrect(t *testing.T) {
	e, sub, a := loadedTree(t)
	e.refresh(a, false, 0)                 // a data read in flight...
	e.answer(e.root, opChildren, 0, 7, "") // ...when a listing without a arrives
	evs := drain(sub)
	require.Len(t, evs, 1)
	assert.Equal(t, Deleted, evs[0].Kind)
	e.answer(a, opGet, 0, 6, "a6") // the late reply
	assert.Empty(t, drain(sub))
	_, ok := e.get("/t/a")
	assert.False(t, ok)

	// Recreated: a new node; the old one's replies still do not count.
	e.answer(e.root, opChildren, 0, 9, "", "a")
	a2 := e.root.kids.get("a")
	require.NotSame(t, a, a2)
	e.answer(a, opGet, 0, 8, "stale")
	assert.Empty(t, drain(sub))
	e.answer(a2, opGet, 0, 9, "a9")
	evs = drain(sub)
	require.Len(t, evs, 1)
	assert.Equal(t, Created, evs[0].Kind)
	assert.Equal(t, "a9", string(evs[0].New.Data))
}

// A reply older than the cached value (by mzxid) never overwrites it.
func TestApply_OlderValueNeverOverwrites(t *testing.T) {
	e, sub, a := loadedTree(t)
	e.answer(a, opGet, 0, 8, "a8")
	e.answer(a, opGet, 0, 6, "a6")
	e.answer(a, opGet, 0, 8, "a8")
	evs := drain(sub)
	require.Len(t, evs, 1)
	assert.Equal(t, "a8", string(evs[0].New.Data))
	en, _ := e.get("/t/a")
	assert.Equal(t, "a8", string(en.Data))
}

// Refreshes asked for while a read is outstanding fold into one follow-up,
// which still counts for the load that asked for it.
func TestApply_RefreshesFold(t *testing.T) {
	e, _, a := loadedTree(t)
	e.queue = nil
	e.refresh(a, false, 0)
	e.refresh(a, false, 0)
	e.epoch++ // a resync begins
	e.refresh(a, false, e.epoch)
	e.refresh(a, false, e.epoch)
	assert.Len(t, e.queue, 1)
	assert.Equal(t, 1, e.pending)
	e.answer(a, opGet, 0, 5, "a5")
	assert.Len(t, e.queue, 2, "one follow-up")
	assert.Equal(t, e.epoch, e.queue[1].tag)
	e.answer(a, opGet, e.epoch, 5, "a5")
	assert.Equal(t, 0, e.pending)
}

// In a new session nothing is read before its server has caught up (the
// sync): a follow-up of the old session's read waits for it.
func TestApply_NewSessionReadsWaitForTheSync(t *testing.T) {
	e, _, a := loadedTree(t)
	e.queue = nil
	e.refresh(a, false, 0) // in flight in the old session...
	e.refresh(a, false, 0) // ...with a follow-up asked for
	e.queue = nil
	e.gen++ // what newSession does, without its sync goroutine
	e.syncing = true
	e.answer(a, opGet, 0, 5, "a5") // the old session's reply
	require.Len(t, e.queue, 1, "the follow-up is queued")
	e.inflight, e.o.maxInFlight = 0, 10
	e.spawn()
	assert.Len(t, e.queue, 1, "and not sent before the sync")
	assert.Zero(t, e.inflight)
}

func (e *engine) answerStat(n *node, o op, st zk.Stat, data string, names ...string) {
	e.handle(reply{request: request{n: n, op: o, gen: e.gen}, data: []byte(data), stat: &st, names: names, exists: true})
}

// A listing answered before a child was recreated, but handed to the
// cache after the child's data read that saw the new incarnation, does
// not delete the child: its czxid is newer than the listing's pzxid.
func TestApply_OlderListingKeepsANewerChild(t *testing.T) {
	e, sub, a := loadedTree(t)
	e.answerStat(a, opGet, zk.Stat{Czxid: 10, Mzxid: 10}, "a10") // recreated at 10
	evs := drain(sub)
	require.Len(t, evs, 1)
	assert.Equal(t, Changed, evs[0].Kind)
	e.answerStat(e.root, opChildren, zk.Stat{Czxid: 1, Mzxid: 3, Pzxid: 9}, "") // read between the deletion and the recreation
	assert.Empty(t, drain(sub), "the older listing deleted the child")
	e.answerStat(e.root, opChildren, zk.Stat{Czxid: 1, Mzxid: 3, Pzxid: 12}, "") // a later deletion
	evs = drain(sub)
	require.Len(t, evs, 1)
	assert.Equal(t, Deleted, evs[0].Kind)
}

// A child listing that found no node, handed to the cache after a data
// read that saw the node, does not delete it: the node's data read
// decides, and the node is listed again if it is there.
func TestApply_ListingWithoutNodeDefersToData(t *testing.T) {
	e, sub, a := loadedTree(t)
	e.queue = nil
	e.answer(a, opChildren, 0, 6, "") // reset the slot: it is not busy
	e.queue = nil
	e.handle(reply{request: request{n: a, op: opChildren, gen: e.gen}, err: zk.ErrNoNode})
	assert.Empty(t, drain(sub))
	require.Len(t, e.queue, 1)
	assert.Equal(t, opGet, e.queue[0].op, "the data read decides")
	e.queue = nil
	e.answer(a, opGet, 0, 5, "a5") // still there, unchanged
	require.Len(t, e.queue, 1)
	assert.Equal(t, opChildren, e.queue[0].op, "listed again")
	_, ok := e.get("/t/a")
	assert.True(t, ok)

	e.queue = nil
	e.handle(reply{request: request{n: e.root, op: opChildren, gen: e.gen}, err: zk.ErrNoNode})
	assert.Empty(t, drain(sub), "a root listing without node deleted the tree")
}

// A watch that fired before its read's reply reached the loop is not
// armed by that reply (it would never fire again: the slot would wait
// forever); the change it reported is read again, with a new watch. A
// reply that comes first arms its watch, and the event then disarms it.
func TestApply_WatchFiredBeforeReplyIsNotArmed(t *testing.T) {
	changed := zk.Event{Type: zk.EventNodeDataChanged, Path: "/t/a"}
	withWatch := func(e *engine, n *node, mzxid int64) {
		st := &zk.Stat{Czxid: 2, Mzxid: mzxid}
		e.handle(reply{request: request{n: n, op: opGet, gen: e.gen, watch: true}, data: []byte("v"), stat: st, exists: true, watch: &zkrecipes.Watch{}})
	}

	e, _, a := loadedTree(t)
	e.queue = nil
	e.refresh(a, false, 0)                         // a read that sets a watch...
	e.handle(fired{n: a, gen: e.gen, ev: changed}) // ...which fires before its reply is applied
	withWatch(e, a, 6)
	assert.False(t, a.data.armed, "the watch that fired is not kept")
	require.Len(t, e.queue, 2, "the change is read again")
	assert.True(t, a.data.busy)

	e, _, a = loadedTree(t)
	e.refresh(a, false, 0)
	withWatch(e, a, 6)
	assert.True(t, a.data.armed, "a reply before its event arms the watch")
	e.handle(fired{n: a, gen: e.gen, ev: changed})
	assert.False(t, a.data.armed)
	assert.True(t, a.data.busy, "the change is read again")
}

// A load's epoch is never 0, the tag of watch-triggered reads, which no
// load counts: a wrapped epoch would never see its load complete.
func TestApply_EpochSkipsZero(t *testing.T) {
	e, _ := testEngine(t)
	e.epoch = ^uint32(0)
	e.nextEpoch()
	assert.Equal(t, uint32(1), e.epoch)
}

// sentThroughWatch gives e a persistent watch through which every read
// queued now was sent, none answered yet, and returns it.
func sentThroughWatch(t *testing.T, e *engine) *pwatch {
	t.Helper()
	require.NotEmpty(t, e.queue)
	pw := &pwatch{reqs: map[uint64]request{}}
	for i, r := range e.queue {
		pw.reqs[uint64(i+1)] = r
	}
	e.pw, e.inflight, e.queue = pw, len(e.queue), nil
	return pw
}

// A new session handled before the old persistent watch's Ended notice
// (which is then ignored: the watch is no longer the cache's) lets go of
// the watch's outstanding reads when it drops the watch: otherwise their
// nodes' slots stayed busy, so that the new session never read them
// again, and they counted against WithMaxInFlight for good.
func TestApply_DroppedWatchFreesItsReads(t *testing.T) {
	e, _, a := loadedTree(t)
	e.queue, e.persistent = nil, true
	e.refresh(a, false, 0) // a data read...
	require.Len(t, e.queue, 1)
	pw := sentThroughWatch(t, e) // ...sent through the watch
	e.gen++                      // newSession, up to its dropWatch
	e.dropWatch()
	assert.Zero(t, e.inflight, "nothing is in flight any more")
	assert.Empty(t, pw.reqs)
	assert.False(t, a.data.busy, "the node's slot is free")
	e.refresh(a, false, 0)
	assert.Len(t, e.queue, 1, "so the new session reads the node again")
}

// Dropping the watch of a session that ended in the middle of a load does
// not complete that load: its failed reads are not answers, and the cache
// reports no Reinitialized (which would present the partial tree as the
// server's) until the new session's load.
func TestApply_DroppedWatchEndsNoLoad(t *testing.T) {
	e, sub, _ := loadedTree(t)
	e.queue, e.persistent = nil, true
	e.resync()             // a load of every node...
	sentThroughWatch(t, e) // ...in flight through the watch
	e.gen++                // newSession, up to its dropWatch
	e.dropWatch()
	assert.Zero(t, e.inflight)
	assert.Empty(t, drain(sub), "no event: the load did not end")
}
