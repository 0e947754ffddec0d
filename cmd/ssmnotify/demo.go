package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// demoNow is the demo's clock: the afternoon of the sample events' day, so the output is the
// same on every run.
const demoNow = "2026-05-04T16:00:00Z"

// runDemo runs the real router handler over every sample in events/ (and events/bad/) with the
// embedded config, the in-process store and preview delivery; then replays them all to show that
// nothing is delivered twice; then runs the digest over what the router stored.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.String("events", "events", "folder of sample events")
	out := fs.String("out", "out", "each run writes previews, parked records and digests to a new folder DIR/demo-<time>/ (DIR/latest points at it)")
	config := fs.String("config", "", "routing config (default: the embedded config/ssmnotify.yaml)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files, err := sampleFiles(*events)
	if err != nil || len(files) == 0 {
		fmt.Fprintf(stderr, "ssmnotify demo: no sample events in %s: %v\n", *events, err)
		return 1
	}
	run, err := startRun(*out, "demo", time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify demo: %v\n", err)
		return 1
	}
	stopSSM, err := demoSSM(*events, files)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify demo: local SSM: %v\n", err)
		return 1
	}
	defer stopSSM()
	f := invokeFlags{config: *config, store: "memory", deliverMode: "preview", out: run.Dir, now: demoNow}
	env, err := newInvokeEnv(&f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify demo: %v\n", err)
		return 1
	}
	ctx := context.Background()
	counts := map[router.Outcome]int{}
	pass := func(title string) bool {
		fmt.Fprintf(stdout, "== %s\n", title)
		for k := range counts {
			delete(counts, k)
		}
		for _, file := range files {
			if strings.HasPrefix(file, "scheduled-") {
				continue // the digest's events; bad/ has one sent to the router by mistake
			}
			raw, err := os.ReadFile(filepath.Join(*events, file))
			if err != nil {
				fmt.Fprintf(stderr, "ssmnotify demo: %v\n", err)
				return false
			}
			rep, err := env.handler.Process(ctx, raw)
			if err != nil {
				fmt.Fprintf(stderr, "ssmnotify demo: %s: %v\n", file, err)
				return false
			}
			printReport(stdout, file, rep)
			for _, r := range rep.Results {
				counts[r.Outcome]++
			}
			// Samples arrive a few seconds apart, and scheduled renders run when due.
			env.clock.advanceTo(env.clock.now().Add(3 * time.Second))
			for _, rep := range dueRenders(ctx, env) {
				printReport(stdout, "(render queue)", rep)
				for _, r := range rep.Results {
					counts[r.Outcome]++
				}
			}
		}
		for _, rep := range env.drainRenders(ctx) {
			printReport(stdout, "(render queue)", rep)
			for _, r := range rep.Results {
				counts[r.Outcome]++
			}
		}
		fmt.Fprintf(stdout, "   %s\n", summarize(counts))
		return true
	}
	if !pass("router: every sample in " + *events + "/ (embedded config, in-process store, preview delivery)") {
		return 1
	}
	firstDelivered := counts[router.Delivered]
	if !pass("router: the same samples again (SNS redelivers, Lambda retries)") {
		return 1
	}
	if counts[router.Delivered] != 0 {
		fmt.Fprintf(stdout, "!! %d deliveries were made twice\n", counts[router.Delivered])
		return 1
	}
	fmt.Fprintf(stdout, "   nothing delivered twice: %d deliveries in the first pass, 0 in the second\n", firstDelivered)
	if code := demoDigest(ctx, env, &f, *events, stdout, stderr); code != 0 {
		return code
	}
	fmt.Fprintf(stdout, "== written under %s/: router/ (%d files: Slack request bodies, emails as .html/.txt/.headers.txt), digest/, dead-letter/ (what an operator would find and replay)\n",
		run.Dir, len(env.preview.Paths))
	if err := run.finishRun(stdout); err != nil {
		fmt.Fprintf(stderr, "ssmnotify demo: %v\n", err)
		return 1
	}
	return 0
}

// dueRenders runs the renders due now.
func dueRenders(ctx context.Context, env *invokeEnv) []*router.Report {
	due := env.renders.Due(env.clock.now())
	if len(due) == 0 {
		return nil
	}
	rep, err := env.handler.Process(ctx, thread.Event(due))
	if err != nil {
		return nil
	}
	return []*router.Report{rep}
}

// sampleFiles lists the .json files of dir and dir/bad, in order, as paths relative to dir.
func sampleFiles(dir string) ([]string, error) {
	var files []string
	for _, sub := range []string{"", "bad"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
				names = append(names, filepath.ToSlash(filepath.Join(sub, e.Name())))
			}
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	return files, nil
}

func summarize(counts map[router.Outcome]int) string {
	order := []router.Outcome{router.Delivered, router.Duplicate, router.Stale, router.Filtered, router.Silenced, router.Muted, router.NoRoute, router.BadInput, router.Permanent, router.Retryable, router.Infrastructure, router.InProgress}
	var parts []string
	for _, o := range order {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	return strings.Join(parts, ", ")
}

// demoDigest runs the digest over what the router stored, twice: a schedule that fires twice
// sends one digest per destination.
func demoDigest(ctx context.Context, env *invokeEnv, f *invokeFlags, events string, stdout, stderr io.Writer) int {
	raw, err := os.ReadFile(filepath.Join(events, "scheduled-digest.json"))
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify demo: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "== digest: scheduled-digest.json over what the router stored")
	if code := runDigest(ctx, env, f, raw, stdout, stderr); code != 0 {
		return code
	}
	fmt.Fprintln(stdout, "== digest: the same schedule firing again")
	return runDigest(ctx, env, f, raw, stdout, stderr)
}
