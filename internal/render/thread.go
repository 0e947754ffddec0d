package render

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// CommandView is what the one evolving Slack message of a command shows: its state across all its
// instances, derived from the stored roll-up (never from a single notification, so it cannot go
// backwards when notifications arrive out of order).
type CommandView struct {
	CommandID, Document, Region, Account string
	// Status is the command's overall status.
	Status payload.Status
	// Targets is how many instances the command targeted (0 when unknown, e.g. tag-targeted and no
	// summary seen); Counts are the instances' latest statuses.
	Targets int
	Counts  map[payload.Status]int
	// Failed lists failed instances (capped by the store); FailedTotal counts them all.
	Failed      []string
	FailedTotal int
	// Started and Updated bound the time so far.
	Started, Updated time.Time
	// Mention is trusted config text for the command's status (e.g. "<!here>"), or "".
	Mention string
	// Silenced is said instead of a mention when an ad-hoc silence holds the command's alerts
	// back ("3 failures silenced by alice: patch night"); untrusted text, escaped when shown.
	Silenced string
}

// SilencedLine words a silence for the command's message.
func SilencedLine(failures int, author, comment string) string {
	lead := "Alerts"
	switch {
	case failures == 1:
		lead = "1 failure"
	case failures > 1:
		lead = strconv.Itoa(failures) + " failures"
	}
	return lead + " silenced by " + author + ": " + comment
}

// maxSilencedRunes caps the silence line (the comment is free text).
const maxSilencedRunes = 300

// maxListedInstances caps the failed instances listed in one message.
const maxListedInstances = 30

// Tally is the one-line state of the command: "Failed on 12 of 500 · 480 succeeded · 8 in
// progress".
func (v CommandView) Tally() string {
	total := v.Targets
	seen := 0
	for _, n := range v.Counts {
		seen += n
	}
	if total < seen {
		total = seen
	}
	if seen == 0 {
		// Command summaries only (NotificationType Command): no per-instance results.
		if v.Targets > 0 {
			return v.Status.Words() + " · " + plural(v.Targets, "instance", "instances") + " targeted"
		}
		return v.Status.Words()
	}
	var parts []string
	failed := 0
	var failKinds []string
	keys := make([]payload.Status, 0, len(v.Counts))
	for s := range v.Counts {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, s := range keys {
		if s.Failure() && v.Counts[s] > 0 {
			failed += v.Counts[s]
			failKinds = append(failKinds, strconv.Itoa(v.Counts[s])+" "+strings.ToLower(s.Words()))
		}
	}
	if failed > 0 {
		lead := "Failed on " + strconv.Itoa(failed) + " of " + strconv.Itoa(total)
		if len(failKinds) > 1 {
			lead += " (" + strings.Join(failKinds, ", ") + ")"
		}
		parts = append(parts, lead)
	}
	if n := v.Counts[payload.StatusSuccess]; n > 0 || failed == 0 {
		parts = append(parts, strconv.Itoa(n)+" of "+strconv.Itoa(total)+" succeeded")
	}
	if n := v.Counts[payload.StatusInProgress]; n > 0 {
		parts = append(parts, strconv.Itoa(n)+" in progress")
	}
	if v.Targets > seen {
		parts = append(parts, strconv.Itoa(v.Targets-seen)+" not reported")
	}
	return strings.Join(parts, " · ")
}

// Fingerprint identifies what Parent would show, so an update that changes nothing is skipped.
func (v CommandView) Fingerprint() string {
	var b strings.Builder
	b.WriteString(string(v.Status))
	b.WriteByte('|')
	b.WriteString(v.Tally())
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(v.FailedTotal))
	b.WriteString(v.Silenced)
	for _, f := range v.Failed {
		b.WriteByte(',')
		b.WriteString(f)
	}
	return b.String()
}

// Parent renders the command's parent message: status and document in the header, the tally,
// the failed instances (capped), the time so far and the console link.
func Parent(v CommandView) SlackMessage {
	style := StyleOf(v.Status)
	doc := v.Document
	if doc == "" {
		doc = "(unnamed document)"
	}
	header := style.Emoji + " " + v.Status.Words() + ": " + doc
	blocks := []slack.Block{HeaderBlock(header)}
	if v.Mention != "" {
		blocks = append(blocks, MrkdwnSection(v.Mention))
	}
	if v.Silenced != "" {
		blocks = append(blocks, Context(":no_bell: "+EscapeMrkdwnMax(v.Silenced, maxSilencedRunes, Ellipsis, true)))
	}
	var body strings.Builder
	body.WriteString("*" + EscapeMrkdwn(v.Tally()) + "*")
	if len(v.Failed) > 0 {
		body.WriteString("\n*Failed instances:* ")
		body.WriteString(listInstances(v.Failed, v.FailedTotal))
	}
	atts := []slack.Block{MrkdwnSection(body.String())}
	var facts []string
	facts = append(facts, "Command "+Code(v.CommandID, maxIDRunes))
	if !v.Started.IsZero() {
		since := "since " + slackTime(v.Started)
		if !v.Updated.IsZero() && v.Updated.After(v.Started) {
			since += ", " + roundDuration(v.Updated.Sub(v.Started)) + " so far"
		}
		facts = append(facts, since)
	}
	if v.Region != "" {
		facts = append(facts, EscapeMrkdwnMax(v.Region, 40, Ellipsis, true))
	}
	if v.Account != "" {
		facts = append(facts, "account "+EscapeMrkdwnMax(v.Account, 20, Ellipsis, true))
	}
	if u := CommandURL(v.Region, v.CommandID); u != "" {
		facts = append(facts, Link(u, "Open in the Run Command console"))
	}
	atts = append(atts, Context(strings.Join(facts, " · ")))
	text := style.Emoji + " " + EscapeMrkdwn(v.Status.Words()) + ": " + EscapeMrkdwnMax(doc, maxDocumentRunes, Ellipsis, true) + " — " + EscapeMrkdwn(v.Tally())
	if v.Mention != "" {
		text = v.Mention + " " + text
	}
	return SlackMessage{
		Text:        FitMrkdwn(text, MaxFallbackText, TruncatedMarker),
		Blocks:      CapBlocks(blocks),
		Attachments: []slack.Attachment{{Color: style.Color, Blocks: slack.Blocks{BlockSet: atts}}},
	}
}

// FailureReply renders one thread reply for instances that failed since the last reply.
func FailureReply(v CommandView, instances []string, mention string) SlackMessage {
	n := len(instances)
	word := "instance"
	if n != 1 {
		word = "instances"
	}
	lead := ":x: " + strconv.Itoa(n) + " more " + word + " failed"
	var b strings.Builder
	if mention != "" {
		b.WriteString(mention + " ")
	}
	b.WriteString("*" + lead + ":* ")
	shown := instances
	if len(shown) > maxListedInstances {
		shown = shown[:maxListedInstances]
	}
	links := make([]string, 0, len(shown))
	for _, id := range shown {
		if u := InvocationURL(v.Region, v.CommandID, id); u != "" {
			links = append(links, Link(u, id))
		} else {
			links = append(links, Code(id, maxIDRunes))
		}
	}
	b.WriteString(strings.Join(links, ", "))
	if len(instances) > len(shown) {
		b.WriteString(" +" + strconv.Itoa(len(instances)-len(shown)) + " more")
	}
	return SlackMessage{
		Text:   FitMrkdwn(lead+" — "+EscapeMrkdwnMax(v.Document, maxDocumentRunes, Ellipsis, true), MaxFallbackText, TruncatedMarker),
		Blocks: []slack.Block{MrkdwnSection(b.String()), Context(EscapeMrkdwn(v.Tally()))},
	}
}

// FinalReply renders the reply that closes a command's thread (broadcast to the channel when the
// config asks).
func FinalReply(v CommandView) SlackMessage {
	style := StyleOf(v.Status)
	line := style.Emoji + " *Command finished: " + EscapeMrkdwn(v.Status.Words()) + "* — " + EscapeMrkdwn(v.Tally())
	return SlackMessage{
		Text:   FitMrkdwn("Command finished: "+EscapeMrkdwn(v.Status.Words())+" — "+EscapeMrkdwnMax(v.Document, maxDocumentRunes, Ellipsis, true)+" — "+EscapeMrkdwn(v.Tally()), MaxFallbackText, TruncatedMarker),
		Blocks: []slack.Block{MrkdwnSection(line)},
	}
}

func listInstances(ids []string, total int) string {
	shown := ids
	if len(shown) > maxListedInstances {
		shown = shown[:maxListedInstances]
	}
	parts := make([]string, len(shown))
	for i, id := range shown {
		parts[i] = Code(id, maxIDRunes)
	}
	s := strings.Join(parts, ", ")
	if total > len(shown) {
		s += " +" + strconv.Itoa(total-len(shown)) + " more"
	}
	return s
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
