package zkrecipes

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/sock"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// ops carries the operations shared by Client (on whatever session is
// current when the operation starts) and Session (pinned to that session).
type ops struct {
	c   *Client
	gen *generation // nil: the client's current generation
}

type result[T any] struct {
	v   T
	err error
}

// pin chooses the generation an operation runs on. An operation never moves
// to another generation: that would silently continue across a session loss.
func (o ops) pin() (*generation, error) {
	if o.gen != nil {
		select {
		case <-o.gen.retired:
			return nil, o.gen.err
		default:
			return o.gen, nil
		}
	}
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	if o.c.closed {
		return nil, ErrClosed
	}
	return o.c.cur, nil
}

// testHookCall, if set (by tests only), is handed fn's run on call's
// goroutine: a test holds it to widen the gap in which fn has not yet
// sent its request although call returned.
var testHookCall atomic.Pointer[func(run func())]

// call runs fn once on g's connection. go-zookeeper takes no context, so fn
// runs on its own goroutine and call returns as soon as ctx is done or g's
// session ends; it then also returns the channel fn's result will arrive on,
// for callers that must clean up after a request that may still land.
// Such a request may even be written after requests the caller makes once
// call returned: writes that must keep their order with later requests
// are own requests (doOwnWrite), written before they return. A
// ctx that is done before fn starts sends nothing: call returns ctx.Err()
// and no channel.
func call[T any](ctx context.Context, g *generation, c *Client, fn func(*zk.Conn) (T, error)) (T, error, <-chan result[T]) {
	var zero T
	// Checked first and again below: select picks at random among ready
	// cases, and a done ctx must win over a prepared session every time.
	if err := ctx.Err(); err != nil {
		return zero, err, nil
	}
	select {
	case <-g.prepared:
	case <-ctx.Done():
		return zero, ctx.Err(), nil
	case <-g.retired:
		return zero, g.err, nil
	}
	if err := ctx.Err(); err != nil {
		return zero, err, nil
	}
	if ctx.Done() == nil {
		// Nothing can cancel ctx: run fn here and save the two goroutine
		// hand-offs (a tenth of a loopback round trip). The session's end
		// still ends the wait: retiring g closes its connection, which
		// fails fn's request.
		v, err := fn(g.conn)
		return v, err, nil
	}
	res := make(chan result[T], 1)
	if !c.spawn(func() {
		var v T
		var err error
		run := func() { v, err = fn(g.conn) }
		if h := testHookCall.Load(); h != nil {
			(*h)(run)
		} else {
			run()
		}
		res <- result[T]{v, err}
	}) {
		return zero, ErrClosed, nil
	}
	select {
	case r := <-res:
		return r.v, r.err, nil
	case <-ctx.Done():
		return zero, ctx.Err(), res
	case <-g.retired:
		return zero, g.err, res
	}
}

// do runs fn with retries on connection loss, on one generation. retried
// tells fn whether an earlier attempt may have reached the server, so that
// non-idempotent operations can recognise their own earlier success.
//
// An attempt after which the connection closed while its request awaited
// the reply (a drop) is sent again, but not after retry.MaxDrops drops in
// a row: the operation then fails with ErrRepeatedDrop (see dropped). A
// write whose ctx ends after it may have reached the server (in flight, or
// in the backoff after a drop) fails with an error matching both ctx's
// error and ErrUncertain; one that provably was not sent, with ctx's error
// alone.
func do[T any](ctx context.Context, o ops, op, path string, fn func(conn *zk.Conn, retried bool) (T, error)) (T, error) {
	return retrying(ctx, o, op, path, func(g *generation, retried bool) (T, error, bool) {
		v, err, pending := call(ctx, g, o.c, func(conn *zk.Conn) (T, error) { return fn(conn, retried) })
		return v, err, pending != nil
	})
}

// doOwn is do for a read that zkrecipes sends itself on g's connection
// (internal/sock): it takes ctx, so it runs on the caller's goroutine.
func doOwn[T any](ctx context.Context, o ops, op, path string, fn func(ctx context.Context, s *sock.Set) (T, error)) (T, error) {
	return doOwnWrite(ctx, o, op, path, func(ctx context.Context, s *sock.Set, _ bool) (T, bool, error) {
		v, err := fn(ctx, s)
		return v, false, err
	})
}

// doOwnWrite is doOwn for a write: fn reports whether its request was
// written (sent), so that a write whose ctx ended after that is reported
// as uncertain, as do does; retried is do's.
func doOwnWrite[T any](ctx context.Context, o ops, op, path string, fn func(ctx context.Context, s *sock.Set, retried bool) (T, bool, error)) (T, error) {
	return retrying(ctx, o, op, path, func(g *generation, retried bool) (T, error, bool) {
		var zero T
		if err := ctx.Err(); err != nil {
			return zero, err, false
		}
		select {
		case <-g.prepared:
		case <-ctx.Done():
			return zero, ctx.Err(), false
		case <-g.retired:
			return zero, g.err, false
		}
		v, sent, err := fn(ctx, &g.socks, retried)
		return v, err, sent && isCtxErr(err)
	})
}

// retrying runs attempt until it succeeds or fails for good, on one
// generation; attempt reports whether its request may still land.
func retrying[T any](ctx context.Context, o ops, op, path string, attempt func(g *generation, retried bool) (T, error, bool)) (T, error) {
	sp := o.c.startOp(op, path)
	v, err := retryLoop(ctx, o, op, path, sp, attempt)
	sp.end(err)
	return v, err
}

func retryLoop[T any](ctx context.Context, o ops, op, path string, sp opSpan, attempt func(g *generation, retried bool) (T, error, bool)) (T, error) {
	var zero T
	g, err := o.pin()
	if err != nil {
		return zero, &OpError{Op: op, Path: path, Err: err}
	}
	n := 1                // the attempt about to be made
	var b backoff.BackOff // made on the first retry: most operations need none
	var drops retry.Drops
	retried := false // an earlier attempt ended in a retryable error
	sent := false    // an earlier attempt may have reached the server
	for {
		v, err, pending := attempt(g, retried)
		if err == nil {
			return v, nil
		}
		sent = sent || pending || retry.Dropped(err)
		if drops.Note(err) {
			return zero, o.dropped(op, path, g, drops.N(), err)
		}
		if !retry.Retryable(err) || errors.Is(err, ErrUncertain) {
			return zero, o.fail(op, path, g, outcome(op, sent, err))
		}
		if b == nil {
			b = o.c.o.newBackOff()
		}
		retried = true
		n++
		sp.retry(n, err)
		if ok, werr := retry.Wait(ctx, b, g.retired, nil); !ok {
			if werr == nil {
				werr = err // the policy gave up: report the last cause
			}
			return zero, o.fail(op, path, g, outcome(op, sent, werr))
		}
	}
}

// mutates reports whether op (as do and Multi name it) changes the tree.
func mutates(op string) bool {
	switch op {
	case "create", "set", "delete", "multi":
		return true
	}
	return false
}

// outcome marks ctx's error as uncertain for a write that may have reached
// the server.
func outcome(op string, sent bool, err error) error {
	if sent && mutates(op) && isCtxErr(err) {
		return uncertain(err)
	}
	return err
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// dropped fails an operation whose last n attempts each ended with the
// connection closing before the reply, and says so at Warn: the likeliest
// cause is a request the server refuses by closing the connection, and
// every such drop suspended what the session holds.
func (o ops) dropped(op, path string, g *generation, n int, last error) error {
	o.c.Logger().Warn("zkrecipes: request not sent again: the connection closed before its reply on every attempt (a request above the server's jute.maxbuffer does this)",
		"op", op, "path", path, "attempts", n, "err", last)
	err := fmt.Errorf("%w (%d attempts in a row; last: %w)", ErrRepeatedDrop, n, last)
	if mutates(op) {
		err = uncertain(err)
	}
	return o.fail(op, path, g, err)
}

// fail wraps err; once g's session ended, the session's fate is the error.
func (o ops) fail(op, path string, g *generation, err error) error {
	if isCtxErr(err) {
		return &OpError{Op: op, Path: path, Err: err}
	}
	select {
	case <-g.retired:
		if !errors.Is(err, g.err) {
			err = fmt.Errorf("%w (%w)", g.err, err)
		}
	default:
		if errors.Is(err, zk.ErrSessionExpired) {
			err = fmt.Errorf("%w: %w", ErrSessionLost, err)
		}
	}
	return &OpError{Op: op, Path: path, Err: err}
}

// abs validates a caller's path and prefixes the namespace.
func (o ops) abs(p string, read bool) (string, error) {
	validate := zkpath.Validate
	if read && o.c.o.namespace == "" {
		validate = zkpath.ValidateAny
	}
	if err := validate(p); err != nil {
		return "", err
	}
	ap := p
	switch ns := o.c.o.namespace; {
	case ns == "":
	case p == "/":
		ap = ns
	default:
		ap = ns + p
	}
	return ap, o.checkPath(ap)
}

// rel strips the namespace from a server path.
func (o ops) rel(p string) string {
	ns := o.c.o.namespace
	if ns == "" {
		return p
	}
	if p == ns {
		return "/"
	}
	return p[len(ns):]
}

// session waits for g's session to be established.
func (o ops) session(ctx context.Context, g *generation) (*Session, error) {
	select {
	case <-g.ready:
		return g.sess, nil
	case <-g.retired:
		return nil, g.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
