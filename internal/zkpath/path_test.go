package zkpath

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	good := []string{"/", "/a", "/a/b", "/a-b_c.d", "/ünï", "/a/...", "/.x"}
	for _, p := range good {
		if err := Validate(p); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", p, err)
		}
	}
	bad := map[string]string{
		"empty":          "",
		"relative":       "a/b",
		"trailing slash": "/a/",
		"empty segment":  "/a//b",
		"dot":            "/a/./b",
		"dotdot":         "/a/..",
		"nul":            "/a\x00b",
		"control":        "/a\x01",
		"del":            "/a\x7f",
		"surrogate area": "/a\ue000",
		"specials":       "/a\ufff5",
		"reserved":       "/zookeeper",
		"reserved child": "/zookeeper/quota",
		"bad utf8":       "/\xff",
	}
	for name, p := range bad {
		err := Validate(p)
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("%s: Validate(%q) = %v, want ErrInvalidPath", name, p, err)
		}
	}
	if err := ValidateAny("/zookeeper/config"); err != nil {
		t.Errorf("ValidateAny(/zookeeper/config) = %v", err)
	}
}

func TestJoinParentBase(t *testing.T) {
	cases := []struct{ parent, name, joined, base string }{
		{"/", "a", "/a", "a"},
		{"/a", "b", "/a/b", "b"},
		{"/a/b", "c", "/a/b/c", "c"},
	}
	for _, c := range cases {
		j := Join(c.parent, c.name)
		if j != c.joined {
			t.Errorf("Join(%q,%q) = %q, want %q", c.parent, c.name, j, c.joined)
		}
		if Parent(j) != c.parent {
			t.Errorf("Parent(%q) = %q, want %q", j, Parent(j), c.parent)
		}
		if Base(j) != c.base {
			t.Errorf("Base(%q) = %q, want %q", j, Base(j), c.base)
		}
	}
}
