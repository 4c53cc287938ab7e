package cache

import (
	"slices"
	"strings"
)

// kidList is a node's children sorted by name, allocated only for a node
// that has children (most nodes of a tree are leaves: a pointer in the
// node costs them 8 bytes, a slice 24). A slice costs a pointer per child
// where a map costs about four times that, and readers want the children
// in that order anyway. A listing is merged in one sort; a single
// creation or deletion moves the pointers after it.
type kidList struct{ s []*node }

func compareKid(k *node, name string) int { return strings.Compare(base(k.path), name) }

// all returns the children, sorted by name (nil for none).
func (l *kidList) all() []*node {
	if l == nil {
		return nil
	}
	return l.s
}

// get returns the child named name, or nil.
func (l *kidList) get(name string) *node {
	if l == nil {
		return nil
	}
	if i, ok := slices.BinarySearchFunc(l.s, name, compareKid); ok {
		return l.s[i]
	}
	return nil
}

// addKid adds k to n's children, replacing a child of its name.
func (n *node) addKid(k *node) {
	if n.kids == nil {
		n.kids = &kidList{}
	}
	l := n.kids
	i, ok := slices.BinarySearchFunc(l.s, base(k.path), compareKid)
	if ok {
		l.s[i] = k
		return
	}
	l.s = slices.Insert(l.s, i, k)
}

// setKids replaces n's children with kept plus added (names not in kept),
// in one sort.
func (n *node) setKids(kept, added []*node) {
	s := append(slices.Grow(kept, len(added)), added...)
	if len(s) == 0 {
		n.kids = nil
		return
	}
	if len(added) > 0 {
		slices.SortFunc(s, func(a, b *node) int { return strings.Compare(base(a.path), base(b.path)) })
	}
	n.kids = &kidList{s}
}

// delKid takes k out of n's children, if it is there.
func (n *node) delKid(k *node) {
	l := n.kids
	if l == nil {
		return
	}
	i, ok := slices.BinarySearchFunc(l.s, base(k.path), compareKid)
	if !ok || l.s[i] != k {
		return
	}
	l.s = slices.Delete(l.s, i, i+1)
	if len(l.s) == 0 {
		n.kids = nil
	}
}
