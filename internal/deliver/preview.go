package deliver

import (
	"context"
	"fmt"
	"sync"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Preview is the transport that "sends" by writing the exact Slack request body or the email's
// files under a folder (internal/preview): what Live would send, sending nothing. It is also a
// thread.Poster, for the commands' evolving messages.
type Preview struct {
	Writer *preview.Writer
	// Enricher adds what enrichment learns to failure alerts, as Live's does (the CLI wires
	// setup.CLIEnricher); nil for none.
	Enricher *enrich.Enricher
	mu       sync.Mutex
	// Paths lists every file written, in order.
	Paths []string
	ts    int
}

var _ Transport = (*Preview)(nil)

// Deliver writes the preview of n for d (the router's Deliverer).
func (p *Preview) Deliver(ctx context.Context, d rules.Delivery, n *payload.Notification) error {
	if d.Destination == nil {
		return notify.Permanent("preview", fmt.Errorf("delivery of route %q has no destination", d.Route))
	}
	opt := Options(n, d.Destination)
	opt.Detail = p.Enricher.Enrich(ctx, n, d.Enrich) // nil-safe
	return Send(ctx, p, d.Destination, Alert(n, d.Destination, opt))
}

// PostMessage writes the chat.postMessage body of msg.
func (p *Preview) PostMessage(_ context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error {
	return p.slack(dest, name, false, msg)
}

// PostWebhook writes the webhook body of msg.
func (p *Preview) PostWebhook(_ context.Context, dest *rules.Destination, name []string, msg render.SlackMessage) error {
	return p.slack(dest, name, true, msg)
}

func (p *Preview) slack(dest *rules.Destination, name []string, webhook bool, msg render.SlackMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	channel := ""
	if !webhook {
		channel = dest.Slack.Channel
	}
	path, err := p.Writer.Slack(name, channel, webhook, msg)
	if err != nil {
		return notify.Permanent("preview "+dest.Name, err)
	}
	p.Paths = append(p.Paths, path)
	return nil
}

// SendEmail writes the headers, HTML and text of msg.
func (p *Preview) SendEmail(_ context.Context, dest *rules.Destination, name []string, msg render.EmailMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	paths, err := p.Writer.Email(name, dest.Email, msg)
	p.Paths = append(p.Paths, paths...)
	if err != nil {
		return notify.Permanent("preview "+dest.Name, err)
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
// made-up ts so later calls can thread under it.
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
