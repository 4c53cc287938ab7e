// Package curatortest compiles and runs the small Java programs with which
// the interop tests put Apache Curator's recipes beside ours on the same
// znodes. It is for tests only.
package curatortest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Hint says how to install what the interop tests need.
const Hint = "the Curator interop tests need javac, java and Curator 5.4: " +
	"on Debian/Ubuntu `apt-get install -y default-jdk-headless libcurator-recipes-java libcurator-framework-java libcurator-discovery-java libslf4j-java` " +
	"(or `make deps` as root); elsewhere set CURATOR_CLASSPATH to Curator's jars and their dependencies"

// Classpath is Debian's Curator (libcurator-recipes-java, and
// libcurator-discovery-java for curator-x-discovery), whose jars'
// manifests pull in ZooKeeper, Guava, Jackson and slf4j-api, or
// $CURATOR_CLASSPATH.
func Classpath() string {
	if cp := os.Getenv("CURATOR_CLASSPATH"); cp != "" {
		return cp
	}
	var jars []string
	for _, j := range []string{"curator-recipes.jar", "curator-framework.jar", "curator-client.jar", "curator-x-discovery.jar", "slf4j-nop.jar"} {
		jars = append(jars, filepath.Join("/usr/share/java", j))
	}
	return strings.Join(jars, string(os.PathListSeparator))
}

// JVM runs compiled interop programs.
type JVM struct {
	Java      string // the java binary
	Classpath string // the compiled classes and Curator
}

// compiled holds each test's compilations until the test ends.
var compiled sync.Map // key → JVM

type key struct {
	t    testing.TB
	srcs string
}

// Compile compiles the Java sources (paths relative to the test's package
// directory, e.g. "testdata/Peer.java") against Curator, once per test:
// later calls of the same test with the same sources return the same
// classes. It fails the test, never skips it, when Java or Curator is
// missing.
func Compile(t testing.TB, srcs ...string) JVM {
	t.Helper()
	k := key{t, strings.Join(srcs, "\x00")}
	if j, ok := compiled.Load(k); ok {
		return j.(JVM)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Fatalf("no javac: %v; %s", err, Hint)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("no java: %v; %s", err, Hint)
	}
	cp := Classpath()
	for _, p := range filepath.SplitList(cp) {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v; %s", err, Hint)
		}
	}
	out := t.TempDir()
	args := []string{"-nowarn", "-cp", cp, "-d", out}
	for _, src := range srcs {
		abs, err := filepath.Abs(src)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, abs)
	}
	if msg, err := exec.Command(javac, args...).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s\n%s", err, msg, Hint)
	}
	j := JVM{Java: java, Classpath: out + string(os.PathListSeparator) + cp}
	compiled.Store(k, j)
	t.Cleanup(func() { compiled.Delete(k) })
	return j
}

// Command returns the command that runs class main with args in a small,
// quickly started JVM.
func (j JVM) Command(main string, args ...string) *exec.Cmd {
	return exec.Command(j.Java, j.args(main, args)...)
}

// CommandContext is Command, killed when ctx is done.
func (j JVM) CommandContext(ctx context.Context, main string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, j.Java, j.args(main, args)...)
}

func (j JVM) args(main string, args []string) []string {
	jargs := []string{"-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", j.Classpath, main}
	return append(jargs, args...)
}
