package render

import (
	"strconv"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// maxEmailInstances caps the failed instances one command email lists; past it the email says
// how many more there are and links the console, which lists them all. 1,000 rows keep the HTML
// near 200 KB, far inside SES's 40 MB message limit and readable in any mail client.
const maxEmailInstances = 1000

// CommandEmail renders the one email of a command's outcome: its status and tally, and every
// failed instance (up to 1,000) with its status and invocation link. followUp marks an email sent
// after an earlier one about the same command, when its outcome changed. d, when not nil, is what
// enrichment found (as for the command's Slack message): the email leads the failures with the
// most common reason and describes each listed instance with the same facts as a thread reply.
func CommandEmail(v CommandView, failed []Instance, subjectPrefix string, followUp bool, d *failure.Detail) EmailMessage {
	doc := v.Document
	if doc == "" {
		doc = "(unnamed document)"
	}
	tally := v.Tally()
	var subj strings.Builder
	if subjectPrefix != "" {
		subj.WriteString(SingleLine(subjectPrefix, 60) + " ")
	}
	subj.WriteString("[" + strings.ToUpper(v.Status.Words()) + "] ")
	subj.WriteString(SingleLine(doc, 100))
	subj.WriteString(" — " + tally)
	if i := strings.IndexByte(v.CommandID, '-'); i > 0 {
		subj.WriteString(" — " + SingleLine(v.CommandID[:i], 40))
	}
	if v.Region != "" {
		subj.WriteString(" (" + SingleLine(v.Region, 30) + ")")
	}
	if followUp {
		subj.WriteString(" — update")
	}
	subject := SingleLine(subj.String(), MaxSubject)

	title := v.Status.Words() + ": " + SingleLine(doc, MaxEmailValueRunes)
	var consoleURL string
	if ValidRegion(v.Region) && v.CommandID != "" {
		consoleURL = CommandURL(v.Region, v.CommandID)
	}
	if len(failed) == 0 && d != nil {
		// Only command summaries subscribed: the failed instances are those enrichment listed.
		for i := range d.Invocations {
			st, _, _ := payload.ParseStatus(d.Invocations[i].Status)
			failed = append(failed, Instance{ID: d.Invocations[i].InstanceID, Status: st})
		}
	}
	shown := failed[:min(len(failed), maxEmailInstances)]
	why := newCommandEmailWhy(v, d)

	var text strings.Builder
	text.WriteString(title + "\n\n")
	if followUp {
		text.WriteString("The command's outcome changed since the last email.\n\n")
	}
	text.WriteString(tally + "\n")
	text.WriteString("Command: " + SingleLine(v.CommandID, MaxEmailValueRunes) + "\n")
	if t := v.plainTiming(); t != "" {
		text.WriteString(t + "\n")
	}
	if v.Account != "" {
		text.WriteString("Account: " + SingleLine(v.Account, 20) + "\n")
	}
	if consoleURL != "" {
		text.WriteString("Console: " + consoleURL + "\n")
	}
	if v.OutputURL != "" {
		text.WriteString("Output in S3: " + v.OutputURL + "\n")
	}
	if why.unavailable != "" || why.common != "" {
		text.WriteString("\n")
		for _, line := range []string{why.unavailable, why.common} {
			if line != "" {
				text.WriteString(line + "\n")
			}
		}
	}
	if len(shown) > 0 {
		text.WriteString("\nFailed instances (" + strconv.Itoa(len(failed)) + "):\n")
		for _, in := range shown {
			text.WriteString("- " + SingleLine(in.ID, maxIDRunes) + "  " + in.Status.Words() + "\n")
			if line := why.instance(in.ID); line != "" {
				text.WriteString("    " + line + "\n")
			}
		}
		if len(failed) > len(shown) {
			text.WriteString("… +" + strconv.Itoa(len(failed)-len(shown)) + " more: see the console\n")
		}
	}

	var h strings.Builder
	style := StyleOf(v.Status)
	h.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>`)
	WriteHTML(&h, subject)
	h.WriteString(`</title></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;">`)
	h.WriteString(`<h2 style="border-left:6px solid `)
	writeCSSValueAttr(&h, style.Color)
	h.WriteString(`;padding-left:8px;">`)
	WriteHTML(&h, title)
	h.WriteString(`</h2>`)
	if followUp {
		h.WriteString(`<p><em>The command's outcome changed since the last email.</em></p>`)
	}
	h.WriteString(`<p><strong>`)
	WriteHTML(&h, tally)
	h.WriteString(`</strong></p><p>Command <code>`)
	WriteHTML(&h, v.CommandID)
	h.WriteString(`</code>`)
	if t := v.plainTiming(); t != "" {
		h.WriteString(` · `)
		WriteHTML(&h, t)
	}
	if v.Account != "" {
		h.WriteString(` · account `)
		WriteHTML(&h, SingleLine(v.Account, 20))
	}
	h.WriteString(`</p><p>`)
	if consoleURL != "" {
		h.WriteString(`<a href="`)
		WriteURLAttr(&h, consoleURL)
		h.WriteString(`">Open in the Run Command console</a> `)
	}
	if v.OutputURL != "" {
		h.WriteString(`<a href="`)
		WriteURLAttr(&h, v.OutputURL)
		h.WriteString(`">Output in S3</a>`)
	}
	h.WriteString(`</p>`)
	if why.unavailable != "" {
		h.WriteString(`<p style="padding:8px 12px;background-color:#fff8c5;border:1px solid #d4a72c;">`)
		WriteHTML(&h, why.unavailable)
		h.WriteString(`</p>`)
	}
	if why.common != "" {
		h.WriteString(`<p><strong>`)
		WriteHTML(&h, why.common)
		h.WriteString(`</strong></p>`)
	}
	if len(shown) > 0 {
		h.WriteString(`<h3>Failed instances (` + strconv.Itoa(len(failed)) + `)</h3><table cellpadding="4" style="border-collapse:collapse;">`)
		for _, in := range shown {
			h.WriteString(`<tr><td><code>`)
			if ValidRegion(v.Region) && v.CommandID != "" {
				h.WriteString(`<a href="`)
				WriteURLAttr(&h, InvocationURL(v.Region, v.CommandID, in.ID))
				h.WriteString(`">`)
				WriteHTML(&h, SingleLine(in.ID, maxIDRunes))
				h.WriteString(`</a>`)
			} else {
				WriteHTML(&h, SingleLine(in.ID, maxIDRunes))
			}
			h.WriteString(`</code></td><td>`)
			WriteHTML(&h, in.Status.Words())
			h.WriteString(`</td><td style="overflow-wrap:anywhere;">`)
			WriteHTML(&h, why.instance(in.ID))
			h.WriteString(`</td></tr>`)
		}
		h.WriteString(`</table>`)
		if len(failed) > len(shown) {
			h.WriteString(`<p>… +` + strconv.Itoa(len(failed)-len(shown)) + ` more: see the console.</p>`)
		}
	}
	h.WriteString(`</body></html>`)
	return EmailMessage{Subject: subject, HTML: h.String(), Text: text.String()}
}

// plainTiming is the command's time for plain text: "started 2026-05-04 10:00:00 UTC, took 3m12s".
func (v CommandView) plainTiming() string { return v.timingWith(formatTime) }

// commandEmailWhy is enrichment's part of a command email, in raw text (each body escapes it):
// the lookup's failure, the most common reason and each instance's facts, worded as in the
// command's Slack message (threaddetail.go).
type commandEmailWhy struct {
	unavailable, common string
	byID                map[string]*failure.Invocation
}

func newCommandEmailWhy(v CommandView, d *failure.Detail) *commandEmailWhy {
	w := &commandEmailWhy{}
	if d == nil {
		return w
	}
	if d.Unavailable != nil {
		w.unavailable = UnavailablePrefix + SingleLine(ReasonText(d.Unavailable), maxReasonRunes)
	}
	total := v.Targets
	if total == 0 {
		total = commandTotal(d)
	}
	if reason := MostCommonReason(allFailures(d), total); reason != "" {
		w.common = "Most common: " + SingleLine(reason, maxReasonRunes)
	}
	w.byID = invocationsByID(d)
	return w
}

// instance is the facts line of one failed instance ("Failed, exit code 100, in step PatchLinux —
// E: Unable to locate package"), "" when enrichment has none.
func (w *commandEmailWhy) instance(id string) string {
	inv, ok := w.byID[id]
	if !ok {
		return ""
	}
	return SingleLine(instanceFactsText(inv), maxReasonRunes)
}
