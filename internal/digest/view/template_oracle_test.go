package view

import (
	"html/template"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
)

// The digest email's template as it was before the body was built by hand (see
// internal/render/htmlescape.go for why). It lives on here, in a test file, as the oracle that
// the hand-written HTML must match byte for byte: see html_equiv_test.go.

// Exported for the equivalence tests in package view_test, which own the corpora.
type (
	EmailData  = digestEmailData
	Row        = digestRow
	CommandRow = digestCommandRow
)

// NewEmailData is what Email renders for s.
func NewEmailData(s *tally.Summary, opt Options) EmailData {
	return newDigestEmailData(s, opt)
}

// HTMLBoth renders d by hand (got) and through the old template (want).
func HTMLBoth(d *EmailData) (got, want string, err error) {
	var b strings.Builder
	writeDigestHTML(&b, d)
	want, err = htmlByTemplate(d)
	return b.String(), want, err
}

// htmlByTemplate renders d through the old digest template.
func htmlByTemplate(d *digestEmailData) (string, error) {
	var b strings.Builder
	err := digestHTML.Execute(&b, d)
	return b.String(), err
}

const oracleDigestCell = `padding:6px 12px 6px 0;border-bottom:1px solid #eaeef2;`

var digestHTML = template.Must(template.New("digest.html").Parse(`<!DOCTYPE html>
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
<div style="font-size:20px;line-height:28px;font-weight:bold;">{{.Title}}</div>
</td></tr>
<tr><td style="padding:16px 24px 0 24px;">
<div><span style="color:#59636e;">Window:</span> {{.Window}}</div>
{{- if .Versus}}
<div><span style="color:#59636e;">Change:</span> {{.Versus}}</div>
{{- end}}
{{- if .Statuses}}
<div><span style="color:#59636e;">By status:</span>{{range $i, $s := .Statuses}}{{if $i}},{{end}} {{$s.Name}} <strong>{{$s.Count}}</strong>{{end}}</div>
{{- end}}
{{- if .Clear}}
<p style="margin:16px 0 0 0;">No Run Command failures in this window.</p>
{{- end}}
</td></tr>
{{- if .Documents}}
<tr><td style="padding:16px 24px 0 24px;">
<div style="font-weight:bold;font-size:16px;margin-bottom:4px;">Top documents</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr><th align="left" style="` + oracleDigestCell + `color:#59636e;font-weight:normal;">Document</th><th align="right" style="` + oracleDigestCell + `color:#59636e;font-weight:normal;">Failures</th>{{if .HasChange}}<th align="right" style="` + oracleDigestCell + `color:#59636e;font-weight:normal;">vs previous</th>{{end}}</tr>
{{- range .Documents}}
<tr><td style="` + oracleDigestCell + `overflow-wrap:anywhere;">{{.Name}}</td><td align="right" style="` + oracleDigestCell + `">{{.Count}}</td>{{if $.HasChange}}<td align="right" style="` + oracleDigestCell + `white-space:nowrap;">{{.Change}}</td>{{end}}</tr>
{{- end}}
</table>
{{- if .DocumentsMore}}
<div style="color:#59636e;font-size:12px;padding-top:4px;">{{.DocumentsMore}}</div>
{{- end}}
</td></tr>
{{- end}}
{{- if .Instances}}
<tr><td style="padding:16px 24px 0 24px;">
<div style="font-weight:bold;font-size:16px;margin-bottom:4px;">Top instances</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
{{- range .Instances}}
<tr><td style="` + oracleDigestCell + `font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:13px;overflow-wrap:anywhere;">{{.Name}}</td><td align="right" style="` + oracleDigestCell + `">{{.Count}}</td></tr>
{{- end}}
</table>
{{- if .InstancesMore}}
<div style="color:#59636e;font-size:12px;padding-top:4px;">{{.InstancesMore}}</div>
{{- end}}
</td></tr>
{{- end}}
{{- if .Commands}}
<tr><td style="padding:16px 24px 0 24px;">
<div style="font-weight:bold;font-size:16px;margin-bottom:4px;">Failed commands</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
{{- range .Commands}}
<tr><td style="` + oracleDigestCell + `overflow-wrap:anywhere;">{{if .URL}}<a href="{{.URL}}" style="color:#0969da;font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:13px;">{{.ID}}</a>{{else}}<code style="font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:13px;">{{.ID}}</code>{{end}}<br><span style="color:#59636e;font-size:12px;">{{.Document}}{{if .Region}} · {{.Region}}{{end}} · first {{.First}}</span></td><td align="right" valign="top" style="` + oracleDigestCell + `white-space:nowrap;">{{.Failures}} failed</td></tr>
{{- end}}
</table>
{{- if .CommandsMore}}
<div style="color:#59636e;font-size:12px;padding-top:4px;">{{.CommandsMore}}</div>
{{- end}}
</td></tr>
{{- end}}
{{- range .Notes}}
<tr><td style="padding:12px 24px 0 24px;color:#59636e;font-size:12px;">{{.}}</td></tr>
{{- end}}
<tr><td style="padding:16px 24px 12px 24px;"></td></tr>
<tr><td style="padding:12px 24px;border-top:1px solid #eaeef2;color:#59636e;font-size:12px;">Sent by ssmnotify: a scheduled summary of AWS Systems Manager Run Command failures.</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`))
