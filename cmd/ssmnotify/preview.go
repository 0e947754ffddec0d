package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
)

// runPreview decodes an event, routes each notification and renders every delivery to files
// under --out, sending nothing. It prints one line per notification. Exit status 1 if a record
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
	w, err := preview.NewWriter(*out)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify preview: %v\n", err)
		return 1
	}
	p := &deliver.Preview{Writer: w, Enricher: setup.CLIEnricher(context.Background(), os.Getenv, set)}
	recs := payload.Decode(raw)
	ns, bad := recs.Notifications(), recs.Errors()
	for i := range ns {
		n := &ns[i]
		dec := set.Decide(n, now)
		target := n.Target()
		if target == "" {
			target = "command"
		}
		fmt.Fprintf(stdout, "%s %s %s: ", n.ShortCommandID(), target, n.Status)
		if !dec.Delivered() {
			fmt.Fprintf(stdout, "not delivered (%s: %s)\n", dec.Drop, dec.Reason)
			continue
		}
		written := len(p.Paths)
		for _, d := range dec.Deliveries {
			if err := p.Deliver(context.Background(), d, n); err != nil {
				fmt.Fprintf(stdout, "\nssmnotify preview: %v\n", err)
				return 1
			}
		}
		fmt.Fprintln(stdout, "previewed")
		for _, path := range p.Paths[written:] {
			fmt.Fprintf(stdout, "  %s\n", path)
		}
	}
	for _, e := range bad {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Arg(0), e)
	}
	if len(bad) > 0 {
		return 1
	}
	return 0
}
