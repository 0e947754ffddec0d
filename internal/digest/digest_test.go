package digest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

// scheduled is 08:00 in London on 5 May 2026, as EventBridge Scheduler would stamp it.
var scheduled = time.Date(2026, 5, 5, 7, 0, 0, 0, time.UTC)

// event is a scheduled event from source at t.
func event(source string, t time.Time) []byte {
	raw, _ := json.Marshal(map[string]any{
		"version": "0", "id": "e-" + t.Format("150405"), "detail-type": "Scheduled Event", "source": source,
		"account": "111122223333", "time": t.UTC().Format(time.RFC3339), "region": "eu-west-1",
		"resources": []string{"arn:aws:scheduler:eu-west-1:111122223333:schedule/default/ssmnotify-digest"}, "detail": map[string]any{},
	})
	return raw
}

// config is a routing config whose digest goes to one Slack channel (bot) and one email.
func config(tb testing.TB, window string, sendWhenClear bool) *rules.Set {
	tb.Helper()
	yaml := fmt.Sprintf(`destinations:
  - name: ops-slack
    slack:
      channel: "#ops-digest"
  - name: platform-email
    email:
      to: platform-team@example.com
      from: ssmnotify@example.com
      subject_prefix: "[ssm]"
routes:
  - name: all
    to: [ops-slack]
digest:
  schedule: "cron(0 8 * * ? *)"
  time_zone: Europe/London
  window: %s
  to: [ops-slack, platform-email]
  send_when_clear: %t
  top_n: 100
`, window, sendWhenClear)
	s, err := rules.Parse([]byte(yaml), "digest-test.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// fakeSender records what it was asked to send; fail, when set, decides a send's error.
type fakeSender struct {
	mu   sync.Mutex
	fail func(dest string) error
	sent map[string][]*tally.Summary
}

func (f *fakeSender) Send(_ context.Context, dest *rules.Destination, s *tally.Summary, _ *time.Location) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(dest.Name); err != nil {
			return err
		}
	}
	if f.sent == nil {
		f.sent = map[string][]*tally.Summary{}
	}
	f.sent[dest.Name] = append(f.sent[dest.Name], s)
	return nil
}

func (f *fakeSender) count(dest string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent[dest])
}

func observe(tb testing.TB, s state.Store, n *payload.Notification) {
	tb.Helper()
	if _, err := s.Observe(tb.Context(), n, n.EventTime); err != nil {
		tb.Fatal(err)
	}
}

func outcomes(rep *digest.Report) string {
	var parts []string
	for _, r := range rep.Results {
		parts = append(parts, r.Destination+"="+string(r.Outcome))
	}
	return strings.Join(parts, " ")
}

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{"scheduler", string(event(digest.SourceScheduler, scheduled)), ""},
		{"eventbridge rule", string(event(digest.SourceEvents, scheduled)), ""},
		{"not json", "not json", "JSON object expected"},
		{"an SNS event", `{"Records":[{"EventSource":"aws:sns"}]}`, "source"},
		{"wrong source", `{"source":"aws.ssm","detail-type":"Scheduled Event","time":"2026-05-05T07:00:00Z"}`, `source "aws.ssm"`},
		{"wrong detail-type", `{"source":"aws.events","detail-type":"EC2 State","time":"2026-05-05T07:00:00Z"}`, "detail-type"},
		{"no time", `{"source":"aws.scheduler","detail-type":"Scheduled Event"}`, "no time"},
		{"placeholder not replaced", `{"source":"aws.scheduler","detail-type":"Scheduled Event","time":"<aws.scheduler.scheduled-time>"}`, "RFC 3339"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := digest.ParseEvent([]byte(c.raw))
			if c.wantErr == "" {
				if err != nil || !ev.Time.Equal(scheduled) {
					t.Fatalf("ParseEvent: %v, time %s", err, ev.Time)
				}
				return
			}
			if !errors.Is(err, digest.ErrInvalidEvent) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want ErrInvalidEvent mentioning %q", err, c.wantErr)
			}
		})
	}
}

func TestWindowAt(t *testing.T) {
	cases := []struct {
		name      string
		at        time.Time
		length    time.Duration
		from, to  string
		prevFrom  string
		stringify string
	}{
		{"daily", scheduled, 24 * time.Hour, "2026-05-04T07:00:00Z", "2026-05-05T07:00:00Z", "2026-05-03T07:00:00Z", "2026-05-04T07:00:00Z/2026-05-05T07:00:00Z"},
		{"a late rule event is cut to the minute", scheduled.Add(17 * time.Second), 24 * time.Hour, "2026-05-04T07:00:00Z", "2026-05-05T07:00:00Z", "2026-05-03T07:00:00Z", ""},
		{"weekly, in another zone", time.Date(2026, 5, 4, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600)), 7 * 24 * time.Hour, "2026-04-27T07:00:00Z", "2026-05-04T07:00:00Z", "2026-04-20T07:00:00Z", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := digest.WindowAt(c.at, c.length)
			p := w.Previous()
			if f := w.From.Format(time.RFC3339); f != c.from || w.To.Format(time.RFC3339) != c.to || p.From.Format(time.RFC3339) != c.prevFrom || !p.To.Equal(w.From) {
				t.Errorf("window %s, previous %s", w, p)
			}
			if c.stringify != "" && w.String() != c.stringify {
				t.Errorf("String %q", w.String())
			}
		})
	}
}

// TestRun covers the destinations' outcomes with the in-process store.
func TestRun(t *testing.T) {
	seed := func(t *testing.T, s state.Store) {
		// Two failures in the window, one in the previous window, one after the window and a
		// success (not a failure at all).
		observe(t, s, statetest.Invocation("cmd-1", "i-1", payload.StatusFailed, scheduled.Add(-time.Hour)))
		observe(t, s, statetest.Invocation("cmd-1", "i-2", payload.StatusTimedOut, scheduled.Add(-23*time.Hour)))
		observe(t, s, statetest.Invocation("cmd-0", "i-1", payload.StatusFailed, scheduled.Add(-25*time.Hour)))
		observe(t, s, statetest.Invocation("cmd-2", "i-1", payload.StatusFailed, scheduled))
		observe(t, s, statetest.Invocation("cmd-3", "i-1", payload.StatusSuccess, scheduled.Add(-2*time.Hour)))
	}
	newHandler := func(t *testing.T, set *rules.Set, send digest.Sender, withData bool) *digest.Handler {
		s := memory.New()
		if withData {
			seed(t, s)
		}
		return &digest.Handler{Rules: set, Store: s, Send: send, Now: func() time.Time { return scheduled.Add(time.Minute) }}
	}
	retryable := notify.Retryable("slack chat.postMessage to #ops-digest", errors.New("HTTP 503"))
	permanent := notify.Permanent("slack chat.postMessage to #ops-digest", errors.New("channel_not_found"))

	cases := []struct {
		name          string
		window        string
		sendWhenClear bool
		withData      bool
		fail          func(dest string) error
		runs          int
		want          string // outcomes of the last run
		wantSent      int    // digests sent to ops-slack over all runs
		wantErr       bool   // Handle fails the invocation on the last run
	}{
		{"failures: both destinations", "24h", false, true, nil, 1, "ops-slack=sent platform-email=sent", 1, false},
		{"the same event twice: one digest each", "24h", false, true, nil, 2, "ops-slack=duplicate platform-email=duplicate", 1, false},
		{"no failures, send_when_clear off: nothing", "24h", false, false, nil, 1, "ops-slack=clear_not_sent platform-email=clear_not_sent", 0, false},
		{"no failures, send_when_clear on: all clear", "24h", true, false, nil, 1, "ops-slack=sent platform-email=sent", 1, false},
		{"retryable Slack failure fails the invocation", "24h", false, true, func(d string) error {
			if d == "ops-slack" {
				return retryable
			}
			return nil
		}, 1, "ops-slack=failed_retryable platform-email=sent", 0, true},
		{"permanent failure is reported, not retried", "24h", false, true, func(d string) error {
			if d == "ops-slack" {
				return permanent
			}
			return nil
		}, 1, "ops-slack=failed_permanent platform-email=sent", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			send := &fakeSender{fail: c.fail}
			h := newHandler(t, config(t, c.window, c.sendWhenClear), send, c.withData)
			var rep *digest.Report
			for range c.runs {
				var err error
				if rep, err = h.Run(t.Context(), event(digest.SourceScheduler, scheduled)); err != nil {
					t.Fatal(err)
				}
			}
			if got := outcomes(rep); got != c.want {
				t.Errorf("outcomes %q, want %q", got, c.want)
			}
			// Lambda's entry point on the same event: it fails only when a retry may help.
			_, handleErr := h.Handle(t.Context(), event(digest.SourceScheduler, scheduled))
			if (handleErr != nil) != c.wantErr {
				t.Errorf("Handle error %v, want error: %v", handleErr, c.wantErr)
			}
			if c.wantErr && !strings.Contains(handleErr.Error(), "ops-slack") {
				t.Errorf("Handle error %q does not name the destination", handleErr)
			}
			if n := send.count("ops-slack"); n != c.wantSent {
				t.Errorf("%d digests sent to ops-slack, want %d", n, c.wantSent)
			}
		})
	}

	t.Run("summary of the window", func(t *testing.T) {
		send := &fakeSender{}
		h := newHandler(t, config(t, "24h", false), send, true)
		rep, err := h.Run(t.Context(), event(digest.SourceEvents, scheduled.Add(20*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Summary
		if s.Total != 2 || s.Previous.Total != 1 || s.Commands.Distinct != 1 || s.Instances.Distinct != 2 || rep.Read.Returned != 2 {
			t.Errorf("summary %+v, previous %+v, read %+v", s, s.Previous, rep.Read)
		}
		if got := send.sent["platform-email"][0]; got != s {
			t.Error("the sender did not get the report's summary")
		}
	})

	t.Run("a failed send is not marked sent; the retry sends it", func(t *testing.T) {
		fail := true
		send := &fakeSender{fail: func(d string) error {
			if d == "ops-slack" && fail {
				return retryable
			}
			return nil
		}}
		h := newHandler(t, config(t, "24h", false), send, true)
		if _, err := h.Handle(t.Context(), event(digest.SourceScheduler, scheduled)); err == nil {
			t.Fatal("no error for a retryable failure")
		}
		fail = false
		rep, err := h.Run(t.Context(), event(digest.SourceScheduler, scheduled))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "ops-slack=sent platform-email=duplicate" {
			t.Errorf("retry outcomes %q", got)
		}
		if send.count("ops-slack") != 1 || send.count("platform-email") != 1 {
			t.Errorf("sent %v", send.sent)
		}
	})

	t.Run("a claim held by another invocation asks for a retry", func(t *testing.T) {
		send := &fakeSender{}
		h := newHandler(t, config(t, "24h", false), send, true)
		w := digest.WindowAt(scheduled, 24*time.Hour)
		if _, err := h.Store.Claim(t.Context(), state.DigestClaim(w.From, w.To, "ops-slack"), h.Now(), h.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		rep, err := h.Run(t.Context(), event(digest.SourceScheduler, scheduled))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "ops-slack=in_progress platform-email=sent" || len(rep.Retry()) != 1 {
			t.Errorf("outcomes %q", got)
		}
	})

	t.Run("bad event and missing digest block are errors, nothing sent", func(t *testing.T) {
		send := &fakeSender{}
		h := newHandler(t, config(t, "24h", true), send, true)
		if _, err := h.Handle(t.Context(), []byte(`{"Records":[]}`)); !errors.Is(err, digest.ErrInvalidEvent) {
			t.Errorf("bad event: %v", err)
		}
		noDigest, err := rules.Parse([]byte("destinations:\n  - name: a\n    slack:\n      channel: \"#a\"\nroutes:\n  - name: r\n    to: [a]\n"), "x.yaml")
		if err != nil {
			t.Fatal(err)
		}
		h.Rules = noDigest
		if _, err := h.Run(t.Context(), event(digest.SourceScheduler, scheduled)); err == nil {
			t.Error("no error without a digest block")
		}
		if len(send.sent) != 0 {
			t.Errorf("sent %v", send.sent)
		}
	})
}
