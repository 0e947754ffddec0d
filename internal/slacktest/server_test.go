package slacktest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

func client(srv *slacktest.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(srv.APIURL), slack.OptionHTTPClient(&http.Client{Timeout: 2 * time.Second}))
}

func TestPostThreadUpdate(t *testing.T) {
	srv := slacktest.NewServer(t)
	api := client(srv, srv.Token)
	ctx := t.Context()

	_, parent, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("parent", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*v1*", false, false), nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}
	if reply <= parent {
		t.Errorf("ts not increasing: %s then %s", parent, reply)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "ops", parent, slack.MsgOptionText("parent v2", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*v2*", false, false), nil, nil))); err != nil {
		t.Fatal(err)
	}

	m, ok := srv.Message("ops", parent)
	if !ok || m.Text != "parent v2" || m.Updates != 1 || !strings.Contains(string(m.Blocks), "*v2*") {
		t.Errorf("parent after update = %+v", m)
	}
	replies := srv.Replies("ops", parent)
	if len(replies) != 1 || replies[0].Text != "reply" || !replies[0].ReplyBroadcast {
		t.Errorf("replies = %+v", replies)
	}
	if got := srv.CallCount(""); got != 3 {
		t.Errorf("%d calls, want 3", got)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "ops", "1.000000", slack.MsgOptionText("x", false))
	if !isSlackError(err, "message_not_found") {
		t.Errorf("update of a missing message: %v", err)
	}
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

func TestAuthAndValidation(t *testing.T) {
	srv := slacktest.NewServer(t)
	ctx := t.Context()
	tooLong := strings.Repeat("x", 151)
	tests := []struct {
		name  string
		token string
		opts  []slack.MsgOption
		want  string
	}{
		{"wrong token", "xoxb-wrong", []slack.MsgOption{slack.MsgOptionText("x", false)}, "invalid_auth"},
		{"no token", "", []slack.MsgOption{slack.MsgOptionText("x", false)}, "not_authed"},
		{"nothing to post", srv.Token, nil, "no_text"},
		{"header too long", srv.Token, []slack.MsgOption{slack.MsgOptionText("x", false),
			slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, tooLong, false, false)))}, "invalid_blocks"},
		{"too many blocks", srv.Token, []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionBlocks(manyBlocks(51)...)}, "invalid_blocks"},
		{"section too long in an attachment", srv.Token, []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionAttachments(slack.Attachment{
			Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("y", 3001), false, false), nil, nil)}}})},
			"invalid_attachments"},
		{"fifty blocks are fine", srv.Token, []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionBlocks(manyBlocks(50)...)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := client(srv, tc.token).PostMessageContext(ctx, "ops", tc.opts...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !isSlackError(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func manyBlocks(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = slack.NewDividerBlock()
	}
	return out
}

func TestInjectedFaults(t *testing.T) {
	srv := slacktest.NewServer(t)
	api := slack.New(srv.Token, slack.OptionAPIURL(srv.APIURL), slack.OptionHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
	ctx := t.Context()
	srv.Inject(slacktest.MethodPostMessage, 1, slacktest.RateLimited(3*time.Second))
	srv.Inject(slacktest.MethodPostMessage, 1, slacktest.ServerError())
	srv.Inject(slacktest.MethodPostMessage, 1, slacktest.SlackError("channel_not_found"))
	srv.Inject(slacktest.MethodPostMessage, 1, slacktest.Hang())

	_, _, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("first call: %v, want a rate limit of 3s", err)
	}
	_, _, err = api.PostMessageContext(ctx, "ops", slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Errorf("second call: %v, want HTTP 500", err)
	}
	_, _, err = api.PostMessageContext(ctx, "ops", slack.MsgOptionText("x", false))
	if !isSlackError(err, "channel_not_found") {
		t.Errorf("third call: %v, want channel_not_found", err)
	}
	_, _, err = api.PostMessageContext(ctx, "ops", slack.MsgOptionText("x", false))
	if err == nil || !strings.Contains(err.Error(), "Client.Timeout") {
		t.Errorf("fourth call: %v, want a client timeout", err)
	}
	if _, _, err = api.PostMessageContext(ctx, "ops", slack.MsgOptionText("ok", false)); err != nil {
		t.Errorf("fifth call: %v, want success once the faults are used up", err)
	}
	if got := len(srv.Messages("ops")); got != 1 {
		t.Errorf("%d messages stored, want 1", got)
	}
	if got := srv.CallCount(slacktest.MethodPostMessage); got != 5 {
		t.Errorf("%d calls, want 5", got)
	}
}

func TestWebhook(t *testing.T) {
	srv := slacktest.NewServer(t)
	post := func(body string) (int, string) {
		resp, err := http.Post(srv.WebhookURL("ops-alerts"), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"text":"hello"}`); code != 200 || body != "ok" {
		t.Errorf("post = %d %q", code, body)
	}
	if code, body := post(`{}`); code != 400 || body != "no_text" {
		t.Errorf("empty post = %d %q", code, body)
	}
	srv.Inject(slacktest.MethodWebhook, 1, slacktest.SlackError("channel_not_found"))
	if code, body := post(`{"text":"x"}`); code != 404 || body != "channel_not_found" {
		t.Errorf("injected = %d %q", code, body)
	}
	msgs := srv.Messages("ops-alerts")
	if len(msgs) != 1 || msgs[0].Text != "hello" || !msgs[0].Webhook {
		t.Errorf("messages = %+v", msgs)
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRateLimitAndCallsPerSecond(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	srv := slacktest.NewServer(t, slacktest.WithClock(clock.Now), slacktest.WithRateLimit(1))
	api := client(srv, srv.Token)
	ctx := t.Context()
	if _, _, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("1", false)); err != nil {
		t.Fatal(err)
	}
	clock.Add(500 * time.Millisecond)
	_, _, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("2", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("second post within a second: %v, want rate limited", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "other", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("another channel is not limited: %v", err)
	}
	clock.Add(600 * time.Millisecond)
	if _, _, err := api.PostMessageContext(ctx, "ops", slack.MsgOptionText("3", false)); err != nil {
		t.Errorf("post after a second: %v", err)
	}
	if got := srv.MaxCallsPerSecond("ops"); got != 2 {
		t.Errorf("MaxCallsPerSecond = %d, want 2 (a post and a refused post within 500ms)", got)
	}
}

func TestJSONBody(t *testing.T) {
	srv := slacktest.NewServer(t)
	body, _ := json.Marshal(map[string]any{"channel": "ops", "text": "json"})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.APIURL+"chat.postMessage", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK bool   `json:"ok"`
		TS string `json:"ts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !out.OK || out.TS == "" {
		t.Fatalf("response %+v, %v", out, err)
	}
	if m, ok := srv.Message("ops", out.TS); !ok || m.Text != "json" {
		t.Errorf("message = %+v", m)
	}
}
