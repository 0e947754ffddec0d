package render_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

func intp(i int) *int { return &i }

// patchStderr is what a failed AWS-RunPatchBaseline prints on stderr, more or less.
const patchStderr = `Traceback (most recent call last):
  File "/var/lib/amazon/ssm/i-0ddd3333eeee4444f/document/orchestration/1a2b3c4d/PatchLinux/_script.py", line 51, in <module>
    sys.exit(main())
  File "patch_baseline_operations.py", line 210, in main
    raise PatchError(msg)
patch_common.exceptions.PatchError: yum exited with 1: Cannot find a valid baseurl for repo: amzn2-core/2/x86_64
failed to run commands: exit status 1`

// detailCases are rendered to golden files under testdata/detail.
var detailCases = []struct {
	name, notification string
	detail             failure.Detail
}{
	{
		name: "invocation-failed-enriched", notification: "invocation-failed",
		detail: failure.Detail{Invocations: []failure.Invocation{{
			InstanceID: "i-0ddd3333eeee4444f", InstanceName: "web-03",
			Status: "Failed", ResponseCode: intp(1), Step: "PatchLinux", Steps: 3, Skipped: []string{"PatchWindows", "PatchMacOS"},
			Stream: "stderr", Output: patchStderr, EarlierCut: true,
			LogGroup: "/aws/ssm/AWS-RunPatchBaseline",
		}}},
	},
	{
		name: "command-failed-enriched", notification: "command-failed",
		detail: failure.Detail{
			Invocations: []failure.Invocation{
				{
					InstanceID: "i-0aaa1111bbbb2222c", Status: "ExecutionTimedOut",
					Stream: "stdout", Output: "Checking for updates...\nDownloading 412 packages", CappedBySSM: true,
					S3Bucket: "ops-ssm-output", S3Prefix: "runcommand",
				},
				{InstanceID: "i-0ddd3333eeee4444f", InstanceName: "web-03", Status: "Failed", ResponseCode: intp(2), Stream: "stderr", Output: "rpmdb: damaged"},
				{InstanceID: "i-0eee5555ffff6666a", Unavailable: &failure.Reason{Code: failure.Throttled, API: "ThrottlingException"}},
			},
			Total: 5, Command: &failure.Counts{Targets: 12, Completed: 12, Errors: 4, DeliveryTimedOut: 1},
		},
	},
	{
		name: "invocation-failed-unavailable", notification: "invocation-failed",
		detail: failure.Detail{Unavailable: &failure.Reason{Code: failure.Budget, Budget: time.Second}},
	},
	{
		name: "invocation-timedout-undeliverable", notification: "invocation-timedout",
		detail: failure.Detail{Invocations: []failure.Invocation{{
			InstanceID: "i-0ddd3333eeee4444f", Status: "DeliveryTimedOut",
		}}},
	},
}

func TestGoldenDetail(t *testing.T) {
	for _, tc := range detailCases {
		t.Run(tc.name, func(t *testing.T) {
			n := mustNotification(t, filepath.Join("testdata/notifications", tc.notification+".json"))
			opt := render.Options{Mention: "<!here>", SubjectPrefix: "[prod]", Detail: &tc.detail}
			msg := render.Slack(n, opt)
			checkSlackLimits(t, msg)
			dir := "testdata/detail"
			golden(t, filepath.Join(dir, tc.name+".slack.json"), indentJSON(t, msg))
			mail, err := render.Email(n, opt)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, tc.name+".subject.txt"), []byte(mail.Subject+"\n"))
			golden(t, filepath.Join(dir, tc.name+".html"), []byte(mail.HTML))
			golden(t, filepath.Join(dir, tc.name+".txt"), []byte(mail.Text))
		})
	}
}

// TestDetailNilChangesNothing guards the promise that an alert without enrichment is byte for
// byte what it was before enrichment existed (the goldens under testdata/golden hold that too).
func TestDetailNilChangesNothing(t *testing.T) {
	n := mustNotification(t, "testdata/notifications/command-failed.json")
	a, _ := render.Slack(n, render.Options{Mention: "<!here>"}).JSON()
	b, _ := render.Slack(n, render.Options{Mention: "<!here>", Detail: nil}).JSON()
	if string(a) != string(b) {
		t.Error("a nil Detail changed the Slack message")
	}
	withDetail, _ := render.Slack(n, render.Options{Mention: "<!here>", Detail: &failure.Detail{}}).JSON()
	if len(withDetail) != len(a) {
		t.Errorf("an empty Detail added blocks: %d bytes, want %d", len(withDetail), len(a))
	}
}

// hostileOutput is command output written by someone who wants to abuse the alert.
var hostileOutput = []string{
	"<!channel> <!here> <!everyone> <@U123> <#C123|general> <!subteam^S123>",
	"see <https://evil.example|the fix> or https://evil.example/x",
	"<script>alert(1)</script><img src=x onerror=alert(1)>",
	"```\n<!channel>\n``` *bold* _it_ ~st~ `code`",
	"&amp; &lt;!channel&gt; &#60;",
	"\x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 nul\x00 del\x7f cr\roverwrite\r\nCRLF",
	"line1\r\nBcc: victim@example.com\r\n\r\n--boundary",
	"invalid \xff\xfe utf-8 \xc3",
	"\u2028line sep\u2029para sep \u202eRTL override",
	strings.Repeat("<!channel>&`", 100000),                     // 1.2 MB, all of it to escape
	strings.Repeat("x", 1<<20) + "\n<!channel> the real error", // 1 MB, the error at the end
}

// slackTrusted matches what the renderer itself writes with < and >.
var slackTrusted = regexp.MustCompile(trusted.String() + `|<https://s3\.console\.aws\.amazon\.com/[^|<>]*\|[^<>]*>`)

func TestHostileOutputIsEscaped(t *testing.T) {
	n := mustNotification(t, "testdata/notifications/invocation-failed.json")
	for i, h := range hostileOutput {
		t.Run(strings.ToValidUTF8(h[:min(len(h), 20)], "?"), func(t *testing.T) {
			d := &failure.Detail{
				Invocations: []failure.Invocation{
					{InstanceID: h, InstanceName: h, Status: h, Step: h, Steps: 2, Skipped: []string{h}, Stream: "stderr", Output: h,
						Unavailable: &failure.Reason{Code: failure.APIError, API: h}, S3Bucket: "evil.example/|<!channel>", LogGroup: h},
					{InstanceID: "i-1", Stream: "stdout", Output: h, S3Bucket: h, S3Prefix: h, Patch: &failure.Patch{Operation: h}},
					{InstanceID: "i-2", Stream: "stdout", Output: h, LogGroup: "javascript:alert(1)//.console.aws.amazon.com"},
				},
				Unavailable: &failure.Reason{Code: failure.OtherRegion, Where: h, Here: h},
			}
			msg := render.Slack(n, render.Options{Mention: "<!here>", Detail: d})
			checkSlackLimits(t, msg)
			raw, _ := msg.JSON()
			if strings.Contains(string(raw), "evil.example/|") || strings.Contains(string(raw), "evil.example/x|") || strings.Contains(string(raw), "javascript:") {
				t.Error("a link taken from the detail reached the Slack message")
			}
			for _, s := range slackStrings(t, msg) {
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8 in %.80q", s)
				}
				rest := slackTrusted.ReplaceAllString(s, "")
				if strings.ContainsAny(rest, "<>") {
					t.Errorf("unescaped < or > in Slack text: %.200q", rest)
				}
				if strings.Count(rest, "&") != len(entity.FindAllString(rest, -1)) {
					t.Errorf("unescaped & in Slack text: %.200q", rest)
				}
				if strings.Contains(s, "```") && strings.ContainsRune(s[strings.Index(s, "```"):], '\u202e') {
					t.Errorf("bidirectional override in the output block: %.200q", s)
				}
				if strings.ContainsAny(s, "\x1b\x00\x07\r") {
					t.Errorf("control character in Slack text: %.200q", s)
				}
				// A fence is written only around the whole output: the output itself holds no
				// backtick, so it can never close the block early.
				if strings.Contains(s, "```") {
					body := s[strings.Index(s, "```")+3:]
					if !strings.HasSuffix(body, "```") || strings.Contains(strings.TrimSuffix(body, "```"), "`") {
						t.Errorf("the output can break its code block: %.200q", s)
					}
				}
			}
			if i == len(hostileOutput)-1 && !strings.Contains(string(raw), "the real error") {
				t.Error("the end of a long output (where the error is) was not kept")
			}

			mail, err := render.Email(n, render.Options{Detail: d})
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(mail.HTML) || !utf8.ValidString(mail.Text) {
				t.Error("invalid UTF-8 in the email")
			}
			for _, bad := range []string{"<!channel>", "<script", "<img", "<@U123>", "<https://evil", `href="https://evil`, "javascript:"} {
				if strings.Contains(mail.HTML, bad) {
					t.Errorf("HTML contains %q", bad)
				}
			}
			if strings.ContainsAny(mail.Text, "\r\x1b\x00\x07") || strings.ContainsAny(mail.HTML, "\r\x1b\x00\x07") {
				t.Error("control characters in the email")
			}
			for _, line := range strings.Split(mail.Text, "\n") {
				if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "--boundary") {
					t.Errorf("output escaped its indentation in the text body: %q", line)
				}
			}
			if len(mail.HTML) > 300<<10 || len(mail.Text) > 200<<10 {
				t.Errorf("email too big: HTML %d bytes, text %d bytes", len(mail.HTML), len(mail.Text))
			}
		})
	}
}

func TestLogsURL(t *testing.T) {
	tests := []struct {
		name, region, group, prefix, want string
	}{
		{"filtered", "us-east-1", "/aws/ssm/AWS-RunShellScript", "c-1/i-1",
			"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Fssm$252FAWS-RunShellScript$3FlogStreamNameFilter$3Dc-1$252Fi-1"},
		{"china", "cn-north-1", "ops", "", "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/ops"},
		{"bad region", "evil.example/#", "ops", "", ""},
		{"bad group", "us-east-1", "a b<c>", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render.LogsURL(tc.region, tc.group, tc.prefix); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestOutputTail checks the cut through the Slack rendering: the end is kept, the cut starts a
// whole line behind a marker, and the block stays within Slack's section limit.
func TestOutputTail(t *testing.T) {
	n := mustNotification(t, "testdata/notifications/invocation-failed.json")
	var lines []string
	for i := range 400 {
		lines = append(lines, "line "+strings.Repeat("#", i%30)+" "+string(rune('a'+i%26)))
	}
	lines = append(lines, "FATAL: the end")
	out := strings.Join(lines, "\n")
	msg := render.Slack(n, render.Options{Detail: &failure.Detail{Invocations: []failure.Invocation{{InstanceID: "i-1", Stream: "stderr", Output: out}}}})
	checkSlackLimits(t, msg)
	raw, _ := json.Marshal(msg.Attachments)
	var atts []struct {
		Blocks []struct {
			Text *struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &atts); err != nil {
		t.Fatal(err)
	}
	var block string
	for _, b := range atts[0].Blocks {
		if b.Text != nil && strings.Contains(b.Text.Text, "```") {
			block = b.Text.Text
		}
	}
	if block == "" {
		t.Fatal("no output block")
	}
	if !strings.HasSuffix(block, "FATAL: the end```") {
		t.Errorf("the end is not kept: …%q", block[max(0, len(block)-60):])
	}
	body := block[strings.Index(block, "```")+3:]
	if !strings.HasPrefix(body, render.OutputCutMarker+"\nline ") {
		t.Errorf("the cut does not start a whole line behind the marker: %.80q", body)
	}
	if c := utf8.RuneCountInString(block); c > render.MaxSectionText {
		t.Errorf("%d runes, Slack allows %d", c, render.MaxSectionText)
	}
}

func BenchmarkRenderSlackWithDetail(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/invocation-failed.json")
	opt := render.Options{Mention: "<!here>", Detail: &detailCases[0].detail}
	b.ReportAllocs()
	for b.Loop() {
		_ = render.Slack(n, opt)
	}
}

// BenchmarkRenderHostileMegabyte renders a 1 MB output full of characters to escape: the cost
// is bounded by what is shown, not by what was printed.
func BenchmarkRenderHostileMegabyte(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/invocation-failed.json")
	opt := render.Options{Detail: &failure.Detail{Invocations: []failure.Invocation{{InstanceID: "i-1", Stream: "stderr", Output: hostileOutput[len(hostileOutput)-2]}}}}
	b.ReportAllocs()
	for b.Loop() {
		_ = render.Slack(n, opt)
		if _, err := render.Email(n, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderEmailWithDetail(b *testing.B) {
	n := mustNotification(b, "testdata/notifications/command-failed.json")
	opt := render.Options{Mention: "<!here>", Detail: &detailCases[1].detail}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Email(n, opt); err != nil {
			b.Fatal(err)
		}
	}
}
