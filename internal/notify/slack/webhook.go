package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// Webhook posts to one Slack incoming webhook. Webhooks cannot thread or edit, and return no ts.
//
// It does not use slack-go's PostWebhook: that reports neither Slack's error text nor
// Retry-After, and its errors carry the webhook URL, which is a secret.
type Webhook struct {
	name string
	url  string
	cfg  config
}

// NewWebhook returns a webhook client. name identifies the destination in errors and logs in
// place of the URL.
func NewWebhook(name, url string, opts ...Option) *Webhook {
	return &Webhook{name: name, url: url, cfg: newConfig(opts)}
}

// webhookError is a non-200 answer from a webhook.
type webhookError struct {
	status     int
	body       string // Slack's error text, e.g. "channel_not_found"
	retryAfter time.Duration
}

func (e *webhookError) Error() string {
	if e.body == "" {
		return "HTTP " + strconv.Itoa(e.status)
	}
	return "HTTP " + strconv.Itoa(e.status) + ": " + e.body
}

// Post sends msg through the webhook.
func (w *Webhook) Post(ctx context.Context, msg render.SlackMessage) error {
	op := "slack webhook " + w.name
	body, err := json.Marshal(msg.Webhook())
	if err != nil {
		return fmt.Errorf("%s: encode: %w", op, err)
	}
	return w.cfg.do(ctx, op, func(ctx context.Context) error { return w.send(ctx, body) })
}

func (w *Webhook) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		// NewRequest errors quote the URL: say only that it is unusable. Nothing was sent, and
		// a retry will not fix the configuration.
		return notify.Permanent("slack webhook "+w.name, errors.New("webhook URL is not a valid URL"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.cfg.http.Do(req)
	if err != nil {
		return err // classify strips the URL from *url.Error
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &webhookError{status: resp.StatusCode, body: sanitize(string(text))}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.retryAfter = time.Duration(s) * time.Second
	}
	return e
}

// sanitize keeps Slack's short error codes and drops anything else (an HTML error page).
func sanitize(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 64 || strings.ContainsAny(s, "<>\n") {
		return ""
	}
	return s
}
