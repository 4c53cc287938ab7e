package bench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
)

// heapMB is the live heap in MB: HeapAlloc after two collections (the
// second one frees what finalizers of the first kept).
func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// writeHeapProfile writes the live heap (as of the last collection) to
// file.
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rssMB is the process' resident set (VmRSS) in MB, 0 where unknown.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return float64(kb) / 1024
		}
	}
	return 0
}

// warnCounter counts the warnings (and errors) a client logs, and passes
// them on to w (nil: dropped).
type warnCounter struct {
	n atomic.Int64
	w io.Writer
}

func (c *warnCounter) logger() *slog.Logger {
	w := c.w
	if w == nil {
		w = io.Discard
	}
	return slog.New(&countHandler{Handler: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}), n: &c.n})
}

type countHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h *countHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &countHandler{Handler: h.Handler.WithAttrs(as), n: h.n}
}

func (h *countHandler) WithGroup(name string) slog.Handler {
	return &countHandler{Handler: h.Handler.WithGroup(name), n: h.n}
}
