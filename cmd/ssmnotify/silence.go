package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
)

// runSilence is `ssmnotify silence add|query|expire|import`, shaped like amtool's silence
// commands. Exit status: 0 done, 1 the store failed, 2 bad input (nothing stored).
func runSilence(args []string, stdout, stderr io.Writer) int {
	verbs := map[string]func([]string, io.Writer, io.Writer) int{
		"add": silenceAdd, "query": silenceQuery, "expire": silenceExpire, "import": silenceImport, "update": silenceUpdate,
	}
	if len(args) == 0 || verbs[args[0]] == nil {
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
			fmt.Fprintf(stderr, "ssmnotify silence: unknown verb %q\n", args[0])
		}
		fmt.Fprint(stderr, silenceUsage)
		return 2
	}
	return verbs[args[0]](args[1:], stdout, stderr)
}

const silenceUsage = `usage:
  ssmnotify silence add MATCHER... --comment TEXT [--duration 1h | --end TIME] [--start TIME] [--author NAME]
  ssmnotify silence query [--expired] [MATCHER...]     JSON Lines, one silence per line
  ssmnotify silence expire ID...
  ssmnotify silence update ID [--comment TEXT] [--duration D | --end TIME] [MATCHER...]
                                                       new matchers: the old silence expires, a new ID is printed
  ssmnotify silence import FILE                        JSON Lines, as query prints (- reads stdin)

MATCHER is name=value, name!=value, name=~regexp or name!~regexp (anchored RE2), on
document, instance, command, account, region, status, kind, route, destination.
A bare word means document=word. Quote regexps for the shell: status=~'Failed|TimedOut'.

The store is the deployed state table by default (--store aws: $SSMNOTIFY_TABLE_NAME and the
caller's AWS credentials); --store dynamodb uses a local one at $DYNAMODB_ENDPOINT (dynalite);
--store memory keeps nothing between runs (to try the syntax). See docs/silences.md.
`

// silenceFlags are the flags every verb takes.
type silenceFlags struct {
	store *string
	now   *string
}

func newSilenceFlags(fs *flag.FlagSet) silenceFlags {
	return silenceFlags{
		store: fs.String("store", "aws", "aws (the deployed table), dynamodb (local, at $DYNAMODB_ENDPOINT) or memory"),
		now:   fs.String("now", "", "RFC 3339 time to act at (default: now)"),
	}
}

func newSilenceFlagSet(verb string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("silence "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, silenceUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// openSilenceStore opens the store the flags name.
func openSilenceStore(kind string, getenv setup.Getenv) (silence.Store, error) {
	switch kind {
	case "memory":
		return memory.New(), nil
	case "dynamodb":
		ep := getenv(appenv.DynamoDBEndpoint)
		if ep == "" {
			return nil, fmt.Errorf("--store dynamodb needs %s (for example http://127.0.0.1:8000)", appenv.DynamoDBEndpoint)
		}
		table := getenv(appenv.TableName)
		if table == "" {
			return nil, fmt.Errorf("--store dynamodb needs %s, the local table's name", appenv.TableName)
		}
		return dynamo.New(dynamo.NewClient(dynamo.LocalConfig(), ep), table), nil
	case "aws":
		if getenv(appenv.TableName) == "" {
			return nil, fmt.Errorf("%s is not set: export the deployed table's name (the stack output TableName)", appenv.TableName)
		}
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			return nil, fmt.Errorf("AWS config: %w", err)
		}
		return setup.Store(cfg, getenv)
	}
	return nil, fmt.Errorf("--store %q: want aws, dynamodb or memory", kind)
}

// flagNames maps a silence.Error's argument to the flag a user wrote.
var flagNames = map[string]string{"comment": "--comment", "author": "--author", "ends": "--end", "duration": "--duration", "matchers": "MATCHER"}

// badInput prints err, naming the flag when it is a validation error, and returns 2.
func badInput(stderr io.Writer, verb string, err error) int {
	var e *silence.Error
	if errors.As(err, &e) {
		if f, ok := flagNames[e.Arg]; ok {
			e = &silence.Error{Arg: f, Reason: e.Reason}
		}
		err = e
	}
	fmt.Fprintf(stderr, "ssmnotify silence %s: %v\n", verb, err)
	return 2
}

func silenceAdd(args []string, stdout, stderr io.Writer) int {
	fs := newSilenceFlagSet("add", stderr)
	common := newSilenceFlags(fs)
	comment := fs.String("comment", "", "why (required)")
	author := fs.String("author", "", "who (default: $USER)")
	duration := fs.String("duration", "1h", "how long, from the start: 90m, 4h, 2d, 1w (at most 90 days)")
	end := fs.String("end", "", "RFC 3339 end time, instead of --duration")
	start := fs.String("start", "", "RFC 3339 start time (default: now); a later start makes the silence pending")
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	now, err := parseNow(*common.now)
	if err != nil {
		return badInput(stderr, "add", err)
	}
	s := silence.Silence{Author: *author, Comment: *comment, Starts: now}
	if s.Author == "" {
		s.Author = defaultAuthor()
	}
	for _, a := range pos {
		m, err := silence.ParseMatcher(a)
		if err != nil {
			return badInput(stderr, "add", err)
		}
		s.Matchers = append(s.Matchers, m)
	}
	if *start != "" {
		if s.Starts, err = time.Parse(time.RFC3339, *start); err != nil {
			return badInput(stderr, "add", &silence.Error{Arg: "--start", Reason: fmt.Sprintf("%q is not an RFC 3339 time such as 2026-05-04T03:00:00Z", *start)})
		}
	}
	if *end != "" {
		if s.Ends, err = time.Parse(time.RFC3339, *end); err != nil {
			return badInput(stderr, "add", &silence.Error{Arg: "--end", Reason: fmt.Sprintf("%q is not an RFC 3339 time", *end)})
		}
	} else {
		d, err := parseSilenceDuration(*duration)
		if err != nil {
			return badInput(stderr, "add", &silence.Error{Arg: "--duration", Reason: err.Error()})
		}
		s.Ends = s.Starts.Add(d)
	}
	if err := s.Validate(); err != nil {
		return badInput(stderr, "add", err)
	}
	if !s.Ends.After(now) {
		return badInput(stderr, "add", &silence.Error{Arg: "--end", Reason: "the silence would end before now (" + now.UTC().Format(time.RFC3339) + ")"})
	}
	st, err := openSilenceStore(*common.store, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence add: %v\n", err)
		return 1
	}
	got, err := st.Add(context.Background(), s, now)
	if errors.Is(err, silence.ErrInvalid) {
		return badInput(stderr, "add", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence add: %v\n", err)
		return 1
	}
	announce(stderr, "silence created", got)
	fmt.Fprintln(stdout, got.ID)
	return 0
}

// announce writes the decision line of a silence's creation or expiry (stderr: stdout carries
// the IDs). The CLI holds no Slack credentials: the router posts the news to the config's
// silence_channel when it next reads the silences (see docs/silences.md).
func announce(stderr io.Writer, msg string, s silence.Silence) {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	log.Info(msg, "silence_id", s.ID, "author", s.Author, "comment", s.Comment, "matchers", s.Matchers.String(),
		"starts", s.Starts.UTC().Format(time.RFC3339), "ends", s.Ends.UTC().Format(time.RFC3339), "summary", s.Summary())
}

func defaultAuthor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

var dayWeek = regexp.MustCompile(`^(\d+)([dw])(.*)$`)

// parseSilenceDuration reads a Go duration, also accepting days and weeks in front (2d, 1w,
// 1d12h) as amtool does.
func parseSilenceDuration(s string) (time.Duration, error) {
	var d time.Duration
	rest := strings.TrimSpace(s)
	if m := dayWeek.FindStringSubmatch(rest); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		d, rest = time.Duration(n)*unit, m[3]
	}
	if rest != "" {
		x, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 90m, 4h, 2d or 1w", s)
		}
		d += x
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: a silence must last a while", s)
	}
	if d > silence.MaxDuration {
		return 0, fmt.Errorf("%s is over the limit of 90 days; a longer quiet period belongs in the reviewed config", s)
	}
	return d, nil
}

// silenceConfig loads the config named by --config (the built-in one by default).
func silenceConfig(file, verb string, stderr io.Writer) (*rules.Set, int) {
	if file == "" {
		return rules.Default(), 0
	}
	set, err := loadConfig(file)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence %s: %v\n", verb, err)
		return nil, 2
	}
	return set, 0
}

// queryLine is one line of `silence query`: the silence as Alertmanager's API prints it, its
// state, and, for a config silence, its match block (config globs are not matchers).
type queryLine struct {
	silence.Silence
	Status struct {
		State silence.State `json:"state"`
	} `json:"status"`
	ConfigMatch []string `json:"configMatch,omitempty"`
}

func silenceQuery(args []string, stdout, stderr io.Writer) int {
	fs := newSilenceFlagSet("query", stderr)
	common := newSilenceFlags(fs)
	expired := fs.Bool("expired", false, "show expired silences (kept 5 days) instead of active and pending ones")
	configFile := fs.String("config", "", "routing config whose silences to show, read-only (default: the built-in config)")
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	now, err := parseNow(*common.now)
	if err != nil {
		return badInput(stderr, "query", err)
	}
	var filters []silence.Matcher
	for _, a := range pos {
		m, err := silence.ParseMatcher(a)
		if err != nil {
			return badInput(stderr, "query", err)
		}
		filters = append(filters, m)
	}
	set, code := silenceConfig(*configFile, "query", stderr)
	if code != 0 {
		return code
	}
	st, err := openSilenceStore(*common.store, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence query: %v\n", err)
		return 1
	}
	list, err := st.Silences(context.Background(), now)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence query: %v\n", err)
		return 1
	}
	lines := make([]queryLine, 0, len(list))
	for _, s := range list {
		lines = append(lines, queryLine{Silence: s})
	}
	for _, cs := range set.Silences() {
		lines = append(lines, configSilence(cs))
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		l.Status.State = l.StateAt(now)
		if (l.Status.State == silence.Expired) != *expired || !selects(filters, l) {
			continue
		}
		if err := enc.Encode(l); err != nil {
			fmt.Fprintf(stderr, "ssmnotify silence query: %v\n", err)
			return 1
		}
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return 0
}

// configSilence shows a config silence in query's form, read-only.
func configSilence(cs *rules.Silence) queryLine {
	l := queryLine{Silence: silence.Silence{
		ID: "config:" + cs.Name, Starts: cs.Starts, Ends: cs.Until, Author: "config", Comment: cs.Reason,
		Source: silence.SourceConfig, Matchers: silence.Matchers{},
	}}
	l.ConfigMatch = cs.MatchText()
	return l
}

// selects reports whether every filter selects the silence: a filter on a field selects a
// silence that has a matcher on that field whose value the filter matches (amtool's query
// filters the same way, by the silences' matchers).
func selects(filters []silence.Matcher, l queryLine) bool {
	for _, f := range filters {
		found := false
		for _, m := range l.Matchers {
			if m.Name == f.Name && f.Matches(m.Value) {
				found = true
				break
			}
		}
		for _, text := range l.ConfigMatch {
			name, value, _ := strings.Cut(text, ": ")
			if silence.Field(name) == f.Name {
				for v := range strings.SplitSeq(value, ", ") {
					found = found || f.Matches(v)
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func silenceExpire(args []string, stdout, stderr io.Writer) int {
	fs := newSilenceFlagSet("expire", stderr)
	common := newSilenceFlags(fs)
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "ssmnotify silence expire: name at least one silence ID (see silence query)")
		return 2
	}
	now, err := parseNow(*common.now)
	if err != nil {
		return badInput(stderr, "expire", err)
	}
	st, err := openSilenceStore(*common.store, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence expire: %v\n", err)
		return 1
	}
	status := 0
	for _, id := range pos {
		if strings.HasPrefix(id, "config:") {
			fmt.Fprintf(stderr, "ssmnotify silence expire: %s: %v; remove it from the config file and deploy\n", id, silence.ErrReadOnly)
			status = max(status, 2)
			continue
		}
		s, err := st.Expire(context.Background(), id, now)
		switch {
		case errors.Is(err, silence.ErrNotFound):
			fmt.Fprintf(stderr, "ssmnotify silence expire: %s: no such silence (or expired more than 5 days ago)\n", id)
			status = max(status, 2)
		case err != nil:
			fmt.Fprintf(stderr, "ssmnotify silence expire: %s: %v\n", id, err)
			status = 1
		default:
			announce(stderr, "silence expired", s)
		}
	}
	return status
}

func silenceImport(args []string, stdout, stderr io.Writer) int {
	fs := newSilenceFlagSet("import", stderr)
	common := newSilenceFlags(fs)
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ssmnotify silence import: name one file of JSON Lines, as silence query prints (- reads stdin)")
		return 2
	}
	now, err := parseNow(*common.now)
	if err != nil {
		return badInput(stderr, "import", err)
	}
	raw, err := readInput(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence import: %v\n", err)
		return 2
	}
	// Every line is checked before anything is stored: a file is imported whole or not at all.
	var todo []silence.Silence
	var problems []string
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var s silence.Silence
		if err := json.Unmarshal(line, &s); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", pos[0], i+1, err))
			continue
		}
		switch {
		case s.ReadOnly():
			fmt.Fprintf(stderr, "%s:%d: %s comes from the config; skipped\n", pos[0], i+1, s.ID)
			continue
		case !s.Ends.After(now):
			fmt.Fprintf(stderr, "%s:%d: %s has already ended; skipped\n", pos[0], i+1, s.ID)
			continue
		}
		if err := s.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", pos[0], i+1, err))
			continue
		}
		todo = append(todo, s)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "ssmnotify silence import: nothing imported:\n  %s\n", strings.Join(problems, "\n  "))
		return 2
	}
	st, err := openSilenceStore(*common.store, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence import: %v\n", err)
		return 1
	}
	for _, s := range todo {
		got, err := st.Add(context.Background(), s, now)
		if err != nil {
			fmt.Fprintf(stderr, "ssmnotify silence import: %s: %v\n", s.ID, err)
			return 1
		}
		announce(stderr, "silence created", got)
		fmt.Fprintln(stdout, got.ID)
	}
	return 0
}

// fixedSilences is a list of silences read from a file: what `invoke --silences` gives the
// router. It never changes, and records nothing.
type fixedSilences []silence.Silence

func (f fixedSilences) Silences(context.Context, time.Time) ([]silence.Silence, error) {
	return f, nil
}

func (fixedSilences) MarkMatched(context.Context, string, time.Time) error { return nil }

func silenceUpdate(args []string, stdout, stderr io.Writer) int {
	fs := newSilenceFlagSet("update", stderr)
	common := newSilenceFlags(fs)
	comment := fs.String("comment", "", "new comment")
	duration := fs.String("duration", "", "new length, from the silence's start (at most 90 days)")
	end := fs.String("end", "", "new RFC 3339 end time")
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "ssmnotify silence update: name the silence ID (see silence query)")
		return 2
	}
	now, err := parseNow(*common.now)
	if err != nil {
		return badInput(stderr, "update", err)
	}
	var matchers silence.Matchers
	for _, a := range pos[1:] {
		m, err := silence.ParseMatcher(a)
		if err != nil {
			return badInput(stderr, "update", err)
		}
		matchers = append(matchers, m)
	}
	if strings.HasPrefix(pos[0], "config:") {
		fmt.Fprintf(stderr, "ssmnotify silence update: %s: %v; change it in the config file and deploy\n", pos[0], silence.ErrReadOnly)
		return 2
	}
	st, err := openSilenceStore(*common.store, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence update: %v\n", err)
		return 1
	}
	list, err := st.Silences(context.Background(), now)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence update: %v\n", err)
		return 1
	}
	var s *silence.Silence
	for i := range list {
		if list[i].ID == pos[0] {
			s = &list[i]
		}
	}
	if s == nil {
		fmt.Fprintf(stderr, "ssmnotify silence update: %s: no such silence (or expired more than 5 days ago)\n", pos[0])
		return 2
	}
	old := *s
	if len(matchers) > 0 {
		s.Matchers = matchers
	}
	if *comment != "" {
		s.Comment = *comment
	}
	switch {
	case *end != "" && *duration != "":
		return badInput(stderr, "update", &silence.Error{Arg: "--end", Reason: "give --end or --duration, not both"})
	case *end != "":
		if s.Ends, err = time.Parse(time.RFC3339, *end); err != nil {
			return badInput(stderr, "update", &silence.Error{Arg: "--end", Reason: fmt.Sprintf("%q is not an RFC 3339 time", *end)})
		}
	case *duration != "":
		d, err := parseSilenceDuration(*duration)
		if err != nil {
			return badInput(stderr, "update", &silence.Error{Arg: "--duration", Reason: err.Error()})
		}
		s.Ends = s.Starts.Add(d)
	}
	if len(matchers) > 0 && s.Starts.Before(now) {
		s.Starts = now // the new silence starts now; the old one covered until now
	}
	if !s.Ends.After(now) {
		return badInput(stderr, "update", &silence.Error{Arg: "--end", Reason: "the silence would end before now (" + now.UTC().Format(time.RFC3339) + "); use expire"})
	}
	got, err := st.Edit(context.Background(), *s, now)
	if errors.Is(err, silence.ErrInvalid) {
		return badInput(stderr, "update", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify silence update: %v\n", err)
		return 1
	}
	if got.ID != pos[0] {
		old.Ends = now
		announce(stderr, "silence expired", old)
		announce(stderr, "silence created", got)
	}
	fmt.Fprintln(stdout, got.ID)
	return 0
}
