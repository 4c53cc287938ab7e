package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// parseServers splits a connect string into host:port addresses (port
// 2181 when none is given) and refuses what cannot be dialled, so a typo
// is a usage error rather than a wait for the connect timeout.
func parseServers(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, ":") {
			f += ":2181"
		}
		host, port, err := net.SplitHostPort(f)
		if err != nil {
			return nil, usagef("--servers: %q: want host:port", f)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, usagef("--servers: %q: port %q is not a number from 1 to 65535", f, port)
		}
		if host == "" {
			return nil, usagef("--servers: %q: no host", f)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, usagef("--servers: empty server list")
	}
	return out, nil
}

// authOption returns the digest credentials of --auth or --auth-file (a
// file holding user:password, so the password is not in ps's output).
func (a *app) authOption() (zkrecipes.Option, error) {
	cred, from := a.auth, "--auth"
	if a.authFile != "" {
		if a.auth != "" {
			return nil, usagef("--auth and --auth-file exclude each other")
		}
		b, err := os.ReadFile(a.authFile)
		if err != nil {
			return nil, usagef("--auth-file: %v", err)
		}
		cred, from = strings.TrimSpace(string(b)), "--auth-file "+a.authFile
	}
	if cred == "" {
		return nil, nil
	}
	user, pass, ok := strings.Cut(cred, ":")
	if !ok || user == "" {
		return nil, usagef("%s: want user:password", from)
	}
	return zkrecipes.WithDigestAuth(user, pass), nil
}

// parseACL parses zkCli's ACL syntax: comma-separated scheme:id:perms,
// perms from "cdrwa" (create, delete, read, write, admin). The id may
// contain colons (digest:user:hash). "auth::cdrwa" means every identity
// the session authenticated as (--auth).
func parseACL(s string) ([]zk.ACL, error) {
	var out []zk.ACL
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		scheme, rest, ok1 := strings.Cut(e, ":")
		i := strings.LastIndexByte(rest, ':')
		if !ok1 || i < 0 || scheme == "" {
			return nil, fmt.Errorf("ACL entry %q: want scheme:id:perms (e.g. world:anyone:r, auth::cdrwa, digest:user:hash:cdrwa)", e)
		}
		id, letters := rest[:i], rest[i+1:]
		perms, err := parsePerms(letters)
		if err != nil {
			return nil, fmt.Errorf("ACL entry %q: %v", e, err)
		}
		out = append(out, zk.ACL{Scheme: scheme, ID: id, Perms: perms})
	}
	return out, nil
}

var permLetters = []struct {
	c    byte
	perm int32
}{{'c', zk.PermCreate}, {'d', zk.PermDelete}, {'r', zk.PermRead}, {'w', zk.PermWrite}, {'a', zk.PermAdmin}}

func parsePerms(s string) (int32, error) {
	var p int32
	for i := 0; i < len(s); i++ {
		found := false
		for _, l := range permLetters {
			if s[i] == l.c {
				p |= l.perm
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("permission %q is not one of c, d, r, w, a", s[i])
		}
	}
	if p == 0 {
		return 0, fmt.Errorf("no permissions")
	}
	return p, nil
}

func formatPerms(p int32) string {
	var b strings.Builder
	for _, l := range permLetters {
		if p&l.perm != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// formatACL prints an ACL in the syntax parseACL reads.
func formatACL(acl []zk.ACL) string {
	parts := make([]string, len(acl))
	for i, e := range acl {
		parts[i] = e.Scheme + ":" + e.ID + ":" + formatPerms(e.Perms)
	}
	return strings.Join(parts, ",")
}

// tlsConfig builds the TLS settings of --tls, --tls-ca, --tls-cert and
// --tls-key (nil: plain TCP). The server's certificate is checked against
// the host names of --servers; without --tls-ca, against the system's CAs.
func (a *app) tlsConfig() (*tls.Config, error) {
	if !a.tls && a.tlsCA == "" && a.tlsCert == "" && a.tlsKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if a.tlsCA != "" {
		pem, err := os.ReadFile(a.tlsCA)
		if err != nil {
			return nil, usagef("--tls-ca: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, usagef("--tls-ca: no PEM certificate in %s", a.tlsCA)
		}
	}
	switch {
	case (a.tlsCert == "") != (a.tlsKey == ""):
		return nil, usagef("--tls-cert and --tls-key go together")
	case a.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(a.tlsCert, a.tlsKey)
		if err != nil {
			return nil, usagef("--tls-cert/--tls-key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
