package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// node is a znode met on a walk.
type node struct {
	path     string
	stat     *zk.Stat
	children int
}

// walk lists p and everything below it, depth first.
func walk(ctx context.Context, c *zkrecipes.Client, p string, visit func(node)) error {
	children, _, err := c.Children(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, name := range children {
		cp := zkpath.Join(p, name)
		ok, st, err := c.Exists(ctx, cp)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		visit(node{path: cp, stat: st, children: int(st.NumChildren)})
		if st.NumChildren > 0 {
			if err := walk(ctx, c, cp, visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// awaitExpiry waits until no ephemeral node is left in any recipe's
// namespace, or for long enough that every session of a closed client must
// have expired: sessions that were lost while the client could not reach
// the ensemble (a black hole, the whole ensemble restarting) live on in the
// ensemble until their timeout runs out there.
func (r *runner) awaitExpiry(ctx context.Context, insts []*instance) {
	deadline := time.Now().Add(3*r.cfg.SessionTimeout + 10*time.Second)
	for {
		n := 0
		for _, in := range insts {
			_ = walk(ctx, in.admin, "/", func(nd node) {
				if nd.stat.EphemeralOwner > 0 {
					n++
				}
			})
		}
		if n == 0 || time.Now().After(deadline) {
			return
		}
		if !sleepOr(500*time.Millisecond, ctx.Done()) {
			return
		}
	}
}

// leftovers counts the znodes a recipe left behind after its check: any
// ephemeral node, and any leaf named like an item (a sequential or
// protected name) that the recipe does not allow. ZooKeeper does not tell
// clients which nodes are containers (their ephemeralOwner reads 0), so
// empty leaves with plain names are taken for the recipes' container
// directories, which the server reaps by itself. Each is a violation.
func (r *runner) leftovers(ctx context.Context, in *instance, res *Result) {
	// The checker's own session may hold ephemeral nodes (a queue consumer
	// registers one): close it, which deletes them, and look with a new one.
	in.admin.Close()
	var err error
	if in.admin, err = r.connect(ctx, zkpath.Join(r.ns, in.spec.name)); err != nil {
		in.rec.violate("cannot reconnect to look for leftovers: %v", err)
		return
	}
	var left []string
	err = walk(ctx, in.admin, "/", func(nd node) {
		owner := nd.stat.EphemeralOwner
		switch {
		case owner > 0:
			left = append(left, fmt.Sprintf("%s (ephemeral of session 0x%x)", nd.path, owner))
		case nd.children > 0:
		case !looksLikeItem(zkpath.Base(nd.path)):
		case in.r.leftoverOK(nd.path, nd.stat):
		default:
			left = append(left, nd.path)
		}
	})
	if err != nil {
		in.rec.violate("cannot list the namespace for leftovers: %v", err)
		return
	}
	res.Leftover = len(left)
	if len(left) > 0 {
		shown := left[:min(len(left), 10)]
		in.rec.violate("%d znodes left behind: %s", len(left), strings.Join(shown, ", "))
	}
}

// looksLikeItem reports whether a node name is one a recipe creates per
// participant or item: a protected name, or one with a sequence suffix.
func looksLikeItem(name string) bool {
	if strings.HasPrefix(name, "_c_") {
		return true
	}
	digits := 0
	for i := len(name) - 1; i >= 0 && name[i] >= '0' && name[i] <= '9'; i-- {
		digits++
	}
	return digits >= 10
}
