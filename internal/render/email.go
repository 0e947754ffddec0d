package render

import (
	"bytes"
	"html/template"
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

// maxEmailValueRunes caps one untrusted value in an email body.
const maxEmailValueRunes = 500

// emailRow is one line of the facts table.
type emailRow struct {
	Name, Value string
	Code        bool
}

// emailLink is one console link.
type emailLink struct {
	Label, URL string
}

// emailData feeds both email templates. Values are raw text: html/template escapes them for
// HTML, and the text template needs no escaping once control characters are gone.
type emailData struct {
	Subject   string
	Title     string
	Status    string
	Color     string
	Rows      []emailRow
	Instances []string
	More      int
	// InstancesLabel and InstancesText are the instance row, joined once (one template action
	// instead of one per instance).
	InstancesLabel string
	InstancesText  string
	Links          []emailLink
	NoRegion       bool
	// Detail is the enrichment, or nil.
	Detail *emailDetail
}

// Email renders n as an email: subject, HTML body and plain-text body.
func Email(n *payload.Notification, opt Options) (EmailMessage, error) {
	f := newFacts(n)
	d := emailData{
		Subject: Subject(n, opt),
		Status:  SingleLine(f.status, 60),
		Color:   f.style.Color,
	}
	d.Title = d.Status + ": " + SingleLine(f.document, maxEmailValueRunes)
	if f.target != "" {
		d.Title += " on " + SingleLine(f.target, maxIDRunes)
	}
	row := func(name, value string, code bool) {
		if value != "" {
			d.Rows = append(d.Rows, emailRow{name, SingleLine(value, maxEmailValueRunes), code})
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
	d.Detail = newEmailDetail(opt.Detail)
	if len(d.Instances) > 0 {
		d.InstancesLabel = "Instances (" + strconv.Itoa(len(d.Instances)+d.More) + ")"
		d.InstancesText = strings.Join(d.Instances, ", ")
		if d.More > 0 {
			d.InstancesText += " … +" + strconv.Itoa(d.More) + " more"
		}
	}

	var html bytes.Buffer
	html.Grow(6144)
	if err := htmlTmpl.Execute(&html, &d); err != nil {
		return EmailMessage{}, err
	}
	return EmailMessage{Subject: d.Subject, HTML: html.String(), Text: emailText(&d)}, nil
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

// Subject is the email subject of n, e.g.
// "[FAILED] AWS-RunPatchBaseline on 3 instances — 1a2b3c4d (us-east-1)": the status first so
// that a full inbox sorts itself, then what ran, where, and the short command ID to tell
// commands apart. It is a single line of at most MaxSubject runes.
func Subject(n *payload.Notification, opt Options) string {
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
		b.WriteString(" on ")
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

var htmlTmpl = template.Must(template.New("email.html").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f6f8fa;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f6f8fa;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;width:100%;background-color:#ffffff;border:1px solid #d0d7de;border-radius:6px;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:20px;color:#1f2328;">
<tr><td style="background-color:{{.Color}};color:#ffffff;padding:16px 24px;border-radius:6px 6px 0 0;">
<div style="font-size:12px;letter-spacing:1px;text-transform:uppercase;">AWS Systems Manager Run Command</div>
<div style="font-size:20px;line-height:28px;font-weight:bold;word-break:break-word;">{{.Title}}</div>
</td></tr>
<tr><td style="padding:16px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
{{- range .Rows}}
<tr>
<td valign="top" style="padding:6px 12px 6px 0;border-bottom:1px solid #eaeef2;color:#59636e;white-space:nowrap;width:120px;">{{.Name}}</td>
<td valign="top" style="padding:6px 0;border-bottom:1px solid #eaeef2;overflow-wrap:anywhere;">{{if .Code}}<code style="font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:13px;">{{.Value}}</code>{{else}}{{.Value}}{{end}}</td>
</tr>
{{- end}}
{{- if .Instances}}
<tr>
<td valign="top" style="padding:6px 12px 6px 0;border-bottom:1px solid #eaeef2;color:#59636e;white-space:nowrap;width:120px;">{{.InstancesLabel}}</td>
<td valign="top" style="padding:6px 0;border-bottom:1px solid #eaeef2;font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:13px;overflow-wrap:break-word;">{{.InstancesText}}</td>
</tr>
{{- end}}
</table>
</td></tr>
{{- with .Detail}}
<tr><td style="padding:0 24px 16px 24px;">
{{- if .Unavailable}}
<div style="margin:0 0 8px 0;padding:8px 12px;background-color:#fff8c5;border:1px solid #d4a72c;border-radius:6px;">{{.Unavailable}}</div>
{{- end}}
{{- range .Invocations}}
<div style="margin:8px 0 4px 0;font-weight:bold;overflow-wrap:anywhere;">{{.Title}}</div>
{{- if .Unavailable}}
<div style="color:#59636e;">{{.Unavailable}}</div>
{{- end}}
{{- if .Output}}
<div style="color:#59636e;font-size:12px;">{{.Label}}</div>
<pre style="margin:4px 0 8px 0;padding:8px 12px;background-color:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:12px;line-height:18px;white-space:pre-wrap;overflow-wrap:anywhere;">{{.Output}}</pre>
{{- end}}
{{- if .URL}}
<a href="{{.URL}}" style="color:#0969da;font-weight:bold;">{{.LinkLabel}}</a>
{{- end}}
{{- end}}
{{- if .Note}}
<div style="margin:8px 0 0 0;color:#59636e;font-size:12px;">{{.Note}}</div>
{{- end}}
</td></tr>
{{- end}}
{{- if .Links}}
<tr><td style="padding:0 24px 16px 24px;">
{{- range .Links}}
<a href="{{.URL}}" style="display:inline-block;margin:4px 8px 4px 0;padding:8px 14px;background-color:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;color:#0969da;text-decoration:none;font-weight:bold;">{{.Label}}</a>
{{- end}}
</td></tr>
{{- end}}
{{- if .NoRegion}}
<tr><td style="padding:0 24px 16px 24px;color:#59636e;font-size:12px;">No console link: the notification names no valid region.</td></tr>
{{- end}}
<tr><td style="padding:12px 24px;border-top:1px solid #eaeef2;color:#59636e;font-size:12px;">Sent by ssmnotify from an AWS Systems Manager notification.</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`))
