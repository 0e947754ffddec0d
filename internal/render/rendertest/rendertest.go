// Package rendertest holds what the tests of the renderers share — internal/render's
// notifications and threads, internal/digest/view's digests: golden files, Slack's limits, the
// hostile corpora, and the byte-for-byte comparison of hand-written HTML with html/template's.
package rendertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

// Golden compares got with the golden file at path, or rewrites it when update is set (each
// test package owns its -update flag).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the package's tests with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was rendered (run with -update if the change is intended)\n--- got ---\n%s", path, got)
	}
}

// IndentJSON is v as indented JSON, HTML characters unescaped (as golden files hold it).
func IndentJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// CheckSlackLimits fails unless Slack would accept msg.
func CheckSlackLimits(t *testing.T, msg render.SlackMessage) {
	t.Helper()
	blocks, _ := json.Marshal(msg.Blocks)
	atts, _ := json.Marshal(msg.Attachments)
	if msg.Text == "" {
		t.Error("top-level text is empty")
	}
	if p := slacktest.Check(msg.Text, blocks, atts); p != nil {
		t.Errorf("Slack would reject the message: %v", p)
	}
}

// SlackStrings collects every string in the message's JSON, as Slack decodes it (JSON escapes
// undone).
func SlackStrings(t testing.TB, msg render.SlackMessage) []string {
	t.Helper()
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// SameHTML fails unless got equals want, showing where they part.
func SameHTML(t testing.TB, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	t.Fatalf("hand-written HTML differs from html/template at byte %d\n got: %q\nwant: %q", i, got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

// Pick returns s when bit is set in shape, and "" otherwise: a fuzzer turns a template's
// conditionals on and off.
func Pick(shape uint32, bit int, s string) string {
	if shape&(1<<bit) != 0 {
		return s
	}
	return ""
}

// Entity matches the entities the Slack escaper writes.
var Entity = regexp.MustCompile(`&(amp|lt|gt);`)

// Hostile is the corpus of untrusted values: mentions, links, markup, pre-escaped entities,
// backticks, header injection, unicode, and a 10 KB string.
var Hostile = []string{
	"<!channel>",
	"<!here>",
	"<!everyone>",
	"<@U123>",
	"<#C123|general>",
	"<!subteam^S123>",
	"<https://evil.example|click>",
	"<script>alert(1)</script>",
	`"><img src=x onerror=alert(1)>`,
	"&amp;",
	"&lt;!channel&gt;",
	"`code` ```block```",
	"line1\r\nBcc: victim@example.com",
	"ünïcødé 🚨 日本語",
	"@channel @here",
	strings.Repeat("<!channel>&", 1000), // 11 KB
	strings.Repeat("é", 10240),
}

// HostileURLs and HostileColors exercise html/template's URL normalizer and CSS value filter,
// which the renderers' own URLs and colours never reach.
var (
	HostileURLs = []string{
		"https://us-east-1.console.aws.amazon.com/systems-manager/run-command/c-1?region=us-east-1",
		"https://x.example/a b?q=<d>&e=\"f\"'g'(h)+i#frag",
		"javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "data:text/html,<script>", "vbscript:x",
		"mailto:a@b.example", "HTTP://x", "/relative:colon", "relative", "#", "?q=1", "", ":", "a:",
		"%41%4g%zz%", "%", "%4", "%%41", "%E2%82%AC", "é ü 🚨", "\x00\x01\x7f\xff\xfe", "\t\n\r ",
		"!#$&*+,/:;=?@[]-._~", "{}|\\^`",
	}
	HostileColors = []string{
		"#cf222e", "#1a7f37", "red", "10px", "", "-", "--", "a--b", "-x-", "a;b", "a:b", "a b", "\"", "'", "(", ")",
		"/", "@", "[", "]", "{", "}", "`", "<", ">", "\\", "\x00", "expression(alert(1))", "EXPRESSION", "ex/**/pression",
		"e\\78pression", "\\65 xpression", "moz-binding", "-moz-binding", "mozbinding", "\\41", "\\41 B", "\\41\r\nB",
		"\\41\rB", "\\0", "\\110000", "\\FFFFFFF", "\\d800", "\\\\", "\\\"", "\\", "a\\", "\\\xff", "\xff\xfe", "é日本",
		"\\3c script", "\\2d\\2d", "url(x)", "&", "+", "&amp;",
	}
)
