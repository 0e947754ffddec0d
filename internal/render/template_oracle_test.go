package render

import (
	"html/template"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// The email templates as they were before the bodies were built by hand (see htmlescape.go for
// why). They live on here, in a test file (test binaries may be large), as the oracle that the
// hand-written HTML must match byte for byte: see html_equiv_test.go.

// Exported for the equivalence tests in package render_test, which own the corpora.
type (
	EmailData       = emailData
	EmailRow        = emailRow
	EmailLink       = emailLink
	EmailDetail     = emailDetail
	EmailInvocation = emailInvocation
)

// NewEmailData is what Email renders for n.
func NewEmailData(n *payload.Notification, opt Options) EmailData { return newEmailData(n, opt) }

// EmailHTMLBoth renders d by hand (got) and through the old template (want).
func EmailHTMLBoth(d *EmailData) (got, want string, err error) {
	var b strings.Builder
	writeEmailHTML(&b, d)
	want, err = emailHTMLByTemplate(d)
	return b.String(), want, err
}

// emailHTMLByTemplate renders d through the old email template.
func emailHTMLByTemplate(d *emailData) (string, error) {
	var b strings.Builder
	err := htmlTmpl.Execute(&b, d)
	return b.String(), err
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
{{- if .Common}}
<div style="margin:0 0 8px 0;font-weight:bold;overflow-wrap:anywhere;">{{.Common}}</div>
{{- end}}
{{- range .Invocations}}
<div style="margin:8px 0 4px 0;font-weight:bold;overflow-wrap:anywhere;">{{.Title}}</div>
{{- if .Patch}}
<div>{{.Patch}}</div>
{{- end}}
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
