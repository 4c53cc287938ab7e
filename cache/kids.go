package cache

import (
	"slices"
	"strings"
)

// kidList is a node's children sorted by name. A slice costs a pointer
// per child where a map costs about four times that, and readers want
// the children in that order anyway. Large listings are merged in one
// sort; a single creation or deletion moves the pointers after it.
type kidList []*node

func compareKid(k *node, name string) int { return strings.Compare(base(k.path), name) }

// get returns the child named name, or nil.
func (l kidList) get(name string) *node {
	if i, ok := slices.BinarySearchFunc(l, name, compareKid); ok {
		return l[i]
	}
	return nil
}

// put adds k, replacing a child of its name.
func (l *kidList) put(k *node) {
	i, ok := slices.BinarySearchFunc(*l, base(k.path), compareKid)
	if ok {
		(*l)[i] = k
		return
	}
	*l = slices.Insert(*l, i, k)
}

// putAll adds children with names not in l yet, in one sort.
func (l *kidList) putAll(ks []*node) {
	if len(ks) == 0 {
		return
	}
	*l = append(slices.Grow(*l, len(ks)), ks...)
	slices.SortFunc(*l, func(a, b *node) int { return strings.Compare(base(a.path), base(b.path)) })
}

// del takes k out, if it is there.
func (l *kidList) del(k *node) {
	i, ok := slices.BinarySearchFunc(*l, base(k.path), compareKid)
	if !ok || (*l)[i] != k {
		return
	}
	*l = slices.Delete(*l, i, i+1)
	if len(*l) == 0 {
		*l = nil
	}
}
