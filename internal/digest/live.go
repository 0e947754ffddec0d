package digest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/secrets"
)

// SecretSource yields the Slack credentials (secrets.SlackLoader: fetched once per cold start).
type SecretSource interface {
	Get(ctx context.Context) (secrets.Slack, error)
}

// Live sends digests for real: Slack through the Web API (bot mode) or the destination's
// incoming webhook, email through SES. Its errors carry the transports' classes.
type Live struct {
	// Secrets gives the Slack bot token and webhook URLs; nil when no destination uses Slack.
	Secrets SecretSource
	// SlackOptions configure the Slack clients (API URL for a local server, clock, logger).
	SlackOptions []slack.Option
	// Email sends through SES; nil when no destination uses email.
	Email *email.Sender

	mu       sync.Mutex
	bot      *slack.Client
	webhooks map[string]*slack.Webhook
}

var _ Sender = (*Live)(nil)

// Send renders s for dest and sends it.
func (l *Live) Send(ctx context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error {
	switch {
	case dest.Slack != nil:
		msg := render.DigestSlack(s, render.DigestOptions{Location: loc})
		if dest.Slack.Mode == rules.SlackWebhook {
			wh, err := l.webhook(ctx, dest.Name)
			if err != nil {
				return err
			}
			return wh.Post(ctx, msg)
		}
		bot, err := l.botClient(ctx)
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

func (l *Live) botClient(ctx context.Context) (*slack.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bot != nil {
		return l.bot, nil
	}
	s, err := l.secret(ctx)
	if err != nil {
		return nil, err
	}
	if s.BotToken == "" {
		return nil, notify.Permanent("slack bot", errors.New("the Slack secret has no bot_token"))
	}
	l.bot = slack.New(s.BotToken, l.SlackOptions...)
	return l.bot, nil
}

func (l *Live) webhook(ctx context.Context, name string) (*slack.Webhook, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wh := l.webhooks[name]; wh != nil {
		return wh, nil
	}
	s, err := l.secret(ctx)
	if err != nil {
		return nil, err
	}
	url, ok := s.Webhook(name)
	if !ok {
		return nil, notify.Permanent("slack webhook "+name, fmt.Errorf("the Slack secret has no webhooks[%q]", name))
	}
	if l.webhooks == nil {
		l.webhooks = map[string]*slack.Webhook{}
	}
	l.webhooks[name] = slack.NewWebhook(name, url, l.SlackOptions...)
	return l.webhooks[name], nil
}

func (l *Live) secret(ctx context.Context) (secrets.Slack, error) {
	if l.Secrets == nil {
		return secrets.Slack{}, notify.Permanent("slack", errors.New("no Slack secret configured (set "+appenv.SlackSecretARN+")"))
	}
	return l.Secrets.Get(ctx)
}
