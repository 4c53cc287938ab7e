package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// logBook keeps what the recipes log (at debug level and above) during a
// run, so that a violation can be reported with the log lines that explain
// it. It is bounded: the oldest lines go first.
type logBook struct {
	t0 time.Time

	mu    sync.Mutex
	lines []string
}

const maxLogLines = 200_000

func newLogBook(t0 time.Time) *logBook { return &logBook{t0: t0} }

// logger returns a logger whose lines carry who.
func (b *logBook) logger(who string) *slog.Logger {
	return slog.New(&bookHandler{b: b, who: who})
}

// context returns the lines that contain s and, before each, the lines
// its logger wrote in the preceding window.
func (b *logBook) context(s string, window time.Duration) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for i, l := range b.lines {
		if !strings.Contains(l, s) {
			continue
		}
		at, who := lineTime(l), lineWho(l)
		for _, p := range b.lines[:i] {
			if lineWho(p) == who && at-lineTime(p) <= window.Seconds() {
				out = append(out, p)
			}
		}
		out = append(out, l)
	}
	return out
}

func lineTime(l string) float64 {
	var t float64
	fmt.Sscanf(l, "+%fs", &t)
	return t
}

func lineWho(l string) string {
	f := strings.Fields(l)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

func (b *logBook) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) >= maxLogLines {
		b.lines = b.lines[maxLogLines/10:]
	}
	b.lines = append(b.lines, line)
}

type bookHandler struct {
	b     *logBook
	who   string
	attrs []slog.Attr
}

func (h *bookHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *bookHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "+%.3fs %s %s %s", r.Time.Sub(h.b.t0).Seconds(), h.who, r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	h.b.add(sb.String())
	return nil
}

func (h *bookHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &bookHandler{b: h.b, who: h.who, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)}
}

func (h *bookHandler) WithGroup(string) slog.Handler { return h }
