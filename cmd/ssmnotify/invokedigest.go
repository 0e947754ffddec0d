package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/preview"
)

// runInvokeDigest runs the real digest handler in-process on a scheduled event: with a fresh
// in-process store (which holds no failures) or the DynamoDB table, previewing or sending.
func runInvokeDigest(f *invokeFlags, stdout, stderr io.Writer) int {
	env, err := newInvokeEnv(f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke digest: %v\n", err)
		return 2
	}
	raw, err := readInput(f.event)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke digest: %v\n", err)
		return 1
	}
	return runDigest(context.Background(), env, f, raw, stdout, stderr)
}

// runDigest runs the digest over env's store and prints one line per destination.
func runDigest(ctx context.Context, env *invokeEnv, f *invokeFlags, raw []byte, stdout, stderr io.Writer) int {
	h := &digest.Handler{Rules: env.handler.Rules, Store: env.handler.Store, Now: env.clock.now, Logger: env.handler.Logger}
	var prev *deliver.Preview
	switch f.deliverMode {
	case "preview":
		prev = &deliver.Preview{Writer: preview.Appending(filepath.Join(f.out, "digest"))}
		h.Send = &digest.Delivery{Transport: prev}
	default:
		live, ok := env.handler.Deliver.(*deliver.Live)
		if !ok {
			fmt.Fprintln(stderr, "ssmnotify invoke digest: live delivery is not available here")
			return 2
		}
		h.Send = &digest.Delivery{Transport: live}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	rep, err := h.Run(ctx, raw)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify invoke digest: %v\n", err)
		return 1
	}
	total := 0
	if rep.Summary != nil {
		total = rep.Summary.Total
	}
	fmt.Fprintf(stdout, "digest of %s: %d failures (read %d failure index entries, this window and the one before)\n", rep.Window, total, rep.Read.Scanned+rep.ReadPrevious.Scanned)
	for _, r := range rep.Results {
		fmt.Fprintf(stdout, "  → %s (%s): %s", r.Destination, r.Type, r.Outcome)
		if r.Reason != "" {
			fmt.Fprintf(stdout, ": %s", r.Reason)
		}
		fmt.Fprintln(stdout)
	}
	if prev != nil && len(prev.Paths) > 0 {
		fmt.Fprintf(stdout, "  written: %s\n", filepath.Join(f.out, "digest")+string(os.PathSeparator))
	}
	if len(rep.Retry()) > 0 {
		return 1
	}
	return 0
}
