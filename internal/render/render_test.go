package render_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// optionsFor is what a typical config gives: a mention for failures only.
func optionsFor(n *payload.Notification) render.Options {
	if n.Status.Failure() {
		return render.Options{Mention: "<!here>"}
	}
	return render.Options{}
}

func mustNotification(tb testing.TB, path string) *payload.Notification {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var n payload.Notification
	if err := json.Unmarshal(raw, &n); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return &n
}

// The shared test helpers (internal/render/rendertest), under the names this package's tests use.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	rendertest.Golden(t, path, got, *update)
}

var (
	indentJSON       = rendertest.IndentJSON
	checkSlackLimits = rendertest.CheckSlackLimits
	slackStrings     = rendertest.SlackStrings
	hostile          = rendertest.Hostile
	entity           = rendertest.Entity
)

func renderAll(t *testing.T, dir, name string, n *payload.Notification) {
	opt := optionsFor(n)
	msg := render.Slack(n, opt)
	checkSlackLimits(t, msg)
	golden(t, filepath.Join(dir, name+".slack.json"), indentJSON(t, msg))
	mail, err := render.Email(n, opt)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(dir, name+".subject.txt"), []byte(mail.Subject+"\n"))
	golden(t, filepath.Join(dir, name+".html"), []byte(mail.HTML))
	golden(t, filepath.Join(dir, name+".txt"), []byte(mail.Text))
}

// TestGoldenNotifications renders the notifications under testdata/notifications.
func TestGoldenNotifications(t *testing.T) {
	files, _ := filepath.Glob("testdata/notifications/*.json")
	if len(files) == 0 {
		t.Fatal("no notifications under testdata/notifications")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			renderAll(t, "testdata/golden", name, mustNotification(t, f))
		})
	}
}

// TestGoldenEvents decodes every sample event under events/ and renders each notification.
func TestGoldenEvents(t *testing.T) {
	files, _ := filepath.Glob("../../events/*.json")
	if len(files) == 0 {
		t.Skip("no sample events under events/")
	}
	rendered := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ns := payload.Decode(raw).Notifications()
		for i := range ns {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			if len(ns) > 1 {
				name += "-" + string(rune('0'+i%10))
			}
			t.Run(name, func(t *testing.T) {
				renderAll(t, "testdata/events", name, &ns[i])
			})
			rendered++
		}
	}
	if rendered == 0 {
		t.Error("no sample event decoded into a notification")
	}
}

// trusted matches what the renderer itself writes with < and >: the configured mention, Slack
// dates, and links to AWS consoles.
var trusted = regexp.MustCompile(`<!here>|<!date\^\d+\^\{date_num\} \{time_secs\}\|[0-9: -]+UTC>|<https://[a-z0-9.-]+\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/[^|<>]*\|[^<>]*>`)

func TestHostileValuesAreEscaped(t *testing.T) {
	for i, h := range hostile {
		t.Run(strings.ToValidUTF8(h[:min(len(h), 24)], "?"), func(t *testing.T) {
			n := &payload.Notification{
				Kind: payload.KindCommand, CommandID: h + "-1", DocumentName: h,
				InstanceIDs: []string{h, "i-0aaa1111bbbb2222c", h},
				Status:      payload.Status(h), StatusRaw: h, NonStandard: true,
				Region: h, Account: h, OutputS3BucketName: h, OutputS3KeyPrefix: h,
			}
			if i%2 == 1 {
				n.Kind, n.InstanceID, n.InstanceIDs = payload.KindInvocation, h, nil
			}
			for _, region := range []string{h, "us-east-1"} {
				n.Region = region
				msg := render.Slack(n, render.Options{Mention: "<!here>"})
				checkSlackLimits(t, msg)
				for _, s := range slackStrings(t, msg) {
					if !utf8.ValidString(s) {
						t.Errorf("invalid UTF-8 in %q", s)
					}
					rest := trusted.ReplaceAllString(s, "")
					if strings.ContainsAny(rest, "<>") {
						t.Errorf("unescaped < or > in Slack text: %.200q", rest)
					}
					if strings.Count(rest, "&") != len(entity.FindAllString(rest, -1)) {
						t.Errorf("unescaped & in Slack text: %.200q", rest)
					}
				}

				mail, err := render.Email(n, render.Options{SubjectPrefix: "[prod]\r\nBcc: x@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				if strings.ContainsAny(mail.Subject, "\r\n") || utf8.RuneCountInString(mail.Subject) > render.MaxSubject {
					t.Errorf("subject not a single short line: %q", mail.Subject)
				}
				if !utf8.ValidString(mail.Subject) || !utf8.ValidString(mail.HTML) || !utf8.ValidString(mail.Text) {
					t.Error("invalid UTF-8 in the email")
				}
				for _, bad := range []string{"<!channel>", "<script", "<img", "<@U123>", "<https://evil"} {
					if strings.Contains(mail.HTML, bad) {
						t.Errorf("HTML contains %q unescaped", bad)
					}
				}
				if strings.Contains(mail.HTML, `href="https://evil`) || strings.Contains(mail.HTML, "evil.example/#.console") {
					t.Error("HTML links to a host taken from the message")
				}
				for _, line := range strings.Split(mail.Text, "\n") {
					if strings.ContainsRune(line, '\r') {
						t.Errorf("CR in the text body: %q", line)
					}
				}
			}
		})
	}
}

func TestEscapeMrkdwnMax(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 10, "abc"},
		{"escapes", "a<b>&c", 20, "a&lt;b&gt;&amp;c"},
		{"pre-escaped escapes again", "&amp;", 20, "&amp;amp;"},
		{"cut before an entity, never inside", "ab&cd", 6, "ab…"},
		{"cut counts runes not bytes", "éééééé", 4, "ééé…"},
		{"one line", "a\r\nb", 10, "a  b"},
		{"exact fit", "abcd", 4, "abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render.EscapeMrkdwnMax(tc.in, tc.max, render.Ellipsis, true)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if utf8.RuneCountInString(got) > tc.max {
				t.Errorf("%d runes, max %d", utf8.RuneCountInString(got), tc.max)
			}
		})
	}
}

func TestFitMrkdwn(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "a &amp; b", 20, "a &amp; b"},
		{"never inside an entity", "abc &amp; def", 7, "abc …"},
		{"never inside a link", "see <https://x.example|x> now", 12, "see …"},
		{"closes a code span", "id `abcdefgh`", 9, "id `abc`…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render.FitMrkdwn(tc.in, tc.max, render.Ellipsis)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if utf8.RuneCountInString(got) > tc.max {
				t.Errorf("%d runes, max %d", utf8.RuneCountInString(got), tc.max)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	n := mustNotification(t, "testdata/notifications/command-failed.json")
	if got, want := render.Subject(n, render.Options{}), "[FAILED] AWS-RunPatchBaseline across 3 targeted instances — 1a2b3c4d (us-east-1)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	inv := mustNotification(t, "testdata/notifications/invocation-timedout.json")
	if got, want := render.Subject(inv, render.Options{SubjectPrefix: "[prod]"}), "[prod] [TIMED OUT] AWS-RunPatchBaseline on i-0ddd3333eeee4444f — 1a2b3c4d (eu-west-2)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name string
		n    payload.Notification
		want render.Links
	}{
		{
			"command with output",
			payload.Notification{Kind: payload.KindCommand, CommandID: "c-1", Region: "us-east-1", OutputS3BucketName: "b.1", OutputS3KeyPrefix: "p/q/"},
			render.Links{
				Command: "https://us-east-1.console.aws.amazon.com/systems-manager/run-command/c-1?region=us-east-1",
				Output:  "https://s3.console.aws.amazon.com/s3/buckets/b.1?prefix=p%2Fq%2Fc-1%2F&region=us-east-1",
			},
		},
		{
			"invocation",
			payload.Notification{Kind: payload.KindInvocation, CommandID: "c-1", InstanceID: "i-1", Region: "eu-west-2"},
			render.Links{
				Command:    "https://eu-west-2.console.aws.amazon.com/systems-manager/run-command/c-1?region=eu-west-2",
				Invocation: "https://eu-west-2.console.aws.amazon.com/systems-manager/run-command/c-1/i-1?region=eu-west-2",
			},
		},
		{
			"no region: no console links, output still",
			payload.Notification{Kind: payload.KindCommand, CommandID: "c-1", OutputS3BucketName: "bkt"},
			render.Links{Output: "https://s3.console.aws.amazon.com/s3/buckets/bkt?prefix=c-1%2F"},
		},
		{
			"hostile region and IDs",
			payload.Notification{Kind: payload.KindInvocation, CommandID: "../x?y#", InstanceID: "a/b", Region: "evil.example/#"},
			render.Links{},
		},
		{
			"IDs are path-escaped",
			payload.Notification{Kind: payload.KindInvocation, CommandID: "../x?y#", InstanceID: "a/b", Region: "us-gov-west-1"},
			render.Links{
				Command:    "https://us-gov-west-1.console.amazonaws-us-gov.com/systems-manager/run-command/..%2Fx%3Fy%23?region=us-gov-west-1",
				Invocation: "https://us-gov-west-1.console.amazonaws-us-gov.com/systems-manager/run-command/..%2Fx%3Fy%23/a%2Fb?region=us-gov-west-1",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render.LinksFor(&tc.n); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCapBlocks(t *testing.T) {
	var msg render.SlackMessage
	msg.Text = "x"
	for range 70 {
		msg.Blocks = append(msg.Blocks, render.MrkdwnSection("line"))
	}
	msg.Blocks = render.CapBlocks(msg.Blocks)
	if len(msg.Blocks) != render.MaxBlocks {
		t.Fatalf("%d blocks, want %d", len(msg.Blocks), render.MaxBlocks)
	}
	last, _ := json.Marshal(msg.Blocks[len(msg.Blocks)-1])
	if !strings.Contains(string(last), "+21 more blocks") {
		t.Errorf("last block does not say what was left out: %s", last)
	}
	checkSlackLimits(t, msg)
}

func BenchmarkRenderSlack(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/command-failed.json")
	opt := render.Options{Mention: "<!here>"}
	b.ReportAllocs()
	for b.Loop() {
		_ = render.Slack(n, opt)
	}
}

// BenchmarkRenderSlackJSON includes the JSON encoding the transport does.
func BenchmarkRenderSlackJSON(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/command-failed.json")
	opt := render.Options{Mention: "<!here>"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Slack(n, opt).JSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderEmail(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/command-failed.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Email(n, render.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
