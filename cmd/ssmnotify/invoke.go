package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// invokeFlags are the flags `invoke` shares between its functions.
type invokeFlags struct {
	event, config, store, deliverMode, out, now string
	// silences is a file of ad-hoc silences (JSON Lines, as `silence query` prints) that the
	// router applies instead of the store's.
	silences string
	verbose  bool
	// flat writes the router's previews directly under out (preview), not under out/router.
	flat bool
}

func (f *invokeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.event, "event", "", "the Lambda event file (or give it as the argument)")
	fs.StringVar(&f.config, "config", "", "routing config file (default: the embedded config/ssmnotify.yaml)")
	fs.StringVar(&f.store, "store", "memory", "state store: memory (in-process, this run only) or dynamodb ($SSMNOTIFY_TABLE_NAME, $DYNAMODB_ENDPOINT)")
	fs.StringVar(&f.deliverMode, "deliver", "preview", "preview (write files under --out) or live (Slack and SES, credentials from the environment)")
	fs.StringVar(&f.out, "out", "out", "each run writes previews and parked records to a new folder DIR/invoke-<function>-<time>/ (DIR/latest points at it)")
	fs.StringVar(&f.now, "now", "", "run as if at this RFC 3339 time (default: now)")
	fs.StringVar(&f.silences, "silences", "", "apply these ad-hoc silences (JSON Lines, as `silence query` prints) instead of the store's")
	fs.BoolVar(&f.verbose, "v", false, "print the handler's JSON log lines on stderr")
}

// runInvoke runs the real router (or digest) handler in-process on one event.
func runInvoke(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "router" && args[0] != "digest") {
		fmt.Fprintln(stderr, "usage: ssmnotify invoke router|digest [--event] FILE [--config FILE] [--store memory|dynamodb] [--deliver preview|live] [--out DIR] [--now TIME]")
		return 2
	}
	fn := args[0]
	fs := flag.NewFlagSet("invoke "+fn, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f invokeFlags
	f.register(fs)
	pos, ok := parseInterspersed(fs, args[1:])
	if !ok || len(pos) > 1 {
		return 2
	}
	if f.event == "" && len(pos) == 1 {
		f.event = pos[0]
	}
	if f.event == "" {
		fmt.Fprintf(stderr, "ssmnotify invoke %s: no event file (--event FILE)\n", fn)
		return 2
	}
	if err := preflightInvoke(&f, setup.Getenv(os.Getenv)); err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke %s: %v\n", fn, err)
		return 2
	}
	run, err := startRun(f.out, "invoke-"+fn, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke %s: %v\n", fn, err)
		return 1
	}
	f.out = run.Dir
	defer func() {
		if err := run.finishRun(stdout); err != nil {
			fmt.Fprintf(stderr, "ssmnotify invoke %s: %v\n", fn, err)
		}
	}()
	if fn == "digest" {
		return runInvokeDigest(&f, stdout, stderr)
	}
	env, err := newInvokeEnv(&f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke router: %v\n", err)
		return 2
	}
	raw, err := readInput(f.event)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke router: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := env.handler.Process(ctx, raw)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke router: %v\n", err)
		return 1
	}
	printReport(stdout, "", rep)
	// Renders the handler scheduled (the render queue's job in AWS).
	for _, r := range env.drainRenders(ctx) {
		printReport(stdout, "(render queue)", r)
	}
	if retry := rep.Retry(); len(retry) > 0 {
		fmt.Fprintf(stdout, "→ Lambda would retry %d deliveries\n", len(retry))
		return 1
	}
	return 0
}

// invokeEnv is a router handler wired for a local run.
type invokeEnv struct {
	handler *router.Handler
	preview *deliver.Preview // nil when delivering live
	clock   *localClock
	renders *thread.Memory
}

// localClock is the CLI's clock: real time, or a fixed start (--now) that the demo moves on.
type localClock struct {
	mu    sync.Mutex
	fixed bool
	t     time.Time
}

func (c *localClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed {
		return time.Now()
	}
	return c.t
}

// emailQuiet is the quiet period of per-command emails: Lambda's default on a fixed clock (the
// demo and --now move it instantly), one second on the real clock, so that `invoke` shows the
// email without waiting two minutes.
func (c *localClock) emailQuiet() time.Duration {
	if c.fixed {
		return 0
	}
	return time.Second
}

// advanceTo moves a fixed clock to t (never backwards); a real clock waits until t.
func (c *localClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed {
		if t.After(c.t) {
			c.t = t
		}
		return
	}
	time.Sleep(time.Until(t))
}

// drainRenders runs the scheduled renders until none is left, moving the clock to each.
func (e *invokeEnv) drainRenders(ctx context.Context) []*router.Report {
	var reps []*router.Report
	for range 100 {
		next, ok := e.renders.Next()
		if !ok {
			break
		}
		e.clock.advanceTo(next)
		due := e.renders.Due(e.clock.now())
		if len(due) == 0 {
			continue
		}
		rep, err := e.handler.Process(ctx, thread.Event(due))
		if err == nil {
			reps = append(reps, rep)
		}
	}
	return reps
}

func newInvokeEnv(f *invokeFlags, stderr io.Writer) (*invokeEnv, error) {
	set := rules.Default()
	if f.config != "" {
		var err error
		if set, err = rules.Load(f.config); err != nil {
			return nil, err
		}
	}
	clock := &localClock{}
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, fmt.Errorf("--now: %w", err)
		}
		clock.fixed, clock.t = true, t
	}
	now := clock.now
	logOut := io.Discard
	if f.verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	env := &invokeEnv{clock: clock, renders: &thread.Memory{}}
	h := &router.Handler{Rules: set, Now: now, Logger: log, Park: &deadletter.Dir{Path: filepath.Join(f.out, "dead-letter")}}
	if f.verbose {
		h.Metrics = stderr
	}

	needAWS := f.store == "dynamodb" || f.deliverMode == "live"
	var getenv = setup.Getenv(os.Getenv)
	var awsCfg *aws.Config
	if needAWS {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			return nil, fmt.Errorf("AWS config: %w", err)
		}
		awsCfg = &cfg
	}
	switch f.store {
	case "memory":
		h.Store = memory.New()
	case "dynamodb":
		s, err := setup.Store(*awsCfg, getenv)
		if err != nil {
			return nil, err
		}
		if err := ensureLocalTable(context.Background(), *awsCfg, getenv, stderr); err != nil {
			return nil, err
		}
		h.Store = s
	default:
		return nil, fmt.Errorf("--store %q: want memory or dynamodb", f.store)
	}
	if err := wireSilences(h, f.silences); err != nil {
		return nil, err
	}
	switch f.deliverMode {
	case "preview":
		dir := filepath.Join(f.out, "router")
		if f.flat {
			dir = f.out
		}
		w, err := preview.NewWriter(dir)
		if err != nil {
			return nil, err
		}
		env.preview = &deliver.Preview{Writer: w}
		h.Deliver = env.preview
		h.Threads = localThreads(h.Store, env.renders, now, func(context.Context) (thread.Poster, error) { return env.preview, nil })
		h.Emails = localEmails(h.Store, env.renders, now, clock.emailQuiet(), commandEmail(env.preview))
		env.preview.Enricher = wireEnrichment(context.Background(), getenv, set, h.Threads, h.Emails)
	case "live":
		live := setup.Deliverer(*awsCfg, getenv, log)
		h.Deliver = live
		h.Threads = localThreads(h.Store, env.renders, now, func(ctx context.Context) (thread.Poster, error) { return live.Bot(ctx) })
		h.Emails = localEmails(h.Store, env.renders, now, clock.emailQuiet(), commandEmail(live))
		live.Enricher = wireEnrichment(context.Background(), getenv, set, h.Threads, h.Emails)
	default:
		return nil, fmt.Errorf("--deliver %q: want preview or live", f.deliverMode)
	}
	env.handler = h
	return env, nil
}

// localThreads keeps the commands' evolving messages for a local run, with an in-process render
// queue that the CLI drains.
func localThreads(store state.Store, renders *thread.Memory, now func() time.Time, slack func(context.Context) (thread.Poster, error)) *thread.Threads {
	return &thread.Threads{Store: store, Schedule: renders, Now: now, Token: "local", Slack: slack}
}

// commandEmail sends a command's email with t, named <destination>-command.
func commandEmail(t deliver.Transport) func(context.Context, *rules.Destination, render.EmailMessage) error {
	return func(ctx context.Context, dest *rules.Destination, msg render.EmailMessage) error {
		return t.SendEmail(ctx, dest, []string{dest.Name, "command"}, msg)
	}
}

// localEmails sends one email per command outcome for a local run, its quiet-period checks on
// the in-process render queue.
func localEmails(store state.Store, renders *thread.Memory, now func() time.Time, quiet time.Duration, send func(context.Context, *rules.Destination, render.EmailMessage) error) *thread.Emails {
	return &thread.Emails{Store: store, Schedule: renders, Now: now, Token: "local", Send: send, Quiet: quiet}
}

// threadWords says what a command's evolving message did.
func threadWords(o thread.Outcome, dest string) string {
	switch o {
	case thread.Posted:
		return "posted the command's message in " + dest
	case thread.Replied:
		return "replied in the command's thread in " + dest
	case thread.Updated:
		return "updated the command's message in " + dest
	case thread.Broadcast:
		return "broadcast the command's final state in " + dest
	case thread.Emailed:
		return "emailed the command's outcome to " + dest
	case thread.FollowUp:
		return "emailed a follow-up on the command's outcome to " + dest
	case thread.EmailPending:
		return "in the command's email to " + dest + ", sent once its outcome is known or it stops changing"
	case thread.Scheduled:
		return "shown in the command's message in " + dest + " at the next render (at most one Slack call a second)"
	}
	return "the command's message in " + dest + " already shows it"
}

func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// printReport writes one line per result: what happened to each notification at each
// destination, or why it went nowhere.
func printReport(w io.Writer, label string, rep *router.Report) {
	// One render per command and destination serves every notification of the batch: name its
	// call once, so the lines match the calls made.
	rendered := map[string]bool{}
	for _, r := range rep.Results {
		var who string
		if n := r.Notification; n != nil {
			target := n.InstanceID
			if target == "" {
				target = "command"
			}
			who = fmt.Sprintf("%s %-19s %-10s", n.ShortCommandID(), target, n.Status)
		}
		if r.Notification == nil && r.CommandID != "" {
			if r.Outcome == router.Unchanged {
				continue // a scheduled render with nothing to do
			}
			who = fmt.Sprintf("%s %-30s", shortID(r.CommandID), "command message")
		}
		var what string
		switch {
		case r.Thread != "" && (r.Outcome == router.Delivered || r.Outcome == router.Unchanged) && rendered[r.CommandID+"/"+r.Destination]:
			what = "shown by the same call to " + r.Destination
		case r.Thread != "" && (r.Outcome == router.Delivered || r.Outcome == router.Unchanged):
			rendered[r.CommandID+"/"+r.Destination] = true
			what = threadWords(r.Thread, r.Destination)
		case r.Thread != "" && r.Outcome == router.Duplicate && strings.Contains(r.Reason, "email"):
			what = "duplicate: the command's email to " + r.Destination + " already shows it"
		case r.Thread != "" && r.Outcome == router.Duplicate:
			what = "duplicate: the command's message in " + r.Destination + " already shows it"
		case r.Outcome == router.Delivered:
			what = "delivered to " + r.Destination + " (route " + r.Route + ")"
		case r.Outcome == router.Duplicate:
			what = "duplicate: " + r.Destination + " already has it"
		case r.Outcome == router.Silenced && r.SilenceID != "":
			what = "silenced for " + r.Destination + ": " + r.Reason + " (silence " + r.SilenceID + ": " + r.SilenceComment + ")"
		case r.Outcome == router.Stale:
			what = "stale: " + r.Reason
		case r.Outcome == router.BadInput:
			what = "bad input: " + strings.TrimSpace(r.Reason) + " (parked)"
		case r.Outcome == router.Permanent:
			what = "NOT delivered to " + r.Destination + ", parked: " + r.Reason
		case r.Outcome == router.Retryable, r.Outcome == router.InProgress:
			what = "to retry (" + r.Destination + "): " + r.Reason
		default:
			what = string(r.Outcome) + ": " + r.Reason
		}
		if label != "" {
			fmt.Fprintf(w, "%-34s ", label)
		}
		if who == "" {
			fmt.Fprintf(w, "%s\n", what)
			continue
		}
		fmt.Fprintf(w, "%s → %s\n", who, what)
	}
}
