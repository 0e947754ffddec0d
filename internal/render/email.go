package render

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// EmailMessage is a rendered email: a one-line subject and two alternative bodies.
type EmailMessage struct {
	// Subject is on one line (no CR or LF can reach a mail header) and at most MaxSubject runes.
	Subject string
	// HTML is a complete HTML document with inline styles, which survive common mail clients.
	HTML string
	// Text is the plain-text alternative with the same facts.
	Text string
}

// MaxSubject caps the subject, in runes. RFC 5322 recommends lines under 78 characters; mail
// clients cut long subjects anyway, so the useful part comes first.
const MaxSubject = 200

// MaxEmailValueRunes caps one untrusted value in an email body.
const MaxEmailValueRunes = 500

// emailRow is one line of the facts table.
type emailRow struct {
	Name, Value string
	Code        bool
}

// emailLink is one console link.
type emailLink struct {
	Label, URL string
}

// emailData feeds both email bodies. Values are raw text: writeEmailHTML escapes them for
// HTML, and the text body needs no escaping once control characters are gone.
type emailData struct {
	Subject   string
	Title     string
	Status    string
	Color     string
	Rows      []emailRow
	Instances []string
	More      int
	// InstancesLabel and InstancesText are the instance row of the HTML body, joined once.
	InstancesLabel string
	InstancesText  string
	Links          []emailLink
	NoRegion       bool
	// Detail is the enrichment, or nil.
	Detail *emailDetail
}

// Email renders n as an email: subject, HTML body and plain-text body. The error is always
// nil; it stays in the signature from when the body came out of a template.
func Email(n *payload.Notification, opt Options) (EmailMessage, error) {
	d := newEmailData(n, opt)
	var html strings.Builder
	html.Grow(6144)
	writeEmailHTML(&html, &d)
	return EmailMessage{Subject: d.Subject, HTML: html.String(), Text: emailText(&d)}, nil
}

// newEmailData gathers what both email bodies show, as raw one-line text.
func newEmailData(n *payload.Notification, opt Options) emailData {
	f := newFacts(n)
	d := emailData{
		Subject: emailSubject(n, opt),
		Status:  SingleLine(f.status, 60),
		Color:   f.style.Color,
	}
	d.Title = d.Status + ": " + SingleLine(f.document, MaxEmailValueRunes)
	if f.target != "" {
		d.Title += f.on + SingleLine(f.target, maxIDRunes)
	}
	row := func(name, value string, code bool) {
		if value != "" {
			d.Rows = append(d.Rows, emailRow{name, SingleLine(value, MaxEmailValueRunes), code})
		}
	}
	status := f.status
	if n.NonStandard && n.StatusRaw != "" {
		status += " (non-standard: " + n.StatusRaw + ")"
	}
	row("Status", status, false)
	row("Document", f.document, false)
	row("Command ID", n.CommandID, true)
	row("Kind", f.kind, false)
	if n.Kind == payload.KindInvocation {
		row("Instance", n.InstanceID, true)
	}
	row("Requested", formatTime(n.RequestedDateTime), false)
	row("Event time", formatTime(n.EventTime), false)
	row("Region", n.Region, false)
	row("Account", n.Account, false)
	if n.Kind != payload.KindInvocation {
		if len(n.InstanceIDs) == 0 {
			row("Instances", "targeted by tags; the notification does not list them", false)
		} else {
			for i, id := range n.InstanceIDs {
				if i == maxInstancesListed {
					d.More = len(n.InstanceIDs) - i
					break
				}
				d.Instances = append(d.Instances, SingleLine(id, maxIDRunes))
			}
		}
	}
	if f.links.Command != "" {
		d.Links = append(d.Links, emailLink{"Open in the Run Command console", f.links.Command})
	}
	if f.links.Invocation != "" {
		d.Links = append(d.Links, emailLink{"Invocation on " + SingleLine(n.InstanceID, maxIDRunes), f.links.Invocation})
	}
	if f.links.Output != "" {
		d.Links = append(d.Links, emailLink{"Output in S3", f.links.Output})
	}
	d.NoRegion = f.links.Command == ""
	d.Detail = newEmailDetail(n, opt.Detail)
	if len(d.Instances) > 0 {
		d.InstancesLabel = "Instances (" + strconv.Itoa(len(d.Instances)+d.More) + ")"
		d.InstancesText = strings.Join(d.Instances, ", ")
		if d.More > 0 {
			d.InstancesText += " … +" + strconv.Itoa(d.More) + " more"
		}
	}

	return d
}

// emailText is the plain-text alternative. It needs no escaping: every value went through
// SingleLine, so none can break the layout. (Written by hand rather than with text/template:
// it is a quarter of the rendering time otherwise.)
func emailText(d *emailData) string {
	var b strings.Builder
	b.Grow(1024)
	b.WriteString(d.Title)
	b.WriteString("\n\n")
	pad := func(name string) {
		b.WriteString(name)
		for i := utf8.RuneCountInString(name); i < 13; i++ {
			b.WriteByte(' ')
		}
	}
	for _, r := range d.Rows {
		pad(r.Name)
		b.WriteString(r.Value)
		b.WriteByte('\n')
	}
	if len(d.Instances) > 0 {
		pad("Instances")
		b.WriteString(strconv.Itoa(len(d.Instances) + d.More))
		b.WriteByte(':')
		for _, id := range d.Instances {
			b.WriteByte(' ')
			b.WriteString(id)
		}
		if d.More > 0 {
			b.WriteString(" … +")
			b.WriteString(strconv.Itoa(d.More))
			b.WriteString(" more")
		}
		b.WriteByte('\n')
	}
	writeEmailDetailText(&b, d.Detail)
	if len(d.Links) > 0 {
		b.WriteByte('\n')
		for _, l := range d.Links {
			b.WriteString(l.Label)
			b.WriteString(":\n  ")
			b.WriteString(l.URL)
			b.WriteByte('\n')
		}
	}
	if d.NoRegion {
		b.WriteString("\nNo console link: the notification names no valid region.\n")
	}
	b.WriteString("\n-- \nSent by ssmnotify from an AWS Systems Manager notification.\n")
	return b.String()
}

// emailSubject is the email subject of n, e.g.
// "[FAILED] AWS-RunPatchBaseline across 3 targeted instances — 1a2b3c4d (us-east-1)": the status
// first so that a full inbox sorts itself, then what ran, where, and the short command ID to tell
// commands apart. It is a single line of at most MaxSubject runes.
func emailSubject(n *payload.Notification, opt Options) string {
	f := newFacts(n)
	var b strings.Builder
	b.Grow(128)
	if opt.SubjectPrefix != "" {
		b.WriteString(SingleLine(opt.SubjectPrefix, 60))
		b.WriteByte(' ')
	}
	b.WriteByte('[')
	b.WriteString(SingleLine(statusUpper(f.status), 40))
	b.WriteString("] ")
	b.WriteString(SingleLine(f.document, 100))
	if f.target != "" {
		b.WriteString(f.on)
		b.WriteString(SingleLine(f.target, 40))
	}
	b.WriteString(" — ")
	b.WriteString(SingleLine(n.ShortCommandID(), 40))
	if n.Region != "" {
		b.WriteString(" (")
		b.WriteString(SingleLine(n.Region, 30))
		b.WriteByte(')')
	}
	return SingleLine(b.String(), MaxSubject)
}

// Pieces of the HTML body that repeat. The body is built by hand, not with html/template (see
// htmlescape.go); template_oracle_test.go holds the template it must match byte for byte.
const (
	EmailFont     = `font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;`
	emailNameCell = `<td valign="top" style="padding:6px 12px 6px 0;border-bottom:1px solid #eaeef2;color:#59636e;white-space:nowrap;width:120px;">`
)

// writeEmailHTML appends the HTML body of d: a complete document with inline styles, every
// value escaped for its context exactly as html/template would.
func writeEmailHTML(b *strings.Builder, d *emailData) {
	WriteHTMLHead(b, d.Subject, d.Color)
	b.WriteString(`word-break:break-word;">`)
	WriteHTML(b, d.Title)
	b.WriteString(`</div>
</td></tr>
<tr><td style="padding:16px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">`)
	for _, r := range d.Rows {
		b.WriteString("\n<tr>\n" + emailNameCell)
		WriteHTML(b, r.Name)
		b.WriteString(`</td>
<td valign="top" style="padding:6px 0;border-bottom:1px solid #eaeef2;overflow-wrap:anywhere;">`)
		if r.Code {
			b.WriteString(`<code style="` + EmailFont + `font-size:13px;">`)
			WriteHTML(b, r.Value)
			b.WriteString(`</code>`)
		} else {
			WriteHTML(b, r.Value)
		}
		b.WriteString("</td>\n</tr>")
	}
	if len(d.Instances) > 0 {
		b.WriteString("\n<tr>\n" + emailNameCell)
		WriteHTML(b, d.InstancesLabel)
		b.WriteString(`</td>
<td valign="top" style="padding:6px 0;border-bottom:1px solid #eaeef2;` + EmailFont + `font-size:13px;overflow-wrap:break-word;">`)
		WriteHTML(b, d.InstancesText)
		b.WriteString("</td>\n</tr>")
	}
	b.WriteString("\n</table>\n</td></tr>")
	if dt := d.Detail; dt != nil {
		b.WriteString(`
<tr><td style="padding:0 24px 16px 24px;">`)
		if dt.Unavailable != "" {
			b.WriteString(`
<div style="margin:0 0 8px 0;padding:8px 12px;background-color:#fff8c5;border:1px solid #d4a72c;border-radius:6px;">`)
			WriteHTML(b, dt.Unavailable)
			b.WriteString(`</div>`)
		}
		if dt.Common != "" {
			b.WriteString(`
<div style="margin:0 0 8px 0;font-weight:bold;overflow-wrap:anywhere;">`)
			WriteHTML(b, dt.Common)
			b.WriteString(`</div>`)
		}
		for i := range dt.Invocations {
			inv := &dt.Invocations[i]
			b.WriteString(`
<div style="margin:8px 0 4px 0;font-weight:bold;overflow-wrap:anywhere;">`)
			WriteHTML(b, inv.Title)
			b.WriteString(`</div>`)
			if inv.Patch != "" {
				b.WriteString(`
<div>`)
				WriteHTML(b, inv.Patch)
				b.WriteString(`</div>`)
			}
			if inv.Unavailable != "" {
				b.WriteString(`
<div style="color:#59636e;">`)
				WriteHTML(b, inv.Unavailable)
				b.WriteString(`</div>`)
			}
			if inv.Output != "" {
				b.WriteString(`
<div style="color:#59636e;font-size:12px;">`)
				WriteHTML(b, inv.Label)
				b.WriteString(`</div>
<pre style="margin:4px 0 8px 0;padding:8px 12px;background-color:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;` + EmailFont + `font-size:12px;line-height:18px;white-space:pre-wrap;overflow-wrap:anywhere;">`)
				WriteHTML(b, inv.Output)
				b.WriteString(`</pre>`)
			}
			if inv.URL != "" {
				b.WriteString(`
<a href="`)
				WriteURLAttr(b, inv.URL)
				b.WriteString(`" style="color:#0969da;font-weight:bold;">`)
				WriteHTML(b, inv.LinkLabel)
				b.WriteString(`</a>`)
			}
		}
		if dt.Note != "" {
			b.WriteString(`
<div style="margin:8px 0 0 0;color:#59636e;font-size:12px;">`)
			WriteHTML(b, dt.Note)
			b.WriteString(`</div>`)
		}
		b.WriteString("\n</td></tr>")
	}
	if len(d.Links) > 0 {
		b.WriteString(`
<tr><td style="padding:0 24px 16px 24px;">`)
		for _, l := range d.Links {
			b.WriteString(`
<a href="`)
			WriteURLAttr(b, l.URL)
			b.WriteString(`" style="display:inline-block;margin:4px 8px 4px 0;padding:8px 14px;background-color:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;color:#0969da;text-decoration:none;font-weight:bold;">`)
			WriteHTML(b, l.Label)
			b.WriteString(`</a>`)
		}
		b.WriteString("\n</td></tr>")
	}
	if d.NoRegion {
		b.WriteString(`
<tr><td style="padding:0 24px 16px 24px;color:#59636e;font-size:12px;">No console link: the notification names no valid region.</td></tr>`)
	}
	WriteHTMLFoot(b, "Sent by ssmnotify from an AWS Systems Manager notification.")
}

// WriteHTMLHead appends what the HTML bodies of alerts and digests share: the document head and
// the coloured header up to the open style attribute of the title.
func WriteHTMLHead(b *strings.Builder, subject, color string) {
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`)
	WriteHTML(b, subject)
	b.WriteString(`</title>
</head>
<body style="margin:0;padding:0;background-color:#f6f8fa;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f6f8fa;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;width:100%;background-color:#ffffff;border:1px solid #d0d7de;border-radius:6px;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:20px;color:#1f2328;">
<tr><td style="background-color:`)
	writeCSSValueAttr(b, color)
	b.WriteString(`;color:#ffffff;padding:16px 24px;border-radius:6px 6px 0 0;">
<div style="font-size:12px;letter-spacing:1px;text-transform:uppercase;">AWS Systems Manager Run Command</div>
<div style="font-size:20px;line-height:28px;font-weight:bold;`)
}

// WriteHTMLFoot appends the closing rows shared by the HTML bodies, after the footer text.
func WriteHTMLFoot(b *strings.Builder, footer string) {
	b.WriteString(`
<tr><td style="padding:12px 24px;border-top:1px solid #eaeef2;color:#59636e;font-size:12px;">`)
	b.WriteString(footer)
	b.WriteString(`</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`)
}
