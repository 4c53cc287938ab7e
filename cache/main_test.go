package cache_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/zkrecipes/zkrecipes/cache"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// -cache.watches runs every test on one watch backend; `make test` runs
// the package once per backend.
var watchesFlag = flag.String("cache.watches", "", "default watch backend of every cache: persistent or oneshot (default: each constructor's)")

func TestMain(m *testing.M) {
	flag.Parse()
	switch *watchesFlag {
	case "":
	case "persistent":
		cache.SetDefaultWatchesForTest(cache.Persistent)
	case "oneshot":
		cache.SetDefaultWatchesForTest(cache.OneShot)
	default:
		fmt.Fprintf(os.Stderr, "-cache.watches=%q: want persistent or oneshot\n", *watchesFlag)
		os.Exit(2)
	}
	os.Exit(zktest.Main(m, zktest.WithLeakCheck()))
}
