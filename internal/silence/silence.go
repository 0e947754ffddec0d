// Package silence is the ad-hoc silence model, after Alertmanager's: matchers on a
// notification's fields (=, !=, =~, !~, regular expressions anchored as in Alertmanager), a time
// range, an author and a required comment. A silence is pending before it starts, active until it
// ends, then expired. The package is pure: no AWS, no logging, no clock (time is passed in).
// Stores live with the state store's adapters (internal/state/dynamo, internal/state/memory).
package silence

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Limits, as Alertmanager on-call expect them and as the issue sets them.
const (
	// MaxDuration bounds a silence: anything longer belongs in the reviewed config.
	MaxDuration = 90 * 24 * time.Hour
	// Retention is how long an expired silence is kept (history for `silence query --expired`
	// and the digest) before the table's TTL removes it.
	Retention = 5 * 24 * time.Hour
	// SourceConfig marks a silence that comes from the YAML config: shown, never edited here.
	SourceConfig = "config"
)

// State is where a silence is in its life at a given time.
type State string

// States.
const (
	Pending State = "pending"
	Active  State = "active"
	Expired State = "expired"
)

// Silence holds back the deliveries its matchers select between Starts and Ends. The JSON form
// is Alertmanager's (what `amtool silence query -o json` prints), plus the source.
type Silence struct {
	ID       string    `json:"id"`
	Matchers Matchers  `json:"matchers"`
	Starts   time.Time `json:"startsAt"`
	Ends     time.Time `json:"endsAt"`
	Author   string    `json:"createdBy"`
	Comment  string    `json:"comment"`
	Created  time.Time `json:"createdAt"`
	// Updated is the last change (creation or expiry).
	Updated time.Time `json:"updatedAt,omitzero"`
	// Source is "" for a stored silence, SourceConfig for one from the YAML config (read-only).
	Source string `json:"source,omitempty"`
	// Matched is when the silence first held something back (zero: never); the digest names
	// silences that expired without ever matching.
	Matched time.Time `json:"matchedAt,omitzero"`
}

// StateAt is the silence's state at now: pending before Starts, active in [Starts, Ends),
// expired from Ends on.
func (s *Silence) StateAt(now time.Time) State {
	switch {
	case now.Before(s.Starts):
		return Pending
	case now.Before(s.Ends):
		return Active
	}
	return Expired
}

// ReadOnly reports whether the silence comes from somewhere this package cannot change.
func (s *Silence) ReadOnly() bool { return s.Source != "" }

// Error is a silence that cannot be stored, naming the argument at fault (a matcher as written,
// "comment", "ends", "duration", ...).
type Error struct {
	Arg    string
	Reason string
}

func (e *Error) Error() string { return e.Arg + ": " + e.Reason }

// ErrInvalid is wrapped by every validation error, so callers can tell bad input (exit 2) from a
// store failure.
var ErrInvalid = errors.New("invalid silence")

// Is makes errors.Is(err, ErrInvalid) hold for an *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// ErrNotFound is returned for an ID that no stored silence has (or whose TTL has passed).
var ErrNotFound = errors.New("silence not found")

// ErrReadOnly is returned when asked to change a silence from the config.
var ErrReadOnly = errors.New("silence comes from the config and is read-only there")

// Validate checks what a new silence must have: at least one matcher, a comment, an author, an
// end after the start, and at most MaxDuration between them. Matchers were checked when they were
// made.
func (s *Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return &Error{Arg: "matchers", Reason: "at least one matcher is needed (to silence everything say so: document=~'.*')"}
	}
	for _, m := range s.Matchers {
		if err := m.check(); err != nil {
			return err
		}
	}
	if strings.TrimSpace(s.Comment) == "" {
		return &Error{Arg: "comment", Reason: "a silence needs a comment saying why, for whoever wonders where their alerts went"}
	}
	if strings.TrimSpace(s.Author) == "" {
		return &Error{Arg: "author", Reason: "a silence needs an author"}
	}
	if s.Starts.IsZero() || s.Ends.IsZero() {
		return &Error{Arg: "ends", Reason: "a silence needs a start and an end"}
	}
	if !s.Ends.After(s.Starts) {
		return &Error{Arg: "ends", Reason: fmt.Sprintf("end %s is not after start %s",
			s.Ends.UTC().Format(time.RFC3339), s.Starts.UTC().Format(time.RFC3339))}
	}
	if d := s.Ends.Sub(s.Starts); d > MaxDuration {
		return &Error{Arg: "duration", Reason: fmt.Sprintf("%s is over the limit of 90 days (2160h); a longer quiet period belongs in the reviewed config", d)}
	}
	return nil
}

// Target is what a silence is matched against: one notification on its way to one destination.
// Route and Destination are "" when not yet known (the silence's route and destination matchers
// then see empty values).
type Target struct {
	N           *payload.Notification
	Route       string
	Destination string
}

// value is the target's value of a matcher field.
func (t Target) value(f Field) string {
	n := t.N
	switch f {
	case FieldDocument:
		return n.DocumentName
	case FieldInstance:
		return n.InstanceID
	case FieldCommand:
		return n.CommandID
	case FieldAccount:
		return n.Account
	case FieldRegion:
		return n.Region
	case FieldStatus:
		return string(n.Status)
	case FieldKind:
		return string(n.Kind)
	case FieldRoute:
		return t.Route
	case FieldDestination:
		return t.Destination
	}
	return ""
}

// Matches reports whether every matcher selects t (regardless of time).
func (s *Silence) Matches(t Target) bool {
	for _, m := range s.Matchers {
		if !m.Matches(t.value(m.Name)) {
			return false
		}
	}
	return true
}

// Find returns the first silence in list that is active at now and matches t, or nil.
func Find(list []Silence, t Target, now time.Time) *Silence {
	for i := range list {
		if list[i].StateAt(now) == Active && list[i].Matches(t) {
			return &list[i]
		}
	}
	return nil
}

// Expire ends s at now: an active silence ends now, a pending one never starts (both its times
// become now), an expired one is left as it is (expiring is idempotent). It reports whether s
// changed.
func (s *Silence) Expire(now time.Time) bool {
	switch s.StateAt(now) {
	case Expired:
		return false
	case Pending:
		s.Starts = now
	}
	s.Ends = now
	s.Updated = now
	return true
}

// TTL is when the store may drop s: Retention after it ends.
func (s *Silence) TTL() time.Time { return s.Ends.Add(Retention) }

// Store keeps ad-hoc silences. Implementations: internal/state/dynamo (the state table) and
// internal/state/memory; both pass internal/state/statetest.RunSilences. Every method takes the
// time; a silence past its TTL (ends + Retention) is absent from every read and write.
type Store interface {
	// Add validates s, gives it a new ID and Created/Updated = now, stores it and returns it.
	Add(ctx context.Context, s Silence, now time.Time) (Silence, error)
	// Edit replaces the silence s.ID with s. Alertmanager's rule: when the matchers or the start
	// change, the old silence is expired and s is stored under a new ID (history is kept);
	// otherwise (end, comment) it is changed in place. An expired silence cannot be edited.
	Edit(ctx context.Context, s Silence, now time.Time) (Silence, error)
	// Expire ends the silence id at now. Expiring an expired silence changes nothing and is not
	// an error; an unknown ID is ErrNotFound.
	Expire(ctx context.Context, id string, now time.Time) (Silence, error)
	// MarkMatched records, once, that the silence id held something back at now.
	MarkMatched(ctx context.Context, id string, now time.Time) error
	// Silences returns every stored silence whose TTL has not passed, by start then ID.
	Silences(ctx context.Context, now time.Time) ([]Silence, error)
}

// Sort orders silences by start, then ID: the order stores return.
func Sort(list []Silence) {
	sortSilences(list)
}

// Summary words a silence for a decision line or a channel post: "alice silenced
// AWS-RunPatchBaseline failures for 4h: patch night".
func (s *Silence) Summary() string {
	what := ""
	failures := false
	for _, m := range s.Matchers {
		switch {
		case m.Name == FieldDocument && m.Op == Equal:
			what = m.Value
		case m.Name == FieldStatus && m.Matches(string(payload.StatusFailed)):
			failures = true
		}
	}
	if what == "" {
		what = s.Matchers.String()
	}
	if failures {
		what += " failures"
	}
	return fmt.Sprintf("%s silenced %s for %s: %s", s.Author, what, humanDuration(s.Ends.Sub(s.Starts)), s.Comment)
}

// humanDuration prints 4h, 90m, 2d12h rather than 4h0m0s.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	h, m := rest/time.Hour, (rest%time.Hour)/time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

// ExpirySummary words an expired silence: "alice's silence of AWS-RunPatchBaseline failures
// ended after 1h30m: patch night".
func (s *Silence) ExpirySummary() string {
	sum := s.Summary() // "<author> silenced <what> for <d>: <comment>"
	what := strings.TrimPrefix(sum, s.Author+" silenced ")
	if i := strings.LastIndex(what, " for "); i >= 0 {
		what = what[:i]
	}
	return fmt.Sprintf("%s's silence of %s ended after %s: %s", s.Author, what, humanDuration(s.Ends.Sub(s.Starts)), s.Comment)
}
