package digest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Live sends digests for real: Slack through the Web API (bot mode) or the destination's
// incoming webhook, email through SES. Its errors carry the transports' classes.
type Live struct {
	// Slack hands out the bot and webhook clients (shared with the router's sender).
	Slack *slack.Clients
	// Email sends through SES; nil when no destination uses email.
	Email *email.Sender
}

var _ Sender = (*Live)(nil)

// Send renders s for dest and sends it.
func (l *Live) Send(ctx context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error {
	switch {
	case dest.Slack != nil:
		msg := render.DigestSlack(s, render.DigestOptions{Location: loc})
		if dest.Slack.Mode == rules.SlackWebhook {
			wh, err := l.Slack.Webhook(ctx, dest.Name)
			if err != nil {
				return err
			}
			return wh.Post(ctx, msg)
		}
		bot, err := l.Slack.Bot(ctx)
		if err != nil {
			return err
		}
		_, err = bot.Post(ctx, dest.Slack.Channel, msg, slack.PostOptions{})
		return err
	case dest.Email != nil:
		if l.Email == nil {
			return notify.Permanent("digest email to "+dest.Name, errors.New("no SES sender configured"))
		}
		msg, err := render.DigestEmail(s, render.DigestOptions{Location: loc, SubjectPrefix: dest.Email.SubjectPrefix})
		if err != nil {
			return notify.Permanent("render digest email for "+dest.Name, err)
		}
		_, err = l.Email.Send(ctx, email.Envelope{From: dest.Email.From, To: dest.Email.To, Cc: dest.Email.Cc}, msg)
		return err
	}
	return notify.Permanent("digest to "+dest.Name, fmt.Errorf("destination type %q has no transport", dest.Type))
}
