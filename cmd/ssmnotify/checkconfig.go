package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// runCheckConfig validates config files with the same code the Lambda init and cdk synth use.
// For each file it prints "FILE: OK (summary)" and any warnings, or every problem as
// "FILE:LINE: message". Exit status 1 if any file has a problem.
func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nowFlag := fs.String("now", "", "RFC 3339 time at which to judge silences expired (default: now)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify check-config [--now TIME] FILE...   (- reads stdin)")
		fs.PrintDefaults()
	}
	files, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify check-config: %v\n", err)
		return 2
	}
	status := 0
	for _, file := range files {
		if !checkOne(file, now, stdout, stderr) {
			status = 1
		}
	}
	return status
}

func checkOne(file string, now time.Time, stdout, stderr io.Writer) bool {
	set, err := loadConfig(file)
	var ce *rules.ConfigError
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			fmt.Fprintln(stdout, p)
		}
		fmt.Fprintf(stdout, "%s: %s\n", file, plural(len(ce.Problems), "problem"))
		return false
	case err != nil:
		fmt.Fprintf(stderr, "ssmnotify check-config: %v\n", err)
		return false
	}
	fmt.Fprintf(stdout, "%s: OK (%s)\n", file, describe(set))
	for _, w := range set.Warnings() {
		w.Message = "warning: " + w.Message
		fmt.Fprintln(stdout, w)
	}
	for _, s := range set.Silences() {
		if !now.Before(s.Until) {
			fmt.Fprintln(stdout, rules.Problem{File: set.File(), Line: s.Line, Message: fmt.Sprintf(
				"warning: silence %q expired at %s and no longer applies; delete it", s.Name, s.Until.UTC().Format(time.RFC3339))})
		}
	}
	return true
}

// loadConfig reads a config file, or standard input for "-".
func loadConfig(file string) (*rules.Set, error) {
	if file == "-" {
		data, err := readInput(file)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return rules.Parse(data, "<stdin>")
	}
	return rules.Load(file)
}

// describe summarises a valid config in one line.
func describe(s *rules.Set) string {
	var slack, email int
	for _, d := range s.Destinations() {
		switch d.Type {
		case rules.DestinationSlack:
			slack++
		case rules.DestinationEmail:
			email++
		}
	}
	parts := []string{
		plural(len(s.Routes()), "route"),
		fmt.Sprintf("%s (%d slack, %d email)", plural(len(s.Destinations()), "destination"), slack, email),
		plural(len(s.Silences()), "silence"),
		plural(len(s.MuteWindows()), "mute window"),
	}
	if dg := s.Digest(); dg != nil {
		parts = append(parts, fmt.Sprintf("digest %s %s, window %s, to %s",
			dg.Schedule, dg.TimeZone, shortDuration(dg.Window), strings.Join(names(dg.Destinations), ", ")))
	} else {
		parts = append(parts, "no digest")
	}
	return strings.Join(parts, ", ")
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func names(ds []*rules.Destination) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// parseNow reads --now, defaulting to the current time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-05-04T12:00:00Z", s)
	}
	return t, nil
}

// parseInterspersed parses flags that may come before or after the positional arguments
// ("route EVENT --config FILE" as well as "route --config FILE EVENT"), which the flag package
// alone does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, true
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
