package slack

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ssmnotify/ssmnotify/internal/notify"
)

// SecretSource yields the Slack credentials (secrets.SlackLoader: fetched once per cold start).
type SecretSource interface {
	Get(ctx context.Context) (Secret, error)
}

// Clients hands out the bot client and the webhook clients of the one Slack secret, each built
// once on first use and shared by every sender of the process (router and digest alike).
type Clients struct {
	// Secrets gives the bot token and webhook URLs; nil when nothing posts to Slack.
	Secrets SecretSource
	// Options configure every client (API URL for a local server, clock, logger).
	Options []Option
	// MissingSecret names what to configure when Secrets is nil (e.g. the env var).
	MissingSecret string

	mu       sync.Mutex
	bot      *Client
	webhooks map[string]*Webhook
}

// Bot returns the bot-token client.
func (c *Clients) Bot(ctx context.Context) (*Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bot != nil {
		return c.bot, nil
	}
	s, err := c.secret(ctx)
	if err != nil {
		return nil, err
	}
	if s.BotToken == "" {
		return nil, notify.Permanent("slack bot", errors.New("the Slack secret has no bot_token"))
	}
	c.bot = New(s.BotToken, c.Options...)
	return c.bot, nil
}

// Webhook returns the incoming-webhook client of destination name.
func (c *Clients) Webhook(ctx context.Context, name string) (*Webhook, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wh := c.webhooks[name]; wh != nil {
		return wh, nil
	}
	s, err := c.secret(ctx)
	if err != nil {
		return nil, err
	}
	url, ok := s.Webhook(name)
	if !ok {
		return nil, notify.Permanent("slack webhook "+name, fmt.Errorf("the Slack secret has no webhooks[%q]", name))
	}
	if c.webhooks == nil {
		c.webhooks = map[string]*Webhook{}
	}
	c.webhooks[name] = NewWebhook(name, url, c.Options...)
	return c.webhooks[name], nil
}

func (c *Clients) secret(ctx context.Context) (Secret, error) {
	if c.Secrets == nil {
		what := "no Slack secret configured"
		if c.MissingSecret != "" {
			what += " (set " + c.MissingSecret + ")"
		}
		return Secret{}, notify.Permanent("slack", errors.New(what))
	}
	return c.Secrets.Get(ctx)
}
