// Package zktest runs real ZooKeeper servers for tests, and injects network
// faults between ZooKeeper clients and servers.
//
// # Servers
//
// StartServer starts a standalone server (a JVM running
// ZooKeeperServerMain) on a free 127.0.0.1 port with its own temporary
// directory; StartEnsemble starts a quorum of n QuorumPeerMain processes.
// Both wait until the servers serve. A Server can be stopped (SIGKILL, like
// a crash) and restarted on the same port and data, so data and sessions
// survive. NewServer and NewEnsemble do the same for a single test and
// clean up with t.Cleanup.
//
// Servers use tickTime=100ms and minSessionTimeout=200ms,
// maxSessionTimeout=60s, so clients may use any session timeout in that
// range; extended types (TTL nodes) and all four-letter words are enabled;
// the admin HTTP server is disabled. WithExtraConfig adds zoo.cfg lines
// (e.g. "forceSync=no").
//
// WithTLS gives a standalone server a secureClientPort (SecureAddr),
// served by ZooKeeper's Netty connection factory from PEM key and trust
// stores; NewCA and CA.Issue make such stores and matching client
// certificates in Go, so that a test needs no keytool or openssl.
//
// Most tests share one server per test binary through Servers, which
// starts it lazily (or returns $ZK_TEST_SERVERS), together with Main:
//
//	func TestMain(m *testing.M) {
//		os.Exit(zktest.Main(m, zktest.WithLeakCheck()))
//	}
//
//	func TestSomething(t *testing.T) {
//		zktest.SkipIfShort(t)
//		conn, _, err := zk.Connect(zktest.Servers(t), 5*time.Second)
//		...
//	}
//
// WithLeakCheck runs goleak.Find after the tests passed (goleak's
// VerifyTestMain cannot be combined with Main because it exits itself).
//
// # Test helpers
//
// Client gives a test a zkrecipes client in a namespace of its own,
// removed when the test ends; FaultyClient does the same through a
// FaultDialer (see Faults) and returns the dialer. Context bounds a test's
// blocking calls by a deadline and by the test's end. Must unwraps a
// constructor's (value, error) in a test.
//
// # Finding ZooKeeper
//
// The class path is $ZOOKEEPER_CLASSPATH if set; else the jars of
// $ZOOKEEPER_HOME (lib/*.jar, *.jar, conf/) for an Apache binary release;
// else Debian's /usr/share/java/zookeeper.jar with /etc/zookeeper/conf
// (apt-get install -y zookeeper default-jre-headless). java is taken from
// $JAVA_HOME/bin, else from PATH. JVMs get a small heap, the serial GC and
// C1 only, for a fast start. On Linux a server's JVM is killed when the test
// process dies (parent-death signal), so no servers are left behind.
//
// # Faults
//
// FaultDialer is a go-zookeeper dialer (zk.WithDialer(d.Dial)) whose
// connections can be cut (Cut), partitioned without errors (Blackhole,
// Heal: the server then expires the session if the partition lasts longer
// than the session timeout) or cut right after a chosen request reached
// the server, losing its reply (CutAfterRequest), to test the handling of
// ambiguous results such as a create that succeeded although the client
// saw zk.ErrConnectionClosed.
package zktest
