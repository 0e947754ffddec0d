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
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// replayUsage is the command line of `ssmnotify replay`.
const replayUsage = "usage: ssmnotify replay TIMELINE.jsonl [--config FILE] [--store memory|dynamodb] [--out DIR] [--force] [--silences FILE] [--digest-at TIME]"

// timelineLine is one line of a timeline: a Lambda event and when it reaches the router.
type timelineLine struct {
	line  int
	at    time.Time
	event json.RawMessage
}

// runReplay replays a timeline of Lambda events through the real router handler on a simulated
// clock: the same handler, render queue and digest as Lambda, with every external call written
// to a numbered file instead of being made.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "routing config file (default: the embedded config/ssmnotify.yaml)")
	storeKind := fs.String("store", "memory", "state store: memory, or dynamodb ($"+appenv.TableName+" at $"+appenv.DynamoDBEndpoint+"; the table is created on a loopback endpoint)")
	out := fs.String("out", "out", "each run writes one file per external call to a new folder DIR/replay-<time>/ (DIR/latest points at it)")
	force := fs.Bool("force", false, "use --out even if it is a non-empty folder that holds no earlier runs")
	silences := fs.String("silences", "", "apply these ad-hoc silences (JSON Lines, as `silence query` prints) instead of the store's")
	digestAt := fs.String("digest-at", "", "then run the digest handler at this RFC 3339 time over the same store")
	verbose := fs.Bool("v", false, "print the handler's JSON log lines on stderr")
	pos, ok := parseInterspersed(fs, args)
	if !ok || len(pos) != 1 {
		fmt.Fprintln(stderr, replayUsage)
		return 2
	}
	set := rules.Default()
	if *cfgPath != "" {
		var err error
		if set, err = rules.Load(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
			return 2
		}
	}
	var digestTime time.Time
	if *digestAt != "" {
		t, err := time.Parse(time.RFC3339, *digestAt)
		if err != nil {
			fmt.Fprintf(stderr, "ssmnotify replay: --digest-at: %v\n", err)
			return 2
		}
		digestTime = t
	}
	raw, err := readInput(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
		return 2
	}
	lines, problems := parseTimeline(raw)
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s:%s\n", pos[0], p)
	}
	outGiven := false
	fs.Visit(func(f *flag.Flag) { outGiven = outGiven || f.Name == "out" })
	if err := replayOutParent(*out, outGiven, *force); err != nil {
		fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
		return 2
	}

	ctx := context.Background()
	clk := &simClock{}
	if len(lines) > 0 {
		clk.t = lines[0].at
	} else if !digestTime.IsZero() {
		clk.t = digestTime
	}
	var counter *itemCounter
	var store state.Store
	switch *storeKind {
	case "memory":
		store = memory.New()
	case "dynamodb":
		s, c, err := replayDynamo(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
			return 2
		}
		store, counter = s, c
	default:
		fmt.Fprintf(stderr, "ssmnotify replay: --store %q: want memory or dynamodb\n", *storeKind)
		return 2
	}
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	rec := &recorder{}
	queue := &thread.Memory{}
	h := &router.Handler{
		Rules: set, Store: store, Deliver: rec, Park: rec, Now: clk.now, Logger: log,
		Threads: &thread.Threads{Store: store, Schedule: queue, Now: clk.now, Token: "replay",
			Slack: func(context.Context) (thread.Poster, error) { return rec, nil }},
		Emails: &thread.Emails{Store: store, Schedule: queue, Now: clk.now, Token: "replay", Send: rec.email},
	}
	// What Lambda has beyond the bare handler: ad-hoc silences and enrichment.
	if err := wireSilences(h, *silences); err != nil {
		fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
		return 2
	}
	rec.enricher = wireEnrichment(ctx, setup.Getenv(os.Getenv), set, h.Threads, h.Emails)
	run, err := startRun(*out, "replay", time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
		return 1
	}
	rec.dir = run.Dir
	r := &replayer{h: h, queue: queue, clk: clk, stdout: stdout, seen: map[*payload.Notification]bool{}}
	for _, l := range lines {
		r.until(ctx, l.at)
		clk.set(l.at)
		rep, err := h.Process(ctx, l.event)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%d: %v\n", pos[0], l.line, err)
			problems = append(problems, "")
			continue
		}
		r.report(l.at, rep)
	}
	r.until(ctx, time.Time{}) // everything still scheduled, as SQS would deliver it

	sum := replaySummary{Notifications: r.notifications, Slack: map[string]int{"chat.postMessage": rec.posts, "chat.update": rec.updates},
		Webhooks: rec.webhooks, Emails: rec.emails, Parked: rec.parked}
	if !digestTime.IsZero() {
		clk.set(digestTime)
		d, err := replayDigest(ctx, set, store, rec, clk, log, digestTime, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "ssmnotify replay: digest: %v\n", err)
			problems = append(problems, "")
		}
		sum.Digest = d
	}
	if counter != nil {
		sum.DynamoDB = &dynamoCounts{Requests: counter.requests, ItemsRead: counter.items}
	}
	if err := run.finishRun(stdout); err != nil {
		fmt.Fprintf(stderr, "ssmnotify replay: %v\n", err)
		problems = append(problems, "")
	}
	line, _ := json.Marshal(sum)
	fmt.Fprintln(stdout, string(line)) // the last line, for scripts
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// parseTimeline reads JSON Lines of {"at": RFC 3339, "event": {...}} and returns them sorted by
// at (stable: lines with the same time keep their order), with one problem per bad line.
func parseTimeline(raw []byte) ([]timelineLine, []string) {
	var lines []timelineLine
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var l struct {
			At    *string         `json:"at"`
			Event json.RawMessage `json:"event"`
		}
		switch err := json.Unmarshal(text, &l); {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%d: not a JSON object: %v", n, err))
			continue
		case l.At == nil:
			problems = append(problems, fmt.Sprintf("%d: no \"at\" time", n))
			continue
		case len(l.Event) == 0 || string(l.Event) == "null":
			problems = append(problems, fmt.Sprintf("%d: no \"event\"", n))
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, *l.At)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%d: \"at\" is not an RFC 3339 time: %q", n, *l.At))
			continue
		}
		lines = append(lines, timelineLine{line: n, at: at, event: append(json.RawMessage(nil), l.Event...)})
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("read: %v", err))
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	return lines, problems
}

// replayOutParent checks the folder that receives the run folders. A new run never writes into
// another's folder, so the only thing to guard is an --out given by hand that names a non-empty
// folder holding no earlier runs (no "latest" link): most likely the wrong folder, refused unless
// --force.
func replayOutParent(dir string, given, force bool) error {
	if !given || force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out: %w", err)
	case len(entries) == 0:
		return nil
	}
	if fi, err := os.Lstat(filepath.Join(dir, "latest")); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil
	}
	return fmt.Errorf("--out %s is not empty and holds no earlier runs (no latest link); use --force to write a run folder into it anyway", dir)
}

// simClock is the replay's clock: it moves only when the replay moves it.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// set moves the clock to t, never backwards.
func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// replayer runs what the render queue holds when it falls due, and prints what happened.
type replayer struct {
	h             *router.Handler
	queue         *thread.Memory
	clk           *simClock
	stdout        io.Writer
	notifications int
	seen          map[*payload.Notification]bool
}

// maxQueueRounds bounds the render queue's drain: every render makes at most one Slack call and
// reschedules only while there is more to show, so this is never reached unless something loops.
const maxQueueRounds = 100000

// until delivers every scheduled render due before t (all of them when t is zero), moving the
// clock to each one's due time, as the render queue (SQS with DelaySeconds) would.
func (r *replayer) until(ctx context.Context, t time.Time) {
	for range maxQueueRounds {
		next, ok := r.queue.Next()
		if !ok || !t.IsZero() && !next.Before(t) {
			return
		}
		r.clk.set(next)
		due := r.queue.Due(r.clk.now())
		if len(due) == 0 {
			continue
		}
		rep, err := r.h.Process(ctx, thread.Event(due))
		if err == nil {
			r.report(r.clk.now(), rep)
		}
	}
	fmt.Fprintf(r.stdout, "the render queue did not empty after %d rounds\n", maxQueueRounds)
}

func (r *replayer) report(at time.Time, rep *router.Report) {
	for _, res := range rep.Results {
		if n := res.Notification; n != nil && !r.seen[n] {
			r.seen[n] = true
			r.notifications++
		}
	}
	var b strings.Builder
	printReport(&b, "", rep)
	for line := range strings.Lines(b.String()) {
		fmt.Fprintf(r.stdout, "%s  %s", at.UTC().Format("15:04:05.000"), line)
	}
	if retry := rep.Retry(); len(retry) > 0 {
		fmt.Fprintf(r.stdout, "%s  → Lambda would retry %d deliveries\n", at.UTC().Format("15:04:05.000"), len(retry))
	}
}

// replaySummary is the last line replay prints.
type replaySummary struct {
	Notifications int            `json:"notifications"`
	Slack         map[string]int `json:"slack"`
	Webhooks      int            `json:"webhooks"`
	Emails        int            `json:"emails"`
	Parked        int            `json:"parked"`
	Digest        *digestCounts  `json:"digest,omitempty"`
	DynamoDB      *dynamoCounts  `json:"dynamodb,omitempty"`
}

type digestCounts struct {
	FailedCommands  int `json:"failedCommands"`
	FailedInstances int `json:"failedInstances"`
}

type dynamoCounts struct {
	Requests  int `json:"requests"`
	ItemsRead int `json:"itemsRead"`
}

// replayDigest runs the real digest handler at t over store, its digests written by rec.
func replayDigest(ctx context.Context, set *rules.Set, store state.Store, rec *recorder, clk *simClock, log *slog.Logger, t time.Time, stdout io.Writer) (*digestCounts, error) {
	ev, _ := json.Marshal(map[string]any{"version": "0", "id": "replay-digest", "detail-type": "Scheduled Event", "source": "aws.events",
		"time": t.UTC().Format(time.RFC3339), "resources": []string{"arn:aws:events:us-east-1:000000000000:rule/ssmnotify-digest"}, "detail": map[string]any{}})
	h := &digest.Handler{Rules: set, Store: store, Now: clk.now, Logger: log, Send: &digest.Delivery{Transport: rec}}
	rep, err := h.Run(ctx, ev)
	if err != nil {
		return nil, err
	}
	d := &digestCounts{}
	if s := rep.Summary; s != nil {
		d.FailedCommands, d.FailedInstances = s.FailedCommands, s.FailedInstances
	}
	fmt.Fprintf(stdout, "%s  digest of %s: %d failed command(s), %d failed instance(s)\n", t.UTC().Format(time.RFC3339), rep.Window, d.FailedCommands, d.FailedInstances)
	for _, r := range rep.Results {
		fmt.Fprintf(stdout, "%s    → %s (%s): %s %s\n", t.UTC().Format(time.RFC3339), r.Destination, r.Type, r.Outcome, r.Reason)
	}
	return d, nil
}

// recorder stands in for every external call of the router and the digest: Slack Web API calls,
// webhooks, emails and parked records each become a file, numbered in call order.
type recorder struct {
	dir string
	// enricher adds what enrichment learns to failure alerts, as the Lambda's deliverer does.
	enricher *enrich.Enricher

	mu                                            sync.Mutex
	seq, ts                                       int
	posts, updates, webhooks, emails, parked, dig int
}

var (
	_ router.Deliverer  = (*recorder)(nil)
	_ router.Parker     = (*recorder)(nil)
	_ thread.Poster     = (*recorder)(nil)
	_ deliver.Transport = (*recorder)(nil)
)

// write writes one call's files under the next number: NNNN-<name><ext> for each ext.
func (r *recorder) write(name string, files map[string][]byte) error {
	r.seq++
	for ext, data := range files {
		p := filepath.Join(r.dir, fmt.Sprintf("%04d-%s%s", r.seq, name, ext))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}

func jsonFile(v any) []byte {
	b, _ := json.MarshalIndent(v, "", "  ")
	return append(b, '\n')
}

// Deliver sends a per-notification delivery (webhooks, group: none email) along the one
// delivery path, to this recorder as its transport.
func (r *recorder) Deliver(ctx context.Context, d rules.Delivery, n *payload.Notification) error {
	opt := deliver.Options(n, d.Destination)
	opt.Detail = r.enricher.Enrich(ctx, n, d.Enrich) // nil-safe
	return deliver.Send(ctx, r, d.Destination, deliver.Alert(n, d.Destination, opt))
}

// isDigest reports whether a message's name is a digest's (the digest's own messages are named
// "digest", "<destination>").
func isDigest(name []string) bool { return len(name) > 0 && name[0] == "digest" }

// PostMessage writes a chat.postMessage body (a digest, or a bot post outside a thread).
func (r *recorder) PostMessage(_ context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	file := safeName(dest.Slack.Channel) + "-chat.postMessage"
	if isDigest(name) {
		r.dig++
		file = "digest-" + safeName(dest.Name)
	} else {
		r.posts++
	}
	return r.fail(r.write(file, map[string][]byte{".slack.json": jsonFile(render.PostMessageRequest{Channel: dest.Slack.Channel, SlackMessage: msg})}))
}

// PostWebhook writes an incoming-webhook body.
func (r *recorder) PostWebhook(_ context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	file := safeName(dest.Name) + "-webhook"
	if isDigest(name) {
		r.dig++
		file = "digest-" + file
	} else {
		r.webhooks++
	}
	return r.fail(r.write(file, map[string][]byte{".slack.json": jsonFile(msg.Webhook())}))
}

// SendEmail writes an email's HTML, text and headers.
func (r *recorder) SendEmail(_ context.Context, dest *rules.Destination, name []string, mail render.EmailMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	file := safeName(dest.Name)
	if isDigest(name) {
		r.dig++
		file = "digest-" + file
	} else {
		r.emails++
	}
	return r.fail(r.write(file, map[string][]byte{".email.html": []byte(mail.HTML), ".email.txt": []byte(mail.Text),
		".email.headers.txt": []byte(emailHeaders(dest.Email, mail.Subject))}))
}

// email sends one command-outcome email (thread.Emails).
func (r *recorder) email(ctx context.Context, dest *rules.Destination, mail render.EmailMessage) error {
	return r.SendEmail(ctx, dest, []string{dest.Name, "command"}, mail)
}

func (r *recorder) fail(err error) error {
	if err != nil {
		return notify.Permanent("replay", err)
	}
	return nil
}

// emailHeaders is what an email's headers would say.
func emailHeaders(e *rules.EmailDestination, subject string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: %s\n", e.From, strings.Join(e.To, ", "))
	if len(e.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\n", strings.Join(e.Cc, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\n", subject)
	return b.String()
}

// Post writes a chat.postMessage of a command's evolving message and answers a made-up ts.
func (r *recorder) Post(_ context.Context, channel string, msg render.SlackMessage, o slack.PostOptions) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	body := render.PostMessageRequest{Channel: channel, SlackMessage: msg, ThreadTS: o.ThreadTS, ReplyBroadcast: o.Broadcast}
	if err := r.write(safeName(channel)+"-chat.postMessage", map[string][]byte{".slack.json": jsonFile(body)}); err != nil {
		return "", notify.Permanent("replay", err)
	}
	r.ts++
	return fmt.Sprintf("1777888800.%06d", r.ts), nil
}

// Update writes a chat.update of a command's evolving message.
func (r *recorder) Update(_ context.Context, channel, ts string, msg render.SlackMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates++
	body := struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		render.SlackMessage
	}{channel, ts, msg}
	if err := r.write(safeName(channel)+"-chat.update", map[string][]byte{".slack.json": jsonFile(body)}); err != nil {
		return notify.Permanent("replay", err)
	}
	return nil
}

// Park writes a parked record, as the dead-letter queue would keep it.
func (r *recorder) Park(_ context.Context, p router.Parked) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parked++
	return r.write("parked-"+safeName(p.Code), map[string][]byte{".json": jsonFile(p)})
}

// safeName is a file-name part without Slack's channel and user sigils ("#ops-alerts" →
// "ops-alerts").
func safeName(s string) string { return preview.FileSafe(strings.TrimLeft(s, "#@")) }

// replayDynamo is the DynamoDB store named by the environment, its requests and the items they
// read counted. On a loopback endpoint (dynalite, DynamoDB Local) a missing table is created.
func replayDynamo(ctx context.Context) (state.Store, *itemCounter, error) {
	endpoint, table := os.Getenv(appenv.DynamoDBEndpoint), os.Getenv(appenv.TableName)
	if table == "" {
		return nil, nil, fmt.Errorf("--store dynamodb: %s is not set", appenv.TableName)
	}
	local := isLoopback(endpoint)
	cfg := dynamo.LocalConfig()
	if !local {
		c, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("AWS config: %w", err)
		}
		cfg = c
	}
	client := dynamo.NewClient(cfg, endpoint)
	if local {
		_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		var missing *types.ResourceNotFoundException
		switch {
		case errors.As(err, &missing):
			if err := dynamo.CreateTable(ctx, client, table); err != nil {
				return nil, nil, err
			}
		case err != nil:
			return nil, nil, fmt.Errorf("describe table %s at %s: %w", table, endpoint, err)
		}
	}
	c := &itemCounter{API: client}
	return dynamo.New(c, table), c, nil
}

// isLoopback reports whether endpoint is a URL on this machine.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// itemCounter counts every request the store makes and the items those requests read.
type itemCounter struct {
	dynamo.API
	mu              sync.Mutex
	requests, items int
}

func (c *itemCounter) add(items int) {
	c.mu.Lock()
	c.requests++
	c.items += items
	c.mu.Unlock()
}

func (c *itemCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.API.GetItem(ctx, in, opts...)
	n := 0
	if err == nil && out.Item != nil {
		n = 1
	}
	c.add(n)
	return out, err
}

func (c *itemCounter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := c.API.PutItem(ctx, in, opts...)
	c.add(readBack(err == nil && out.Attributes != nil))
	return out, err
}

func (c *itemCounter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := c.API.UpdateItem(ctx, in, opts...)
	c.add(readBack(err == nil && out.Attributes != nil))
	return out, err
}

// readBack counts the item a write returned (ReturnValues) as one read.
func readBack(returned bool) int {
	if returned {
		return 1
	}
	return 0
}

func (c *itemCounter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add(0)
	return c.API.DeleteItem(ctx, in, opts...)
}

func (c *itemCounter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.API.Query(ctx, in, opts...)
	n := 0
	if err == nil {
		n = int(out.ScannedCount)
	}
	c.add(n)
	return out, err
}
