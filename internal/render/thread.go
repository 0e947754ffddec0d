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
	CommandID, Document, Account string
	// Region is the command's region; links are built only when it is shaped like an AWS region
	// (ValidRegion), so a forged region never becomes a link host.
	Region string
	// Status is the command's overall status: its summary's when known, else what its instances
	// add up to (one failure kind reads as that kind: Timed Out, Cancelled, …).
	Status payload.Status
	// Finished is set once the command reached a terminal state: from then on nothing is "in
	// progress" and the duration is what the command took, not "so far".
	Finished bool
	// Targets is how many instances the command targeted (0 when unknown, e.g. tag-targeted and no
	// summary seen); Counts are the instances' latest statuses.
	Targets int
	Counts  map[payload.Status]int
	// Failed lists failed instances (the first of them; thread replies name the rest);
	// FailedTotal counts them all.
	Failed      []string
	FailedTotal int
	// Started and Updated bound the time so far.
	Started, Updated time.Time
	// Mention is trusted config text for the command's status (e.g. "<!here>"), or "".
	Mention string
	// OutputURL is the S3 console location of the command's output, "" when it has none.
	OutputURL string
	// Silenced is said instead of a mention when an ad-hoc silence holds the command's alerts
	// back ("3 failures silenced by alice: patch night"); untrusted text, escaped when shown.
	Silenced string
}

// Instance is one instance named in a thread reply, with its latest status.
type Instance struct {
	ID     string
	Status payload.Status
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

// maxListedInstances caps the failed instances listed in the parent message (each is named in a
// thread reply as well).
const maxListedInstances = 30

// MaxReplyInstances is the most instances one thread reply names. Every one is a console link of
// about 175 characters: 100 of them fill a few section blocks (3,000 characters each), well
// within a message's 50 blocks and 40,000 characters.
// https://docs.slack.dev/reference/block-kit/blocks/section-block
const MaxReplyInstances = 100

// ListedInParent is how many of v.Failed the parent names.
func ListedInParent(n int) int { return min(n, maxListedInstances) }

// failureKinds returns the failure statuses in counts, most frequent first (ties by name).
func failureKinds(counts map[payload.Status]int) []payload.Status {
	var kinds []payload.Status
	for s, n := range counts {
		if s.Failure() && n > 0 {
			kinds = append(kinds, s)
		}
	}
	sort.Slice(kinds, func(i, j int) bool {
		if counts[kinds[i]] != counts[kinds[j]] {
			return counts[kinds[i]] > counts[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}

// Tally is the one-line state of the command: "Failed on 12 of 500 · 480 succeeded · 8 in
// progress", "Timed Out on 1 of 3 · 2 of 3 succeeded". Once the command finished, instances that
// never reported a terminal status are "not reported", never "in progress".
func (v CommandView) Tally() string {
	seen := 0
	for _, n := range v.Counts {
		seen += n
	}
	total := max(v.Targets, seen)
	if seen == 0 {
		// Command summaries only (NotificationType Command): no per-instance results.
		if v.Targets > 0 {
			return v.Status.Words() + " · " + plural(v.Targets, "instance", "instances") + " targeted"
		}
		return v.Status.Words()
	}
	var parts []string
	failed, pending := 0, 0
	kinds := failureKinds(v.Counts)
	kindWords := make([]string, 0, len(kinds))
	for _, s := range kinds {
		failed += v.Counts[s]
		kindWords = append(kindWords, strconv.Itoa(v.Counts[s])+" "+strings.ToLower(s.Words()))
	}
	for s, n := range v.Counts {
		if !s.Terminal() {
			pending += n
		}
	}
	if failed > 0 {
		word := "Failed"
		if len(kinds) == 1 {
			word = kinds[0].Words()
		}
		lead := word + " on " + strconv.Itoa(failed) + " of " + strconv.Itoa(total)
		if len(kinds) > 1 {
			lead += " (" + strings.Join(kindWords, ", ") + ")"
		}
		parts = append(parts, lead)
	}
	if n := v.Counts[payload.StatusSuccess]; n > 0 || failed == 0 {
		parts = append(parts, strconv.Itoa(n)+" of "+strconv.Itoa(total)+" succeeded")
	}
	unreported := total - seen
	if v.Finished {
		// Its last word was a non-terminal status: what is known is that it never reported an
		// outcome, not that it is still running.
		unreported, pending = unreported+pending, 0
	}
	if pending > 0 {
		parts = append(parts, strconv.Itoa(pending)+" in progress")
	}
	if unreported > 0 {
		parts = append(parts, strconv.Itoa(unreported)+" not reported")
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
	b.WriteString(v.timing())
	b.WriteByte('|')
	b.WriteString(v.Mention)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(v.FailedTotal))
	b.WriteString(v.Silenced)
	for _, f := range v.Failed[:ListedInParent(len(v.Failed))] {
		b.WriteByte(',')
		b.WriteString(f)
	}
	return b.String()
}

// timing is "since T, 3m12s so far" while the command runs and "started T, took 3m12s" once it
// finished, with Slack's date formatting.
func (v CommandView) timing() string { return v.timingWith(slackTime) }

// timingWith words the command's time with at for the start time.
func (v CommandView) timingWith(at func(time.Time) string) string {
	if v.Started.IsZero() {
		return ""
	}
	var d string
	if !v.Updated.IsZero() && v.Updated.After(v.Started) {
		d = roundDuration(v.Updated.Sub(v.Started))
	}
	if v.Finished {
		s := "started " + at(v.Started)
		if d != "" {
			s += ", took " + d
		}
		return s
	}
	s := "since " + at(v.Started)
	if d != "" {
		s += ", " + d + " so far"
	}
	return s
}

// Parent renders the command's parent message: status and document in the header, the tally,
// the first failed instances, the time so far (or taken), and the console and S3 links.
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
	if t := v.timing(); t != "" {
		facts = append(facts, t)
	}
	if ValidRegion(v.Region) {
		facts = append(facts, EscapeMrkdwnMax(v.Region, 40, Ellipsis, true))
	}
	if v.Account != "" {
		facts = append(facts, "account "+EscapeMrkdwnMax(v.Account, 20, Ellipsis, true))
	}
	if ValidRegion(v.Region) && v.CommandID != "" {
		facts = append(facts, Link(CommandURL(v.Region, v.CommandID), "Open in the Run Command console"))
	}
	if v.OutputURL != "" {
		facts = append(facts, Link(v.OutputURL, "Output in S3"))
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

// FailureReply renders one thread reply naming instances that failed (at most MaxReplyInstances;
// the caller batches), grouped by status, each a link to its invocation. mention is trusted
// config text, "" for none: the caller mentions once per command and status.
func FailureReply(v CommandView, instances []Instance, mention string) SlackMessage {
	byStatus := map[payload.Status][]string{}
	counts := map[payload.Status]int{}
	for _, in := range instances {
		byStatus[in.Status] = append(byStatus[in.Status], in.ID)
		counts[in.Status]++
	}
	kinds := failureKinds(counts)
	n := len(instances)
	lead := plural(n, "instance", "instances")
	if len(kinds) == 1 {
		lead += " " + strings.ToLower(kinds[0].Words())
	} else {
		words := make([]string, len(kinds))
		for i, s := range kinds {
			words[i] = strconv.Itoa(counts[s]) + " " + strings.ToLower(s.Words())
		}
		lead += " did not succeed (" + strings.Join(words, ", ") + ")"
	}
	emoji := ":x:"
	if len(kinds) == 1 {
		emoji = StyleOf(kinds[0]).Emoji
	}
	var blocks []slack.Block
	var b strings.Builder
	if mention != "" {
		b.WriteString(mention + " ")
	}
	b.WriteString(emoji + " *" + EscapeMrkdwn(lead) + "*")
	flush := func() {
		if b.Len() > 0 {
			blocks = append(blocks, MrkdwnSection(b.String()))
			b.Reset()
		}
	}
	for _, s := range kinds {
		label := "\n*" + EscapeMrkdwn(s.Words()) + ":* "
		if len(kinds) == 1 {
			label = "\n"
		}
		if b.Len()+len(label) > MaxSectionText {
			flush()
		}
		b.WriteString(label)
		for i, id := range byStatus[s] {
			item := Code(id, maxIDRunes)
			if ValidRegion(v.Region) && v.CommandID != "" {
				item = Link(InvocationURL(v.Region, v.CommandID, id), id)
			}
			sep := ""
			if i > 0 {
				sep = ", "
			}
			// Section text counts characters; every piece here is ASCII-escaped mrkdwn.
			if b.Len()+len(sep)+len(item) > MaxSectionText {
				flush()
				sep = ""
			}
			b.WriteString(sep + item)
		}
	}
	flush()
	blocks = append(blocks, Context(EscapeMrkdwn(v.Tally())))
	text := emoji + " " + lead + " — " + EscapeMrkdwnMax(v.Document, maxDocumentRunes, Ellipsis, true)
	if mention != "" {
		text = mention + " " + text
	}
	return SlackMessage{
		Text:   FitMrkdwn(text, MaxFallbackText, TruncatedMarker),
		Blocks: CapBlocks(blocks),
	}
}

// FinalReply renders the reply that closes a command's thread (broadcast to the channel when the
// config asks, and carrying the status's mention when nothing mentioned it yet).
func FinalReply(v CommandView, mention string) SlackMessage {
	style := StyleOf(v.Status)
	line := style.Emoji + " *Command finished: " + EscapeMrkdwn(v.Status.Words()) + "* — " + EscapeMrkdwn(v.Tally())
	text := "Command finished: " + EscapeMrkdwn(v.Status.Words()) + " — " + EscapeMrkdwnMax(v.Document, maxDocumentRunes, Ellipsis, true) + " — " + EscapeMrkdwn(v.Tally())
	if mention != "" {
		line = mention + " " + line
		text = mention + " " + text
	}
	return SlackMessage{
		Text:   FitMrkdwn(text, MaxFallbackText, TruncatedMarker),
		Blocks: []slack.Block{MrkdwnSection(line)},
	}
}

func listInstances(ids []string, total int) string {
	shown := ids[:ListedInParent(len(ids))]
	parts := make([]string, len(shown))
	for i, id := range shown {
		parts[i] = Code(id, maxIDRunes)
	}
	s := strings.Join(parts, ", ")
	if total > len(shown) {
		s += " +" + strconv.Itoa(total-len(shown)) + " more (named in the thread)"
	}
	return s
}

func roundDuration(d time.Duration) string {
	if d < time.Hour {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
