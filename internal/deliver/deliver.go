// Package deliver is the one delivery path of ssmnotify: Send turns (destination, rendered
// message) into a Slack bot call, an incoming-webhook post or an SES email, for the router's
// alerts and the digest alike, with one error classification (internal/notify: retryable or
// permanent). The Transport it sends with is Live (Slack Web API, webhooks, SES) or Preview
// (files under a folder: what Live would send, sending nothing).
package deliver

import (
	"context"
	"fmt"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Message is one message rendered for the destination it goes to: a notification's alert or a
// digest. Send asks only for the medium the destination takes.
type Message interface {
	// Name says what the message is, in a few parts ("ops", "0b7f3c2e", "i-1", "Failed"):
	// previews name their files after it.
	Name() []string
	// Slack renders the message for a Slack destination.
	Slack() render.SlackMessage
	// Email renders the message for an email destination.
	Email() (render.EmailMessage, error)
}

// Transport carries a rendered message to one destination. Its errors are classified with
// internal/notify. name is the Message's Name.
type Transport interface {
	// PostMessage posts to the destination's channel with the bot token (chat.postMessage).
	PostMessage(ctx context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error
	// PostWebhook posts through the destination's incoming webhook.
	PostWebhook(ctx context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error
	// SendEmail sends to the destination's addresses.
	SendEmail(ctx context.Context, dest *rules.Destination, name []string, msg render.EmailMessage) error
}

// Send renders m for dest and sends it with t. A message that cannot be rendered, or a
// destination no transport serves, is a permanent failure: retrying cannot fix it.
func Send(ctx context.Context, t Transport, dest *rules.Destination, m Message) error {
	switch {
	case dest.Slack != nil:
		msg := m.Slack()
		if dest.Slack.Mode == rules.SlackWebhook {
			return t.PostWebhook(ctx, dest, m.Name(), msg)
		}
		return t.PostMessage(ctx, dest, m.Name(), msg)
	case dest.Email != nil:
		msg, err := m.Email()
		if err != nil {
			return notify.Permanent("render email for "+dest.Name, err)
		}
		return t.SendEmail(ctx, dest, m.Name(), msg)
	}
	return notify.Permanent("deliver to "+dest.Name, fmt.Errorf("destination type %q has no transport", dest.Type))
}

// Options returns the rendering options a delivery of n to d implies: the destination's
// mention for the notification's status, its subject prefix.
func Options(n *payload.Notification, d *rules.Destination) render.Options {
	var o render.Options
	if d.Slack != nil {
		o.Mention = d.Slack.Mention(n.Status)
	}
	if d.Email != nil {
		o.SubjectPrefix = d.Email.SubjectPrefix
	}
	return o
}

// Alert is notification n rendered for one destination with opt (see Options): what the
// router's per-notification delivery sends, live, in previews and in replay.
func Alert(n *payload.Notification, dest *rules.Destination, opt render.Options) Message {
	return alert{n: n, dest: dest, opt: opt}
}

// alert is a notification rendered for one destination with opt (see Options).
type alert struct {
	n    *payload.Notification
	dest *rules.Destination
	opt  render.Options
}

func (a alert) Name() []string {
	target := a.n.Target()
	if target == "" {
		target = "command"
	}
	return []string{a.dest.Name, a.n.ShortCommandID(), target, string(a.n.Status)}
}

func (a alert) Slack() render.SlackMessage          { return render.Slack(a.n, a.opt) }
func (a alert) Email() (render.EmailMessage, error) { return render.Email(a.n, a.opt) }
