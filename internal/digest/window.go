package digest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event sources a digest accepts: EventBridge Scheduler (what the CDK app deploys, with the
// scheduled time in "time") and an EventBridge scheduled rule.
const (
	SourceScheduler = "aws.scheduler"
	SourceEvents    = "aws.events"
	// DetailType is the detail-type of both.
	DetailType = "Scheduled Event"
)

// ErrInvalidEvent marks an event the digest cannot run from. Retrying does not help.
var ErrInvalidEvent = errors.New("invalid digest event")

// ScheduledEvent is the invocation event, with the JSON names AWS uses.
type ScheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ParseEvent decodes a scheduled event from EventBridge Scheduler or an EventBridge rule. Its
// errors wrap ErrInvalidEvent and quote no more than the source and detail-type.
func ParseEvent(raw []byte) (ScheduledEvent, error) {
	var ev ScheduledEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		var te *time.ParseError
		if errors.As(err, &te) {
			return ev, fmt.Errorf("%w: time is not an RFC 3339 time", ErrInvalidEvent)
		}
		return ev, fmt.Errorf("%w: not a scheduled event (JSON object expected)", ErrInvalidEvent)
	}
	if ev.Source != SourceScheduler && ev.Source != SourceEvents {
		return ev, fmt.Errorf("%w: source %.40q, want %s or %s", ErrInvalidEvent, ev.Source, SourceScheduler, SourceEvents)
	}
	if ev.DetailType != DetailType {
		return ev, fmt.Errorf("%w: detail-type %.40q, want %q", ErrInvalidEvent, ev.DetailType, DetailType)
	}
	if ev.Time.IsZero() {
		return ev, fmt.Errorf("%w: no time (for EventBridge Scheduler, pass <aws.scheduler.scheduled-time>)", ErrInvalidEvent)
	}
	return ev, nil
}

// Window is the span a digest covers: [From, To).
type Window struct {
	From, To time.Time
}

// WindowAt is the window of the given length that ends at the scheduled time. The scheduled time
// is cut to the minute (cron's resolution, in UTC), so a schedule that fires twice — or an
// EventBridge rule whose event time is a few seconds late — names the same window and so the
// same claims.
func WindowAt(scheduled time.Time, length time.Duration) Window {
	to := scheduled.UTC().Truncate(time.Minute)
	return Window{From: to.Add(-length), To: to}
}

// Length is To - From.
func (w Window) Length() time.Duration { return w.To.Sub(w.From) }

// Previous is the window of the same length just before w.
func (w Window) Previous() Window { return Window{From: w.From.Add(-w.Length()), To: w.From} }

// String writes the window in RFC 3339, UTC.
func (w Window) String() string {
	return w.From.UTC().Format(time.RFC3339) + "/" + w.To.UTC().Format(time.RFC3339)
}
