package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// countingSilences counts the router's reads of the silence store.
type countingSilences struct {
	silence.Store
	reads atomic.Int64
}

func (c *countingSilences) Silences(ctx context.Context, now time.Time) ([]silence.Silence, error) {
	c.reads.Add(1)
	return c.Store.Silences(ctx, now)
}

const silenceConfig = `
destinations:
  - name: ops-slack
    slack: {channel: "#ops", mode: webhook}
  - name: platform-email
    email: {to: [platform@example.com], from: ssmnotify@example.com}
routes:
  - name: failures
    notify_on: [Failed, TimedOut]
    to: [ops-slack, platform-email]
`

// failure is one invocation failure as an SQS-buffered SNS notification.
func failure(doc, instance string, at time.Time) []byte {
	return sqsBatches([]string{snsEnvelope("m-"+instance, map[string]any{
		"commandId": "c0ffee00-1111-4222-8333-944455556666", "documentName": doc, "instanceId": instance,
		"requestedDateTime": at.Add(-time.Minute).Format(time.RFC3339Nano), "status": "Failed", "eventTime": at.Format(time.RFC3339Nano),
	})}, 1)[0]
}

func mustSilence(t *testing.T, st silence.Store, starts time.Time, d time.Duration, now time.Time, matchers ...string) silence.Silence {
	t.Helper()
	s := statetest.NewSilence(t, d, matchers...)
	s.Starts, s.Ends = starts, starts.Add(d)
	got, err := st.Add(t.Context(), s, now)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSilenceAgainstDynamoDB is the walk-through against dynalite: a new silence holds
// back matching failures once the router's copy is refreshed (within 30 s), not others; a pending
// one only from its start; an expired one no more.
func TestSilenceAgainstDynamoDB(t *testing.T) {
	l := dynamotest.Start(t)
	store, _ := l.NewStore(t)
	set, err := rules.Parse([]byte(silenceConfig), "silence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	t0 := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	clk.ns.Store(t0.UnixNano())
	sil := &countingSilences{Store: store}
	logs := &bytes.Buffer{}
	dl := &fakeDeliverer{}
	h := &router.Handler{Rules: set, Store: store, Deliver: dl, Park: &deadletter.Memory{}, Now: clk.now, Silences: sil,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	route := func(ev []byte) []string {
		t.Helper()
		rep, err := h.Process(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return outcomes(rep)
	}
	at := func(d time.Duration) time.Time { clk.ns.Store(t0.Add(d).UnixNano()); return t0.Add(d) }
	both := func(o string) []string { return []string{"ops-slack:" + o, "platform-email:" + o} }

	if got := route(failure("AWS-RunPatchBaseline", "i-01", at(0))); !equal(got, both("delivered")) {
		t.Fatalf("before any silence: %v", got)
	}
	patch := mustSilence(t, store, at(time.Second), 4*time.Hour, at(time.Second), "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	// Within the router's 30 s the silence may not be seen yet; by 30 s it is.
	route(failure("AWS-RunPatchBaseline", "i-02", at(10*time.Second)))
	if got := route(failure("AWS-RunPatchBaseline", "i-03", at(31*time.Second))); !equal(got, both("silenced")) {
		t.Fatalf("30 s after the silence: %v", got)
	}
	if got := route(failure("AWS-RunShellScript", "i-04", at(32*time.Second))); !equal(got, both("delivered")) {
		t.Fatalf("another document: %v", got)
	}
	if reads := sil.reads.Load(); reads != 2 {
		t.Errorf("%d reads of the silences for 4 invocations in 32 s, want 2 (one per 30 s)", reads)
	}
	line := lineOf(t, logs, "i-03")
	if line["outcome"] != "silenced" || line["silence_id"] != patch.ID || line["silence_comment"] != "patch night" {
		t.Errorf("decision line %v: want outcome silenced, silence_id %s, silence_comment", line, patch.ID)
	}

	// A pending silence holds nothing back before it starts.
	shell := mustSilence(t, store, at(10*time.Minute), time.Hour, at(40*time.Second), "document=AWS-RunShellScript")
	if got := route(failure("AWS-RunShellScript", "i-05", at(2*time.Minute))); !equal(got, both("delivered")) {
		t.Fatalf("pending silence: %v", got)
	}
	if got := route(failure("AWS-RunShellScript", "i-06", at(11*time.Minute))); !equal(got, both("silenced")) {
		t.Fatalf("once started: %v", got)
	}

	// Expired: delivered again once the copy is refreshed.
	for _, id := range []string{patch.ID, shell.ID} {
		if _, err := store.Expire(t.Context(), id, at(12*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if got := route(failure("AWS-RunPatchBaseline", "i-07", at(13*time.Minute))); !equal(got, both("delivered")) {
		t.Fatalf("after expiry: %v", got)
	}
	list, err := store.Silences(t.Context(), at(13*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Matched.IsZero() {
			t.Errorf("silence %s held something back but is not marked matched", s.ID)
		}
	}
}

// lineOf finds the decision line about instance.
func lineOf(t *testing.T, logs *bytes.Buffer, instance string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "notification" && m["instance_id"] == instance {
			return m
		}
	}
	t.Fatalf("no decision line for %s in\n%s", instance, logs)
	return nil
}

// TestSilenceByDestination: a silence on one destination holds back only that delivery.
func TestSilenceByDestination(t *testing.T) {
	store := memory.New()
	set, err := rules.Parse([]byte(silenceConfig), "silence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	mustSilence(t, store, t0, time.Hour, t0, "destination=platform-email", "instance=~'i-0[12]'")
	h := &router.Handler{Rules: set, Store: store, Deliver: &fakeDeliverer{}, Park: &deadletter.Memory{}, Now: func() time.Time { return t0 }, Silences: store}
	for inst, want := range map[string][]string{
		"i-01": {"ops-slack:delivered", "platform-email:silenced"},
		"i-03": {"ops-slack:delivered", "platform-email:delivered"},
	} {
		rep, err := h.Process(t.Context(), failure("AWS-RunShellScript", inst, t0))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); !equal(got, want) {
			t.Errorf("%s: %v, want %v", inst, got, want)
		}
	}
}

// TestSilencedCommandMessageStillCounts: the command's one Slack message still counts every
// instance of a silenced command, and says who silenced it instead of pinging.
func TestSilencedCommandMessageStillCounts(t *testing.T) {
	store := memory.New()
	f := newFleet(t, store, 2)
	mustSilence(t, store, f.clk.now().Add(-time.Hour), 4*time.Hour, f.clk.now(), "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	for _, h := range f.handlers {
		h.Silences = store
	}
	bodies, _ := fleetCommand("5a1e0000-1111-4222-8333-944455556666", 20, 3, 0, rand.New(rand.NewPCG(17, 17)))
	f.run(sqsBatches(bodies, 5), time.Second)
	s := statsOf(t, f.slack, "#fleet")
	if s.parents != 1 {
		t.Fatalf("%d parents, want 1", s.parents)
	}
	if !strings.Contains(s.parentText, "Failed on 3 of 20") {
		t.Errorf("the silenced failures are not counted:\n%s", s.parentText)
	}
	if !strings.Contains(s.parentText, "3 failures silenced by alice: patch night") {
		t.Errorf("the message does not name the silence:\n%s", s.parentText)
	}
	var all strings.Builder
	for _, m := range f.slack.Messages("#fleet") {
		all.WriteString(m.Text + string(m.Blocks))
		for _, r := range f.slack.Replies("#fleet", m.TS) {
			all.WriteString(r.Text + string(r.Blocks))
		}
	}
	if strings.Contains(all.String(), "<!here>") {
		t.Errorf("a silenced command pinged the channel:\n%s", all.String())
	}
}

// TestSilenceAnnouncements: with silence_channel set, creating and expiring a silence is posted
// there once, whichever container sees it first.
func TestSilenceAnnouncements(t *testing.T) {
	store := memory.New()
	set, err := rules.Parse([]byte(`
destinations:
  - name: fleet
    slack: {channel: "#fleet"}
  - name: silences
    slack: {channel: "#silences"}
routes:
  - name: everything
    to: [fleet]
silence_channel: silences
`), "announce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	t0 := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	clk.ns.Store(t0.UnixNano())
	srv := slacktest.NewServer(t, slacktest.WithClock(clk.now))
	client := slack.New(srv.Token, slack.WithAPIURL(srv.APIURL))
	logs := &bytes.Buffer{}
	var handlers []*router.Handler
	for w := range 2 {
		handlers = append(handlers, &router.Handler{
			Rules: set, Store: store, Deliver: &fakeDeliverer{}, Park: &deadletter.Memory{}, Now: clk.now, Silences: store,
			Logger: slog.New(slog.NewJSONHandler(logs, nil)),
			Threads: &thread.Threads{Store: store, Schedule: &thread.Memory{}, Now: clk.now, Token: fmt.Sprintf("env-%d", w),
				Slack: func(context.Context) (thread.Poster, error) { return client, nil }},
		})
	}
	s := mustSilence(t, store, t0, 4*time.Hour, t0, "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	run := func(i int) {
		if _, err := handlers[i%2].Process(t.Context(), failure("AWS-RunShellScript", fmt.Sprintf("i-%02d", i), clk.now())); err != nil {
			t.Fatal(err)
		}
	}
	run(0)
	run(1)
	texts := func() []string {
		var out []string
		for _, m := range srv.Messages("#silences") {
			out = append(out, m.Text)
		}
		return out
	}
	if got := texts(); len(got) != 1 || got[0] != "@alice silenced AWS-RunPatchBaseline failures for 4h: patch night" {
		t.Fatalf("announcements after creation: %q", got)
	}
	clk.advance(time.Hour)
	if _, err := store.Expire(t.Context(), s.ID, clk.now()); err != nil {
		t.Fatal(err)
	}
	clk.advance(31 * time.Second)
	run(2)
	run(3)
	if got := texts(); len(got) != 2 || got[1] != "alice's silence of AWS-RunPatchBaseline failures ended after 1h: patch night" {
		t.Fatalf("announcements after expiry: %q", got)
	}
	if !strings.Contains(logs.String(), `"msg":"silence created"`) || !strings.Contains(logs.String(), `"msg":"silence expired"`) {
		t.Errorf("no decision lines for the announcements:\n%s", logs)
	}
}
