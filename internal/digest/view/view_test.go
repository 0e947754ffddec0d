package view_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/digest/view"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The shared test helpers (internal/render/rendertest), under the names the tests use.
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

var (
	digestTo   = time.Date(2026, 5, 5, 7, 0, 0, 0, time.UTC) // 08:00 in London (BST)
	digestFrom = digestTo.Add(-24 * time.Hour)
	london     = mustLocation("Europe/London")
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// digestSummary counts a fixed set of failures: a few documents and instances, a command-level
// failure, an invalid region (no link), and a previous window to compare with.
func digestSummary(tb testing.TB, topN, maxKeys int, extra ...state.Failure) *tally.Summary {
	tb.Helper()
	cur, prev := tally.New(maxKeys), tally.NewPrevious(maxKeys)
	at := func(min int) time.Time { return digestFrom.Add(time.Duration(min) * time.Minute) }
	fs := []state.Failure{
		{CommandID: "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", DocumentName: "AWS-RunPatchBaseline", InstanceID: "i-0aaa1111bbbb2222c", Status: payload.StatusFailed, EventTime: at(10), Region: "eu-west-1"},
		{CommandID: "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", DocumentName: "AWS-RunPatchBaseline", InstanceID: "i-0bbb1111bbbb2222c", Status: payload.StatusTimedOut, EventTime: at(12), Region: "eu-west-1"},
		{CommandID: "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", DocumentName: "AWS-RunPatchBaseline", InstanceID: "i-0ccc1111bbbb2222c", Status: payload.StatusFailed, EventTime: at(13), Region: "eu-west-1"},
		{CommandID: "5d1e2f3a-2222-4b3c-8d4e-abcdefabcdef", DocumentName: "AWS-RunShellScript", InstanceID: "i-0aaa1111bbbb2222c", Status: payload.StatusFailed, EventTime: at(300), Region: "us-east-1"},
		{CommandID: "5d1e2f3a-2222-4b3c-8d4e-abcdefabcdef", DocumentName: "AWS-RunShellScript", Status: payload.StatusFailed, EventTime: at(301), Region: "us-east-1"},
		{CommandID: "9f8e7d6c-3333-4c4d-9e5f-0f0f0f0f0f0f", DocumentName: "Deploy-App", InstanceID: "mi-0123456789abcdef0", Status: payload.StatusCancelled, EventTime: at(900), Region: "not a region"},
		{CommandID: "aaaa0000-4444-4d5e-8f60-111111111111", DocumentName: "", InstanceID: "i-0ddd1111bbbb2222c", Status: payload.StatusExecutionTimedOut, EventTime: at(1200), Region: "ap-southeast-2"},
	}
	for _, f := range append(fs, extra...) {
		_ = cur.Add(f)
	}
	for i := range 4 {
		_ = prev.Add(state.Failure{CommandID: "p", DocumentName: "AWS-RunPatchBaseline", InstanceID: fmt.Sprint("i-", i), Status: payload.StatusFailed, EventTime: at(-100)})
	}
	_ = prev.Add(state.Failure{CommandID: "p", DocumentName: "Deploy-App", InstanceID: "i-9", Status: payload.StatusFailed, EventTime: at(-100)})
	return cur.Summary(digestFrom, digestTo, topN, prev)
}

func renderDigest(t *testing.T, name string, s *tally.Summary, opt view.Options) (render.SlackMessage, render.EmailMessage) {
	t.Helper()
	msg := view.Slack(s, opt)
	checkSlackLimits(t, msg)
	mail, err := view.Email(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if name != "" {
		dir := "testdata/digest"
		golden(t, filepath.Join(dir, name+".slack.json"), indentJSON(t, msg))
		golden(t, filepath.Join(dir, name+".subject.txt"), []byte(mail.Subject+"\n"))
		golden(t, filepath.Join(dir, name+".html"), []byte(mail.HTML))
		golden(t, filepath.Join(dir, name+".txt"), []byte(mail.Text))
	}
	return msg, mail
}

func TestGoldenDigest(t *testing.T) {
	cases := []struct {
		name string
		s    *tally.Summary
		opt  view.Options
	}{
		{"failures", digestSummary(t, 10, 0), view.Options{Location: london, SubjectPrefix: "[ssm]"}},
		{"top2-utc", digestSummary(t, 2, 0), view.Options{}},
		{"capped", digestSummary(t, 10, 3), view.Options{Location: london}},
		{"all-clear", tally.New(0).Summary(digestFrom, digestTo, 10, tally.NewPrevious(0)), view.Options{Location: london}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { renderDigest(t, c.name, c.s, c.opt) })
	}
}

// TestDigestLimits renders a week of 100 top names, each as long as a document name may be:
// the lists split over sections and the message stays within Slack's limits.
func TestDigestLimits(t *testing.T) {
	var extra []state.Failure
	for i := range 150 {
		doc := fmt.Sprintf("%03d-%s", i, strings.Repeat("Very-Long-Document-Name-", 20))
		for j := range i%5 + 1 {
			extra = append(extra, state.Failure{CommandID: fmt.Sprintf("cmd-%03d-%s", i, strings.Repeat("x", 60)), DocumentName: doc,
				InstanceID: fmt.Sprintf("i-%03d-%d-%s", i, j, strings.Repeat("9", 70)), Status: payload.StatusFailed, EventTime: digestFrom.Add(time.Hour), Region: "us-east-1"})
		}
	}
	s := digestSummary(t, 100, 0, extra...)
	msg, mail := renderDigest(t, "", s, view.Options{Location: london})
	if len(msg.Blocks) > render.MaxBlocks {
		t.Errorf("%d blocks", len(msg.Blocks))
	}
	raw, _ := msg.JSON()
	if s.Documents.More() != 54 || s.Commands.More() != 54 {
		t.Fatalf("more: %d documents, %d commands", s.Documents.More(), s.Commands.More())
	}
	for _, want := range []string{"+54 more documents", "+54 more commands"} {
		if !strings.Contains(string(raw), want) || !strings.Contains(mail.Text, want) {
			t.Errorf("no %q in the Slack message or the email", want)
		}
	}
}

var digestTrusted = regexp.MustCompile(`<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>|]+>|<https://[a-z0-9.-]+\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/[^|<>]*\|[^<>]*>`)

func TestDigestHostileValuesAreEscaped(t *testing.T) {
	for _, h := range hostile {
		t.Run(strings.ToValidUTF8(h[:min(len(h), 24)], "?"), func(t *testing.T) {
			f := state.Failure{CommandID: h, DocumentName: h, InstanceID: h, Status: payload.Status(h), EventTime: digestFrom.Add(time.Hour), Region: h, Account: h}
			g := f
			g.Region = "us-east-1"
			s := digestSummary(t, 10, 0, f, g)
			msg, mail := renderDigest(t, "", s, view.Options{Location: london, SubjectPrefix: "[prod]\r\nBcc: x@example.com"})
			for _, str := range slackStrings(t, msg) {
				if !utf8.ValidString(str) {
					t.Errorf("invalid UTF-8 in %q", str)
				}
				rest := digestTrusted.ReplaceAllString(str, "")
				if strings.ContainsAny(rest, "<>") {
					t.Errorf("unescaped < or > in Slack text: %.200q", rest)
				}
				if strings.Count(rest, "&") != len(entity.FindAllString(rest, -1)) {
					t.Errorf("unescaped & in Slack text: %.200q", rest)
				}
			}
			if strings.ContainsAny(mail.Subject, "\r\n") || utf8.RuneCountInString(mail.Subject) > render.MaxSubject {
				t.Errorf("subject not a single short line: %q", mail.Subject)
			}
			for _, bad := range []string{"<!channel>", "<script", "<img", "<@U123>", "<https://evil"} {
				if strings.Contains(mail.HTML, bad) {
					t.Errorf("HTML contains %q unescaped", bad)
				}
			}
			if strings.Contains(mail.HTML, `href="https://evil`) {
				t.Error("HTML links to a host taken from the data")
			}
			if strings.ContainsRune(mail.Text, '\r') || !utf8.ValidString(mail.Text) || !utf8.ValidString(mail.HTML) {
				t.Error("CR or invalid UTF-8 in the email")
			}
		})
	}
}

func BenchmarkDigestEmail(b *testing.B) {
	s := digestSummary(b, 10, 0)
	opt := view.Options{Location: london, SubjectPrefix: "[ssm]"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := view.Email(s, opt); err != nil {
			b.Fatal(err)
		}
	}
}
