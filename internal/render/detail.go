package render

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Detail is what was learned about a failure beyond the notification itself — the detailed
// status, exit code and output tail of the failed invocations, as ssm:GetCommandInvocation
// returns them (see internal/enrich). Every string in it is untrusted: the output is whatever the
// command printed, and the instance name is whatever someone tagged the instance with.
type Detail struct {
	// Invocations are the invocations to show: the one instance of an invocation notification,
	// or the failed instances of a command summary, in the order looked up.
	Invocations []InvocationDetail
	// Unavailable says why nothing could be learned, e.g. "GetCommandInvocation timed out
	// after 1s". When set, the alert says "Enrichment unavailable: " and this reason.
	Unavailable string
	// Note is a closing remark, e.g. "Looked up 5 of 12 instances (max_instances); 3 did not
	// fail."
	Note string
}

// InvocationDetail is one instance's invocation of the command.
type InvocationDetail struct {
	InstanceID string
	// InstanceName is the instance's Name tag, or "" when unknown.
	InstanceName string
	// DetailedStatus is the detailed status in words, e.g. "Execution Timed Out".
	DetailedStatus string
	// ResponseCode is the exit code of the script, or nil when it did not run (SSM reports -1).
	ResponseCode *int
	// Stream names the output shown: "stderr", or "stdout" when stderr was empty.
	Stream string
	// Output is the last lines of Stream, as the command printed them.
	Output string
	// EarlierCut reports that Output is only the last lines of what SSM returned.
	EarlierCut bool
	// CappedBySSM reports that SSM returned only the first part of the stream (the API returns
	// at most 24,000 characters of stdout and 8,000 of stderr), so the real end of the output
	// may be missing: OutputURL has all of it.
	CappedBySSM bool
	// OutputURL is a console link to the full output (S3 or CloudWatch Logs), built with
	// OutputURL or LogsURL; any other URL is not shown. OutputLabel is its link text.
	OutputURL   string
	OutputLabel string
	// Unavailable says why this instance's invocation could not be read, e.g.
	// "throttled by SSM".
	Unavailable string
}

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

// statusLine is "i-0abc (web-03): Execution Timed Out, exit code 1" before escaping; each
// renderer formats the parts itself.
func (d *InvocationDetail) exitText() string {
	if d.ResponseCode == nil {
		return ""
	}
	return "exit code " + strconv.Itoa(*d.ResponseCode)
}

// outputLabel is "stderr, last 20 lines" or "stderr".
func (d *InvocationDetail) outputLabel() string {
	stream := d.Stream
	if stream == "" {
		stream = "output"
	}
	if d.EarlierCut {
		n := strings.Count(strings.TrimRight(d.Output, "\n"), "\n") + 1
		if n == 1 {
			return stream + ", last line"
		}
		return stream + ", last " + strconv.Itoa(n) + " lines"
	}
	return stream
}

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
func slackDetailBlocks(d *Detail) []slack.Block {
	var blocks []slack.Block
	if d.Unavailable != "" {
		blocks = append(blocks, Context(":warning: *"+strings.TrimSpace(UnavailablePrefix)+"* "+plainMrkdwn(d.Unavailable, maxReasonRunes)))
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
		var facts []string
		if inv.DetailedStatus != "" {
			facts = append(facts, "*"+plainMrkdwn(strings.ReplaceAll(inv.DetailedStatus, "*", ""), 60)+"*")
		}
		if x := inv.exitText(); x != "" {
			facts = append(facts, x)
		}
		if len(facts) > 0 {
			head.WriteString(": ")
			head.WriteString(strings.Join(facts, ", "))
		}
		if inv.Unavailable != "" {
			head.WriteString("\n_details unavailable: ")
			head.WriteString(plainMrkdwn(strings.ReplaceAll(inv.Unavailable, "_", " "), maxReasonRunes))
			head.WriteString("_")
		}
		if u := trustedConsoleURL(inv.OutputURL); u != "" {
			label := inv.OutputLabel
			if label == "" {
				label = "Full output"
			}
			head.WriteString("\n:page_facing_up: ")
			head.WriteString(Link(u, label))
		}
		blocks = append(blocks, MrkdwnSection(head.String()))
		if inv.Output == "" {
			continue
		}
		label := "*" + plainMrkdwn(strings.ReplaceAll(inv.outputLabel(), "*", ""), 60) + "*"
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
	if d.Note != "" {
		blocks = append(blocks, Context(plainMrkdwn(d.Note, maxReasonRunes)))
	}
	return blocks
}

// emailDetail feeds the detail part of both email bodies. Values are raw text (writeEmailHTML
// escapes the HTML; the text body needs none once control characters are gone).
type emailDetail struct {
	Unavailable string
	Note        string
	Invocations []emailInvocation
}

type emailInvocation struct {
	Title       string
	Unavailable string
	Label       string
	Output      string
	URL         string
	LinkLabel   string
}

func newEmailDetail(d *Detail) *emailDetail {
	if d == nil {
		return nil
	}
	ed := &emailDetail{Note: SingleLine(d.Note, maxReasonRunes)}
	if d.Unavailable != "" {
		ed.Unavailable = UnavailablePrefix + SingleLine(d.Unavailable, maxReasonRunes)
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
		var facts []string
		if inv.DetailedStatus != "" {
			facts = append(facts, SingleLine(inv.DetailedStatus, 60))
		}
		if x := inv.exitText(); x != "" {
			facts = append(facts, x)
		}
		if len(facts) > 0 {
			title += ": " + strings.Join(facts, ", ")
		}
		ei := emailInvocation{Title: title}
		if inv.Unavailable != "" {
			ei.Unavailable = "Details unavailable: " + SingleLine(inv.Unavailable, maxReasonRunes)
		}
		if inv.Output != "" {
			ei.Output, _ = outputTail(inv.Output, budget, false)
			ei.Label = SingleLine(inv.outputLabel(), 60)
			if inv.CappedBySSM {
				ei.Label += " (" + cappedNote + ")"
			}
		}
		if u := trustedConsoleURL(inv.OutputURL); u != "" {
			ei.URL = u
			ei.LinkLabel = SingleLine(inv.OutputLabel, 80)
			if ei.LinkLabel == "" {
				ei.LinkLabel = "Full output"
			}
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
	for i, inv := range d.Invocations {
		if i > 0 || d.Unavailable != "" {
			b.WriteByte('\n')
		}
		b.WriteString(inv.Title)
		b.WriteByte('\n')
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
