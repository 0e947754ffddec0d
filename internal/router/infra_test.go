package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// storeFixture is a handler on a DynamoDB store (dynalite), with the default rules.
type storeFixture struct {
	h      *router.Handler
	dl     *fakeDeliverer
	parked *deadletter.Memory
	emf    *bytes.Buffer
	logs   *bytes.Buffer
}

func newStoreFixture(store state.Store) *storeFixture {
	f := &storeFixture{dl: &fakeDeliverer{}, parked: &deadletter.Memory{}, emf: &bytes.Buffer{}, logs: &bytes.Buffer{}}
	f.h = &router.Handler{
		Rules: rules.Default(), Store: store, Deliver: f.dl, Park: f.parked,
		Now: func() time.Time { return now }, Metrics: f.emf,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	return f
}

func (f *storeFixture) process(t *testing.T, raw []byte) *router.Report {
	t.Helper()
	rep, err := f.h.Process(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// infrastructureFailed checks what an infrastructure failure must do to every result: retry it,
// count it, and never park it.
func (f *storeFixture) infrastructureFailed(t *testing.T, rep *router.Report, want int) {
	t.Helper()
	if len(rep.Results) != want {
		t.Fatalf("%d results, want %d: %v", len(rep.Results), want, outcomes(rep))
	}
	for _, r := range rep.Results {
		if r.Outcome != router.Infrastructure || !r.Outcome.Retry() {
			t.Errorf("outcome %s (%s), want %s", r.Outcome, r.Reason, router.Infrastructure)
		}
	}
	if p := f.parked.All(); len(p) != 0 {
		t.Errorf("an infrastructure failure was parked: %+v", p)
	}
	emf := f.emf.String()
	if !strings.Contains(emf, `"InfrastructureError":`) || strings.Contains(emf, `"Unrecognized"`) {
		t.Errorf("EMF does not count an infrastructure error (or counts bad input):\n%s", emf)
	}
	if strings.Contains(f.logs.String(), `"outcome":"bad_input"`) || !strings.Contains(f.logs.String(), `"outcome":"failed_infrastructure"`) {
		t.Errorf("decision lines:\n%s", f.logs.String())
	}
	f.emf.Reset()
	f.logs.Reset()
}

// TestMissingTable runs the router against dynalite without its table: the store's
// ResourceNotFoundException is an infrastructure failure, retried — the SNS invocation fails,
// an SQS batch names every record in batchItemFailures — counted, and never parked as bad input.
// Once the table exists the retry delivers.
func TestMissingTable(t *testing.T) {
	l := dynamotest.Start(t)
	const table = "ssmnotify-not-created-yet"
	f := newStoreFixture(dynamo.New(l.Client, table))

	sns := event(t, "sns-invocation-failed.json")
	rep := f.process(t, sns)
	f.infrastructureFailed(t, rep, 1)
	if !strings.Contains(rep.Results[0].Reason, "ResourceNotFoundException") {
		t.Errorf("reason %q does not name the cause", rep.Results[0].Reason)
	}
	if _, err := f.h.Handle(t.Context(), sns); err == nil {
		t.Error("an infrastructure failure must fail an SNS invocation, so Lambda retries it")
	}
	f.emf.Reset()
	f.logs.Reset()

	sqs := event(t, "sqs-batch.json")
	resp, err := f.h.Handle(t.Context(), sqs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range payload.Decode(sqs) {
		ids = append(ids, r.ID)
	}
	var got []string
	for _, item := range resp.(events.SQSEventResponse).BatchItemFailures {
		got = append(got, item.ItemIdentifier)
	}
	if !equal(got, ids) {
		t.Errorf("batchItemFailures %v, want every record %v", got, ids)
	}
	f.infrastructureFailed(t, f.process(t, sqs), 3)

	// Bad input is still bad input when the store is down: it never reaches the table.
	long := []byte(strings.ReplaceAll(string(sns), "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", strings.Repeat("0b7f3c2e", 20)))
	rep = f.process(t, long)
	if got := outcomes(rep); !equal(got, []string{":bad_input"}) {
		t.Errorf("an over-long command ID: %v", got)
	}
	if p := f.parked.All(); len(p) != 1 || p[0].Code != router.CodeBadInput {
		t.Errorf("parked %+v", p)
	}

	// The operator creates the table; Lambda's retry delivers.
	if err := dynamo.CreateTable(t.Context(), l.Client, table); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Handle(t.Context(), sns); err != nil {
		t.Fatal(err)
	}
	if f.dl.count() != 2 {
		t.Errorf("after the table exists: %d deliveries, want 2: %+v", f.dl.count(), f.dl.sent)
	}
}

// TestStoreFaults puts a fault-injecting proxy between the router and dynalite and fails one
// DynamoDB operation at a time the way AWS does (denied by IAM, throttled past the SDK's
// retries, a 500): each is an infrastructure failure, retried and counted, never parked; the
// retry after the fault clears delivers each destination once.
func TestStoreFaults(t *testing.T) {
	l := dynamotest.Start(t)
	faults := l.Faults(t)
	store := dynamo.New(faults.Client, l.NewTable(t))
	cases := []struct {
		name, op, code string
		status         int
		hits           int // requests the fault answered
	}{
		{"guard denied by IAM", "UpdateItem", "AccessDeniedException", 400, 1},
		{"claim denied by IAM", "PutItem", "AccessDeniedException", 400, 2}, // both destinations
		{"claim throttled", "PutItem", "ThrottlingException", 400, 2 * dynamo.MaxAttempts},
		{"guard server error", "UpdateItem", "InternalServerError", 500, dynamo.MaxAttempts},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newStoreFixture(store)
			sns := []byte(replaceCommand(string(event(t, "sns-invocation-failed.json")), "fa017a0"+string(rune('0'+i))))
			faults.Fail(tc.op, tc.status, tc.code)
			defer faults.Clear()
			before := faults.Hits(tc.op)
			rep := f.process(t, sns)
			want := 1
			if tc.op == "PutItem" {
				want = 2 // one claim per destination
			}
			f.infrastructureFailed(t, rep, want)
			if !strings.Contains(rep.Results[0].Reason, tc.code) {
				t.Errorf("reason %q does not name %s", rep.Results[0].Reason, tc.code)
			}
			if got := faults.Hits(tc.op) - before; got != tc.hits {
				t.Errorf("%d requests answered with %s, want %d", got, tc.code, tc.hits)
			}
			if f.dl.count() != 0 {
				t.Errorf("delivered despite the failure: %+v", f.dl.sent)
			}

			faults.Clear()
			if _, err := f.h.Handle(t.Context(), sns); err != nil {
				t.Fatalf("the retry after the fault cleared: %v", err)
			}
			if f.dl.count() != 2 {
				t.Errorf("after the retry: %d deliveries, want 2", f.dl.count())
			}
		})
	}

	t.Run("command message read fails", func(t *testing.T) {
		// The evolving Slack message's render reads its record with GetItem: a 500 there is an
		// infrastructure failure of the delivery to the threaded channel.
		set, err := rules.Parse([]byte(fleetConfig), "fleet.yaml")
		if err != nil {
			t.Fatal(err)
		}
		srv := slacktest.NewServer(t)
		client := slack.New(srv.Token, slack.WithAPIURL(srv.APIURL))
		f := newStoreFixture(store)
		f.h.Rules = set
		f.h.Threads = &thread.Threads{Store: store, Schedule: &thread.Memory{}, Now: f.h.Now, Token: "t",
			Slack: func(context.Context) (thread.Poster, error) { return client, nil }}
		sqs := sqsBatches([]string{snsEnvelope("m-1", map[string]any{"commandId": "fa017a09-1111-4222-8333-944455556666",
			"documentName": "AWS-RunShellScript", "instanceId": "i-0aaa1111bbbb2222c", "status": "Failed", "eventTime": "2026-05-04T10:03:00Z"})}, 10)[0]
		faults.Fail("GetItem", 500, "InternalServerError")
		defer faults.Clear()
		resp, err := f.h.Handle(t.Context(), sqs)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(resp); !strings.Contains(string(b), `"itemIdentifier":"sqs-0"`) {
			t.Errorf("the record is not retried: %s", b)
		}
		f.infrastructureFailed(t, f.process(t, sqs), 1)
		if n := len(srv.Calls()); n != 0 {
			t.Errorf("%d Slack calls while the store failed", n)
		}

		faults.Clear()
		if resp, err := f.h.Handle(t.Context(), sqs); err != nil || strings.Contains(mustJSON(resp), "itemIdentifier") {
			t.Fatalf("the retry: %s, %v", mustJSON(resp), err)
		}
		if got := srv.CallCount("chat.postMessage"); got != 1 {
			t.Errorf("%d posts after the retry, want the parent once", got)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
