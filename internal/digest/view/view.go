// Package view renders the digest: a summary of the window's failures (internal/digest/tally) as
// a Slack message and as an email, with internal/render's escaping and Slack limits. It lives
// with the digest so that render, which the digest builds on, renders notifications and
// threads only.
package view

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// Options are the plain settings rendering a digest needs from the configuration.
type Options struct {
	// SubjectPrefix is put before the email subject, e.g. "[prod]".
	SubjectPrefix string
	// Location is the zone the window is written in (the digest block's time_zone); nil is UTC.
	// Slack shows times in each reader's own zone and uses this one only as the fallback text.
	Location *time.Location
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// failedWords is the digest's count, failed commands and failed instances apart: "1 failed
// command, 60 failed instances" (a command summary and its instances are one failure, not 61).
func failedWords(s *tally.Summary) string {
	w := render.Plural(s.FailedCommands, "failed command", "failed commands")
	if s.FailedInstances > 0 {
		w += ", " + render.Plural(s.FailedInstances, "failed instance", "failed instances")
	}
	return w
}

// headlineCount is what the comparison with the previous window counts: failed instances when
// either window has any, else all failure entries (command summaries only).
func headlineCount(s *tally.Summary) (cur, was int) {
	p := s.Previous
	if p == nil {
		return s.FailedInstances, 0
	}
	if s.FailedInstances > 0 || p.FailedInstances > 0 {
		return s.FailedInstances, p.FailedInstances
	}
	return s.Total, p.Total
}

// digestTimeLayout writes window bounds for humans, in the configured zone.
const digestTimeLayout = "Mon 2 Jan 2006 15:04 MST"

// digestFacts is what both digest renderers show, computed once. Strings are raw (untrusted
// names included); each renderer escapes for its medium.
type digestFacts struct {
	s        *tally.Summary
	clear    bool
	title    string // "Run Command digest: 1,234 failures"
	window   string // "Mon 4 May 2026 08:00 BST → Tue 5 May 2026 08:00 BST (24h)"
	length   string // "24h"
	versus   string // "▲ 234 (+23%) on the previous 24h (1,000)", "" without a previous window
	color    string
	notes    []string
	statuses []digestRow
}

type digestRow struct {
	Name, Count, Change string
	// Style is the Slack emoji of a status row.
	Emoji string
}

func newDigestFacts(s *tally.Summary, opt Options) digestFacts {
	loc := opt.loc()
	f := digestFacts{s: s, clear: s.Clear(), length: durationWords(s.To.Sub(s.From))}
	if f.clear {
		f.title = "Run Command digest: all clear"
		f.color = render.StyleOf(payload.StatusSuccess).Color
	} else {
		f.title = "Run Command digest: " + failedWords(s)
		f.color = render.StyleOf(payload.StatusFailed).Color
	}
	f.window = s.From.In(loc).Format(digestTimeLayout) + " → " + s.To.In(loc).Format(digestTimeLayout) + " (" + f.length + ")"
	if p := s.Previous; p != nil {
		cur, was := headlineCount(s)
		f.versus = totalChange(cur, was, f.length)
	}
	for _, c := range s.ByStatus {
		st := payload.Status(c.Name)
		f.statuses = append(f.statuses, digestRow{Name: render.SingleLine(st.Words(), 60), Count: render.Thousands(c.Count), Emoji: render.StyleOf(st).Emoji})
	}
	if s.CommandLevel > 0 {
		f.notes = append(f.notes, render.Plural(s.CommandLevel, "failure was", "failures were")+" reported for a whole command rather than one instance (not in the instance table).")
	}
	capNote := func(what string, n int) {
		if n > 0 {
			f.notes = append(f.notes, "More than "+render.Thousands(s.MaxKeys)+" distinct "+what+" failed: "+
				render.Plural(n, "failure", "failures")+" of "+what+" first seen after that are counted in the totals but in no row.")
		}
	}
	capNote("documents", s.Documents.Uncounted)
	capNote("instances", s.Instances.Uncounted)
	capNote("commands", s.Commands.Uncounted)
	return f
}

// Slack renders a digest summary as a Slack message: a header with the total, the window
// and the change against the previous window, the counts by status, the top documents (with
// their change), the top instances, and the failed commands with console links, each list
// capped with "+N more". Every name is escaped; Slack's limits hold by construction.
func Slack(s *tally.Summary, opt Options) render.SlackMessage {
	f := newDigestFacts(s, opt)
	loc := opt.loc()
	emoji := ":bar_chart:"
	if f.clear {
		emoji = ":white_check_mark:"
	}
	blocks := make([]slack.Block, 0, 12)
	blocks = append(blocks, render.HeaderBlock(emoji+" "+f.title))

	var lead strings.Builder
	lead.WriteString("*Window:* ")
	lead.WriteString(slackDate(s.From, loc))
	lead.WriteString(" → ")
	lead.WriteString(slackDate(s.To, loc))
	lead.WriteString(" (" + f.length + ")")
	lead.WriteString("\n*Failed:* ")
	lead.WriteString(render.EscapeMrkdwn(failedWords(s)))
	if f.versus != "" {
		lead.WriteString(" — ")
		lead.WriteString(render.EscapeMrkdwn(f.versus))
	}
	if len(f.statuses) > 0 {
		lead.WriteString("\n*By status:* ")
		for i, r := range f.statuses {
			if i > 0 {
				lead.WriteString(" · ")
			}
			lead.WriteString(r.Emoji + " " + render.EscapeMrkdwnMax(r.Name, 60, render.Ellipsis, true) + " " + r.Count)
		}
	}
	blocks = append(blocks, render.MrkdwnSection(lead.String()))
	if f.clear {
		blocks = append(blocks, render.MrkdwnSection("No Run Command failures in this window."))
		return render.SlackMessage{Text: render.FitMrkdwn(render.EscapeMrkdwn(f.title+", "+f.window), render.MaxFallbackText, render.TruncatedMarker), Blocks: render.CapBlocks(blocks)}
	}

	if t := s.Documents; len(t.Top) > 0 {
		lines := make([]string, 0, len(t.Top)+1)
		for i, d := range t.Top {
			line := strconv.Itoa(i+1) + ". " + render.Code(docName(d.Name), render.MaxDocumentRunes) + " — *" + render.Thousands(d.Count) + "*"
			if c := docChange(d, s.Previous != nil); c != "" {
				line += " (" + c + ")"
			}
			lines = append(lines, line)
		}
		lines = appendMore(lines, t, "document", "documents")
		blocks = append(blocks, lineSections("*Top documents* ("+render.Thousands(t.Distinct)+" failed)", lines)...)
	}
	if t := s.Instances; len(t.Top) > 0 {
		lines := make([]string, 0, len(t.Top)+1)
		for i, c := range t.Top {
			lines = append(lines, strconv.Itoa(i+1)+". "+render.Code(c.Name, render.MaxIDRunes)+" — *"+render.Thousands(c.Count)+"*")
		}
		lines = appendMore(lines, t, "instance", "instances")
		blocks = append(blocks, lineSections("*Top instances* ("+render.Thousands(t.Distinct)+" failed)", lines)...)
	}
	if c := s.Commands; len(c.Top) > 0 {
		lines := make([]string, 0, len(c.Top)+1)
		for _, cmd := range c.Top {
			var b strings.Builder
			b.WriteString("• ")
			if u := commandLink(cmd); u != "" {
				b.WriteString(render.Link(u, cmd.CommandID))
			} else {
				b.WriteString(render.Code(cmd.CommandID, render.MaxIDRunes))
			}
			b.WriteString(" ")
			b.WriteString(render.Code(docName(cmd.DocumentName), 80))
			b.WriteString(" — ")
			b.WriteString(render.Plural(cmd.Failures, "failure", "failures"))
			b.WriteString(", first ")
			b.WriteString(slackDate(cmd.First, loc))
			if cmd.Region != "" {
				b.WriteString(" (" + render.EscapeMrkdwnMax(cmd.Region, 40, render.Ellipsis, true) + ")")
			}
			lines = append(lines, b.String())
		}
		if more := c.More(); more > 0 {
			lines = append(lines, "_… +"+render.Thousands(more)+" more "+render.PluralWord(more, "command", "commands")+"_")
		}
		blocks = append(blocks, lineSections("*Failed commands* ("+render.Thousands(c.Distinct)+")", lines)...)
	}
	if len(f.notes) > 0 {
		blocks = append(blocks, render.Context(render.EscapeMrkdwn(strings.Join(f.notes, " "))))
	}
	return render.SlackMessage{
		Text:   render.FitMrkdwn(render.EscapeMrkdwn(f.title+", "+f.window), render.MaxFallbackText, render.TruncatedMarker),
		Blocks: render.CapBlocks(blocks),
		Attachments: []slack.Attachment{{Color: f.color, Fallback: render.FitMrkdwn(render.EscapeMrkdwn(f.title), render.MaxFallbackText, render.TruncatedMarker),
			Blocks: slack.Blocks{BlockSet: []slack.Block{render.Context("Counts are failure entries (one per failed instance, or per command when only its summary was reported), read from the ssmnotify state table.")}}}},
	}
}

// lineSections packs a titled list into as few section blocks as Slack's 3,000 characters
// allow, never splitting a line.
func lineSections(title string, lines []string) []slack.Block {
	var out []slack.Block
	var b strings.Builder
	n := 0
	b.WriteString(title)
	n = utf8.RuneCountInString(title)
	for _, l := range lines {
		l = render.FitMrkdwn(l, render.MaxSectionText-1, render.Ellipsis)
		k := utf8.RuneCountInString(l)
		if n+1+k > render.MaxSectionText {
			out = append(out, render.MrkdwnSection(b.String()))
			b.Reset()
			n = 0
		}
		if n > 0 {
			b.WriteByte('\n')
			n++
		}
		b.WriteString(l)
		n += k
	}
	if b.Len() > 0 {
		out = append(out, render.MrkdwnSection(b.String()))
	}
	return out
}

// appendMore adds the "+N more" line of a table.
func appendMore(lines []string, t tally.Table, one, many string) []string {
	if more := t.More(); more > 0 {
		lines = append(lines, "_… +"+render.Thousands(more)+" more "+render.PluralWord(more, one, many)+" with "+render.Plural(t.NotShown, "failure", "failures")+"_")
	}
	return lines
}

// slackDate writes t so that Slack shows it in the reader's time zone, with the configured
// zone's text as the fallback. See https://docs.slack.dev/messaging/formatting-message-text#date-formatting.
func slackDate(t time.Time, loc *time.Location) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time}|" + render.EscapeMrkdwn(t.In(loc).Format(digestTimeLayout)) + ">"
}

// commandLink is the console link of a failed command, or "" when its region is not shaped like
// one (the region becomes part of a host name).
func commandLink(c tally.Command) string {
	if !render.ValidRegion(c.Region) || c.CommandID == "" {
		return ""
	}
	return render.CommandURL(c.Region, c.CommandID)
}

func docName(s string) string {
	if s == "" {
		return "(unnamed document)"
	}
	return s
}

// docChange is a document's change against the previous window: "▲ 20 vs previous", "new",
// "▼ 3", "same", or "" when it is unknown.
func docChange(d tally.Count, havePrevious bool) string {
	if !havePrevious || !d.PreviousKnown {
		return ""
	}
	switch c := d.Change(); {
	case d.Previous == 0:
		return "new: none in the previous window"
	case c > 0:
		return "▲ " + render.Thousands(c) + " more than the previous window"
	case c < 0:
		return "▼ " + render.Thousands(-c) + " fewer than the previous window"
	}
	return "same as the previous window"
}

// totalChange compares the total with the previous window's: "▲ 234 (+23%) on the previous 24h
// (1,000)", "▼ 12 (−4%) on …", "same as the previous 24h (1,000)".
func totalChange(cur, prev int, length string) string {
	tail := "the previous " + length + " (" + render.Thousands(prev) + ")"
	c := cur - prev
	switch {
	case c == 0:
		return "same as " + tail
	case prev == 0:
		return "▲ " + render.Thousands(c) + " on " + tail
	case c > 0:
		return "▲ " + render.Thousands(c) + " (+" + strconv.Itoa(c*100/prev) + "%) on " + tail
	}
	return "▼ " + render.Thousands(-c) + " (−" + strconv.Itoa(-c*100/prev) + "%) on " + tail
}

// durationWords writes a window length: "24h", "7d", "90m".
func durationWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// Subject is the email subject of a digest, e.g.
// "[ssm] Run Command digest, Tue 5 May 2026: 1,234 failures (▲ 234)". One line, at most
// render.MaxSubject runes.
func Subject(s *tally.Summary, opt Options) string {
	var b strings.Builder
	if opt.SubjectPrefix != "" {
		b.WriteString(render.SingleLine(opt.SubjectPrefix, 60))
		b.WriteByte(' ')
	}
	b.WriteString("Run Command digest, ")
	b.WriteString(s.To.In(opt.loc()).Format("Mon 2 Jan 2006"))
	b.WriteString(": ")
	if s.Clear() {
		b.WriteString("all clear")
	} else {
		b.WriteString(failedWords(s))
		if cur, was := headlineCount(s); s.Previous != nil && cur != was {
			b.WriteString(" (")
			if cur > was {
				b.WriteString("▲ " + render.Thousands(cur-was))
			} else {
				b.WriteString("▼ " + render.Thousands(was-cur))
			}
			b.WriteByte(')')
		}
	}
	return render.SingleLine(b.String(), render.MaxSubject)
}

// digestEmailData feeds both digest email bodies. Values are raw text (one line each):
// writeDigestHTML escapes them for HTML.
type digestEmailData struct {
	Subject, Title, Color, Window, Versus string
	Statuses                              []digestRow
	Documents                             []digestRow
	DocumentsMore                         string
	Instances                             []digestRow
	InstancesMore                         string
	Commands                              []digestCommandRow
	CommandsMore                          string
	Notes                                 []string
	Clear                                 bool
	HasChange                             bool
}

type digestCommandRow struct {
	ID, URL, Document, Region, Failures, First string
}

// Email renders a digest summary as an email: subject, HTML body (inline styles) and a
// plain-text alternative with the same content. The error is always nil; it stays in the
// signature from when the body came out of a template.
func Email(s *tally.Summary, opt Options) (render.EmailMessage, error) {
	d := newDigestEmailData(s, opt)
	var html strings.Builder
	html.Grow(8192)
	writeDigestHTML(&html, &d)
	return render.EmailMessage{Subject: d.Subject, HTML: html.String(), Text: digestText(&d)}, nil
}

// newDigestEmailData gathers what both digest email bodies show, as raw one-line text.
func newDigestEmailData(s *tally.Summary, opt Options) digestEmailData {
	f := newDigestFacts(s, opt)
	loc := opt.loc()
	d := digestEmailData{
		Subject: Subject(s, opt), Title: f.title, Color: f.color, Window: f.window,
		Versus: f.versus, Statuses: f.statuses, Notes: f.notes, Clear: f.clear, HasChange: s.Previous != nil,
	}
	for _, c := range s.Documents.Top {
		d.Documents = append(d.Documents, digestRow{Name: render.SingleLine(docName(c.Name), render.MaxEmailValueRunes), Count: render.Thousands(c.Count), Change: docChangeShort(c, s.Previous != nil)})
	}
	if more := s.Documents.More(); more > 0 {
		d.DocumentsMore = "… +" + render.Thousands(more) + " more " + render.PluralWord(more, "document", "documents") + " with " + render.Plural(s.Documents.NotShown, "failure", "failures")
	}
	for _, c := range s.Instances.Top {
		d.Instances = append(d.Instances, digestRow{Name: render.SingleLine(c.Name, render.MaxIDRunes), Count: render.Thousands(c.Count)})
	}
	if more := s.Instances.More(); more > 0 {
		d.InstancesMore = "… +" + render.Thousands(more) + " more " + render.PluralWord(more, "instance", "instances") + " with " + render.Plural(s.Instances.NotShown, "failure", "failures")
	}
	for _, c := range s.Commands.Top {
		d.Commands = append(d.Commands, digestCommandRow{
			ID: render.SingleLine(c.CommandID, render.MaxIDRunes), URL: commandLink(c), Document: render.SingleLine(docName(c.DocumentName), render.MaxEmailValueRunes),
			Region: render.SingleLine(c.Region, 40), Failures: render.Thousands(c.Failures), First: c.First.In(loc).Format(digestTimeLayout),
		})
	}
	if more := s.Commands.More(); more > 0 {
		d.CommandsMore = "… +" + render.Thousands(more) + " more " + render.PluralWord(more, "command", "commands")
	}
	return d
}

// docChangeShort is the change column of the email's document table.
func docChangeShort(d tally.Count, havePrevious bool) string {
	if !havePrevious || !d.PreviousKnown {
		return "?"
	}
	switch c := d.Change(); {
	case d.Previous == 0:
		return "new"
	case c > 0:
		return "▲ " + render.Thousands(c)
	case c < 0:
		return "▼ " + render.Thousands(-c)
	}
	return "="
}

// digestText is the plain-text alternative. Every value went through render.SingleLine, so none can
// break the layout.
func digestText(d *digestEmailData) string {
	var b strings.Builder
	b.Grow(4096)
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	line(d.Title)
	line()
	line("Window:    ", d.Window)
	if d.Versus != "" {
		line("Change:    ", d.Versus)
	}
	if len(d.Statuses) > 0 {
		b.WriteString("By status:")
		for i, r := range d.Statuses {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + r.Name + " " + r.Count)
		}
		b.WriteByte('\n')
	}
	if d.Clear {
		line()
		line("No Run Command failures in this window.")
	}
	if len(d.Documents) > 0 {
		line()
		line("Top documents (failures, change on the previous window):")
		for i, r := range d.Documents {
			ch := ""
			if d.HasChange {
				ch = "  (" + r.Change + ")"
			}
			line(pad(strconv.Itoa(i+1)+".", 4), pad(r.Count, 8), r.Name, ch)
		}
		if d.DocumentsMore != "" {
			line("    ", d.DocumentsMore)
		}
	}
	if len(d.Instances) > 0 {
		line()
		line("Top instances (failures):")
		for i, r := range d.Instances {
			line(pad(strconv.Itoa(i+1)+".", 4), pad(r.Count, 8), r.Name)
		}
		if d.InstancesMore != "" {
			line("    ", d.InstancesMore)
		}
	}
	if len(d.Commands) > 0 {
		line()
		line("Failed commands:")
		for _, c := range d.Commands {
			where := ""
			if c.Region != "" {
				where = " (" + c.Region + ")"
			}
			line("- ", c.ID, "  ", c.Document, where, ": ", c.Failures, " failed, first ", c.First)
			if c.URL != "" {
				line("  ", c.URL)
			}
		}
		if d.CommandsMore != "" {
			line("  ", d.CommandsMore)
		}
	}
	if len(d.Notes) > 0 {
		line()
		for _, n := range d.Notes {
			line("Note: ", n)
		}
	}
	line()
	line("-- ")
	line("Sent by ssmnotify: a scheduled summary of AWS Systems Manager Run Command failures.")
	return b.String()
}

func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s + " "
}

// Pieces of the digest's HTML body that repeat.
const (
	digestCell    = `padding:6px 12px 6px 0;border-bottom:1px solid #eaeef2;`
	digestSection = `
<tr><td style="padding:16px 24px 0 24px;">
<div style="font-weight:bold;font-size:16px;margin-bottom:4px;">`
	digestTable = `</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">`
	digestMore = `
<div style="color:#59636e;font-size:12px;padding-top:4px;">`
)

// writeDigestHTML appends the HTML body of a digest, every value escaped for its context exactly
// as html/template would (template_oracle_test.go holds the template it must match).
func writeDigestHTML(b *strings.Builder, d *digestEmailData) {
	render.WriteHTMLHead(b, d.Subject, d.Color)
	b.WriteString(`">`)
	render.WriteHTML(b, d.Title)
	b.WriteString(`</div>
</td></tr>
<tr><td style="padding:16px 24px 0 24px;">
<div><span style="color:#59636e;">Window:</span> `)
	render.WriteHTML(b, d.Window)
	b.WriteString(`</div>`)
	if d.Versus != "" {
		b.WriteString(`
<div><span style="color:#59636e;">Change:</span> `)
		render.WriteHTML(b, d.Versus)
		b.WriteString(`</div>`)
	}
	if len(d.Statuses) > 0 {
		b.WriteString(`
<div><span style="color:#59636e;">By status:</span>`)
		for i, s := range d.Statuses {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			render.WriteHTML(b, s.Name)
			b.WriteString(` <strong>`)
			render.WriteHTML(b, s.Count)
			b.WriteString(`</strong>`)
		}
		b.WriteString(`</div>`)
	}
	if d.Clear {
		b.WriteString(`
<p style="margin:16px 0 0 0;">No Run Command failures in this window.</p>`)
	}
	b.WriteString("\n</td></tr>")
	if len(d.Documents) > 0 {
		b.WriteString(digestSection + `Top documents` + digestTable + `
<tr><th align="left" style="` + digestCell + `color:#59636e;font-weight:normal;">Document</th><th align="right" style="` + digestCell + `color:#59636e;font-weight:normal;">Failures</th>`)
		if d.HasChange {
			b.WriteString(`<th align="right" style="` + digestCell + `color:#59636e;font-weight:normal;">vs previous</th>`)
		}
		b.WriteString(`</tr>`)
		for _, r := range d.Documents {
			b.WriteString(`
<tr><td style="` + digestCell + `overflow-wrap:anywhere;">`)
			render.WriteHTML(b, r.Name)
			b.WriteString(`</td><td align="right" style="` + digestCell + `">`)
			render.WriteHTML(b, r.Count)
			b.WriteString(`</td>`)
			if d.HasChange {
				b.WriteString(`<td align="right" style="` + digestCell + `white-space:nowrap;">`)
				render.WriteHTML(b, r.Change)
				b.WriteString(`</td>`)
			}
			b.WriteString(`</tr>`)
		}
		writeDigestTableEnd(b, d.DocumentsMore)
	}
	if len(d.Instances) > 0 {
		b.WriteString(digestSection + `Top instances` + digestTable)
		for _, r := range d.Instances {
			b.WriteString(`
<tr><td style="` + digestCell + render.EmailFont + `font-size:13px;overflow-wrap:anywhere;">`)
			render.WriteHTML(b, r.Name)
			b.WriteString(`</td><td align="right" style="` + digestCell + `">`)
			render.WriteHTML(b, r.Count)
			b.WriteString(`</td></tr>`)
		}
		writeDigestTableEnd(b, d.InstancesMore)
	}
	if len(d.Commands) > 0 {
		b.WriteString(digestSection + `Failed commands` + digestTable)
		for _, c := range d.Commands {
			b.WriteString(`
<tr><td style="` + digestCell + `overflow-wrap:anywhere;">`)
			if c.URL != "" {
				b.WriteString(`<a href="`)
				render.WriteURLAttr(b, c.URL)
				b.WriteString(`" style="color:#0969da;` + render.EmailFont + `font-size:13px;">`)
				render.WriteHTML(b, c.ID)
				b.WriteString(`</a>`)
			} else {
				b.WriteString(`<code style="` + render.EmailFont + `font-size:13px;">`)
				render.WriteHTML(b, c.ID)
				b.WriteString(`</code>`)
			}
			b.WriteString(`<br><span style="color:#59636e;font-size:12px;">`)
			render.WriteHTML(b, c.Document)
			if c.Region != "" {
				b.WriteString(` · `)
				render.WriteHTML(b, c.Region)
			}
			b.WriteString(` · first `)
			render.WriteHTML(b, c.First)
			b.WriteString(`</span></td><td align="right" valign="top" style="` + digestCell + `white-space:nowrap;">`)
			render.WriteHTML(b, c.Failures)
			b.WriteString(` failed</td></tr>`)
		}
		writeDigestTableEnd(b, d.CommandsMore)
	}
	for _, n := range d.Notes {
		b.WriteString(`
<tr><td style="padding:12px 24px 0 24px;color:#59636e;font-size:12px;">`)
		render.WriteHTML(b, n)
		b.WriteString(`</td></tr>`)
	}
	b.WriteString(`
<tr><td style="padding:16px 24px 12px 24px;"></td></tr>`)
	render.WriteHTMLFoot(b, "Sent by ssmnotify: a scheduled summary of AWS Systems Manager Run Command failures.")
}

// writeDigestTableEnd closes a digest table and its section, with the "+N more" line if any.
func writeDigestTableEnd(b *strings.Builder, more string) {
	b.WriteString("\n</table>")
	if more != "" {
		b.WriteString(digestMore)
		render.WriteHTML(b, more)
		b.WriteString(`</div>`)
	}
	b.WriteString("\n</td></tr>")
}
