// Package hook carries the root package's plumbing to package seam. It
// cannot name the root package's types (the root package imports it), so
// it holds the functions untyped: package zkrecipes sets them once, in its
// init, and package seam, which imports zkrecipes and is therefore
// initialised after it, gives them their types. Nothing else may use it.
package hook

// Hooks are the root package's functions behind package seam, each a
// method expression of *zkrecipes.Client or *zkrecipes.Session (see seam
// for their types).
type Hooks struct {
	Go             any
	Connections    any
	CreateAndList  any
	ReplaceAndList any
	Listing        any
	Observer       any
	WatchTree      any
}

var installed *Hooks

// Install sets the hooks. Package zkrecipes calls it once, from its init;
// nothing else may.
func Install(h Hooks) {
	if installed != nil {
		panic("hook: Install called twice")
	}
	installed = &h
}

// Installed returns the hooks. It panics if package zkrecipes has not
// installed them, which its initialisation does before any importer's.
func Installed() Hooks {
	if installed == nil {
		panic("hook: package zkrecipes installed no hooks")
	}
	return *installed
}
