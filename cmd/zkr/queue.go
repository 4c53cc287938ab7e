package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
)

func init() {
	register(&command{
		name: "queue", summary: "a work queue: at-least-once delivery with acks, redelivery when a consumer dies",
		subs: []*command{
			{
				name: "put", synopsis: "queue put [--priority N] [--delay D] [--lines] PATH [DATA|-]",
				summary: "add a message (from DATA, or stdin) and print its id",
				details: para("Without DATA (or with \"-\") the message is stdin, byte for byte (up to about",
					"1 MB). --lines puts every line of stdin as its own message, in batches that",
					"are all-or-nothing. Higher --priority is delivered first; --delay keeps the",
					"message invisible to consumers for that long."),
				examples: []string{
					"zkr queue put /jobs 'resize image-42.png'",
					"zkr queue put /jobs < job.json",
					"seq 1 100 | zkr queue put --lines /jobs",
					"zkr queue put --priority 9 --delay 5m /jobs urgent-later",
				},
				setup: func(a *app, fs *flag.FlagSet) runner {
					var o putFlags
					fs.IntVar(&o.priority, "priority", queue.DefaultPriority, fmt.Sprintf("priority %d..%d, higher first", queue.MinPriority, queue.MaxPriority))
					fs.DurationVar(&o.delay, "delay", 0, "deliver no earlier than this from now")
					fs.BoolVar(&o.lines, "lines", false, "one message per line of stdin")
					return func(ctx context.Context, p parsed) error { return a.queuePut(ctx, p, o) }
				},
			},
			queueTakeCommand(),
			{
				name: "len", synopsis: "queue len PATH", summary: "print the number of messages (waiting, delayed and being processed)",
				examples: []string{"zkr queue len /jobs"},
				setup: func(a *app, fs *flag.FlagSet) runner {
					return func(ctx context.Context, p parsed) error { return a.queueLen(ctx, p) }
				},
			},
			{
				name: "peek", synopsis: "queue peek PATH", summary: "print the message a consumer would get next, leaving it in the queue",
				details: para("Peek only reads: it counts no delivery (--max-deliveries is not used up by",
					"looking) and keeps no consumer from the message, which may be taken by the time",
					"it is printed. deliveries is how often it was claimed so far. Exit 1 if the",
					"queue has no message available now."),
				examples: []string{"zkr queue peek /jobs", "zkr queue peek --json /jobs"},
				setup: func(a *app, fs *flag.FlagSet) runner {
					return func(ctx context.Context, p parsed) error { return a.queuePeek(ctx, p) }
				},
			},
		},
	})
}

type putFlags struct {
	priority int
	delay    time.Duration
	lines    bool
}

func (a *app) queuePut(ctx context.Context, p parsed, o putFlags) error {
	if err := wantArgs("queue put", p.pos, 1, 2); err != nil {
		return err
	}
	path := p.pos[0]
	switch {
	case o.priority < queue.MinPriority || o.priority > queue.MaxPriority:
		return usagef("queue put: --priority must be within %d..%d", queue.MinPriority, queue.MaxPriority)
	case o.delay < 0:
		return usagef("queue put: --delay must not be negative")
	case o.lines && len(p.pos) > 1:
		return usagef("queue put: --lines reads stdin; give no DATA")
	case o.lines && (o.delay > 0 || o.priority != queue.DefaultPriority):
		return usagef("queue put: --lines cannot be combined with --priority or --delay")
	}
	if err := validPath(path, false); err != nil {
		return err
	}
	var data []byte
	if !o.lines {
		var err error
		if data, err = a.dataArg(p.pos[1:], true); err != nil {
			return err
		}
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		q, err := queue.New(c, path)
		if err != nil {
			return err
		}
		if o.lines {
			return a.putLines(ctx, q)
		}
		var id string
		switch {
		case o.delay > 0:
			id, err = q.PutAt(ctx, data, time.Now().Add(o.delay))
		case o.priority != queue.DefaultPriority:
			id, err = q.PutPriority(ctx, data, o.priority)
		default:
			id, err = q.Put(ctx, data)
		}
		if err != nil {
			return err
		}
		return a.printID(id)
	})
}

// putLines puts each line of stdin, in all-or-nothing batches.
func (a *app) putLines(ctx context.Context, q *queue.Queue) error {
	const batch = 100
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), queue.MaxMessageSize)
	var pending [][]byte
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		ids, err := q.PutBatch(ctx, pending)
		if err != nil {
			return err
		}
		pending = pending[:0]
		for _, id := range ids {
			if err := a.printID(id); err != nil {
				return err
			}
		}
		return nil
	}
	for sc.Scan() {
		pending = append(pending, append([]byte(nil), sc.Bytes()...))
		if len(pending) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

func (a *app) printID(id string) error {
	if a.json {
		return a.printJSON(map[string]string{"id": id})
	}
	a.printf("%s\n", id)
	return nil
}

func (a *app) queueLen(ctx context.Context, p parsed) error {
	if err := wantArgs("queue len", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		q, err := queue.New(c, path)
		if err != nil {
			return err
		}
		n, err := q.Len(ctx)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]int{"len": n})
		}
		a.printf("%d\n", n)
		return nil
	})
}

func (a *app) queuePeek(ctx context.Context, p parsed) error {
	if err := wantArgs("queue peek", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		q, err := queue.New(c, path)
		if err != nil {
			return err
		}
		m, err := q.Peek(ctx)
		if errors.Is(err, queue.ErrEmpty) {
			return fmt.Errorf("queue %s has no message available", path)
		}
		if err != nil {
			return err
		}
		return a.printMessage(&queue.Message{ID: m.ID, Data: m.Data, Priority: m.Priority, Deliveries: m.Deliveries}, false)
	})
}

// printMessage writes a message: raw bytes (a newline added for terminals,
// or after every message when sep), or one JSON object.
func (a *app) printMessage(m *queue.Message, sep bool) error {
	if a.json {
		return a.printJSON(dataFields(map[string]any{"id": m.ID, "deliveries": m.Deliveries, "priority": m.Priority}, m.Data))
	}
	if _, err := a.stdout.Write(m.Data); err != nil {
		return err
	}
	if sep || a.isTerminal() && (len(m.Data) == 0 || m.Data[len(m.Data)-1] != '\n') {
		_, err := a.stdout.Write([]byte{'\n'})
		return err
	}
	return nil
}
