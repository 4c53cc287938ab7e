package sock

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Requests of ours that leave no watch, for the paths where a request
// through go-zookeeper costs more than the request itself: go-zookeeper
// takes no context, so a cancellable caller must run it on another
// goroutine and its reply comes back through two more (its sending and
// receiving loops). An own request is written by the caller and its reply
// handed over by the reader: one hand-off instead of four.

// Children lists path's children, with its stat, leaving no watch.
func (s *Set) Children(ctx context.Context, path string) ([]string, *zk.Stat, error) {
	children, st, _, err := s.children(ctx, path, (*wire.Decoder).Strings)
	return children, st, err
}

// Listing is Children whose names share one buffer, the reply's (see
// wire.Decoder.Names), for a listing that is looked through and dropped:
// Release it when done.
func (s *Set) Listing(ctx context.Context, path string) (Listing, *zk.Stat, error) {
	names, st, body, err := s.children(ctx, path, (*wire.Decoder).Names)
	return Listing{Names: names, body: body}, st, err
}

func (s *Set) children(ctx context.Context, path string, names func(*wire.Decoder) []string) ([]string, *zk.Stat, []byte, error) {
	r, err := s.request(ctx, readRequest(wire.OpGetChildren2, path, false), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	children := names(d)
	st := decodeStat(d)
	if d.Err() != nil {
		return nil, nil, nil, d.Err()
	}
	if children == nil {
		children = []string{}
	}
	return children, st, r.Frame, nil
}

// Delete deletes path if its version is version (-1: any). sent reports
// whether the request was written, in whole or in part: if Delete fails
// without the server's answer (ctx done, connection closed), the node may
// have been deleted.
func (s *Set) Delete(ctx context.Context, path string, version int32) (sent bool, err error) {
	_, sent, err = s.send(ctx, func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpDelete)
		putPathVersion(e, path, version)
		return e.Frame()
	}, nil)
	return sent, err
}

// Create creates path and returns the path created: a plain or
// sequential node (flags), a container (zk.FlagContainer, ttl 0) or a TTL
// node (ttl > 0, flags a TTL mode). Written by the caller, it is on the
// wire before Create returns, so every request made after it goes after
// it, also when ctx ended first (go-zookeeper's Create, run on another
// goroutine for a cancellable caller, could be written after them). For
// containers and TTL nodes there is a second reason: go-zookeeper's
// CreateContainer and CreateTTL read their reply even after the Conn was
// closed under them, racing the receive loop that writes it. sent is as
// for Delete.
func (s *Set) Create(ctx context.Context, path string, data []byte, acl []zk.ACL, flags int32, ttl time.Duration) (string, bool, error) {
	op := wire.OpCreate
	switch {
	case ttl > 0:
		op = wire.OpCreateTTL
	case flags == zk.FlagContainer:
		op = wire.OpCreateContainer
	}
	r, sent, err := s.send(ctx, func(xid int32) []byte {
		e := wire.NewRequest(xid, op)
		putCreate(e, path, data, acl, flags)
		if ttl > 0 {
			e.Int64(ttl.Milliseconds())
		}
		return e.Frame()
	}, nil)
	if err != nil {
		return "", sent, err
	}
	d := wire.NewDecoder(r.Body)
	created := d.String() // then, for the extended creates, a Stat: not needed
	if d.Err() != nil {
		return "", true, d.Err()
	}
	return created, true, nil
}

// Set writes path's data if its version is version (-1: any) and returns
// the new stat; sent is as for Delete. Like Create, it is on the wire
// before it returns.
func (s *Set) Set(ctx context.Context, path string, data []byte, version int32) (*zk.Stat, bool, error) {
	r, sent, err := s.send(ctx, func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpSetData)
		putSetData(e, path, data, version)
		return e.Frame()
	}, nil)
	if err != nil {
		return nil, sent, err
	}
	d := wire.NewDecoder(r.Body)
	st := decodeStat(d)
	if d.Err() != nil {
		return nil, true, d.Err()
	}
	return st, true, nil
}

// Get reads path's data and stat, leaving no watch.
func (s *Set) Get(ctx context.Context, path string) ([]byte, *zk.Stat, error) {
	r, err := s.request(ctx, readRequest(wire.OpGetData, path, false), nil)
	if err != nil {
		return nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	data := d.Buffer()
	st := decodeStat(d)
	if d.Err() != nil {
		return nil, nil, d.Err()
	}
	return data, st, nil
}

// Exists reports whether path exists, with its stat, leaving no watch.
func (s *Set) Exists(ctx context.Context, path string) (bool, *zk.Stat, error) {
	r, err := s.request(ctx, readRequest(wire.OpExists, path, false), nil)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	d := wire.NewDecoder(r.Body)
	st := decodeStat(d)
	if d.Err() != nil {
		return false, nil, d.Err()
	}
	return true, st, nil
}
