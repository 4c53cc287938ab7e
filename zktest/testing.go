package zktest

import (
	"context"
	"testing"
	"time"
)

// Context returns a context for t's blocking calls: it ends after d, or
// when t ends (just before its Cleanup functions run), whichever is first.
// A call that hangs then fails with context.DeadlineExceeded instead of
// running into the test binary's timeout.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// Must returns v, or panics if err is not nil: for calls that fail only
// when the test itself is wrong, such as a recipe constructor given a
// valid path.
//
//	m := zktest.Must(lock.NewMutex(c, "/locks/a"))
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
