package channelview

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// mustWrite writes files (name → content) under dir.
func mustWrite(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestEvolvingMessage reads a folder laid out as the preview delivery writes it: a post, a
// thread reply and two updates of the post; a webhook; an email; a digest post.
func TestEvolvingMessage(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{
		"router/01-_ops-chat.postMessage.slack.json": `{"channel":"#ops","text":"f","blocks":[{"type":"header","text":{"type":"plain_text","text":":x: Failed: Doc","emoji":true}}],
			"attachments":[{"color":"#d1242f","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Failed · 2 instances targeted*"}}]}]}`,
		"router/02-_ops-chat.postMessage.slack.json":               `{"channel":"#ops","text":"r","thread_ts":"1777888800.000001","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*1 more instance failed:* i-1"}}]}`,
		"router/03-_ops-chat.update.slack.json":                    `{"channel":"#ops","ts":"1777888800.000001","text":"u","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Failed on 1 of 2*"},"fields":[{"type":"mrkdwn","text":"*Region*\nus-east-1"}]},{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"Open"},"url":"https://console.aws.amazon.com/x","style":"primary"}]}]}`,
		"router/04-hook-3c4d5e6f-i-0abc-Failed.slack.json":         `{"text":"via webhook","blocks":[{"type":"context","elements":[{"type":"mrkdwn","text":"ctx"}]}]}`,
		"router/05-_ops-chat.update.slack.json":                    `{"channel":"#ops","ts":"1777888800.000001","text":"u2","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Failed on 2 of 2*"}}]}`,
		"router/06-mail-3c4d5e6f-command-Failed.email.html":        `<p style="color:red">Hello <b>on-call</b></p>`,
		"router/06-mail-3c4d5e6f-command-Failed.email.headers.txt": "From: a@example.com\nTo: b@example.com\nSubject: [FAILED] Doc\nContent-Type: x\n",
		"digest/01-digest-ops-slack.slack.json":                    `{"channel":"#ops","text":"digest","blocks":[{"type":"header","text":{"type":"plain_text","text":"digest: 9 failures"}}]}`,
	})
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
	if len(r.Channels) != 2 || r.Channels[0].Name != "#ops" || r.Channels[1].Name != "hook" || !r.Channels[1].Webhook {
		t.Fatalf("channels: %+v", r.Channels)
	}
	ops := r.Channels[0]
	if len(ops.Messages) != 2 {
		t.Fatalf("#ops has %d top-level messages, want the command's message and the digest", len(ops.Messages))
	}
	m := ops.Messages[0]
	if len(m.Versions) != 3 || len(m.Replies) != 1 || m.Orphan {
		t.Fatalf("evolving message: %d versions, %d replies, orphan %v; want 3, 1, false", len(m.Versions), len(m.Replies), m.Orphan)
	}
	if len(r.Emails) != 1 || r.Emails[0].Subject != "[FAILED] Doc" || len(r.Timeline) != 7 {
		t.Fatalf("emails %+v, timeline %d", r.Emails, len(r.Timeline))
	}
	var b strings.Builder
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<span class="emoji" title=":x:">❌</span> Failed: Doc`, "(edited)", "History: 3 versions",
		"<b>Failed on 2 of 2</b>", "1 reply", "<b>1 more instance failed:</b> i-1",
		`<a class="button primary" href="https://console.aws.amazon.com/x"`, "<b>Region</b><br>us-east-1",
		"border-left-color:#d1242f", "incoming webhook: hook", `sandbox=""`,
		`srcdoc="&lt;p style=&#34;color:red&#34;&gt;Hello &lt;b&gt;on-call&lt;/b&gt;&lt;/p&gt;"`,
		"digest: 9 failures",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The current version comes first, then the history in order.
	if i, j := strings.Index(page, "Failed on 2 of 2"), strings.Index(page, "Failed · 2 instances targeted"); i < 0 || j < 0 || i > j {
		t.Errorf("the current version must be shown before the history")
	}
	if _, err := WriteIndex(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
		t.Fatal(err)
	}
}

// TestOrphans: an update or reply whose message is not in the folder is shown, not dropped.
func TestOrphans(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, map[string]string{
		"01-_ops-chat.update.slack.json":      `{"channel":"#ops","ts":"1.5","text":"updated"}`,
		"02-_ops-chat.postMessage.slack.json": `{"channel":"#ops","thread_ts":"9.9","text":"reply","reply_broadcast":true}`,
		"03-_ops-chat.postMessage.slack.json": `not json`,
	})
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "03-_ops-chat.postMessage.slack.json") {
		t.Errorf("problems: %v", r.Problems)
	}
	msgs := r.Channels[0].Messages
	if len(msgs) != 2 || !msgs[0].Orphan || !msgs[1].Orphan || len(msgs[1].Replies) != 1 || !msgs[1].Replies[0].Broadcast {
		t.Fatalf("orphans: %+v", msgs)
	}
	var b strings.Builder
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"updated", "a message not posted in this run", "also sent to the channel", "not a Slack message body"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// hostile is text an attacker controls (a document name, a comment, stderr, a channel name):
// each must show as text and never become markup, a script, a handler or a link.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`<javascript:alert(1)|click me>`,
	`<https://ok.example/"onmouseover="alert(1)|x>`,
	`<data:text/html,<script>alert(1)</script>|data>`,
	"```</pre><script>alert(1)</script>```",
	"`</code><script>alert(1)</script>`",
	"*<b onclick=alert(1)>*",
	"\uE0000\uE001 forged placeholder",
	`</textarea></style></iframe><script>alert(1)</script>`,
	`:x:<script>`,
	`<!date^1^{date}|<script>alert(1)</script>>`,
	`<@U1|"><script>alert(1)</script>>`,
}

func TestHostileCorpus(t *testing.T) {
	dir := hostileRun(t)
	raw, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	assertSafe(t, string(raw))
	if !strings.Contains(string(raw), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile text must still be shown, as text")
	}
}

// TestHostileCorpusInChromium loads the hostile page in a real browser: the DOM it builds holds
// no script, no element with an event handler, and shows the hostile strings as text.
func TestHostileCorpusInChromium(t *testing.T) {
	browser := testenv.NeedChromium(t)
	dir := hostileRun(t)
	dom := browser.DumpDOM("file://" + filepath.ToSlash(filepath.Join(dir, IndexFile)))
	// Attribute values (an email's HTML in srcdoc, a channel name) are data, not elements.
	tags := strings.ToLower(regexp.MustCompile(`="[^"]*"`).ReplaceAllString(dom, `=""`))
	if strings.Contains(tags, "<script") || strings.Contains(tags, "<img") || strings.Contains(tags, "<svg") || strings.Contains(strings.ToLower(dom), "<img") || strings.Contains(strings.ToLower(dom), "<svg") {
		t.Errorf("the browser built a script, img or svg element from hostile text")
	}
	if regexp.MustCompile(`(?i)<[a-z][a-z0-9]*(?:\s+[a-z-]+(?:="[^"]*"|='[^']*'|=[^\s>"']*)?)*\s+on[a-z]+\s*=`).MatchString(tags) {
		t.Errorf("the browser built an element with an event handler from hostile text")
	}
	text := testenv.Text(dom)
	for _, want := range []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
}

// hostileRun writes a run folder whose every field carries hostile text, renders it, and
// returns the folder.
func hostileRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for i, h := range hostile {
		q := jsonString(h)
		files[filepathf("router/%02d-_ops-chat.postMessage.slack.json", i+1)] = `{"channel":` + q + `,"text":` + q + `,
		"blocks":[{"type":"header","text":{"type":"plain_text","text":` + q + `,"emoji":true}},
			{"type":"section","text":{"type":"mrkdwn","text":` + q + `},"fields":[{"type":"mrkdwn","text":` + q + `},{"type":"plain_text","text":` + q + `}],
			 "accessory":{"type":"button","text":{"type":"plain_text","text":` + q + `},"url":` + q + `}},
			{"type":"context","elements":[{"type":"mrkdwn","text":` + q + `},{"type":"image","image_url":` + q + `,"alt_text":` + q + `}]},
			{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":` + q + `},"url":"javascript:alert(1)"}]},
			{"type":` + q + `}],
		"attachments":[{"color":` + jsonString(`red;background:url(https://evil.example/x)`) + `,"pretext":` + q + `,"title":` + q + `,"text":` + q + `,"fields":[{"title":` + q + `,"value":` + q + `}]}]}`
		files[filepathf("router/%02d-hook-3c4d5e6f-i-1-Failed.slack.json", 100+i)] = `{"text":` + q + `}`
		files[filepathf("router/%02d-m-3c4d5e6f-command-Failed.email.html", 200+i)] = h + `<script>alert(1)</script><img src=x onerror=alert(1)>`
		files[filepathf("router/%02d-m-3c4d5e6f-command-Failed.email.headers.txt", 200+i)] = "From: " + h + "\nSubject: " + h + "\n"
	}
	mustWrite(t, dir, files)
	r, err := WriteIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
	return dir
}

// Every "<" the page writes itself starts a tag: text and attribute values are escaped. So the
// tags can be read with a pattern, and each checked against what the page may contain.
var (
	tagRE     = regexp.MustCompile(`<(/?)([a-zA-Z0-9!]+)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*/?>`)
	attrRE    = regexp.MustCompile(`([a-zA-Z-]+)(?:="([^"]*)")?`)
	allowTags = map[string]bool{"!DOCTYPE": true, "html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true, "h1": true, "h2": true, "h3": true, "p": true, "main": true,
		"section": true, "div": true, "span": true, "small": true, "b": true, "i": true, "s": true, "a": true, "br": true, "hr": true, "code": true, "pre": true, "details": true, "summary": true,
		"dl": true, "dt": true, "dd": true, "iframe": true, "table": true, "tr": true, "td": true}
	allowAttrs = map[string]bool{"lang": true, "charset": true, "http-equiv": true, "content": true, "name": true, "class": true, "title": true, "href": true, "rel": true,
		"style": true, "data-channel": true, "data-ts": true, "open": true, "sandbox": true, "srcdoc": true, "html": true}
	safeStyle = regexp.MustCompile(`^border-left-color:#[0-9a-fA-F]{3,6}$`)
)

func assertSafe(t *testing.T, page string) {
	t.Helper()
	// Outside the style element, no "<" may be left that is not one of the page's tags.
	body := page[strings.Index(page, "</style>"):]
	if n, m := strings.Count(body, "<"), len(tagRE.FindAllStringIndex(body, -1)); n != m {
		t.Fatalf("%d '<' in the page but %d well-formed tags: something unescaped got through", n, m)
	}
	for _, tag := range tagRE.FindAllStringSubmatch(page, -1) {
		name := tag[2]
		if !allowTags[name] {
			t.Errorf("tag %q in the page: %s", name, tag[0])
			continue
		}
		sandboxed := false
		for _, a := range attrRE.FindAllStringSubmatch(tag[3], -1) {
			key, val := strings.ToLower(a[1]), a[2]
			switch {
			case !allowAttrs[key]:
				t.Errorf("attribute %q: %s", key, tag[0])
			case key == "href" && !(strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "mailto:")):
				t.Errorf("link to %q: %s", val, tag[0])
			case key == "style" && !safeStyle.MatchString(val):
				t.Errorf("style %q: %s", val, tag[0])
			case key == "sandbox":
				sandboxed = val == ""
			}
		}
		if name == "iframe" && tag[1] == "" && !sandboxed {
			t.Errorf("an email iframe without sandbox=\"\": %s", tag[0])
		}
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20:
			b.WriteString(`\u00` + string("0123456789abcdef"[r>>4]) + string("0123456789abcdef"[r&15]))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func filepathf(format string, a ...any) string { return filepath.FromSlash(fmt.Sprintf(format, a...)) }
