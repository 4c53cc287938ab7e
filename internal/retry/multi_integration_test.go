package retry_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/zktest"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m)) }

// TestFailedOpMatchesTheServer pins the ZooKeeper behaviour FailedOp rests
// on: in a failed transaction the operations before the culprit carry no
// error and those after it "runtime inconsistency", never the culprit's.
func TestFailedOpMatchesTheServer(t *testing.T) {
	zktest.SkipIfShort(t)
	conn, _, err := zk.Connect(zktest.Servers(t), 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acl := zk.WorldACL(zk.PermAll)
	dir, err := conn.Create("/failedop-", nil, zk.FlagSequence, acl)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = conn.Delete(dir+"/b", -1)
		_ = conn.Delete(dir, -1)
	}()
	if _, err := conn.Create(dir+"/b", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Multi(
		&zk.CreateRequest{Path: dir + "/a", Acl: acl},
		&zk.CreateRequest{Path: dir + "/b", Acl: acl}, // exists: the culprit
		&zk.CreateRequest{Path: dir + "/c", Acl: acl})
	if !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("Multi = %v, want ErrNodeExists", err)
	}
	i, ferr := retry.FailedOp(res)
	if i != 1 || !errors.Is(ferr, zk.ErrNodeExists) {
		t.Errorf("FailedOp = %d, %v; want 1, ErrNodeExists (replies %+v)", i, ferr, res)
	}
	if len(res) != 3 || res[0].Error != nil || res[2].Error == nil || retry.Retryable(res[2].Error) {
		t.Errorf("replies %+v: want none before the culprit and a rolled-back error after it", res)
	}
}
