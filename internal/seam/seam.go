// Package seam is the recipes' private way into the client: the plumbing
// of package zkrecipes that recipe code needs and users must not see.
// Package zkrecipes keeps these as unexported methods and installs them in
// its init (see internal/seam/hook); the wrappers here give them their
// types back. Each is documented where it is defined, on the unexported
// method named below.
//
// The root package's tests use it too; users' code cannot import it.
package seam

import (
	"context"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam/hook"
	"github.com/zkrecipes/zkrecipes/internal/sock"
)

// Package zkrecipes is initialised before this package (it is imported),
// so its hooks are installed when these are set; a hook of the wrong type
// fails here, at start-up, not at its first call.
var (
	hooks          = hook.Installed()
	goFn           = hooks.Go.(func(*zkrecipes.Client, func(context.Context)) bool)
	connections    = hooks.Connections.(func(*zkrecipes.Session) int64)
	createAndList  = hooks.CreateAndList.(func(*zkrecipes.Session, context.Context, string, []byte, zkrecipes.CreateMode, ...zkrecipes.CreateOption) (string, sock.Listing, *zk.Stat, error))
	observer       = hooks.Observer.(func(*zkrecipes.Client) *zkrecipes.Observer)
	watchTree      = hooks.WatchTree.(func(*zkrecipes.Session, context.Context, string, func(sock.Notice)) (*sock.Persistent, func(string) string, error))
	listing        = hooks.Listing.(func(*zkrecipes.Session, context.Context, string) (sock.Listing, *zk.Stat, error))
	replaceAndList = hooks.ReplaceAndList.(func(*zkrecipes.Session, context.Context, string, string, []byte, ...zkrecipes.CreateOption) (string, bool, sock.Listing, *zk.Stat, error))
)

// WatchTree sets a persistent recursive watch on p in s (ZooKeeper 3.6+)
// and returns it with abs, which turns a path under p into the server's
// for the watch's Reads. See Session.watchTree and sock.Set.AddWatch.
func WatchTree(ctx context.Context, s *zkrecipes.Session, p string, fn func(sock.Notice)) (*sock.Persistent, func(string) string, error) {
	return watchTree(s, ctx, p, fn)
}

// Observer returns c's Observer, nil without one. Recipes report through
// internal/observe, which calls it. See Client.observer.
func Observer(c *zkrecipes.Client) *zkrecipes.Observer { return observer(c) }

// Go runs fn on a goroutine owned by c: Close cancels fn's ctx and waits
// for fn to return. Recipes use it for work that must outlive the caller's
// context (cleanup above all). It reports false, without running fn, after
// Close. See Client.goOwned.
func Go(c *zkrecipes.Client, fn func(ctx context.Context)) bool { return goFn(c, fn) }

// Connections returns how many TCP connections s has used, counting the
// current one: a recipe that infers anything from the order of two watch
// events checks that it stayed the same. See Session.connections.
func Connections(s *zkrecipes.Session) int64 { return connections(s) }

// CreateAndList creates p in s, as s.Create does, and lists p's parent in
// the same round trip; the listing it returns always holds the new node.
// Its names share one buffer: release it when done (see Listing).
// See Session.createAndList for the contract on errors and cancellation.
func CreateAndList(ctx context.Context, s *zkrecipes.Session, p string, data []byte, mode zkrecipes.CreateMode, opts ...zkrecipes.CreateOption) (string, sock.Listing, *zk.Stat, error) {
	return createAndList(s, ctx, p, data, mode, opts...)
}

// ReplaceAndList is CreateAndList of an ephemeral sequential node that
// also deletes old, a node of s, in the same transaction; replaced says
// whether old is known to be gone (if not, delete it). See
// Session.replaceAndList.
func ReplaceAndList(ctx context.Context, s *zkrecipes.Session, old, p string, data []byte, opts ...zkrecipes.CreateOption) (path string, replaced bool, l sock.Listing, st *zk.Stat, err error) {
	return replaceAndList(s, ctx, old, p, data, opts...)
}

// Listing is s.Children for a listing that is looked through and
// released: its names share one buffer, which Release hands back for
// reuse (no name may be used after it). See Ops.listing.
func Listing(ctx context.Context, s *zkrecipes.Session, dir string) (sock.Listing, *zk.Stat, error) {
	return listing(s, ctx, dir)
}

// Spawner returns Go bound to c, for code that takes a spawn function
// (internal/cleanup).
func Spawner(c *zkrecipes.Client) func(fn func(ctx context.Context)) bool {
	return func(fn func(ctx context.Context)) bool { return goFn(c, fn) }
}
