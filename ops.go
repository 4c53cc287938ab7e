package zkrecipes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Ops are the operations on znodes. Client and Session each embed one, and
// they differ only in the session an operation runs in: a Client's run in
// the session current when each starts (retried across reconnections of
// it, never across its loss), a Session's only in that session, failing
// with ErrSessionLost once it is gone. Paths are relative to the client's
// namespace. Use the Ops of a Client or a Session; the zero Ops is not
// usable.
type Ops struct{ ops }

type dataStat struct {
	data []byte
	stat *zk.Stat
}

type watched[T any] struct {
	v  T
	st *zk.Stat
	ch <-chan zk.Event
}

// Get returns the data and stat of the node at p.
func (o Ops) Get(ctx context.Context, p string) ([]byte, *zk.Stat, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return nil, nil, &OpError{Op: "get", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "get", p, func(ctx context.Context, s *sock.Set) (dataStat, error) {
		d, st, err := s.Get(ctx, ap)
		return dataStat{d, st}, err
	})
	return r.data, r.stat, err
}

// GetW is Get that also leaves a data watch, which fires once when the node
// changes or is deleted. The watch survives reconnection of the same
// session; it fires with EventNotWatching when the session ends.
func (o Ops) GetW(ctx context.Context, p string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return nil, nil, nil, &OpError{Op: "getw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "getw", p, func(ctx context.Context, s *sock.Set) (watched[[]byte], error) {
		d, st, w, err := s.GetW(ctx, ap, nil)
		return watched[[]byte]{d, st, w.C()}, err
	})
	return r.v, r.st, r.ch, err
}

// Exists reports whether p exists, with its stat when it does.
func (o Ops) Exists(ctx context.Context, p string) (bool, *zk.Stat, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return false, nil, &OpError{Op: "exists", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "exists", p, func(ctx context.Context, s *sock.Set) (watched[bool], error) {
		ok, st, err := s.Exists(ctx, ap)
		return watched[bool]{ok, st, nil}, err
	})
	return r.v, r.st, err
}

// ExistsW is Exists that also leaves a watch for creation, change or deletion.
func (o Ops) ExistsW(ctx context.Context, p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return false, nil, nil, &OpError{Op: "existsw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "existsw", p, func(ctx context.Context, s *sock.Set) (watched[bool], error) {
		ok, st, w, err := s.ExistsW(ctx, ap, nil)
		return watched[bool]{ok, st, w.C()}, err
	})
	return r.v, r.st, r.ch, err
}

// Children returns the names of p's children, unsorted.
func (o Ops) Children(ctx context.Context, p string) ([]string, *zk.Stat, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return nil, nil, &OpError{Op: "children", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "children", p, func(ctx context.Context, s *sock.Set) (watched[[]string], error) {
		ch, st, err := s.Children(ctx, ap)
		return watched[[]string]{ch, st, nil}, err
	})
	return r.v, r.st, err
}

// listing is Children whose names share one buffer (sock.Set.Listing),
// for recipes that look through a listing and drop it (internal/contend),
// releasing it when done.
func (o Ops) listing(ctx context.Context, p string) (sock.Listing, *zk.Stat, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return sock.Listing{}, nil, &OpError{Op: "children", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "children", p, func(ctx context.Context, s *sock.Set) (watched[sock.Listing], error) {
		l, st, err := s.Listing(ctx, ap)
		return watched[sock.Listing]{l, st, nil}, err
	})
	return r.v, r.st, err
}

// ChildrenW is Children that also leaves a child watch.
func (o Ops) ChildrenW(ctx context.Context, p string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	ap, err := o.abs(p, true)
	if err != nil {
		return nil, nil, nil, &OpError{Op: "childrenw", Path: p, Err: err}
	}
	r, err := doOwn(ctx, o.ops, "childrenw", p, func(ctx context.Context, s *sock.Set) (watched[[]string], error) {
		ch, st, w, err := s.ChildrenW(ctx, ap, nil)
		return watched[[]string]{ch, st, w.C()}, err
	})
	return r.v, r.st, r.ch, err
}

// Set writes data if the node's version equals version (-1: any version).
// Data over the size limits fails at once with ErrTooLarge; a ctx already
// done sends nothing; if ctx ends while the Set may have reached the
// server, the error matches ErrUncertain as well as ctx's error.
//
// A versioned Set whose reply was lost to a connection loss is retried;
// if the retry meets BadVersion, the first attempt may have landed. When the
// node is at version+1 with other data than ours, someone else won and Set
// returns zk.ErrBadVersion: ours was not applied. In every other case (our
// data at version+1, which another writer could have written too, or a
// later version) the outcome is unknown and Set returns an error wrapping
// ErrUncertain and zk.ErrConnectionClosed, never a guess: a caller that
// treated our own landed write as a conflict would apply it twice, and one
// that took another writer's identical write as ours would apply it zero
// times. Callers whose data is unique to the write can Get and compare.
func (o Ops) Set(ctx context.Context, p string, data []byte, version int32) (*zk.Stat, error) {
	ap, err := o.abs(p, false)
	if err == nil {
		err = o.checkSize(len(data), reqHeader+setSize(ap, data))
	}
	if err != nil {
		return nil, &OpError{Op: "set", Path: p, Err: err}
	}
	return doOwnWrite(ctx, o.ops, "set", p, func(ctx context.Context, s *sock.Set, retried bool) (*zk.Stat, bool, error) {
		st, sent, err := s.Set(ctx, ap, data, version)
		if retried && version >= 0 && errors.Is(err, zk.ErrBadVersion) {
			cur, cst, gerr := s.Get(ctx, ap)
			if gerr != nil && !errors.Is(gerr, zk.ErrNoNode) {
				return nil, sent, gerr
			}
			if gerr == nil && cst.Version == version+1 && !bytes.Equal(cur, data) {
				return nil, sent, err // another write took version+1: ours never landed
			}
			return nil, sent, fmt.Errorf("%w (%w)", ErrUncertain, zk.ErrConnectionClosed)
		}
		return st, sent, err
	})
}

// Delete removes the node if its version equals version (-1: any). A Delete
// retried after a connection loss that finds the node gone reports success:
// the first attempt removed it. If ctx ends while the Delete may have
// reached the server, the error matches ErrUncertain as well as ctx's error.
func (o Ops) Delete(ctx context.Context, p string, version int32) error {
	ap, err := o.abs(p, false)
	if err != nil {
		return &OpError{Op: "delete", Path: p, Err: err}
	}
	_, err = doOwnWrite(ctx, o.ops, "delete", p, func(ctx context.Context, s *sock.Set, retried bool) (struct{}, bool, error) {
		sent, err := s.Delete(ctx, ap, version)
		if retried && errors.Is(err, zk.ErrNoNode) {
			err = nil
		}
		return struct{}{}, sent, err
	})
	return err
}

// Sync makes the connected server catch up with the leader for p, so that a
// following read sees every write committed before Sync.
func (o Ops) Sync(ctx context.Context, p string) error {
	ap, err := o.abs(p, true)
	if err != nil {
		return &OpError{Op: "sync", Path: p, Err: err}
	}
	_, err = do(ctx, o.ops, "sync", p, func(conn *zk.Conn, _ bool) (string, error) { return conn.Sync(ap) })
	return err
}

// Multi runs ops (*zk.CreateRequest, *zk.DeleteRequest, *zk.SetDataRequest,
// *zk.CheckVersionRequest, with paths relative to the namespace) as one
// transaction. Multi waits for a connection and is never sent twice: after
// a connection loss that may have lost its reply, it returns an error
// wrapping zk.ErrConnectionClosed and ErrUncertain, because a transaction
// of sequential creates would otherwise be applied twice. Recipes make their
// transactions recognisable instead (see queue.PutBatch). Each part's data
// and the whole transaction are checked against the size limits before it
// is sent (ErrTooLarge); if ctx ends while it is in flight, the error
// matches ErrUncertain as well as ctx's error.
func (o Ops) Multi(ctx context.Context, reqs ...any) ([]zk.MultiResponse, error) {
	nreqs := make([]any, len(reqs))
	for i, r := range reqs {
		nr, err := o.absRequest(r)
		if err != nil {
			return nil, &OpError{Op: "multi", Path: "", Err: err}
		}
		nreqs[i] = nr
	}
	if err := o.checkMulti(nreqs); err != nil {
		return nil, &OpError{Op: "multi", Err: err}
	}
	// An own request, on the caller's goroutine (see sock.Set.Multi). It
	// waits for a connection, so it is never resent: a transaction whose
	// reply was lost may have applied. doOwnWrite reports the operation
	// to the observer.
	var res []zk.MultiResponse
	_, err := doOwnWrite(ctx, o.ops, "multi", "", func(ctx context.Context, s *sock.Set, _ bool) (struct{}, bool, error) {
		r, sent, err := s.Multi(ctx, nreqs)
		res = r
		if sent && retry.Dropped(err) {
			err = uncertain(err) // not retried
		}
		return struct{}{}, sent, err
	})
	for i := range res {
		res[i].String = o.relIfPath(res[i].String)
	}
	return res, err
}

func (o ops) relIfPath(s string) string {
	if s == "" || s[0] != '/' {
		return s
	}
	return o.rel(s)
}

func (o ops) absRequest(r any) (any, error) {
	switch r := r.(type) {
	case *zk.CreateRequest:
		ap, err := o.abs(r.Path, false)
		cp := *r
		cp.Path = ap
		if cp.Acl == nil {
			cp.Acl = o.c.o.acl
		}
		return &cp, err
	case *zk.DeleteRequest:
		ap, err := o.abs(r.Path, false)
		cp := *r
		cp.Path = ap
		return &cp, err
	case *zk.SetDataRequest:
		ap, err := o.abs(r.Path, false)
		cp := *r
		cp.Path = ap
		return &cp, err
	case *zk.CheckVersionRequest:
		ap, err := o.abs(r.Path, false)
		cp := *r
		cp.Path = ap
		return &cp, err
	}
	return nil, fmt.Errorf("%w: unsupported multi request %T", ErrInvalidArgument, r)
}

func orErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// CreateMode selects the kind of node Create makes.
type CreateMode int32

// Create modes, with ZooKeeper's flag values.
const (
	Persistent              CreateMode = 0
	Ephemeral               CreateMode = zk.FlagEphemeral
	PersistentSequential    CreateMode = zk.FlagSequence
	EphemeralSequential     CreateMode = zk.FlagEphemeral | zk.FlagSequence
	Container               CreateMode = 4
	PersistentTTL           CreateMode = 5
	PersistentSequentialTTL CreateMode = 6
)

func (m CreateMode) sequential() bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialTTL
}
func (m CreateMode) ephemeral() bool { return m == Ephemeral || m == EphemeralSequential }
func (m CreateMode) ttl() bool       { return m == PersistentTTL || m == PersistentSequentialTTL }

// CreateOption adjusts one Create.
type CreateOption func(*createOptions)

type createOptions struct {
	acl     []zk.ACL
	ttl     time.Duration
	parents bool
}

// WithNodeACL overrides the client's default ACL for this node.
func WithNodeACL(acl []zk.ACL) CreateOption { return func(o *createOptions) { o.acl = acl } }

// WithTTL sets the time to live of a PersistentTTL or PersistentSequentialTTL node.
func WithTTL(d time.Duration) CreateOption { return func(o *createOptions) { o.ttl = d } }

// WithParents creates missing parents first: the namespace as persistent
// nodes, everything below it as containers, which the server removes once
// they are empty (Curator's creatingParentContainersIfNeeded).
func WithParents() CreateOption { return func(o *createOptions) { o.parents = true } }

// Create makes a node and returns its path (relative to the namespace).
//
// Sequential modes are protected: the name gets a prefix carrying the
// session id and a nonce ("_c_<session+nonce as a UUID>-<name><seq>"), so a
// create whose reply was lost to a connection loss is found again and
// returned, never made twice nor leaked. If ctx is done while such a create
// is in flight, a background cleanup removes the node if it lands; while
// connected Create waits for it (a second at most: normally the create's
// reply and a delete) before returning ctx's error, so the caller sees no
// node behind; the error also matches ErrUncertain if that cleanup was not
// confirmed by then.
//
// A non-sequential ephemeral create retried after a connection loss that
// finds the node already owned by our session reports success. For a
// persistent node the same situation is ambiguous and returns
// zk.ErrNodeExists. If ctx ends while a non-sequential create may have
// reached the server, the error matches ErrUncertain as well as ctx's
// error. Data over the size limits fails at once with ErrTooLarge; a ctx
// already done sends nothing.
func (o Ops) Create(ctx context.Context, p string, data []byte, mode CreateMode, opts ...CreateOption) (string, error) {
	var co createOptions
	for _, opt := range opts {
		opt(&co)
	}
	if co.acl == nil {
		co.acl = o.c.o.acl
	}
	ap, err := o.abs(p, false)
	if err == nil {
		err = validateCreate(ap, mode, co)
	}
	if err == nil {
		err = o.checkCreate(ap, data, mode, co)
	}
	if err != nil {
		return "", &OpError{Op: "create", Path: p, Err: err}
	}
	if mode.sequential() {
		sp := o.c.startOp("create", p)
		path, err := o.createProtected(ctx, p, ap, data, mode, co, sp, zkpath.Nonce(), false)
		sp.end(err)
		return path, err
	}
	// On the caller's goroutine: see sock.Set.Create for why.
	created, err := doOwnWrite(ctx, o.ops, "create", p, func(ctx context.Context, s *sock.Set, retried bool) (string, bool, error) {
		got, sent, err := rawCreate(ctx, s, ap, data, mode, co)
		if errors.Is(err, zk.ErrNoNode) && co.parents {
			if err = o.ensureParents(ctx, s, ap); err == nil {
				var again bool
				got, again, err = rawCreate(ctx, s, ap, data, mode, co)
				sent = sent || again
			}
		}
		if retried && mode.ephemeral() && errors.Is(err, zk.ErrNodeExists) {
			if ok, st, gerr := s.Exists(ctx, ap); gerr == nil && ok && st.EphemeralOwner == s.SessionID() {
				return ap, sent, nil
			}
		}
		return got, sent, err
	})
	if err != nil {
		return "", err
	}
	return o.rel(created), nil
}

func validateCreate(ap string, mode CreateMode, co createOptions) error {
	switch {
	case mode < Persistent || mode > PersistentSequentialTTL:
		return fmt.Errorf("%w: unknown create mode %d", ErrInvalidArgument, mode)
	case mode.ttl() && co.ttl <= 0:
		return fmt.Errorf("%w: TTL mode needs a positive WithTTL", ErrInvalidArgument)
	case !mode.ttl() && co.ttl != 0:
		return fmt.Errorf("%w: WithTTL needs a TTL mode", ErrInvalidArgument)
	case ap == "/":
		return fmt.Errorf("%w: cannot create /", ErrInvalidArgument)
	}
	return nil
}

// rawCreate creates ap in the session of s, as an own request (see
// sock.Set.Create); sent is sock's.
func rawCreate(ctx context.Context, s *sock.Set, ap string, data []byte, mode CreateMode, co createOptions) (string, bool, error) {
	flags := int32(mode)
	if mode == Container {
		flags = zk.FlagContainer
	}
	return s.Create(ctx, ap, data, co.acl, flags, co.ttl)
}
