// Package misuse is the one home of the policy every recipe constructor
// follows (the root package's doc, "Misuse"): a nil client is a programmer
// error and panics with a "pkg: Func: ..." message; an invalid path or
// option value is an error, wrapping zkrecipes.ErrInvalidPath or
// zkrecipes.ErrInvalidArgument, returned before any I/O.
package misuse

import (
	"fmt"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Errs records the first invalid option. Options structs embed it, so that
// an option can report itself with Fail.
type Errs struct{ err error }

// Fail records an invalid option value (the first one wins), wrapping
// zkrecipes.ErrInvalidArgument: "WithX(v): what is wrong".
func (e *Errs) Fail(format string, args ...any) {
	e.Record(fmt.Errorf(format+": %w", append(args, zkrecipes.ErrInvalidArgument)...))
}

// Record records err as the option error if none was recorded yet.
func (e *Errs) Record(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Err returns the first invalid option's error, or nil.
func (e *Errs) Err() error { return e.err }

// Construct checks what every recipe constructor takes and applies opts to
// o: a nil client panics, an invalid path or option is an error naming the
// package and the function. errs is o's embedded Errs.
func Construct[O any, F ~func(*O)](pkg, fn string, c *zkrecipes.Client, path string, o *O, errs *Errs, opts []F) error {
	if c == nil {
		panic(pkg + ": " + fn + ": nil client")
	}
	if err := zkpath.Validate(path); err != nil {
		return fmt.Errorf("%s: %s: %w", pkg, fn, err)
	}
	return Apply(pkg, fn, o, errs, opts)
}

// Apply applies opts to o and reports the first invalid one.
func Apply[O any, F ~func(*O)](pkg, fn string, o *O, errs *Errs, opts []F) error {
	for _, opt := range opts {
		opt(o)
	}
	if err := errs.Err(); err != nil {
		return fmt.Errorf("%s: %s: %w", pkg, fn, err)
	}
	return nil
}
