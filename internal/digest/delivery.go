package digest

import (
	"context"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/digest/view"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Delivery sends each digest along the router's delivery path (internal/deliver): with
// deliver.Live through the Slack Web API (bot mode), the destination's incoming webhook or SES;
// with deliver.Preview to files. Its errors carry the transports' classes.
type Delivery struct {
	Transport deliver.Transport
}

var _ Sender = (*Delivery)(nil)

// Send renders s for dest and sends it.
func (d *Delivery) Send(ctx context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error {
	return deliver.Send(ctx, d.Transport, dest, message{dest: dest, s: s, loc: loc})
}

// message is a digest rendered for one destination.
type message struct {
	dest *rules.Destination
	s    *tally.Summary
	loc  *time.Location
}

func (m message) Name() []string { return []string{"digest", m.dest.Name} }

func (m message) Slack() render.SlackMessage {
	return view.Slack(m.s, view.Options{Location: m.loc})
}

func (m message) Email() (render.EmailMessage, error) {
	return view.Email(m.s, view.Options{Location: m.loc, SubjectPrefix: m.dest.Email.SubjectPrefix})
}
