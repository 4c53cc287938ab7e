package sock

import (
	"context"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// Multi runs ops (*zk.CreateRequest, *zk.DeleteRequest,
// *zk.SetDataRequest, *zk.CheckVersionRequest) as one transaction and
// returns each op's result, as go-zookeeper's Conn.Multi does (the error
// is the first failed op's). Like Create, it is on the wire before it
// returns, so a cancelled transaction never lands behind the requests
// that follow it. sent is as for Delete.
func (s *Set) Multi(ctx context.Context, ops []any) ([]zk.MultiResponse, bool, error) {
	build, err := multiRequest(ops)
	if err != nil {
		return nil, false, err
	}
	r, sent, err := s.send(ctx, build, nil)
	if r.Body == nil {
		return nil, sent, err
	}
	res, err := multiResult(r)
	return res, true, err
}

// multiResult decodes r, a multi's reply with a body: its results, and
// the header's error or else the first failed operation's.
func multiResult(r wire.Reply) ([]zk.MultiResponse, error) {
	err := replyErr(r)
	res, ferr := decodeMulti(r.Body)
	if err == nil {
		err = ferr
	}
	return res, err
}

// multiRequest encodes ops as go-zookeeper's Conn.Multi does.
func multiRequest(ops []any) (func(int32) []byte, error) {
	for _, op := range ops {
		switch op.(type) {
		case *zk.CreateRequest, *zk.DeleteRequest, *zk.SetDataRequest, *zk.CheckVersionRequest:
		default:
			return nil, fmt.Errorf("%w: multi: unknown operation type %T", zk.ErrBadArguments, op)
		}
	}
	return func(xid int32) []byte {
		e := wire.NewRequest(xid, wire.OpMulti)
		for _, op := range ops {
			switch op := op.(type) {
			case *zk.CreateRequest:
				putMultiHeader(e, wire.OpCreate)
				putCreate(e, op.Path, op.Data, op.Acl, op.Flags)
			case *zk.DeleteRequest:
				putMultiHeader(e, wire.OpDelete)
				putPathVersion(e, op.Path, op.Version)
			case *zk.SetDataRequest:
				putMultiHeader(e, wire.OpSetData)
				putSetData(e, op.Path, op.Data, op.Version)
			case *zk.CheckVersionRequest:
				putMultiHeader(e, wire.OpCheck)
				putPathVersion(e, op.Path, op.Version)
			}
		}
		putMultiEnd(e)
		return e.Frame()
	}, nil
}

// decodeMulti decodes a multi reply's results; the error is the first
// failed op's, or the reply's own decoding error.
func decodeMulti(body []byte) ([]zk.MultiResponse, error) {
	d := wire.NewDecoder(body)
	var res []zk.MultiResponse
	var first error
	for {
		typ := d.Int32()
		done := d.Bool()
		_ = d.Int32() // the header's error: the body repeats it for an error result
		if d.Err() != nil {
			return res, d.Err()
		}
		if done {
			return res, first
		}
		var r zk.MultiResponse
		switch typ {
		case -1:
			code := d.Int32()
			if code != wire.ErrCodeOK {
				r.Error = replyErr(wire.Reply{Err: code})
			}
		case wire.OpCreate:
			r.String = d.String()
		case wire.OpSetData:
			r.Stat = decodeStat(d)
		case wire.OpDelete, wire.OpCheck:
		default:
			return res, fmt.Errorf("%w: multi result of type %d", wire.ErrShort, typ)
		}
		if d.Err() != nil {
			return res, d.Err()
		}
		if first == nil && r.Error != nil {
			first = r.Error
		}
		res = append(res, r)
	}
}
