package channelview

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// IndexFile is the page's name in a run's folder.
const IndexFile = "index.html"

// WriteIndex renders the run in dir to dir/index.html and returns the Run it read.
func WriteIndex(dir string) (*Run, error) {
	r, err := Load(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, fmt.Errorf("channel view: %w", err)
	}
	if err := r.WriteHTML(f); err != nil {
		f.Close()
		return nil, err
	}
	return r, f.Close()
}

// WriteHTML writes the page.
func (r *Run) WriteHTML(w io.Writer) error {
	if err := page.Execute(w, r); err != nil {
		return fmt.Errorf("channel view: %w", err)
	}
	return nil
}

// Current is the message as it stands now: its last version.
func (m *Message) Current() *Version {
	if len(m.Versions) == 0 {
		return nil
	}
	return &m.Versions[len(m.Versions)-1]
}

// Edited says whether chat.update changed the message after it was posted.
func (m *Message) Edited() bool { return len(m.Versions) > 1 }

var color = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// barColor is an attachment's colour bar: a hex colour, or Slack's named good/warning/danger.
func barColor(c string) template.CSS {
	switch c {
	case "good":
		return "#2eb67d"
	case "warning":
		return "#ecb22e"
	case "danger":
		return "#e01e5a"
	}
	if color.MatchString(c) {
		return template.CSS(c)
	}
	return "#dddddd"
}

// messageHTML renders one version of a Slack message: its blocks (or its text when it has none)
// and its attachments.
func messageHTML(b Body) template.HTML {
	var s strings.Builder
	if len(b.Blocks) == 0 && b.Text != "" {
		s.WriteString(`<div class="text">` + Mrkdwn(b.Text) + `</div>`)
	}
	blocksHTML(&s, b.Blocks)
	for _, a := range b.Attachments {
		fmt.Fprintf(&s, `<div class="attachment" style="border-left-color:%s">`, html.EscapeString(string(barColor(a.Color))))
		if a.Pretext != "" {
			s.WriteString(`<div class="text">` + Mrkdwn(a.Pretext) + `</div>`)
		}
		if a.Title != "" {
			s.WriteString(`<div class="title">` + textHTML(a.Title, true) + `</div>`)
		}
		if a.Text != "" {
			s.WriteString(`<div class="text">` + Mrkdwn(a.Text) + `</div>`)
		}
		if len(a.Fields) > 0 {
			s.WriteString(`<div class="fields">`)
			for _, f := range a.Fields {
				s.WriteString(`<div class="field"><b>` + textHTML(f.Title, true) + `</b><br>` + Mrkdwn(f.Value) + `</div>`)
			}
			s.WriteString(`</div>`)
		}
		blocksHTML(&s, a.Blocks)
		s.WriteString(`</div>`)
	}
	return template.HTML(s.String()) // every piece above is escaped by construction
}

func objHTML(t Text) string {
	if t.Type == "plain_text" {
		return plainHTML(t.Text.S, t.Emoji)
	}
	return Mrkdwn(t.Text.S)
}

func blocksHTML(s *strings.Builder, blocks []Block) {
	for _, b := range blocks {
		switch b.Type {
		case "header":
			if b.Text != nil {
				s.WriteString(`<div class="header">` + plainHTML(b.Text.Text.S, true) + `</div>`)
			}
		case "section":
			s.WriteString(`<div class="section"><div class="section-body">`)
			if b.Text != nil {
				s.WriteString(`<div class="text">` + objHTML(*b.Text) + `</div>`)
			}
			if len(b.Fields) > 0 {
				s.WriteString(`<div class="fields">`)
				for _, f := range b.Fields {
					s.WriteString(`<div class="field">` + objHTML(f) + `</div>`)
				}
				s.WriteString(`</div>`)
			}
			s.WriteString(`</div>`)
			if b.Accessory != nil {
				s.WriteString(elementHTML(*b.Accessory))
			}
			s.WriteString(`</div>`)
		case "context":
			s.WriteString(`<div class="context">`)
			for _, e := range b.Elements {
				if e.Type == "image" {
					s.WriteString(`<span class="img">[` + plainHTML(e.AltText, false) + `]</span>`)
					continue
				}
				s.WriteString(`<span>` + objHTML(e) + `</span>`)
			}
			s.WriteString(`</div>`)
		case "actions":
			s.WriteString(`<div class="actions">`)
			for _, e := range b.Elements {
				s.WriteString(elementHTML(e))
			}
			s.WriteString(`</div>`)
		case "divider":
			s.WriteString(`<hr class="divider">`)
		case "image":
			s.WriteString(`<div class="img">[image: ` + plainHTML(b.AltText, false) + `]</div>`)
		default:
			s.WriteString(`<div class="unknown">[a ` + plainHTML(b.Type, false) + ` block: not shown here]</div>`)
		}
	}
}

// elementHTML renders a button (as a link when it has a safe URL) or an accessory.
func elementHTML(e Text) string {
	label := plainHTML(e.Text.S, true)
	if !e.Text.Plain {
		label = Mrkdwn(e.Text.S)
	}
	switch e.Type {
	case "button":
		class := "button"
		if e.Style == "primary" || e.Style == "danger" {
			class += " " + e.Style
		}
		if safeURL(e.URL) {
			return `<a class="` + class + `" href="` + html.EscapeString(e.URL) + `" rel="noopener noreferrer">` + label + `</a>`
		}
		return `<span class="` + class + `">` + label + `</span>`
	case "image":
		return `<span class="img">[` + plainHTML(e.AltText, false) + `]</span>`
	}
	return `<span class="unknown">[` + plainHTML(e.Type, false) + `]</span>`
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"message": messageHTML,
	"plus1":   func(i int) int { return i + 1 },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssmnotify: what this run would send</title>
<style>
body{margin:0;font:15px/1.46668 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Color Emoji",sans-serif;color:#1d1c1d;background:#f8f8f8}
header.page{background:#3f0e40;color:#fff;padding:12px 20px}
header.page h1{font-size:18px;margin:0}
header.page p{margin:4px 0 0;font-size:13px;opacity:.85}
main{max-width:980px;margin:0 auto;padding:12px 20px}
h2{font-size:17px;margin:24px 0 8px}
.channel{background:#fff;border:1px solid #ddd;border-radius:8px;margin:12px 0;overflow:hidden}
.channel>h3{margin:0;padding:10px 16px;border-bottom:1px solid #ddd;font-size:16px}
.msg{padding:8px 16px 8px 64px;position:relative;border-top:1px solid #f0f0f0}
.msg:first-of-type{border-top:0}
.avatar{position:absolute;left:16px;top:10px;width:36px;height:36px;border-radius:6px;background:#1264a3;color:#fff;font-weight:700;text-align:center;line-height:36px}
.who{font-weight:900}.who small{font-weight:400;color:#616061;margin-left:6px}
.edited{color:#616061;font-size:12px;margin-left:4px}
.header{font-size:18px;font-weight:900;margin:4px 0}
.section{display:flex;gap:12px;margin:4px 0}.section-body{flex:1}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin:6px 0}
.context{color:#616061;font-size:13px;margin:4px 0}.context>span{margin-right:8px}
.attachment{border-left:4px solid #ddd;padding:2px 0 2px 12px;margin:6px 0}
.actions{margin:6px 0}
.button{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:3px 12px;margin-right:8px;font-weight:700;font-size:14px;color:#1d1c1d;text-decoration:none}
.button.primary{background:#007a5a;border-color:#007a5a;color:#fff}.button.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
code{font:12px Monaco,Menlo,Consolas,monospace;background:#f6f6f6;border:1px solid #e0e0e0;border-radius:3px;padding:1px 3px;color:#e01e5a}
pre.code{font:12px Monaco,Menlo,Consolas,monospace;background:#f6f6f6;border:1px solid #e0e0e0;border-radius:4px;padding:8px;white-space:pre-wrap}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.quote{border-left:4px solid #ddd;padding-left:8px;display:inline-block}
a{color:#1264a3}
.thread{margin:6px 0 0;border-left:2px solid #e0e0e0;padding-left:12px}
.thread-head{color:#1264a3;font-size:13px;font-weight:700}
.thread .msg{padding-left:52px}.thread .avatar{left:4px;width:28px;height:28px;line-height:28px;font-size:12px}
.also{color:#616061;font-size:12px}
details.history{margin:6px 0;font-size:13px;background:#fafafa;border:1px dashed #ccc;border-radius:6px;padding:4px 8px}
details.history summary{cursor:pointer;color:#616061}
.version{border-top:1px dashed #ddd;padding:6px 0}
.version-head{color:#616061;font-size:12px}
.email{background:#fff;border:1px solid #ddd;border-radius:8px;margin:12px 0;overflow:hidden}
.email dl{margin:0;padding:10px 16px;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px;border-bottom:1px solid #ddd}
.email dt{color:#616061}.email dd{margin:0}
.email iframe{width:100%;height:560px;border:0;resize:vertical;display:block}
.file{color:#8d8d8d;font-size:11px}
table.timeline{border-collapse:collapse;font-size:12px;width:100%}
table.timeline td{border-top:1px solid #e0e0e0;padding:2px 6px;vertical-align:top}
.problem{color:#b00}
.unknown,.img{color:#616061;font-style:italic}
</style>
</head>
<body>
<header class="page"><h1>What this run would send</h1>
<p>Built from the request bodies and emails in this folder ({{len .Timeline}} files). Slack messages as a Slack client shows them; every chat.update is kept as the message's history.</p></header>
<main>
{{range .Problems}}<p class="problem">{{.}}</p>{{end}}
<h2>Slack</h2>
{{if not .Channels}}<p>No Slack message in this run.</p>{{end}}
{{range .Channels}}<section class="channel" data-channel="{{.Name}}">
<h3>{{if .Webhook}}incoming webhook: {{.Name}}{{else}}{{.Name}}{{end}}</h3>
{{range .Messages}}{{template "message" .}}{{end}}
</section>
{{end}}
<h2>Email</h2>
{{if not .Emails}}<p>No email in this run.</p>{{end}}
{{range .Emails}}<section class="email">
<dl>{{range .Headers}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}<dt>file</dt><dd class="file">{{.File}}</dd></dl>
<iframe sandbox="" title="{{.Subject}}" srcdoc="{{.HTML}}"></iframe>
</section>
{{end}}
<h2>In the order written</h2>
<table class="timeline">{{range $i, $e := .Timeline}}<tr><td>{{plus1 $i}}</td><td class="file">{{$e.File}}</td><td>{{$e.What}}</td></tr>{{end}}</table>
</main>
</body>
</html>
{{define "message"}}<div class="msg" data-ts="{{.TS}}">
<div class="avatar">S</div>
{{with .Current}}<div class="who">ssmnotify <small>APP</small>{{if $.Edited}}<span class="edited">(edited)</span>{{end}}{{if $.Orphan}}<small>a message not posted in this run ({{$.TS}})</small>{{end}}</div>
<div class="body">{{message .Body}}</div>{{else}}<div class="who">a message not posted in this run <small>{{.TS}}</small></div>{{end}}
{{if .Broadcast}}<div class="also">also sent to the channel</div>{{end}}
<div class="file">{{.File}}</div>
{{if .Edited}}<details class="history" open><summary>History: {{len .Versions}} versions (posted, then each chat.update)</summary>
{{range $i, $v := .Versions}}<div class="version"><div class="version-head">{{plus1 $i}}. {{$v.Method}} <span class="file">{{$v.File}}</span></div>{{message $v.Body}}</div>{{end}}
</details>{{end}}
{{if .Replies}}<div class="thread"><div class="thread-head">{{len .Replies}} {{if eq (len .Replies) 1}}reply{{else}}replies{{end}}</div>
{{range .Replies}}{{template "message" .}}{{end}}</div>{{end}}
</div>{{end}}`
