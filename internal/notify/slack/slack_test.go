package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

// harness is a local Slack, a fake clock whose waits are recorded instead of slept, and a log
// buffer (so the secrets test can read every line).
type harness struct {
	srv   *slacktest.Server
	now   time.Time
	mu    sync.Mutex
	waits []time.Duration
	logs  *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	return &harness{srv: slacktest.NewServer(t), now: time.Now(), logs: &bytes.Buffer{}}
}

func (h *harness) opts(timeout time.Duration) []slack.Option {
	return []slack.Option{
		slack.WithAPIURL(h.srv.APIURL),
		slack.WithHTTPClient(&http.Client{Timeout: timeout}),
		slack.WithLogger(slog.New(slog.NewJSONHandler(h.logs, nil))),
		slack.WithClock(func() time.Time { return h.now }, func(_ context.Context, d time.Duration) error {
			h.mu.Lock()
			h.waits = append(h.waits, d)
			h.mu.Unlock()
			return nil
		}),
	}
}

// deadline is a context whose deadline is d after the harness clock's now, which is frozen at
// the harness's creation: the transport sees exactly d left, and the real deadline is far
// enough ahead not to fire during the test.
func (h *harness) deadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithDeadline(t.Context(), h.now.Add(d))
	t.Cleanup(cancel)
	return ctx
}

func message() render.SlackMessage {
	n := &payload.Notification{Kind: payload.KindCommand, CommandID: "1a2b3c4d-1111", DocumentName: "AWS-RunShellScript",
		InstanceIDs: []string{"i-0aaa1111bbbb2222c"}, Status: payload.StatusFailed, Region: "us-east-1",
		EventTime: time.Date(2026, 5, 4, 10, 3, 12, 0, time.UTC)}
	return render.Slack(n, render.Options{Mention: "<!here>"})
}

func TestPostUpdateThread(t *testing.T) {
	h := newHarness(t)
	c := slack.New(h.srv.Token, h.opts(5*time.Second)...)
	ctx := t.Context()
	msg := message()
	ts, err := c.Post(ctx, "ops", msg, slack.PostOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := c.Post(ctx, "ops", msg, slack.PostOptions{ThreadTS: ts, Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	updated := msg
	updated.Text = "updated"
	if err := c.Update(ctx, "ops", ts, updated); err != nil {
		t.Fatal(err)
	}
	parent, _ := h.srv.Message("ops", ts)
	if parent.Text != "updated" || parent.Updates != 1 {
		t.Errorf("parent = %+v", parent)
	}
	want, _ := json.Marshal(msg.Blocks)
	if !jsonEqual(t, parent.Blocks, want) {
		t.Errorf("stored blocks differ from the rendered ones:\n%s\n%s", parent.Blocks, want)
	}
	if r := h.srv.Replies("ops", ts); len(r) != 1 || r[0].TS != reply || !r[0].ReplyBroadcast {
		t.Errorf("replies = %+v", r)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// TestErrorClasses shows, for each failure, the outcome and the number of requests made.
func TestErrorClasses(t *testing.T) {
	type outcome int
	const (
		sent outcome = iota
		retryable
		permanent
	)
	tests := []struct {
		name      string
		webhook   bool
		faults    []slacktest.Fault
		deadline  time.Duration // 0: no deadline
		timeout   time.Duration
		want      outcome
		maybeSent bool
		requests  int
		waits     int
	}{
		{name: "429 that fits: waited out once, sent", faults: []slacktest.Fault{slacktest.RateLimited(3 * time.Second)}, deadline: 30 * time.Second, want: sent, requests: 2, waits: 1},
		{name: "429 that does not fit before the deadline: retryable, no wait", faults: []slacktest.Fault{slacktest.RateLimited(30 * time.Second)}, deadline: 10 * time.Second, want: retryable, requests: 1},
		{name: "429 within the safety margin: retryable", faults: []slacktest.Fault{slacktest.RateLimited(9 * time.Second)}, deadline: 10 * time.Second, want: retryable, requests: 1},
		{name: "429 twice: waited once, then retryable", faults: []slacktest.Fault{slacktest.RateLimited(time.Second), slacktest.RateLimited(time.Second)}, deadline: 30 * time.Second, want: retryable, requests: 2, waits: 1},
		{name: "500: retryable, not resent", faults: []slacktest.Fault{slacktest.ServerError()}, want: retryable, maybeSent: true, requests: 1},
		{name: "503: retryable, not resent", faults: []slacktest.Fault{{Status: 503}}, want: retryable, maybeSent: true, requests: 1},
		{name: "hang until timeout: retryable, not resent", faults: []slacktest.Fault{slacktest.Hang()}, timeout: 150 * time.Millisecond, want: retryable, maybeSent: true, requests: 1},
		{name: "internal_error: retryable", faults: []slacktest.Fault{slacktest.SlackError("internal_error")}, want: retryable, requests: 1},
		{name: "channel_not_found: permanent", faults: []slacktest.Fault{slacktest.SlackError("channel_not_found")}, want: permanent, requests: 1},
		{name: "not_in_channel: permanent", faults: []slacktest.Fault{slacktest.SlackError("not_in_channel")}, want: permanent, requests: 1},
		{name: "invalid_auth: permanent", faults: []slacktest.Fault{slacktest.SlackError("invalid_auth")}, want: permanent, requests: 1},
		{name: "account_inactive: permanent", faults: []slacktest.Fault{slacktest.SlackError("account_inactive")}, want: permanent, requests: 1},
		{name: "is_archived: permanent", faults: []slacktest.Fault{slacktest.SlackError("is_archived")}, want: permanent, requests: 1},
		{name: "webhook ok", webhook: true, want: sent, requests: 1},
		{name: "webhook 429 that fits: waited, sent", webhook: true, faults: []slacktest.Fault{slacktest.RateLimited(2 * time.Second)}, deadline: 30 * time.Second, want: sent, requests: 2, waits: 1},
		{name: "webhook 429 that does not fit: retryable", webhook: true, faults: []slacktest.Fault{slacktest.RateLimited(20 * time.Second)}, deadline: 5 * time.Second, want: retryable, requests: 1},
		{name: "webhook 404 channel_not_found: permanent", webhook: true, faults: []slacktest.Fault{slacktest.SlackError("channel_not_found")}, want: permanent, requests: 1},
		{name: "webhook 404 no_service (revoked): permanent", webhook: true, faults: []slacktest.Fault{slacktest.SlackError("no_service")}, want: permanent, requests: 1},
		{name: "webhook 403 invalid_token: permanent", webhook: true, faults: []slacktest.Fault{slacktest.SlackError("invalid_token")}, want: permanent, requests: 1},
		{name: "webhook 410 channel_is_archived: permanent", webhook: true, faults: []slacktest.Fault{slacktest.SlackError("channel_is_archived")}, want: permanent, requests: 1},
		{name: "webhook 400 invalid_payload: permanent", webhook: true, faults: []slacktest.Fault{slacktest.SlackError("invalid_payload")}, want: permanent, requests: 1},
		{name: "webhook 500: retryable, not resent", webhook: true, faults: []slacktest.Fault{slacktest.ServerError()}, want: retryable, maybeSent: true, requests: 1},
		{name: "webhook hang: retryable, not resent", webhook: true, faults: []slacktest.Fault{slacktest.Hang()}, timeout: 150 * time.Millisecond, want: retryable, maybeSent: true, requests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			method := slacktest.MethodPostMessage
			if tc.webhook {
				method = slacktest.MethodWebhook
			}
			for _, f := range tc.faults {
				h.srv.Inject(method, 1, f)
			}
			ctx := t.Context()
			if tc.deadline > 0 {
				ctx = h.deadline(t, tc.deadline)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			var err error
			if tc.webhook {
				err = slack.NewWebhook("ops-alerts", h.srv.WebhookURL("ops-alerts"), h.opts(timeout)...).Post(ctx, message())
			} else {
				_, err = slack.New(h.srv.Token, h.opts(timeout)...).Post(ctx, "ops", message(), slack.PostOptions{})
			}
			switch tc.want {
			case sent:
				if err != nil {
					t.Fatalf("want sent, got %v", err)
				}
			case retryable:
				if !notify.IsRetryable(err) || notify.IsPermanent(err) {
					t.Fatalf("want retryable, got %v", err)
				}
			case permanent:
				if !notify.IsPermanent(err) {
					t.Fatalf("want permanent, got %v", err)
				}
			}
			var ne *notify.Error
			if got := errors.As(err, &ne) && ne.MaybeSent; got != tc.maybeSent {
				t.Errorf("MaybeSent = %v, want %v (%v)", got, tc.maybeSent, err)
			}
			if got := h.srv.CallCount(method); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if len(h.waits) != tc.waits {
				t.Errorf("waited %v, want %d waits", h.waits, tc.waits)
			}
			stored := len(h.srv.Messages("ops")) + len(h.srv.Messages("ops-alerts"))
			if want := map[bool]int{true: 1, false: 0}[tc.want == sent]; stored != want {
				t.Errorf("%d messages stored, want %d", stored, want)
			}
			t.Logf("outcome: %v; requests: %d; waits: %v", err, h.srv.CallCount(method), h.waits)
		})
	}
}

// TestNoSecretInErrorsOrLogs runs every failure and checks that neither the token nor the
// webhook URL (nor its secret path) shows in an error, a log line, or a print of the clients.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	h := newHarness(t)
	faults := []slacktest.Fault{
		slacktest.RateLimited(time.Second), slacktest.RateLimited(time.Hour), slacktest.ServerError(), slacktest.Hang(),
		slacktest.SlackError("invalid_auth"), slacktest.SlackError("channel_not_found"), slacktest.SlackError("no_service"),
	}
	hookURL := h.srv.WebhookURL("ops-alerts")
	secretPath := hookURL[strings.Index(hookURL, "/services/"):]
	c := slack.New(h.srv.Token, h.opts(150*time.Millisecond)...)
	w := slack.NewWebhook("ops-alerts", hookURL, h.opts(150*time.Millisecond)...)
	bad := slack.NewWebhook("broken", "http://127.0.0.1:1/services/T/B/SECRETPATH", h.opts(150*time.Millisecond)...)
	invalid := slack.NewWebhook("invalid", "http://[::1/services/T/B/SECRETPATH", h.opts(150*time.Millisecond)...)
	var errs []error
	for _, f := range faults {
		h.srv.Inject(slacktest.MethodPostMessage, 1, f)
		h.srv.Inject(slacktest.MethodUpdate, 1, f)
		h.srv.Inject(slacktest.MethodWebhook, 1, f)
		ctx := h.deadline(t, 30*time.Second)
		_, err := c.Post(ctx, "ops", message(), slack.PostOptions{})
		errs = append(errs, err, c.Update(ctx, "ops", "1.000001", message()), w.Post(ctx, message()))
	}
	errs = append(errs, bad.Post(t.Context(), message()))
	if err := invalid.Post(t.Context(), message()); !notify.IsPermanent(err) {
		t.Errorf("an invalid webhook URL: %v, want permanent", err)
	} else {
		errs = append(errs, err)
	}
	var all strings.Builder
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(&all, "%v\n%+v\n%#v\n", err, err, err)
			for e := err; e != nil; e = errors.Unwrap(e) {
				fmt.Fprintf(&all, "%#v\n", e)
			}
		}
	}
	fmt.Fprintf(&all, "%v %+v %#v %v %+v %#v\n", c, c, c, w, w, w)
	slog.New(slog.NewJSONHandler(h.logs, nil)).Info("clients", "client", c, "webhook", w)
	all.WriteString(h.logs.String())
	if !strings.Contains(h.logs.String(), "waiting once") {
		t.Error("expected the rate-limit wait to be logged (so that logs are covered)")
	}
	for _, secret := range []string{h.srv.Token, hookURL, secretPath, "SECRETPATH", "xoxb-"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("secret %q leaked:\n%s", secret, all.String())
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("errors and logs checked:\n%s", all.String())
	}
}
