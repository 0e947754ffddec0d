package rules

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/config"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

func TestDefault(t *testing.T) {
	s := Default()
	if got := len(s.Routes()); got != 1 {
		t.Errorf("routes = %d, want 1", got)
	}
	slack, email := s.Destination("ops-slack"), s.Destination("platform-email")
	if slack == nil || email == nil || len(s.Destinations()) != 2 {
		t.Fatalf("destinations = %v", destNames(s.Destinations()))
	}
	if slack.Type != DestinationSlack || slack.Slack.Channel != "#ops-alerts" || slack.Slack.Mode != SlackBot {
		t.Errorf("ops-slack = %+v %+v", slack, slack.Slack)
	}
	for _, st := range []payload.Status{payload.StatusFailed, payload.StatusTimedOut} {
		if got := slack.Slack.Mention(st); got != "<!here>" {
			t.Errorf("mention for %s = %q", st, got)
		}
	}
	if email.Type != DestinationEmail || email.Email.From != "ssmnotify@example.com" ||
		len(email.Email.To) != 1 || email.Email.To[0] != "platform-team@example.com" {
		t.Errorf("platform-email = %+v", email.Email)
	}
	dg := s.Digest()
	if dg == nil || dg.Schedule != "cron(0 8 * * ? *)" || dg.TimeZone != "Europe/London" ||
		dg.Window != 24*time.Hour || dg.TopN != 10 || len(dg.Destinations) != 2 || dg.Location == nil {
		t.Errorf("digest = %+v", dg)
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	// Every failure of both kinds reaches both destinations; nothing else does.
	for _, kind := range []payload.Kind{payload.KindCommand, payload.KindInvocation} {
		for _, st := range []payload.Status{payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled, payload.StatusUndeliverable} {
			n := note(st, func(n *payload.Notification) { n.Kind = kind })
			if got := summary(s.Decide(n, monday)); got != "all-failures>ops-slack all-failures>platform-email" {
				t.Errorf("%s %s: %s", kind, st, got)
			}
		}
		if d := s.Decide(note(payload.StatusSuccess, func(n *payload.Notification) { n.Kind = kind }), monday); d.Drop != DropFiltered {
			t.Errorf("%s Success: %s", kind, summary(d))
		}
	}
}

// uncomment switches on every example in the shipped config: a line "# x" becomes "x" (keeping
// the indentation before the '#'), while "##" explanations stay comments.
var exampleLine = regexp.MustCompile(`(?m)^(\s*)# `)

func TestShippedExamplesAreValid(t *testing.T) {
	all := exampleLine.ReplaceAll(config.Default, []byte("$1"))
	s, err := Parse(all, "ssmnotify.yaml (all examples on)")
	if err != nil {
		t.Fatalf("the commented-out examples do not parse once uncommented:\n%v\n---\n%s", err, all)
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	if got := len(s.Routes()); got != 3 {
		t.Errorf("routes = %d, want 3", got)
	}
	if len(s.Destinations()) != 4 || len(s.MuteWindows()) != 2 || len(s.Silences()) != 1 {
		t.Errorf("destinations %d, mute windows %d, silences %d", len(s.Destinations()), len(s.MuteWindows()), len(s.Silences()))
	}
	// The patch route pages on-call and carries on to the catch-all.
	n := note(payload.StatusFailed, doc("AWS-RunPatchBaseline"))
	if got, want := summary(s.Decide(n, monday)), "patch-failures>oncall-slack all-failures>ops-slack all-failures>platform-email"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestDocExamplesAreValid parses every ```yaml block of docs/config.md, so that the reference
// cannot drift from the code. Blocks meant to show an error are fenced as ```text.
func TestDocExamplesAreValid(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(md, -1)
	if len(blocks) < 5 {
		t.Fatalf("found %d yaml blocks in docs/config.md", len(blocks))
	}
	for i, b := range blocks {
		text := string(b[1])
		// A fragment without destinations is completed with the example's own, so a doc
		// section can show just the part it explains.
		if !strings.Contains(text, "destinations:") {
			text = docDestinations + text
		}
		if !strings.Contains(text, "routes:") {
			text += "routes:\n  - {name: any, to: ops-slack}\n"
		}
		if _, err := Parse([]byte(text), "docs/config.md block"); err != nil {
			t.Errorf("block %d:\n%s\n%v", i+1, b[1], err)
		}
	}
}

const docDestinations = `destinations:
  - {name: ops-slack, slack: {channel: "#ops-alerts"}}
  - {name: oncall-slack, slack: {channel: "#oncall"}}
  - {name: deploys-slack, slack: {channel: "#deploys", mode: webhook}}
  - {name: platform-email, email: {to: platform-team@example.com, from: ssmnotify@example.com}}
`

func TestParseProblems(t *testing.T) {
	const base = `destinations:
  - name: ops
    slack: {channel: "#ops"}
`
	tests := []struct {
		name string
		text string
		want []string // each a "line: message fragment" that some problem must contain
	}{
		{"unknown top-level key", base + "routes: [{name: r, to: ops}]\nroutez: []\n",
			[]string{`5: top level: unknown key "routez" (did you mean routes?)`}},
		{"unknown route key", base + "routes:\n  - name: r\n    to: ops\n    notfy_on: Failed\n",
			[]string{`7: route "r": unknown key "notfy_on" (did you mean notify_on?)`}},
		{"unknown match key", base + "routes:\n  - name: r\n    to: ops\n    match:\n      documents: X\n",
			[]string{`8: route "r" match: unknown key "documents" (did you mean document?)`}},
		{"bad glob", base + "routes:\n  - name: r\n    to: ops\n    match: {instance: \"i-[0-9\"}\n",
			[]string{`7: route "r" match instance: bad pattern "i-[0-9": unterminated character class`}},
		{"undefined destination", base + "routes:\n  - name: r\n    to: [ops, opps, email]\n",
			[]string{`6: route "r" to: undefined destination "opps" (did you mean ops?)`, `6: route "r" to: undefined destination "email"`}},
		{"duplicate names", base + "  - name: ops\n    email: {to: a@example.com, from: b@example.com}\nroutes:\n  - {name: r, to: ops}\n  - {name: r, to: ops}\n",
			[]string{`4: duplicate destination name "ops" (first at line 2)`, `8: duplicate route name "r" (first at line 7)`}},
		{"duplicate key", base + "routes:\n  - name: r\n    to: ops\n    to: ops\n",
			[]string{`7: route "r": duplicate key "to" (first at line 6)`}},
		{"invalid status", base + "routes:\n  - name: r\n    to: ops\n    notify_on: [Faild, Success, AnyFailure]\n",
			[]string{`7: route "r" notify_on: unknown status "Faild" (did you mean Failed?)`}},
		{"invalid kind", base + "routes:\n  - {name: r, to: ops, notify_for: commands}\n",
			[]string{`5: route "r" notify_for: unknown kind "commands"`}},
		{"unknown time zone", base + "routes: [{name: r, to: ops}]\nmute_windows:\n  - {name: w, time_zone: Europe/Londn}\n",
			[]string{`6: mute window "w" time_zone: unknown time zone "Europe/Londn"`}},
		{"Local is not a zone", base + "routes: [{name: r, to: ops}]\nmute_windows:\n  - {name: w, time_zone: Local}\n",
			[]string{`6: mute window "w" time_zone: "Local" depends on the machine`}},
		{"bad mute days and hours", base + "routes: [{name: r, to: ops, mute_windows: w}]\nmute_windows:\n  - name: w\n    time_zone: UTC\n    days: [mon, fryday]\n    hours: [\"22:00-07:00\", \"25:00-26:00\", \"10:00-10:00\"]\n",
			[]string{`8: mute window "w": unknown day "fryday"`, `9: mute window "w": hours "25:00-26:00"`, `9: mute window "w": hours "10:00-10:00": start and end are equal`}},
		{"undefined mute window", base + "routes: [{name: r, to: ops, mute_windows: [nights]}]\n",
			[]string{`4: route "r" mute_windows: undefined mute window "nights"`}},
		{"bad cron", base + "routes: [{name: r, to: ops}]\ndigest:\n  schedule: \"cron(0 8 * * *)\"\n  time_zone: UTC\n  to: ops\n",
			[]string{`6: digest: schedule "cron(0 8 * * *)": want 6 fields`}},
		{"cron needs one '?'", base + "routes: [{name: r, to: ops}]\ndigest:\n  schedule: \"cron(0 8 * * MON *)\"\n  time_zone: UTC\n  to: ops\n",
			[]string{`exactly one of day-of-month and day-of-week must be '?'`}},
		{"cron out of range", base + "routes: [{name: r, to: ops}]\ndigest: {schedule: \"cron(0 25 ? * MON-FRI *)\", time_zone: UTC, to: ops}\n",
			[]string{`5: digest: schedule "cron(0 25 ? * MON-FRI *)": hours: 25 is out of range 0-23`}},
		{"digest incomplete", base + "routes: [{name: r, to: ops}]\ndigest: {window: 0h, top_n: 0}\n",
			[]string{`5: digest needs a schedule`, `5: digest needs a time_zone`, `5: digest needs to`, `5: digest window "0h": must be positive`, `5: digest top_n must be a whole number`}},
		{"bad channel, mode and mention", `destinations:
  - name: s
    slack:
      channel: "ops alerts"
      mode: rtm
      mentions: {Failed: "@here", TimedOut: "<!here> <@U0123ABC>", Bogus: "<!here>"}
routes: [{name: r, to: s}]
`, []string{`4: destination "s": channel "ops alerts": want "#name"`, `5: destination "s": mode "rtm": want bot or webhook`,
			`6: destination "s": mention "@here" is not Slack mention syntax`, `6: destination "s" mentions: unknown status "Bogus"`}},
		{"bot needs a channel; webhook broadcast", `destinations:
  - {name: a, slack: {mode: bot}}
  - {name: b, slack: {mode: webhook, broadcast_terminal: true}}
routes: [{name: r, to: [a, b]}]
`, []string{`2: destination "a": a bot-mode Slack destination needs a channel`, `3: destination "b": broadcast_terminal needs threads`}},
		{"bad email", `destinations:
  - name: e
    email: {to: [ok@example.com, "not an address"], cc: "x@", subject_prefix: "[a]"}
routes: [{name: r, to: e}]
`, []string{`3: destination "e" to: "not an address" is not an email address`, `3: destination "e" cc: "x@" is not an email address`, `3: destination "e": email needs from`}},
		{"destination needs a type", "destinations:\n  - name: x\n  - {name: y, slack: {channel: \"#y\"}, email: {to: a@example.com, from: a@example.com}}\nroutes: [{name: r, to: [x, y]}]\n",
			[]string{`2: destination "x": needs a slack or an email block`, `3: destination "y": has both slack and email`}},
		{"bad names", "destinations:\n  - {name: \"ops slack\", slack: {channel: \"#a\"}}\n  - {slack: {channel: \"#b\"}}\nroutes: [{name: r, to: x}]\n",
			[]string{`2: destination name "ops slack": use letters, digits`, `3: destination has no name`}},
		{"silence problems", base + "routes: [{name: r, to: ops}]\nsilences:\n  - name: s\n    until: tomorrow\n    starts: 2026-05-04T12:00:00Z\n  - {name: t, reason: x, until: 2026-05-04T12:00:00Z, starts: 2026-05-05T12:00:00Z, match: {}}\n",
			[]string{`6: silence "s" needs a reason`, `6: silence "s" needs a match`, `7: silence "s" until: "tomorrow" is not an RFC 3339 time`,
				`9: silence "t": starts must be before until`, `9: silence "t": match is empty`}},
		{"account and region", base + "routes: [{name: r, to: ops, match: {account: [\"12345\", \"1234567890*\"], region: [us-east-1, useast1]}}]\n",
			[]string{`4: route "r" match account: "12345" is not a 12-digit account ID`, `4: route "r" match region: "useast1" is not a region name`}},
		{"route without destinations", base + "routes:\n  - name: r\n",
			[]string{`5: route "r" has no destinations: set to here or in defaults`}},
		{"missing sections", "digest: {schedule: \"cron(0 8 * * ? *)\", time_zone: UTC, to: x}\n",
			[]string{`1: no destinations`, `1: no routes`, `1: digest to: undefined destination "x"`}},
		{"types", base + "routes:\n  - name: r\n    to: ops\n    continue: yes please\n    match: [a]\n",
			[]string{`7: route "r" continue must be true or false, not "yes please"`, `8: route "r" match must be a mapping`}},
		{"yaml syntax", "destinations:\n  - name: a\n   slack: x\n", []string{`YAML syntax: did not find expected '-' indicator`}},
		{"empty file", "", []string{`the file is empty`}},
		{"not a mapping", "- a\n- b\n", []string{`1: the top level must be a mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text), "c.yaml")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Parse error = %v, want a *ConfigError", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, "c.yaml:"+w) && !strings.Contains(msg, w) {
					t.Errorf("no problem %q in:\n%s", w, msg)
				}
			}
			if len(ce.Problems) < len(tt.want) {
				t.Errorf("%d problems, want at least %d:\n%s", len(ce.Problems), len(tt.want), msg)
			}
			for _, p := range ce.Problems {
				if !strings.HasPrefix(p.String(), "c.yaml:") {
					t.Errorf("problem without the file name: %q", p)
				}
			}
		})
	}
}

// TestParseReportsEveryProblemWithItsLine checks that one pass lists every problem, in line
// order, each as file:line: message.
func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	text := `destinations:
  - name: ops
    slack: {channel: "#ops", colour: red}
routes:
  - name: r
    to: nowhere
    notify_on: Sucess
  - name: r
    to: ops
mute_windows:
  - {name: w, time_zone: Mars/Olympus}
`
	_, err := Parse([]byte(text), "x.yaml")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	wantLines := []int{3, 6, 7, 8, 11}
	var got []int
	for _, p := range ce.Problems {
		got = append(got, p.Line)
	}
	if len(got) != len(wantLines) {
		t.Fatalf("lines %v, want %v:\n%v", got, wantLines, err)
	}
	for i := range got {
		if got[i] != wantLines[i] {
			t.Fatalf("lines %v, want %v:\n%v", got, wantLines, err)
		}
	}
	if !strings.HasPrefix(err.Error(), `x.yaml:3: destination "ops" slack: unknown key "colour"`) {
		t.Errorf("first line: %s", strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

func TestParseRefusesSecrets(t *testing.T) {
	token := "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
	hook := "https://hooks.slack.com/services/" + "T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
	text := `destinations:
  - name: ops
    slack:
      channel: "#ops"
      mentions: {Failed: "` + token + `"}
  - name: ` + hook + `
    email: {to: a@example.com, from: b@example.com}
  # old token: ` + token + `
routes:
  - {name: r, to: ops}
` + token + `: 1
`
	_, err := Parse([]byte(text), "s.yaml")
	if err == nil {
		t.Fatal("a config with a token parsed")
	}
	msg := err.Error()
	for _, secret := range []string{token, hook, "AbCdEf", "XXXXXXXX", "T000/B000"} {
		if strings.Contains(msg, secret) {
			t.Errorf("the error repeats a secret (%s):\n%s", secret, msg)
		}
	}
	for _, want := range []string{
		"s.yaml:5: this looks like a Slack token; secrets never go in the config: put the bot token in the Secrets Manager secret",
		"s.yaml:6: this looks like a Slack incoming-webhook URL",
		"s.yaml:11: this looks like a Slack token",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in:\n%s", want, msg)
		}
	}
	if !strings.Contains(msg, "s.yaml:8: this looks like a Slack token") {
		t.Errorf("the token in a comment is not reported:\n%s", msg)
	}
}

func TestParseAnchorsAndMerge(t *testing.T) {
	s := MustParse(t, `destinations:
  - {name: ops, slack: {channel: "#ops"}}
  - {name: team, slack: {channel: "#team"}}
x-patch: &patch
  document: AWS-RunPatchBaseline
routes:
  - name: a
    match:
      <<: *patch
      kind: invocation
    to: ops
  - name: b
    match: *patch
    to: team
`)
	// Merge keys and aliases are honoured; "x-" top-level keys hold anchors.
	a := note(payload.StatusFailed, doc("AWS-RunPatchBaseline"), invocation("i-1"))
	if got := summary(s.Decide(a, monday)); got != "a>ops" {
		t.Errorf("got %s", got)
	}
	b := note(payload.StatusFailed, doc("AWS-RunPatchBaseline"))
	if got := summary(s.Decide(b, monday)); got != "b>team" {
		t.Errorf("got %s", got)
	}
}

func TestWarnings(t *testing.T) {
	s := MustParse(t, `destinations:
  - {name: ops, slack: {channel: "#ops"}}
  - {name: unused, slack: {channel: "#unused"}}
mute_windows:
  - {name: idle, time_zone: UTC}
routes:
  - {name: all, to: ops}
  - {name: never, to: ops, match: {document: X}}
`)
	var msgs []string
	for _, w := range s.Warnings() {
		msgs = append(msgs, w.String())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		`test.yaml:3: destination "unused" is not used`,
		`test.yaml:5: mute window "idle" is not used`,
		`test.yaml:8: route "never" and every route after it are never reached`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, got)
		}
	}
}

func TestCron(t *testing.T) {
	for _, ok := range []string{
		"cron(0 8 * * ? *)", "cron(0/15 * ? * MON-FRI *)", "cron(30 6 L * ? 2026-2030)", "cron(0 9 ? * 2#1 *)",
		"cron(0 9 15W * ? *)", "cron(0 9 ? * 6L *)", "cron(5,35 14 * JAN,FEB ? *)", "cron(0 0 LW * ? *)",
	} {
		if err := validateCron(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"0 8 * * ? *", "cron(0 8 * * ?)", "cron(60 8 * * ? *)", "cron(0 8 * * * *)", "cron(0 8 ? * ? *)",
		"cron(0 8 32 * ? *)", "cron(0 8 ? * MON#6 *)", "cron(0 8 ? 13 MON *)", "cron(0 8 * * ? 1969)", "rate(1 day)",
		"cron(0/0 8 * * ? *)", "cron(0 ? * * ? *)",
	} {
		if err := validateCron(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// FuzzParse checks that no input makes Parse panic, and that a failure is always a
// *ConfigError whose every problem names the file.
func FuzzParse(f *testing.F) {
	f.Add(config.Default)
	f.Add([]byte(destinationsYAML + "routes: [{name: r, to: team}]\n"))
	f.Add([]byte("routes: [{name: r, to: x, match: {document: \"[\"}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "f.yaml")
		if err == nil {
			s.Decide(note(payload.StatusFailed), monday)
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("err = %#v", err)
		}
	})
}
