// Package zkpath holds the znode path rules and the sequential-name
// conventions shared by every recipe.
package zkpath

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidPath is wrapped by every path validation error.
var ErrInvalidPath = errors.New("invalid path")

// Validate reports whether p is a path ZooKeeper accepts and we allow
// recipes to use: absolute, no trailing slash, no empty, "." or ".."
// segments, none of the characters ZooKeeper rejects, and not inside the
// reserved /zookeeper subtree. The checks mirror the server's PathUtils so
// that bad input fails before any I/O.
func Validate(p string) error {
	if err := validateSyntax(p); err != nil {
		return err
	}
	if p == "/zookeeper" || strings.HasPrefix(p, "/zookeeper/") {
		return fmt.Errorf("%w %q: /zookeeper is reserved for the server", ErrInvalidPath, p)
	}
	return nil
}

// ValidateAny is Validate without the /zookeeper restriction, for reads of
// server-owned nodes such as /zookeeper/config.
func ValidateAny(p string) error { return validateSyntax(p) }

func validateSyntax(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty", ErrInvalidPath)
	case p[0] != '/':
		return fmt.Errorf("%w %q: must start with /", ErrInvalidPath, p)
	case p == "/":
		return nil
	case strings.HasSuffix(p, "/"):
		return fmt.Errorf("%w %q: trailing slash", ErrInvalidPath, p)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w %q: not valid UTF-8", ErrInvalidPath, p)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w %q: empty segment", ErrInvalidPath, p)
		case ".", "..":
			return fmt.Errorf("%w %q: relative segment %q", ErrInvalidPath, p, seg)
		}
	}
	for i, r := range p {
		if badRune(r) {
			return fmt.Errorf("%w %q: character %U at byte %d", ErrInvalidPath, p, r, i)
		}
	}
	return nil
}

// badRune follows org.apache.zookeeper.common.PathUtils.validatePath.
func badRune(r rune) bool {
	return r == 0 ||
		(r > 0x00 && r <= 0x1f) ||
		(r >= 0x7f && r <= 0x9f) ||
		(r >= 0xd800 && r <= 0xf8ff) ||
		(r >= 0xfff0 && r <= 0xffff)
}

// ValidateName reports whether name can be one path segment.
func ValidateName(name string) error {
	if name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%w: bad node name %q", ErrInvalidPath, name)
	}
	return validateSyntax("/" + name)
}

// Join joins a validated parent and a child name.
func Join(parent string, names ...string) string {
	p := parent
	for _, n := range names {
		if p == "/" {
			p = "/" + n
		} else {
			p = p + "/" + n
		}
	}
	return p
}

// Parent returns the parent of a validated path ("/" for top-level nodes).
func Parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// Base returns the last segment of a validated path.
func Base(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}
