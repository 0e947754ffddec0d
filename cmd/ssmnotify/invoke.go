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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
)

// invokeFlags are the flags `invoke` shares between its functions.
type invokeFlags struct {
	event, config, store, deliverMode, out, now string
	verbose                                     bool
}

func (f *invokeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.event, "event", "", "the Lambda event file (or give it as the argument)")
	fs.StringVar(&f.config, "config", "", "routing config file (default: the embedded config/ssmnotify.yaml)")
	fs.StringVar(&f.store, "store", "memory", "state store: memory (in-process, this run only) or dynamodb ($SSMNOTIFY_TABLE_NAME, $DYNAMODB_ENDPOINT)")
	fs.StringVar(&f.deliverMode, "deliver", "preview", "preview (write files under --out) or live (Slack and SES, credentials from the environment)")
	fs.StringVar(&f.out, "out", "out", "where previews and parked records are written")
	fs.StringVar(&f.now, "now", "", "run as if at this RFC 3339 time (default: now)")
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
}

func newInvokeEnv(f *invokeFlags, stderr io.Writer) (*invokeEnv, error) {
	set := rules.Default()
	if f.config != "" {
		var err error
		if set, err = rules.Load(f.config); err != nil {
			return nil, err
		}
	}
	now := time.Now
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, fmt.Errorf("--now: %w", err)
		}
		now = func() time.Time { return t }
	}
	logOut := io.Discard
	if f.verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	env := &invokeEnv{}
	h := &router.Handler{Rules: set, Now: now, Logger: log, Park: &deadletter.Dir{Path: filepath.Join(f.out, "dead-letter")}}
	if f.verbose {
		h.Metrics = stderr
	}

	needAWS := f.store == "dynamodb" || f.deliverMode == "live"
	var getenv = setup.Getenv(os.Getenv)
	var awsCfg = awsConfigOrNil(needAWS)
	switch f.store {
	case "memory":
		h.Store = memory.New()
	case "dynamodb":
		if awsCfg == nil {
			return nil, fmt.Errorf("--store dynamodb: no AWS config")
		}
		s, err := setup.Store(*awsCfg, getenv)
		if err != nil {
			return nil, err
		}
		h.Store = s
	default:
		return nil, fmt.Errorf("--store %q: want memory or dynamodb", f.store)
	}
	switch f.deliverMode {
	case "preview":
		w, err := preview.NewWriter(filepath.Join(f.out, "router"))
		if err != nil {
			return nil, err
		}
		env.preview = &deliver.Preview{Writer: w}
		h.Deliver = env.preview
	case "live":
		if awsCfg == nil {
			return nil, fmt.Errorf("--deliver live: no AWS config")
		}
		h.Deliver = setup.Deliverer(*awsCfg, getenv, log)
	default:
		return nil, fmt.Errorf("--deliver %q: want preview or live", f.deliverMode)
	}
	env.handler = h
	return env, nil
}

func awsConfigOrNil(need bool) *aws.Config {
	if !need {
		return nil
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil
	}
	return &cfg
}

// printReport writes one line per result: what happened to each notification at each
// destination, or why it went nowhere.
func printReport(w io.Writer, label string, rep *router.Report) {
	for _, r := range rep.Results {
		var who string
		if n := r.Notification; n != nil {
			target := n.InstanceID
			if target == "" {
				target = "command"
			}
			who = fmt.Sprintf("%s %-19s %-10s", n.ShortCommandID(), target, n.Status)
		}
		var what string
		switch r.Outcome {
		case router.Delivered:
			what = "delivered to " + r.Destination + " (route " + r.Route + ")"
		case router.Duplicate:
			what = "duplicate: " + r.Destination + " already has it"
		case router.Stale:
			what = "stale: " + r.Reason
		case router.BadInput:
			what = "bad input: " + strings.TrimSpace(r.Reason) + " (parked)"
		case router.Permanent:
			what = "NOT delivered to " + r.Destination + ", parked: " + r.Reason
		case router.Retryable, router.InProgress:
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
