package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
)

// sent is one call of the fake deliverer.
type sent struct {
	dest   string
	cmd    string
	target string
	status payload.Status
}

// fakeDeliverer records deliveries; fail, when set, decides an error per call.
type fakeDeliverer struct {
	mu   sync.Mutex
	sent []sent
	fail func(d rules.Delivery, n *payload.Notification) error
}

func (f *fakeDeliverer) Deliver(_ context.Context, d rules.Delivery, n *payload.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(d, n); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, sent{d.Destination.Name, n.CommandID, n.Target(), n.Status})
	return nil
}

func (f *fakeDeliverer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

var now = time.Date(2026, 5, 4, 10, 5, 0, 0, time.UTC)

type fixture struct {
	h      *router.Handler
	store  state.Store
	dl     *fakeDeliverer
	parked *deadletter.Memory
	logs   *bytes.Buffer
	emf    *bytes.Buffer
}

func newFixture(t *testing.T, config string) *fixture {
	t.Helper()
	set := rules.Default()
	if config != "" {
		var err error
		if set, err = rules.Parse([]byte(config), "test.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: memory.New(), dl: &fakeDeliverer{}, parked: &deadletter.Memory{}, logs: &bytes.Buffer{}, emf: &bytes.Buffer{}}
	f.h = &router.Handler{
		Rules: set, Store: f.store, Deliver: f.dl, Park: f.parked,
		Now:     func() time.Time { return now },
		Logger:  slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: f.emf,
	}
	return f
}

func event(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (f *fixture) process(t *testing.T, raw []byte) *router.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep, err := f.h.Process(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func outcomes(rep *router.Report) []string {
	var out []string
	for _, r := range rep.Results {
		out = append(out, r.Destination+":"+string(r.Outcome))
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestDeliveredThenDuplicate(t *testing.T) {
	f := newFixture(t, "")
	rep := f.process(t, event(t, "sns-invocation-failed.json"))
	if got := outcomes(rep); !equal(got, []string{"ops-slack:delivered", "platform-email:delivered"}) {
		t.Fatalf("first delivery: %v", got)
	}
	// SNS delivers the same message again, and SSM publishes the same status again with another
	// MessageId (the SQS batch carries the same record): nothing is sent twice.
	for _, again := range [][]byte{event(t, "sns-invocation-failed.json"), event(t, "sqs-batch.json")} {
		f.process(t, again)
	}
	if f.dl.count() != 2 {
		t.Errorf("deliveries %d, want 2: %+v", f.dl.count(), f.dl.sent)
	}
	rep = f.process(t, event(t, "sns-invocation-failed.json"))
	if got := outcomes(rep); !equal(got, []string{"ops-slack:duplicate", "platform-email:duplicate"}) {
		t.Errorf("redelivery: %v", got)
	}
}

func TestStaleIsNotDelivered(t *testing.T) {
	f := newFixture(t, `
destinations:
  - name: all
    slack: {channel: "#all"}
routes:
  - name: everything
    notify_on: [All]
    to: [all]
`)
	f.process(t, event(t, "sns-invocation-success.json"))
	rep := f.process(t, event(t, "sns-invocation-inprogress.json")) // same instance, earlier eventTime
	if got := outcomes(rep); !equal(got, []string{":stale"}) {
		t.Errorf("InProgress after Success: %v", got)
	}
	if f.dl.count() != 1 {
		t.Errorf("deliveries %d, want 1", f.dl.count())
	}
}

func TestDropReasons(t *testing.T) {
	f := newFixture(t, `
destinations:
  - name: all
    slack: {channel: "#all"}
routes:
  - name: patch
    match: {document: AWS-RunPatchBaseline}
    notify_on: [Failed]
    to: [all]
  - name: agent
    match: {document: AWS-UpdateSSMAgent}
    notify_on: [All]
    to: [all]
silences:
  - name: agent-upgrade
    reason: expected
    until: 2026-05-05T00:00:00Z
    match: {document: AWS-UpdateSSMAgent}
`)
	tests := []struct {
		event, want, reason string
	}{
		{"sns-invocation-success.json", ":filtered", "notify_on"},
		{"sns-invocation-cancelled.json", ":silenced", "agent-upgrade"},
		{"sns-command-success.json", ":no_route", ""},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			rep := f.process(t, event(t, tc.event))
			if got := outcomes(rep); !equal(got, []string{tc.want}) || !strings.Contains(rep.Results[0].Reason, tc.reason) {
				t.Errorf("%v, reason %q", got, rep.Results[0].Reason)
			}
		})
	}
	if f.dl.count() != 0 {
		t.Errorf("delivered %d", f.dl.count())
	}
}

func TestRetryableFailureRetriesOnlyWhatFailed(t *testing.T) {
	f := newFixture(t, "")
	failSlack := true
	f.dl.fail = func(d rules.Delivery, _ *payload.Notification) error {
		if d.Destination.Name == "ops-slack" && failSlack {
			return notify.Retryable("slack chat.postMessage", errors.New("HTTP 503"))
		}
		return nil
	}
	raw := event(t, "sns-invocation-failed.json")
	_, err := f.h.Handle(t.Context(), raw)
	if err == nil || !strings.Contains(err.Error(), "ops-slack") {
		t.Fatalf("a retryable failure must fail the invocation, got %v", err)
	}
	if len(f.parked.All()) != 0 {
		t.Error("a retryable failure is not parked")
	}
	// Lambda retries the event: email was sent already, so only Slack goes out.
	failSlack = false
	if _, err := f.h.Handle(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	var dests []string
	for _, s := range f.dl.sent {
		dests = append(dests, s.dest)
	}
	if !equal(dests, []string{"platform-email", "ops-slack"}) {
		t.Errorf("deliveries %v, want email once then slack once", dests)
	}
}

func TestPermanentFailureIsParkedNotRetried(t *testing.T) {
	f := newFixture(t, "")
	f.dl.fail = func(d rules.Delivery, _ *payload.Notification) error {
		if d.Destination.Name == "ops-slack" {
			return notify.Permanent("slack chat.postMessage", errors.New("channel_not_found"))
		}
		return nil
	}
	raw := event(t, "sns-invocation-failed.json")
	if _, err := f.h.Handle(t.Context(), raw); err != nil {
		t.Fatalf("a permanent failure must not fail the invocation (it would loop): %v", err)
	}
	parked := f.parked.All()
	if len(parked) != 1 || parked[0].Code != router.CodePermanent || parked[0].Destination != "ops-slack" || !strings.Contains(parked[0].Reason, "channel_not_found") {
		t.Fatalf("parked %+v", parked)
	}
	// The parked event replays: once the channel exists, the replay sends only Slack.
	f.dl.fail = nil
	if _, err := f.h.Handle(t.Context(), parked[0].Event); err != nil {
		t.Fatal(err)
	}
	if f.dl.count() != 2 || f.dl.sent[1].dest != "ops-slack" {
		t.Errorf("after replay: %+v", f.dl.sent)
	}
}

func TestBadRecordNeverBlocksTheOthers(t *testing.T) {
	f := newFixture(t, "")
	rep := f.process(t, event(t, "bad/mixed-batch.json"))
	var bad, delivered int
	for _, r := range rep.Results {
		switch r.Outcome {
		case router.BadInput:
			bad++
			if r.Record != 1 || !strings.Contains(r.Reason, "record 1") {
				t.Errorf("bad result %+v", r)
			}
		case router.Delivered:
			delivered++
		}
	}
	// Record 0 is a Success (filtered by the default config), record 2 a Failed (two destinations).
	if bad != 1 || delivered != 2 {
		t.Errorf("bad %d delivered %d: %v", bad, delivered, outcomes(rep))
	}
	parked := f.parked.All()
	if len(parked) != 1 || parked[0].Code != router.CodeBadInput {
		t.Fatalf("parked %+v", parked)
	}
	if errs := payload.Decode(parked[0].Event).Errors(); len(errs) != 1 {
		t.Errorf("the parked event holds just the bad record: %s", parked[0].Event)
	}
	if _, err := f.h.Handle(t.Context(), event(t, "bad/not-json.json")); err != nil {
		t.Errorf("bad input must not fail the invocation: %v", err)
	}
}

func TestParkingFailureIsRetried(t *testing.T) {
	f := newFixture(t, "")
	f.parked.Err = errors.New("sqs unavailable")
	if _, err := f.h.Handle(t.Context(), event(t, "bad/cloudwatch-alarm.json")); err == nil {
		t.Error("a record that could not be parked must be retried, not dropped")
	}
}

func TestSQSPartialBatchResponse(t *testing.T) {
	f := newFixture(t, `
destinations:
  - name: all
    slack: {channel: "#all"}
routes:
  - name: everything
    notify_on: [All]
    to: [all]
`)
	f.dl.fail = func(_ rules.Delivery, n *payload.Notification) error {
		if n.Status == payload.StatusSuccess {
			return notify.Retryable("slack", errors.New("HTTP 500"))
		}
		return nil
	}
	resp, err := f.h.Handle(t.Context(), event(t, "sqs-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := resp.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("response %T", resp)
	}
	recs := payload.Decode(event(t, "sqs-batch.json"))
	if len(r.BatchItemFailures) != 1 || r.BatchItemFailures[0].ItemIdentifier != recs[1].ID {
		t.Errorf("batchItemFailures %+v, want only the Success record %s", r.BatchItemFailures, recs[1].ID)
	}
	b, _ := json.Marshal(resp)
	if !strings.Contains(string(b), `"batchItemFailures":[{"itemIdentifier":"`) {
		t.Errorf("wire shape %s", b)
	}
}

func TestConcurrentDuplicateBacksOff(t *testing.T) {
	f := newFixture(t, "")
	n := payload.Decode(event(t, "sns-invocation-failed.json")).Notifications()[0]
	// Another invocation claimed the Slack delivery and is still sending it.
	key := state.NotificationClaim(n.CommandID, n.Target(), n.Status, "ops-slack")
	if c, err := f.store.Claim(t.Context(), key, now, now.Add(time.Minute)); err != nil || c.Outcome != state.ClaimWon {
		t.Fatal(c, err)
	}
	rep := f.process(t, event(t, "sns-invocation-failed.json"))
	if got := outcomes(rep); !equal(got, []string{"ops-slack:in_progress", "platform-email:delivered"}) {
		t.Errorf("%v", got)
	}
	if _, err := f.h.Handle(t.Context(), event(t, "sns-invocation-failed.json")); err == nil {
		t.Error("in progress elsewhere is retryable: the invocation must fail so Lambda retries")
	}
}

func TestLogsAndMetrics(t *testing.T) {
	f := newFixture(t, "")
	f.process(t, event(t, "bad/mixed-batch.json"))
	var decisions int
	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["msg"] != "notification" {
			continue
		}
		decisions++
		if m["outcome"] == nil || m["reason"] == nil {
			t.Errorf("decision line lacks outcome or reason: %s", line)
		}
		if m["outcome"] != string(router.BadInput) {
			for _, k := range []string{"command_id", "instance_id", "status", "route", "destination", "duration_ms"} {
				if _, ok := m[k]; !ok {
					t.Errorf("decision line lacks %s: %s", k, line)
				}
			}
		}
	}
	// bad record, filtered Success, and two destinations for the Failed.
	if decisions != 4 {
		t.Errorf("%d decision lines, want 4:\n%s", decisions, f.logs.String())
	}
	if strings.Contains(f.logs.String(), "AWS-RunPatchBaseline\\\",\\\"") || strings.Contains(f.logs.String(), "Signature") {
		t.Error("a log line dumps the payload")
	}
	emf := f.emf.String()
	for _, want := range []string{`"Received":3`, `"Unrecognized":1`, `"Filtered":1`, `"DestinationType":"slack"`, `"DestinationType":"email"`, `"Namespace":"ssmnotify"`} {
		if !strings.Contains(emf, want) {
			t.Errorf("EMF lacks %s:\n%s", want, emf)
		}
	}
}

func TestNotJSONIsParkedAsText(t *testing.T) {
	f := newFixture(t, "")
	if _, err := f.h.Handle(t.Context(), event(t, "bad/not-json.json")); err != nil {
		t.Fatal(err)
	}
	p := f.parked.All()
	if len(p) != 1 || p[0].Event != nil || !strings.HasPrefix(p[0].EventText, `{"Records"`) {
		t.Fatalf("parked %+v", p)
	}
	if _, err := json.Marshal(p[0]); err != nil {
		t.Errorf("a parked record must encode: %v", err)
	}
}
