package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// runPreview runs the real router handler on an event and writes every call it would make to
// files under --out, sending nothing. It prints one line per notification and destination. Exit status 1 if a record
// was bad (the good ones are previewed all the same), 2 for usage or config errors.
func runPreview(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "routing config file (default: the embedded config/ssmnotify.yaml)")
	out := fs.String("out", "out/preview", "directory to write the previews to")
	at := fs.String("now", "", "route as if at this RFC 3339 time (mute windows, silences); default: now")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify preview [--config FILE] [--out DIR] [--now TIME] EVENT_FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	set := rules.Default()
	if *configPath != "" {
		var err error
		if set, err = rules.Load(*configPath); err != nil {
			fmt.Fprintf(stderr, "ssmnotify preview: %v\n", err)
			return 2
		}
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "ssmnotify preview: --now: %v\n", err)
			return 2
		}
		now = t
	}
	raw, err := readInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify preview: %v\n", err)
		return 1
	}
	// The real router handler, with the in-process store and preview delivery, on a clock fixed
	// at --now that moves on as the render queue drains: what it writes is exactly what would be
	// posted (the command's evolving message in bot mode) and emailed.
	f := invokeFlags{config: *configPath, store: "memory", deliverMode: "preview", out: *out, now: now.UTC().Format(time.RFC3339Nano), flat: true}
	env, err := newInvokeEnv(&f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify preview: %v\n", err)
		return 2
	}
	env.handler.Rules = set
	ctx := context.Background()
	rep, err := env.handler.Process(ctx, raw)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify preview: %v\n", err)
		return 1
	}
	printReport(stdout, "", rep)
	for _, r := range env.drainRenders(ctx) {
		printReport(stdout, "(render queue)", r)
	}
	fmt.Fprintln(stdout, "previewed:")
	for _, p := range env.preview.Paths {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	bad := 0
	for _, r := range rep.Results {
		if r.Outcome == router.BadInput {
			bad++
			fmt.Fprintf(stderr, "%s: record %d: %s\n", fs.Arg(0), r.Record, r.Reason)
		}
	}
	if bad > 0 {
		return 1
	}
	return 0
}
