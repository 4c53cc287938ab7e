// Package config is a configuration centre on one ZooKeeper node: a
// [Value] of any type T, decoded from the node's data (JSON by default,
// any codec with WithCodec), read from memory, followed through changes,
// and written with compare-and-set on the node's version (Curator's
// SharedValue, of which counter.SharedCount is the 4-byte case).
//
//	type Flags struct{ NewCheckout bool }
//	flags, err := config.New[Flags](c, "/config/flags")
//	...
//	if err := flags.Start(ctx); err != nil { ... }
//	cur, err := flags.Wait(ctx) // until someone has written it
//	if cur.Value.NewCheckout { ... }
//
// # Guarantees
//
//   - Get costs no I/O: it decodes what the underlying [cache.Node] holds,
//     with the guarantees of package cache (changes detected by zxids,
//     a complete resync after a reconnection or a new session, staleness
//     reported by Stale).
//   - A deleted node is reported as absent ([ErrAbsent], an Update with
//     Present false), never as its last value.
//   - A Subscription sees every change the cache applies, in order;
//     rapid changes may be folded into the latest value.
//   - CompareAndSet writes only over the version it is given (or only
//     creates, with [Absent]); a lost race returns false, an unknowable
//     outcome an error matching zkrecipes.ErrUncertain, never a guess.
//
// Not guaranteed: a value read from memory may be older than the server's
// (the cache is eventually consistent); write with CompareAndSet to act on
// it safely.
//
// # Znode layout
//
// The Value's own node only, created with its parents (as containers) by
// the first write. The data are the encoded value, nothing else, so other
// tools (zkCli, Curator's SharedValue with a byte codec) read them as is.
//
// # Curator and kazoo equivalents
//
// Curator's SharedValue (bytes, with a listener) and NodeCache; kazoo's
// DataWatch.
package config
