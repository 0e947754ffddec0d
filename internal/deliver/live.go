// Package deliver joins rendering and transports: for one (destination, notification) it renders
// the Slack message or the email and sends it with the destination's transport. Live sends for
// real (Slack Web API or webhook, SES); the preview writer in the CLI uses the same rendering.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Live delivers for real.
type Live struct {
	// Slack hands out the bot and webhook clients of the one Slack secret.
	Slack *slack.Clients
	// Email sends through SES; nil when no destination uses email.
	Email *email.Sender
	// Enricher adds the invocation's detailed status, exit code and output tail to failure
	// alerts of routes that ask for it; nil for none.
	Enricher *enrich.Enricher
}

var _ router.Deliverer = (*Live)(nil)

// Deliver renders n for d's destination and sends it.
func (l *Live) Deliver(ctx context.Context, d rules.Delivery, n *payload.Notification) error {
	dest := d.Destination
	opt := preview.Options(n, dest)
	opt.Detail = l.Enricher.Enrich(ctx, n, d.Enrich) // nil-safe; bounded by the route's budget
	switch {
	case dest.Slack != nil:
		msg := render.Slack(n, opt)
		if dest.Slack.Mode == rules.SlackWebhook {
			wh, err := l.Slack.Webhook(ctx, dest.Name)
			if err != nil {
				return err
			}
			return wh.Post(ctx, msg)
		}
		bot, err := l.Bot(ctx)
		if err != nil {
			return err
		}
		_, err = bot.Post(ctx, dest.Slack.Channel, msg, slack.PostOptions{})
		return err
	case dest.Email != nil:
		if l.Email == nil {
			return notify.Permanent("email to "+dest.Name, errors.New("no SES sender configured"))
		}
		msg, err := render.Email(n, opt)
		if err != nil {
			return notify.Permanent("render email for "+dest.Name, err)
		}
		_, err = l.Email.Send(ctx, email.Envelope{From: dest.Email.From, To: dest.Email.To, Cc: dest.Email.Cc}, msg)
		return err
	}
	return notify.Permanent("deliver to "+dest.Name, fmt.Errorf("destination type %q has no transport", dest.Type))
}

// Digest returns a digest sender sharing this deliverer's secret, Slack options and SES sender.
func (l *Live) Digest() *digest.Live {
	return &digest.Live{Slack: l.Slack, Email: l.Email}
}

// Bot returns the bot-token Slack client, created on first use from the secret.
func (l *Live) Bot(ctx context.Context) (*slack.Client, error) { return l.Slack.Bot(ctx) }

// Preview "delivers" by writing the exact Slack request body or email files under a folder
// (internal/preview): what Live would send, sending nothing.
type Preview struct {
	Writer *preview.Writer
	mu     sync.Mutex
	// Paths lists every file written, in order.
	Paths []string
	ts    int
}

var _ router.Deliverer = (*Preview)(nil)

// Deliver writes the preview of n for d.
func (p *Preview) Deliver(_ context.Context, d rules.Delivery, n *payload.Notification) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	paths, err := p.Writer.Delivery(n, d)
	p.Paths = append(p.Paths, paths...)
	if err != nil {
		return notify.Permanent("preview "+d.Destination.Name, err)
	}
	return nil
}

// updateRequest is the JSON body of a chat.update call.
type updateRequest struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	render.SlackMessage
}

// Post writes the chat.postMessage a command's evolving message would make, and returns a
// made-up ts so later calls can thread under it (Preview is a thread.Poster).
func (p *Preview) Post(_ context.Context, channel string, msg render.SlackMessage, o slack.PostOptions) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	path, err := p.Writer.SlackCall(channel, "chat.postMessage", render.PostMessageRequest{Channel: channel, SlackMessage: msg, ThreadTS: o.ThreadTS, ReplyBroadcast: o.Broadcast})
	if err != nil {
		return "", notify.Permanent("preview", err)
	}
	p.Paths = append(p.Paths, path)
	p.ts++
	return fmt.Sprintf("1777888800.%06d", p.ts), nil
}

// Update writes the chat.update a command's evolving message would make.
func (p *Preview) Update(_ context.Context, channel, ts string, msg render.SlackMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	path, err := p.Writer.SlackCall(channel, "chat.update", updateRequest{Channel: channel, TS: ts, SlackMessage: msg})
	if err != nil {
		return notify.Permanent("preview", err)
	}
	p.Paths = append(p.Paths, path)
	return nil
}
