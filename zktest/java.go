package zktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Well-known locations. debianZooKeeperJar's manifest Class-Path pulls in
// all of ZooKeeper's dependencies from /usr/share/java.
const (
	debianJavaDir      = "/usr/share/java"
	debianZooKeeperJar = debianJavaDir + "/zookeeper.jar"
	debianConfDir      = "/etc/zookeeper/conf"
)

// conventionalHomes are checked, in order, when neither ZOOKEEPER_CLASSPATH
// nor ZOOKEEPER_HOME is set and the Debian package is not installed.
var conventionalHomes = []string{
	"/opt/zookeeper",
	"/usr/local/zookeeper",
	"/opt/homebrew/opt/zookeeper/libexec",
	"/usr/local/opt/zookeeper/libexec",
}

// InstallHint explains how to make a ZooKeeper server available to the tests.
const InstallHint = "ZooKeeper tests need a local ZooKeeper (3.5+) and a Java runtime. " +
	"On Debian/Ubuntu: `apt-get install -y zookeeper default-jre-headless` (or `make deps` as root); " +
	"elsewhere set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper binary release " +
	"(or ZOOKEEPER_CLASSPATH to its class path) and JAVA_HOME or PATH to find `java`; " +
	"or point the tests at running servers with ZK_TEST_SERVERS=host:port[,host:port...]"

// jvmFlags are passed to every server JVM: small heap and C1 only for a
// fast start on small machines, no admin HTTP server, all four-letter words,
// extended types (TTL nodes).
var jvmFlags = []string{
	"-Xms64m",
	"-Xmx512m",
	"-XX:+UseSerialGC",
	"-XX:TieredStopAtLevel=1",
	"-XX:-UsePerfData",
	"-Djava.net.preferIPv4Stack=true",
	"-Dzookeeper.admin.enableServer=false",
	"-Dzookeeper.4lw.commands.whitelist=*",
	"-Dzookeeper.extendedTypesEnabled=true",
	"-Dzookeeper.preAllocSize=4096", // KiB; the default preallocates 64 MiB txn logs
	"-Dzookeeper.root.logger=INFO,CONSOLE",
	"-Dzookeeper.console.threshold=INFO",
}

// javaRuntime locates the java binary and ZooKeeper's class path.
type javaRuntime struct {
	java      string
	classpath string
}

// findJava returns the java executable: $JAVA_HOME/bin/java, else java from PATH.
func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", "java")
		if isFile(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("zktest: no java executable (JAVA_HOME unset or invalid, none on PATH): %w", err)
	}
	return p, nil
}

// findClasspath returns the class path for ZooKeeper's server classes:
// $ZOOKEEPER_CLASSPATH; else the jars of $ZOOKEEPER_HOME (lib/*.jar, *.jar,
// plus conf/); else Debian's /usr/share/java/zookeeper.jar with
// /etc/zookeeper/conf; else a few conventional install directories.
func findClasspath() (string, error) {
	if cp := os.Getenv("ZOOKEEPER_CLASSPATH"); cp != "" {
		return cp, nil
	}
	if home := os.Getenv("ZOOKEEPER_HOME"); home != "" {
		cp, err := homeClasspath(home)
		if err != nil {
			return "", fmt.Errorf("zktest: ZOOKEEPER_HOME=%s: %w", home, err)
		}
		return cp, nil
	}
	if isFile(debianZooKeeperJar) {
		parts := []string{debianZooKeeperJar}
		if isDir(debianConfDir) {
			parts = append(parts, debianConfDir)
		}
		// The Debian jar depends on slf4j-api only; without a binding the
		// server logs nothing. slf4j-simple logs to stderr, which ends up in
		// the server's log output.
		if p := filepath.Join(debianJavaDir, "slf4j-simple.jar"); isFile(p) {
			parts = append(parts, p)
		}
		// The jar's Class-Path names the Netty jars its NIO code needs but
		// not netty-codec and netty-resolver, without which the Netty
		// connection factory (TLS) cannot start: libnetty-java has them.
		for _, jar := range []string{"netty-codec.jar", "netty-resolver.jar"} {
			if p := filepath.Join(debianJavaDir, jar); isFile(p) {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, string(os.PathListSeparator)), nil
	}
	for _, home := range conventionalHomes {
		if cp, err := homeClasspath(home); err == nil {
			return cp, nil
		}
	}
	return "", errors.New("zktest: ZooKeeper not found (no ZOOKEEPER_CLASSPATH, no ZOOKEEPER_HOME, no " + debianZooKeeperJar + ")")
}

func homeClasspath(home string) (string, error) {
	var jars []string
	for _, pattern := range []string{filepath.Join(home, "lib", "*.jar"), filepath.Join(home, "*.jar")} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return "", err
		}
		sort.Strings(m)
		jars = append(jars, m...)
	}
	if len(jars) == 0 {
		return "", errors.New("no jars in lib/ or the top directory")
	}
	if conf := filepath.Join(home, "conf"); isDir(conf) {
		jars = append(jars, conf)
	}
	return strings.Join(jars, string(os.PathListSeparator)), nil
}

func findRuntime() (javaRuntime, error) {
	java, err := findJava()
	if err != nil {
		return javaRuntime{}, err
	}
	cp, err := findClasspath()
	if err != nil {
		return javaRuntime{}, err
	}
	return javaRuntime{java: java, classpath: cp}, nil
}

// command builds the JVM command line for mainClass with the given zoo.cfg.
func (r javaRuntime) command(mainClass, logDir, cfgPath string) *exec.Cmd {
	args := append([]string{}, jvmFlags...)
	args = append(args,
		"-Dzookeeper.log.dir="+logDir,
		"-cp", r.classpath,
		mainClass, cfgPath)
	cmd := exec.Command(r.java, args...)
	cmd.Dir = logDir
	setProcAttr(cmd)
	return cmd
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
