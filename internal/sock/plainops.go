package sock

import (
	"context"

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
	r, err := s.request(ctx, readRequest(wire.OpGetChildren2, path, false), nil)
	if err != nil {
		return nil, nil, err
	}
	d := wire.NewDecoder(r.Body)
	children := d.Strings()
	st := decodeStat(d)
	if d.Err() != nil {
		return nil, nil, d.Err()
	}
	if children == nil {
		children = []string{}
	}
	return children, st, nil
}

// Delete deletes path if its version is version (-1: any). sent reports
// whether the request was written, in whole or in part: if Delete fails
// without the server's answer (ctx done, connection closed), the node may
// have been deleted.
func (s *Set) Delete(ctx context.Context, path string, version int32) (sent bool, err error) {
	_, sent, err = s.send(ctx, func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpDelete)
		e.String(path)
		e.Int32(version)
		return e.Frame()
	}, nil)
	return sent, err
}
