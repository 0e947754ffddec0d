// Package render turns a Run Command notification into what on-call reads: a Slack message
// (Block Kit, built with slack-go's types) and an email (subject, HTML and plain text), and a
// command's evolving Slack message (thread.go). It is pure: no I/O, no clock, no configuration
// types — the caller passes plain Options. The digest's views (internal/digest/view) build on
// its escapers and Slack helpers.
//
// Everything taken from the notification or its envelope is untrusted: anyone allowed to publish
// to the SNS topic controls it. Slack text is escaped (&, <, >) so it can never mention, link or
// inject markup; HTML values are escaped for their context exactly as html/template would
// (htmlescape.go says why html/template itself is not linked); the email subject is forced onto
// one line.
// Slack's limits (50 blocks, 3,000 characters per section, 150 per header) hold by construction,
// with a visible marker where something was cut.
package render

import (
	"strconv"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Options are the plain settings rendering needs from the routing configuration.
type Options struct {
	// Mention is trusted configuration text inserted verbatim at the start of the Slack message,
	// e.g. "<!here>" or "<!subteam^S0123>". Empty for none.
	Mention string
	// SubjectPrefix is put before the email subject, e.g. "[prod]". Trusted, but forced onto one
	// line.
	SubjectPrefix string
	// Detail is what enrichment learned about the failure (detailed status, exit code, output
	// tail), shown in the Slack attachment and both email bodies. Nil shows nothing, and the
	// message is exactly what it was before enrichment existed.
	Detail *failure.Detail
}

// Caps on untrusted values, in runes, for every view (the digest's included). They keep a
// hostile 10 KB document name from crowding out everything else; Slack's own limits are
// enforced separately.
const (
	MaxDocumentRunes   = 200
	MaxIDRunes         = 80
	maxInstancesListed = 20

	maxDocumentRunes = MaxDocumentRunes
	maxIDRunes       = MaxIDRunes
)

// facts is what every renderer shows, computed once from a notification.
type facts struct {
	n        *payload.Notification
	style    Style
	status   string // "Failed", "Timed Out", or the raw text of an unknown status
	document string // raw; each renderer escapes for its medium
	kind     string
	target   string // "3 instances", "i-0abc…", or "" for a tag-targeted command
	// on joins the status to the target: " on " for one instance, " across " for a summary of
	// several, which does not say how many of them failed ("Failed: X across 3 targeted
	// instances", not "on 3 instances" when 1 of 3 failed).
	on    string
	links consoleLinks
}

func newFacts(n *payload.Notification) facts {
	f := facts{n: n, style: StyleOf(n.Status), status: n.Status.Words(), document: n.DocumentName, links: consoleLinksOf(n), on: " on "}
	if f.status == "" {
		f.status = "Unknown status"
	}
	if f.document == "" {
		f.document = "(unnamed document)"
	}
	switch n.Kind {
	case payload.KindInvocation:
		f.kind = "Invocation"
		f.target = n.InstanceID
	default:
		f.kind = "Command summary"
		switch len(n.InstanceIDs) {
		case 0:
		case 1:
			f.target = n.InstanceIDs[0]
		default:
			f.target = strconv.Itoa(len(n.InstanceIDs)) + " targeted instances"
			f.on = " across "
		}
	}
	return f
}

// Style is how a status looks: an emoji for Slack and a colour for the Slack attachment bar
// and the email banner.
type Style struct {
	// Emoji is a Slack emoji code, e.g. ":x:".
	Emoji string
	// Color is a CSS hex colour, e.g. "#d1242f".
	Color string
}

// StyleOf returns the look of a status. Unknown and non-standard statuses that mean failure
// look like failures; others are grey.
func StyleOf(s payload.Status) Style {
	switch s {
	case payload.StatusSuccess:
		return Style{":white_check_mark:", "#1a7f37"}
	case payload.StatusInProgress:
		return Style{":hourglass_flowing_sand:", "#0969da"}
	case payload.StatusFailed:
		return Style{":x:", "#d1242f"}
	case payload.StatusTimedOut:
		return Style{":alarm_clock:", "#bc4c00"}
	case payload.StatusCancelled:
		return Style{":no_entry_sign:", "#6e7781"}
	}
	if s.Failure() {
		return Style{":x:", "#d1242f"}
	}
	return Style{":grey_question:", "#6e7781"}
}

// timeLayout is how times are written for humans: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 UTC"

// formatTime writes t for humans, or "" for a zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// slackTime writes t so that Slack shows it in the reader's time zone, with the UTC text as the
// fallback for clients that cannot. See https://docs.slack.dev/messaging/formatting-message-text#date-formatting.
func slackTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_num} {time_secs}|" + formatTime(t) + ">"
}

// statusUpper is the status for an email subject tag: "FAILED", "TIMED OUT".
func statusUpper(words string) string { return strings.ToUpper(words) }
