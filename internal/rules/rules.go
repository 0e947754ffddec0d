// Package rules decides who hears about a Run Command notification: named destinations (Slack
// channels and email recipients), ordered routes in the manner of Alertmanager's routing tree,
// silences with an expiry, mute windows in a named time zone, and the digest schedule.
//
// A Set is parsed and validated once (Parse, Load, Default) and is then read-only and safe for
// concurrent use. The package is pure: no I/O besides Load's read of the file, no logging, and
// no clock — Decide is given the time.
package rules

import (
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// DestinationType says how a destination is reached.
type DestinationType string

// Destination types.
const (
	DestinationSlack DestinationType = "slack"
	DestinationEmail DestinationType = "email"
)

// SlackMode says which Slack API a Slack destination uses.
type SlackMode string

// Slack modes. A bot token can thread and edit messages; an incoming webhook only posts.
const (
	SlackBot     SlackMode = "bot"
	SlackWebhook SlackMode = "webhook"
)

// Destination is a named place a notification can be delivered to. Exactly one of Slack and
// Email is set, as Type says.
type Destination struct {
	Name  string
	Type  DestinationType
	Slack *SlackDestination
	Email *EmailDestination

	line int
}

// SlackDestination is a Slack channel. Credentials are not here: the bot token and the
// incoming-webhook URL of each webhook destination (keyed by destination name) live in the
// Secrets Manager secret.
type SlackDestination struct {
	// Channel is "#name" or a channel ID such as "C0123ABCD". It may be empty in webhook mode,
	// where the webhook decides the channel.
	Channel string
	Mode    SlackMode
	// Mentions is trusted config text to put in front of a message of that status, such as
	// "<!here>" or "<!subteam^S0123ABCD>". Validation allows only Slack mention syntax.
	Mentions map[payload.Status]string
	// BroadcastTerminal asks that the thread reply of a command's terminal state also be sent to
	// the channel (chat.postMessage reply_broadcast).
	BroadcastTerminal bool
}

// Mention returns the configured mention for status s, or "".
func (d *SlackDestination) Mention(s payload.Status) string {
	if d == nil {
		return ""
	}
	return d.Mentions[s]
}

// EmailDestination is a set of SES recipients. Every address has been checked with net/mail;
// the strings are kept as written (a display name such as "Ops <ops@example.com>" is kept).
type EmailDestination struct {
	To, Cc []string
	// From must be an SES-verified identity.
	From string
	// SubjectPrefix is put in front of every subject, e.g. "[prod]". Empty means none.
	SubjectPrefix string
	// Group says how notifications become emails: GroupCommand (the default, "") sends one email
	// per command outcome listing its failed instances; GroupNone one per notification.
	Group EmailGroup
}

// EmailGroup is an email destination's grouping.
type EmailGroup string

// Email groupings.
const (
	// GroupCommand: one email per command outcome (and a follow-up if it changes later).
	GroupCommand EmailGroup = "command"
	// GroupNone: one email per notification.
	GroupNone EmailGroup = "none"
)

// PerCommand reports whether the destination gets one email per command outcome.
func (e *EmailDestination) PerCommand() bool { return e != nil && e.Group != GroupNone }

// Route is one entry of the ordered route list. Its matching logic is compiled at Parse; only
// what callers may want to display is exported.
type Route struct {
	Name     string
	Continue bool
	// To is the route's destinations, in the order written.
	To []*Destination
	// MuteWindows is the route's mute windows (inherited from defaults when not set).
	MuteWindows []*MuteWindow
	// Enrich is the route's enrichment settings (inherited from defaults when not set), or nil
	// when its alerts are not enriched.
	Enrich *Enrich
	// Line is where the route starts in the file.
	Line int

	match     matcher
	notifyOn  statusSet
	notifyFor kindSet
}

// Silence holds back every notification it matches from Starts (when set) until Until.
type Silence struct {
	Name   string
	Reason string
	// Starts is the zero time when the silence is active from the start.
	Starts time.Time
	Until  time.Time
	Line   int

	match  matcher
	reason string // the Decision reason, built at Parse
}

// Active reports whether the silence applies at now: Starts <= now < Until.
func (s *Silence) Active(now time.Time) bool {
	return now.Before(s.Until) && (s.Starts.IsZero() || !now.Before(s.Starts))
}

// Matches reports whether the silence's matchers select n (regardless of time).
func (s *Silence) Matches(n *payload.Notification) bool { return s.match.matches(n) }

// DigestConfig is the digest block: when the digest runs, what window it covers and where it
// goes.
type DigestConfig struct {
	// Schedule is an EventBridge cron expression such as "cron(0 8 * * ? *)", evaluated in
	// TimeZone.
	Schedule string
	TimeZone string
	Location *time.Location
	// Window is how far back from the scheduled time the digest looks.
	Window       time.Duration
	Destinations []*Destination
	// SendWhenClear sends an "all clear" digest when the window had no failures.
	SendWhenClear bool
	// TopN caps the per-document and per-instance tables (default 10).
	TopN int
}

// Set is a validated, compiled configuration.
type Set struct {
	file         string
	destinations []*Destination
	destByName   map[string]*Destination
	routes       []*Route
	silences     []*Silence
	muteWindows  []*MuteWindow
	digest       *DigestConfig
	warnings     []Problem
}

// File is the name the Set was parsed under.
func (s *Set) File() string { return s.file }

// Destinations returns every destination in file order. The slice must not be modified.
func (s *Set) Destinations() []*Destination { return s.destinations }

// Destination returns the destination called name, or nil.
func (s *Set) Destination(name string) *Destination { return s.destByName[name] }

// Routes returns the routes in evaluation order. The slice must not be modified.
func (s *Set) Routes() []*Route { return s.routes }

// Silences returns every silence in file order, expired or not.
func (s *Set) Silences() []*Silence { return s.silences }

// MuteWindows returns every mute window in file order.
func (s *Set) MuteWindows() []*MuteWindow { return s.muteWindows }

// Digest returns the digest settings, or nil when the config has no digest block.
func (s *Set) Digest() *DigestConfig { return s.digest }

// Warnings returns things that are valid but probably not meant, such as a route that can never
// be reached or a destination nothing uses. check-config prints them; they never fail a load.
func (s *Set) Warnings() []Problem { return s.warnings }
