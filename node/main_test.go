package node_test

import (
	"os"
	"testing"

	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m, zktest.WithLeakCheck())) }
