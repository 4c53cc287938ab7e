package bench

// must returns v, panicking on err: recipe constructors here get paths under
// Params.Root (checked by the --root flag) and constant options, so an error is a bug.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
