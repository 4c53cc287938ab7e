package chaos

// must returns v, panicking on err: recipe constructors here get constant
// paths and options, so an error is a bug in this package.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
