package config

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures a Value. An invalid option is reported by New.
type Option func(*options)

type options struct {
	decode      any // func([]byte) (T, error) of New's T; nil: JSON
	encode      any // func(T) ([]byte, error); nil: JSON
	acl         []zk.ACL
	misuse.Errs // the first invalid option
}

// WithCodec sets how values are decoded from the node's data and encoded
// for writes (JSON by default). T must be the type of the Value New makes;
// another type is an error of New. Either function may be nil for the
// default.
func WithCodec[T any](decode func([]byte) (T, error), encode func(T) ([]byte, error)) Option {
	return func(o *options) {
		if decode != nil {
			o.decode = decode
		}
		if encode != nil {
			o.encode = encode
		}
	}
}

// WithACL sets the ACL of the node when a write creates it (the client's
// default otherwise). An empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

type codec[T any] struct {
	decode func([]byte) (T, error)
	encode func(T) ([]byte, error)
}

func construct[T any](c *zkrecipes.Client, path string, opts []Option) (options, codec[T], error) {
	var o options
	cd := codec[T]{
		decode: func(b []byte) (T, error) {
			var v T
			err := json.Unmarshal(b, &v)
			return v, err
		},
		encode: func(v T) ([]byte, error) { return json.Marshal(v) },
	}
	if err := misuse.Construct("config", "New", c, path, &o, &o.Errs, opts); err != nil {
		return o, cd, err
	}
	if o.decode != nil {
		d, ok := o.decode.(func([]byte) (T, error))
		if !ok {
			return o, cd, codecErr[T](o.decode)
		}
		cd.decode = d
	}
	if o.encode != nil {
		e, ok := o.encode.(func(T) ([]byte, error))
		if !ok {
			return o, cd, codecErr[T](o.encode)
		}
		cd.encode = e
	}
	return o, cd, nil
}

func codecErr[T any](f any) error {
	return fmt.Errorf("config: New: WithCodec: %v does not match the value type %v: %w",
		reflect.TypeOf(f), reflect.TypeFor[T](), zkrecipes.ErrInvalidArgument)
}

func (o options) createOpts() []zkrecipes.CreateOption {
	if o.acl == nil {
		return []zkrecipes.CreateOption{zkrecipes.WithParents()}
	}
	return []zkrecipes.CreateOption{zkrecipes.WithParents(), zkrecipes.WithNodeACL(o.acl)}
}
