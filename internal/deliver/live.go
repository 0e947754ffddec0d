package deliver

import (
	"context"
	"errors"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Live is the transport that sends for real; the router and the digest share one.
type Live struct {
	// Slack hands out the bot and webhook clients of the one Slack secret.
	Slack *slack.Clients
	// Email sends through SES; nil when no destination uses email.
	Email *email.Sender
	// Enricher adds the invocation's detailed status, exit code and output tail to failure
	// alerts of routes that ask for it; nil for none.
	Enricher *enrich.Enricher
}

var _ Transport = (*Live)(nil)

// Deliver renders n for d's destination and sends it (the router's Deliverer).
func (l *Live) Deliver(ctx context.Context, d rules.Delivery, n *payload.Notification) error {
	opt := Options(n, d.Destination)
	opt.Detail = l.Enricher.Enrich(ctx, n, d.Enrich) // nil-safe; bounded by the route's budget
	return Send(ctx, l, d.Destination, Alert(n, d.Destination, opt))
}

// PostMessage posts msg to the destination's channel with the bot token.
func (l *Live) PostMessage(ctx context.Context, dest *rules.Destination, _ []string, msg render.SlackMessage) error {
	bot, err := l.Bot(ctx)
	if err != nil {
		return err
	}
	_, err = bot.Post(ctx, dest.Slack.Channel, msg, slack.PostOptions{})
	return err
}

// PostWebhook posts msg through the destination's incoming webhook.
func (l *Live) PostWebhook(ctx context.Context, dest *rules.Destination, _ []string, msg render.SlackMessage) error {
	wh, err := l.Slack.Webhook(ctx, dest.Name)
	if err != nil {
		return err
	}
	return wh.Post(ctx, msg)
}

// SendEmail sends msg through SES to the destination's addresses.
func (l *Live) SendEmail(ctx context.Context, dest *rules.Destination, _ []string, msg render.EmailMessage) error {
	if l.Email == nil {
		return notify.Permanent("email to "+dest.Name, errors.New("no SES sender configured"))
	}
	_, err := l.Email.Send(ctx, email.Envelope{From: dest.Email.From, To: dest.Email.To, Cc: dest.Email.Cc}, msg)
	return err
}

// Bot returns the bot-token Slack client, created on first use from the secret.
func (l *Live) Bot(ctx context.Context) (*slack.Client, error) { return l.Slack.Bot(ctx) }
