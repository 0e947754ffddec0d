package render

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// UnavailablePrefix starts the line that says enrichment failed.
const UnavailablePrefix = "Enrichment unavailable: "

// Caps on the detail, in runes after escaping.
const (
	// slackOutputBudget is shared by the output blocks of one Slack message, so that ten
	// instances of output cannot approach Slack's payload limits; each block also stays under
	// MaxSectionText.
	slackOutputBudget = 12000
	// emailOutputBudget is the same for one email.
	emailOutputBudget = 40000
	// maxEmailOutputRunes caps one instance's output in an email.
	maxEmailOutputRunes = 8000
	maxReasonRunes      = 300
	maxNameRunes        = 100
)

// OutputCutMarker starts output whose earlier part was cut.
const OutputCutMarker = "… (earlier output cut)"

// cappedNote explains CappedBySSM.
const cappedNote = "SSM returns only the first part of long output, so its end may be missing"

// plainMrkdwn escapes an untrusted one-line value for Slack text outside a code span, with
// backticks replaced by a look-alike so the value cannot open a code span or block either.
func plainMrkdwn(s string, max int) string {
	if strings.IndexByte(s, '`') >= 0 {
		s = strings.ReplaceAll(s, "`", "ˋ")
	}
	return EscapeMrkdwnMax(s, max, Ellipsis, true)
}

// slackDetailBlocks are the blocks that show d inside the coloured attachment.
func slackDetailBlocks(n *payload.Notification, d *failure.Detail) []slack.Block {
	var blocks []slack.Block
	if d.Unavailable != nil {
		blocks = append(blocks, Context(":warning: *"+strings.TrimSpace(UnavailablePrefix)+"* "+plainMrkdwn(ReasonText(d.Unavailable), maxReasonRunes)))
	}
	if reason := MostCommonReason(allFailures(d), commandTotal(d)); reason != "" {
		blocks = append(blocks, MrkdwnSection("*Most common:* "+plainMrkdwn(reason, maxReasonRunes)))
	}
	outputs := 0
	for i := range d.Invocations {
		if d.Invocations[i].Output != "" {
			outputs++
		}
	}
	budget := 0
	if outputs > 0 {
		budget = slackOutputBudget / outputs
	}
	for i := range d.Invocations {
		inv := &d.Invocations[i]
		var head strings.Builder
		head.WriteString(":mag_right: *Instance* ")
		head.WriteString(Code(inv.InstanceID, maxIDRunes))
		if inv.InstanceName != "" {
			head.WriteString(" (")
			head.WriteString(plainMrkdwn(inv.InstanceName, maxNameRunes))
			head.WriteByte(')')
		}
		facts := factsText(inv)
		for j := range facts {
			if j == 0 && statusText(inv.Status) != "" {
				facts[j] = "*" + plainMrkdwn(strings.ReplaceAll(facts[j], "*", ""), 60) + "*"
				continue
			}
			facts[j] = plainMrkdwn(facts[j], maxReasonRunes)
		}
		if len(facts) > 0 {
			head.WriteString(": ")
			head.WriteString(strings.Join(facts, ", "))
		}
		if p := patchText(inv); p != "" {
			head.WriteString("\n:package: ")
			head.WriteString(plainMrkdwn(p, maxReasonRunes))
		}
		if inv.Unavailable != nil {
			head.WriteString("\n_details unavailable: ")
			head.WriteString(plainMrkdwn(strings.ReplaceAll(ReasonText(inv.Unavailable), "_", " "), maxReasonRunes))
			head.WriteString("_")
		}
		if u, label := outputLinkOf(n, inv); trustedConsoleURL(u) != "" {
			head.WriteString("\n:page_facing_up: ")
			head.WriteString(Link(u, label))
		}
		blocks = append(blocks, MrkdwnSection(head.String()))
		if inv.Output == "" {
			continue
		}
		label := "*" + plainMrkdwn(strings.ReplaceAll(outputLabel(inv), "*", ""), 60) + "*"
		if inv.CappedBySSM {
			label += " — _" + cappedNote + "_"
		}
		// The fence and the label must fit with the output in one section.
		room := min(budget, MaxSectionText) - utf8.RuneCountInString(label) - len("\n``````")
		body, _ := outputTail(inv.Output, room, true)
		if body == "" {
			continue
		}
		blocks = append(blocks, MrkdwnSection(label+"\n```"+body+"```"))
	}
	if note := noteText(d); note != "" {
		blocks = append(blocks, Context(plainMrkdwn(note, maxReasonRunes)))
	}
	return blocks
}

// commandTotal is the number of instances a most-common reason is counted against.
func commandTotal(d *failure.Detail) int {
	if d.Command != nil && d.Command.Targets > 0 {
		return d.Command.Targets
	}
	return d.Total
}

// emailDetail feeds the detail part of both email bodies. Values are raw text (writeEmailHTML
// escapes the HTML; the text body needs none once control characters are gone).
type emailDetail struct {
	Unavailable string
	// Common is the most common reason among several instances, or "".
	Common      string
	Note        string
	Invocations []emailInvocation
}

type emailInvocation struct {
	Title string
	// Patch is the patch card line, or "".
	Patch       string
	Unavailable string
	Label       string
	Output      string
	URL         string
	LinkLabel   string
}

func newEmailDetail(n *payload.Notification, d *failure.Detail) *emailDetail {
	if d == nil {
		return nil
	}
	ed := &emailDetail{Note: SingleLine(noteText(d), maxReasonRunes)}
	if reason := MostCommonReason(allFailures(d), commandTotal(d)); reason != "" {
		ed.Common = "Most common: " + SingleLine(reason, maxReasonRunes)
	}
	if d.Unavailable != nil {
		ed.Unavailable = UnavailablePrefix + SingleLine(ReasonText(d.Unavailable), maxReasonRunes)
	}
	outputs := 0
	for i := range d.Invocations {
		if d.Invocations[i].Output != "" {
			outputs++
		}
	}
	budget := maxEmailOutputRunes
	if outputs > 0 {
		budget = min(budget, emailOutputBudget/outputs)
	}
	for i := range d.Invocations {
		inv := &d.Invocations[i]
		title := SingleLine(inv.InstanceID, maxIDRunes)
		if inv.InstanceName != "" {
			title += " (" + SingleLine(inv.InstanceName, maxNameRunes) + ")"
		}
		facts := factsText(inv)
		if len(facts) > 0 {
			title += ": " + SingleLine(strings.Join(facts, ", "), maxReasonRunes)
		}
		ei := emailInvocation{Title: title, Patch: SingleLine(patchText(inv), maxReasonRunes)}
		if inv.Unavailable != nil {
			ei.Unavailable = "Details unavailable: " + SingleLine(ReasonText(inv.Unavailable), maxReasonRunes)
		}
		if inv.Output != "" {
			ei.Output, _ = outputTail(inv.Output, budget, false)
			ei.Label = SingleLine(outputLabel(inv), 60)
			if inv.CappedBySSM {
				ei.Label += " (" + cappedNote + ")"
			}
		}
		if u, label := outputLinkOf(n, inv); trustedConsoleURL(u) != "" {
			ei.URL, ei.LinkLabel = u, label
		}
		ed.Invocations = append(ed.Invocations, ei)
	}
	return ed
}

// writeEmailDetailText appends the detail to the plain-text body. Output lines are indented
// behind "| " so that nothing the command printed can pass for a line of the message itself.
func writeEmailDetailText(b *strings.Builder, d *emailDetail) {
	if d == nil {
		return
	}
	b.WriteByte('\n')
	if d.Unavailable != "" {
		b.WriteString(d.Unavailable)
		b.WriteByte('\n')
	}
	if d.Common != "" {
		b.WriteString(d.Common)
		b.WriteByte('\n')
	}
	for i, inv := range d.Invocations {
		if i > 0 || d.Unavailable != "" || d.Common != "" {
			b.WriteByte('\n')
		}
		b.WriteString(inv.Title)
		b.WriteByte('\n')
		if inv.Patch != "" {
			b.WriteString("  ")
			b.WriteString(inv.Patch)
			b.WriteByte('\n')
		}
		if inv.Unavailable != "" {
			b.WriteString("  ")
			b.WriteString(inv.Unavailable)
			b.WriteByte('\n')
		}
		if inv.Output != "" {
			b.WriteString("  ")
			b.WriteString(inv.Label)
			b.WriteString(":\n")
			for line := range strings.SplitSeq(inv.Output, "\n") {
				b.WriteString("  | ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
		if inv.URL != "" {
			b.WriteString("  ")
			b.WriteString(inv.LinkLabel)
			b.WriteString(":\n    ")
			b.WriteString(inv.URL)
			b.WriteByte('\n')
		}
	}
	if d.Note != "" {
		if len(d.Invocations) > 0 || d.Unavailable != "" {
			b.WriteByte('\n')
		}
		b.WriteString(d.Note)
		b.WriteByte('\n')
	}
}

// outputTail prepares untrusted command output for display: it keeps the end (where the error
// usually is) within max runes — counted after Slack escaping when slackEscape is set — starting
// at a whole line where it can, behind OutputCutMarker when anything was cut. It strips ANSI
// escape sequences and control characters (keeping newlines and tabs), and turns invalid UTF-8
// into U+FFFD. For Slack it also escapes &, < and > and replaces backticks with a look-alike
// (U+02CB), so the output can neither mention, link nor close its code block. Its work is
// bounded by max, not by the size of s: a megabyte of output costs the same as a page.
func outputTail(s string, max int, slackEscape bool) (string, bool) {
	if max <= 0 {
		return "", s != ""
	}
	cut, windowCut := false, false
	// No kept rune takes more than 4 bytes, so the last 4*max bytes (plus slack for escape
	// sequences that will be stripped) hold everything that can be shown.
	if window := 4*max + 256; len(s) > window {
		s = s[len(s)-window:]
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
		cut, windowCut = true, true
	}
	runes := sanitizeOutput(s, slackEscape)
	// Drop blank lines at either end: they only take room.
	for len(runes) > 0 && (runes[len(runes)-1] == '\n' || runes[len(runes)-1] == ' ' || runes[len(runes)-1] == '\t') {
		runes = runes[:len(runes)-1]
	}
	for len(runes) > 0 && runes[0] == '\n' {
		runes = runes[1:]
	}
	weight := func(r rune) int {
		if slackEscape {
			return escapedRunes(r)
		}
		return 1
	}
	total := 0
	for _, r := range runes {
		total += weight(r)
	}
	start := 0
	if total > max || cut {
		limit := max - utf8.RuneCountInString(OutputCutMarker) - 1 // the marker and its newline
		if limit <= 0 {
			return "", true
		}
		used := 0
		start = len(runes)
		for start > 0 && used+weight(runes[start-1]) <= limit {
			start--
			used += weight(runes[start])
		}
		// Start at a whole line when one begins soon enough not to waste the room.
		if start > 0 && runes[start-1] != '\n' || start == 0 && windowCut {
			for j := start; j < len(runes) && j-start < 200; j++ {
				if runes[j] == '\n' {
					start = j + 1
					break
				}
			}
		}
		cut = true
	}
	var b strings.Builder
	b.Grow(len(runes[start:]) + 64)
	if cut {
		b.WriteString(OutputCutMarker)
		b.WriteByte('\n')
	}
	for _, r := range runes[start:] {
		switch {
		case slackEscape && r == '&':
			b.WriteString("&amp;")
		case slackEscape && r == '<':
			b.WriteString("&lt;")
		case slackEscape && r == '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), cut
}

// sanitizeOutput removes what must not reach a message from command output: ANSI escape
// sequences (colours, cursor moves), carriage returns (CRLF and progress-bar redraws become one
// newline), every other control character but newline and tab, and bidirectional overrides.
// Invalid UTF-8 becomes U+FFFD. With noBackticks, backticks become U+02CB.
func sanitizeOutput(s string, noBackticks bool) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b { // ESC: skip a CSI ("ESC [ params final") or a two-byte sequence
			i++
			if i < len(s) && s[i] == '[' {
				i++
				for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
					i++
				}
				i++
			} else if i < len(s) {
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // CRLF: the LF follows
			}
			r = '\n'
		case r == '\u2028' || r == '\u2029':
			r = '\n'
		case r == '\n' || r == '\t':
		case isControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			// Bidirectional overrides are dropped too: they can make the output read
			// differently from what it is.
			continue
		case r == '`' && noBackticks:
			r = 'ˋ'
		}
		out = append(out, r)
	}
	return out
}

// trustedConsoleURL returns u when it is an https link to an AWS console host, as OutputURL
// and LogsURL build them, and "" otherwise: a link that reaches a message must never point
// anywhere else, whatever an API response or a bug put in the field.
func trustedConsoleURL(u string) string {
	if u == "" || strings.ContainsAny(u, "<>|\"' \t\r\n`") {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.User != nil || p.Port() != "" {
		return ""
	}
	host := p.Hostname()
	for _, suffix := range []string{".console.aws.amazon.com", ".console.amazonaws.cn", ".console.amazonaws-us-gov.com"} {
		if strings.HasSuffix(host, suffix) {
			return u
		}
	}
	switch host {
	case "console.amazonaws.cn", "console.amazonaws-us-gov.com":
		return u
	}
	return ""
}

// LogsURL is the CloudWatch Logs console page of a log group, filtered to the streams that
// start with streamPrefix (Run Command names them COMMAND_ID/INSTANCE_ID/STEP/stdout):
// https://REGION.console.aws.amazon.com/cloudwatch/home?region=REGION#logsV2:log-groups/log-group/GROUP$3FlogStreamNameFilter$3DPREFIX.
// The console's fragment escapes each part twice over, with '$' for '%'. It returns "" unless
// region satisfies ValidRegion and group is a plausible log group name.
func LogsURL(region, group, streamPrefix string) string {
	if !ValidRegion(region) || !validLogGroup(group) {
		return ""
	}
	frag := "logsV2:log-groups/log-group/" + consoleFragmentEscape(group)
	if streamPrefix != "" {
		frag += "$3FlogStreamNameFilter$3D" + consoleFragmentEscape(streamPrefix)
	}
	return "https://" + consoleHost(region) + "/cloudwatch/home?region=" + url.QueryEscape(region) + "#" + frag
}

// consoleFragmentEscape escapes a value as the CloudWatch console expects in its URL fragment:
// URL escaping, then '%' written as "$25" — so "/" becomes "$252F". (The console unescapes the
// fragment once, with '$' for '%', before reading it as a path and query; the query's own '?' and
// '=' are therefore written "$3F" and "$3D".)
func consoleFragmentEscape(s string) string {
	e := strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	return strings.ReplaceAll(e, "%", "$25")
}

// validLogGroup reports whether s is a plausible CloudWatch Logs group name: 1–512 of
// a-z A-Z 0-9 _ - / . # (the characters AWS allows).
func validLogGroup(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '/' || c == '.' || c == '#') {
			return false
		}
	}
	return true
}
