package election_test

import (
	"os"
	"testing"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m, zktest.WithLeakCheck())) }

// must returns v, panicking on err: for constructors given paths and
// options that are valid by construction.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
