package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
	"unicode/utf8"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// printJSON writes v as one line of JSON.
func (a *app) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(append(b, '\n'))
	return err
}

// isTerminal reports whether stdout is a terminal (then text gets a final
// newline; raw bytes to a pipe or file never do).
func (a *app) isTerminal() bool {
	f, ok := a.stdout.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// dataArg returns the data argument: the word itself, or stdin for "-" (or
// no word at all when stdinIfMissing). Bytes from stdin are kept exactly.
func (a *app) dataArg(words []string, stdinIfMissing bool) ([]byte, error) {
	if len(words) > 0 && words[0] != "-" {
		return []byte(words[0]), nil
	}
	if len(words) == 0 && !stdinIfMissing {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(a.stdin, zkrecipes.MaxDataSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > zkrecipes.MaxDataSize {
		return nil, usagef("data from stdin exceeds ZooKeeper's node limit of %d bytes", zkrecipes.MaxDataSize)
	}
	return b, nil
}

// dataFields describes data for JSON: "data" when it is valid UTF-8 text,
// and always "data_base64", so binary data survives.
func dataFields(m map[string]any, data []byte) map[string]any {
	if utf8.Valid(data) {
		m["data"] = string(data)
	}
	m["data_base64"] = base64.StdEncoding.EncodeToString(data)
	return m
}

func dataJSON(path string, data []byte, st *zk.Stat) map[string]any {
	return dataFields(map[string]any{"path": path, "stat": statJSON(st)}, data)
}

func statJSON(st *zk.Stat) map[string]any {
	if st == nil {
		return nil
	}
	t := func(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }
	return map[string]any{
		"czxid": st.Czxid, "mzxid": st.Mzxid, "pzxid": st.Pzxid,
		"ctime": t(st.Ctime), "mtime": t(st.Mtime),
		"cversion": st.Cversion, "version": st.Version, "aversion": st.Aversion,
		"ephemeral_owner": st.EphemeralOwner, "data_length": st.DataLength, "num_children": st.NumChildren,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (a *app) printStat(st *zk.Stat) {
	for _, kv := range statFields(st) {
		a.printf("%s = %s\n", kv[0], kv[1])
	}
}

// statFields lists a stat the way zkCli prints it.
func statFields(st *zk.Stat) [][2]string {
	ms := func(v int64) string { return time.UnixMilli(v).UTC().Format("Mon Jan 02 15:04:05.000 UTC 2006") }
	return [][2]string{
		{"cZxid", fmt.Sprintf("0x%x", st.Czxid)},
		{"ctime", ms(st.Ctime)},
		{"mZxid", fmt.Sprintf("0x%x", st.Mzxid)},
		{"mtime", ms(st.Mtime)},
		{"pZxid", fmt.Sprintf("0x%x", st.Pzxid)},
		{"cversion", fmt.Sprint(st.Cversion)},
		{"dataVersion", fmt.Sprint(st.Version)},
		{"aclVersion", fmt.Sprint(st.Aversion)},
		{"ephemeralOwner", fmt.Sprintf("0x%x", st.EphemeralOwner)},
		{"dataLength", fmt.Sprint(st.DataLength)},
		{"numChildren", fmt.Sprint(st.NumChildren)},
	}
}

// writeJSON writes v to w as one line of JSON.
func (a *app) writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"level": "error", "error": err.Error()})
	}
	_, _ = w.Write(append(b, '\n'))
}

// logf writes a progress or status message to stderr: "zkr: ..." lines,
// or with --json {"time":...,"level":"info","msg":...} objects.
func (a *app) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if a.json {
		a.writeJSON(a.stderr, map[string]string{"time": time.Now().UTC().Format(time.RFC3339Nano), "level": "info", "msg": msg})
		return
	}
	fmt.Fprintf(a.stderr, "zkr: %s\n", msg)
}

// logHandler is the handler of the client's logger (--debug): text, or
// JSON lines with --json.
func (a *app) logHandler(level slog.Level) slog.Handler {
	o := &slog.HandlerOptions{Level: level}
	if a.json {
		return slog.NewJSONHandler(a.stderr, o)
	}
	return slog.NewTextHandler(a.stderr, o)
}
