// Package slack delivers rendered messages to Slack, by bot token (chat.postMessage with threads,
// chat.update) or by incoming webhook, and classifies every failure with the shared classes of
// package notify.
//
// A 429 whose Retry-After fits in the time left before the context's deadline (less a safety
// margin) is waited out once and the request sent again — Slack did not post it. Nothing else is
// resent within a call: a 5xx or a timeout may follow a post that Slack made, so it is returned
// as retryable (may have been delivered) for the caller to decide. Neither the token nor a
// webhook URL appears in an error or a log line.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// Defaults for the options.
const (
	// DefaultTimeout bounds one HTTP request to Slack.
	DefaultTimeout = 10 * time.Second
	// DefaultSafetyMargin is kept free before the context's deadline after a rate-limit wait,
	// for the request that follows and for the caller's own bookkeeping.
	DefaultSafetyMargin = 2 * time.Second
	// DefaultMaxWait bounds a rate-limit wait when the context has no deadline.
	DefaultMaxWait = 30 * time.Second
)

// config holds what both clients share.
type config struct {
	apiURL  string
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	margin  time.Duration
	maxWait time.Duration
}

// Option configures a Client or a Webhook.
type Option func(*config)

// WithAPIURL points the client at another Web API base URL (the local Slack server in tests);
// it must end with a slash.
func WithAPIURL(u string) Option { return func(c *config) { c.apiURL = u } }

// WithHTTPClient replaces the HTTP client (default: one with DefaultTimeout).
func WithHTTPClient(h *http.Client) Option { return func(c *config) { c.http = h } }

// WithLogger sets the logger for rate-limit waits (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock replaces the clock and the wait used for Retry-After (tests make waits instant).
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.now, c.sleep = now, sleep }
}

func newConfig(opts []Option) config {
	c := config{
		http:    &http.Client{Timeout: DefaultTimeout},
		log:     slog.Default(),
		now:     time.Now,
		sleep:   notify.Sleep,
		margin:  DefaultSafetyMargin,
		maxWait: DefaultMaxWait,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Client posts and updates messages with a bot token.
type Client struct {
	api *slackapi.Client
	cfg config
}

// New returns a bot-token client.
func New(token string, opts ...Option) *Client {
	cfg := newConfig(opts)
	sopts := []slackapi.Option{slackapi.OptionHTTPClient(cfg.http)}
	if cfg.apiURL != "" {
		sopts = append(sopts, slackapi.OptionAPIURL(cfg.apiURL))
	}
	return &Client{api: slackapi.New(token, sopts...), cfg: cfg}
}

// String, GoString and LogValue keep the token out of prints and logs.
func (c *Client) String() string        { return "slack.Client{token: REDACTED}" }
func (c *Client) GoString() string      { return c.String() }
func (c *Client) LogValue() slog.Value  { return slog.StringValue(c.String()) }
func (w *Webhook) String() string       { return "slack.Webhook{" + w.name + ", url: REDACTED}" }
func (w *Webhook) GoString() string     { return w.String() }
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

// PostOptions place a message in a thread.
type PostOptions struct {
	// ThreadTS makes the message a reply under that parent.
	ThreadTS string
	// Broadcast also shows a thread reply in the channel (reply_broadcast).
	Broadcast bool
	// CommandID, on a command's parent message, is carried in the message's metadata so that
	// FindParent can find the message again when Slack's answer to the post was lost.
	CommandID string
}

// parentEventType is the metadata event type of a command's parent message.
// https://docs.slack.dev/messaging/message-metadata
const parentEventType = "ssmnotify_command"

func msgOptions(msg render.SlackMessage) []slackapi.MsgOption {
	return []slackapi.MsgOption{
		slackapi.MsgOptionText(msg.Text, false),
		slackapi.MsgOptionBlocks(msg.Blocks...),
		slackapi.MsgOptionAttachments(msg.Attachments...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
	}
}

// Post sends msg to channel with chat.postMessage and returns its ts (for threads and updates).
func (c *Client) Post(ctx context.Context, channel string, msg render.SlackMessage, p PostOptions) (string, error) {
	op := "slack chat.postMessage to " + channel
	opts := msgOptions(msg)
	if p.ThreadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(p.ThreadTS))
		if p.Broadcast {
			opts = append(opts, slackapi.MsgOptionBroadcast())
		}
	}
	if p.CommandID != "" {
		opts = append(opts, slackapi.MsgOptionMetadata(slackapi.SlackMetadata{EventType: parentEventType, EventPayload: map[string]any{"command_id": p.CommandID}}))
	}
	var ts string
	err := c.cfg.do(ctx, op, func(ctx context.Context) error {
		var err error
		_, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// FindParent looks among the channel's latest 200 messages for the parent of commandID posted
// with PostOptions.CommandID, and returns its ts ("" when it is not there). It needs the
// channel's ID (C…, G…) and the channels:history (or groups:history) scope; a channel given by
// name cannot be searched, which is reported as not found.
// https://docs.slack.dev/reference/methods/conversations.history
func (c *Client) FindParent(ctx context.Context, channel, commandID string) (string, error) {
	if strings.HasPrefix(channel, "#") {
		return "", nil
	}
	op := "slack conversations.history of " + channel
	var found string
	err := c.cfg.do(ctx, op, func(ctx context.Context) error {
		h, err := c.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: channel, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return err
		}
		for _, m := range h.Messages {
			if m.Metadata.EventType == parentEventType && m.Metadata.EventPayload["command_id"] == commandID && (m.ThreadTimestamp == "" || m.ThreadTimestamp == m.Timestamp) {
				found = m.Timestamp
				return nil
			}
		}
		return nil
	})
	return found, err
}

// Update replaces the content of the message ts in channel with chat.update.
func (c *Client) Update(ctx context.Context, channel, ts string, msg render.SlackMessage) error {
	op := "slack chat.update of " + ts + " in " + channel
	opts := msgOptions(msg)
	return c.cfg.do(ctx, op, func(ctx context.Context) error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// do runs one request; on a 429 whose Retry-After fits before the deadline it waits once and
// runs it again. Every error comes back classified.
func (c *config) do(ctx context.Context, op string, call func(context.Context) error) error {
	err := call(ctx)
	if err == nil {
		return nil
	}
	wait, limited := retryAfter(err)
	if !limited {
		return classify(op, err)
	}
	if !notify.Fits(ctx, c.now(), wait, c.margin, c.maxWait) {
		return notify.Retryable(op, fmt.Errorf("rate limited, Retry-After %s does not fit before the deadline", wait))
	}
	c.log.InfoContext(ctx, "slack rate limited; waiting once", "op", op, "retry_after", wait.String())
	if serr := c.sleep(ctx, wait); serr != nil {
		return notify.Retryable(op, fmt.Errorf("rate limited, wait interrupted: %w", serr))
	}
	if err = call(ctx); err == nil {
		return nil
	}
	if _, again := retryAfter(err); again {
		return notify.Retryable(op, fmt.Errorf("rate limited again after waiting %s", wait))
	}
	return classify(op, err)
}

// retryAfter reports whether err is a 429, and the wait Slack asked for.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var we *webhookError
	if errors.As(err, &we) && we.status == http.StatusTooManyRequests && we.retryAfter > 0 {
		return we.retryAfter, true
	}
	return 0, false
}

// permanentCodes are Slack error codes that no retry will fix. See
// https://docs.slack.dev/reference/methods/chat.postMessage#errors.
var permanentCodes = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "channel_is_archived": true,
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "not_allowed_token_type": true,
	"restricted_action": true, "restricted_action_read_only_channel": true,
	"restricted_action_thread_only_channel": true, "restricted_action_non_threadable_channel": true,
	"ekm_access_denied": true, "team_access_not_granted": true, "org_login_required": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "invalid_attachments": true,
	"msg_too_long": true, "no_text": true, "too_many_attachments": true, "invalid_arguments": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"invalid_payload": true, "no_service": true, "no_team": true, "team_disabled": true,
	"invalid_token": true, "action_prohibited": true, "posting_to_general_channel_denied": true,
	"duplicate_channel_not_found": true, "as_user_not_supported": true,
}

// retryableCodes are Slack error codes for transient trouble on Slack's side.
var retryableCodes = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true, "rollup_error": true,
}

// classify wraps err with its class. Errors from net/http lose their URL on the way (a webhook
// URL is a secret).
func classify(op string, err error) error {
	var done *notify.Error
	if errors.As(err, &done) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	var se slackapi.SlackErrorResponse
	var sc slackapi.StatusCodeError
	var we *webhookError
	var rl *slackapi.RateLimitedError
	switch {
	case errors.As(err, &se):
		if retryableCodes[se.Err] {
			return notify.Retryable(op, err)
		}
		// Unknown codes are permanent too: a retry must help to be attempted, and the
		// notification is kept for an operator either way.
		return notify.Permanent(op, err)
	case errors.As(err, &rl):
		return notify.Retryable(op, err)
	case errors.As(err, &sc):
		return byStatus(op, sc.Code, err)
	case errors.As(err, &we):
		if we.status < 500 && we.status != http.StatusTooManyRequests && retryableCodes[we.body] {
			return notify.Retryable(op, err)
		}
		return byStatus(op, we.status, err)
	case notify.IsTimeout(err):
		return notify.RetryableMaybeSent(op, err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		// The connection never opened: nothing was sent.
		return notify.Retryable(op, err)
	}
	// A reset connection or an unreadable answer: the post may have been made.
	return notify.RetryableMaybeSent(op, err)
}

func byStatus(op string, status int, err error) error {
	switch {
	case status == http.StatusTooManyRequests:
		return notify.Retryable(op, err)
	case status >= 500:
		return notify.RetryableMaybeSent(op, err)
	case status >= 400:
		return notify.Permanent(op, err)
	}
	return notify.RetryableMaybeSent(op, err)
}
