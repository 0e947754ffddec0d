package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRouteCommand(t *testing.T) {
	patchConfig := writeConfig(t, `destinations:
  - {name: oncall, slack: {channel: "#oncall", mentions: {AnyFailure: "<!here>"}}}
  - {name: mail, email: {to: ops@example.com, from: ssmnotify@example.com}}
routes:
  - name: patch
    match: {document: "AWS-RunPatch*"}
    notify_on: AnyFailure
    to: oncall
    continue: true
  - {name: rest, notify_on: [Failed, TimedOut, Cancelled], to: [mail, oncall]}
silences:
  - name: patch-night
    reason: monthly patching
    until: 2026-05-04T12:00:00Z
    match: {document: AWS-RunPatchBaseline, kind: invocation}
`)
	badConfig := writeConfig(t, "destinations: []\nroutes:\n  - {name: r, to: x, frobnicate: 1}\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // JSON-encoded decisions, one per notification, compared by their routing fields
		stderr   string
	}{
		{"embedded config, failure delivered", []string{"route", "--now", "2026-05-04T10:05:00Z", "../../events/sns-command-failed.json"}, 0,
			[]string{`all-failures>ops-slack/slack all-failures>platform-email/email`}, ""},
		{"embedded config, success filtered", []string{"route", "../../events/sns-command-success.json"}, 0,
			[]string{`filtered: status Success not in notify_on of route all-failures`}, ""},
		{"continue route and dedupe", []string{"route", "--config", patchConfig, "--now", "2026-05-04T13:00:00Z", "../../events/sns-command-failed.json"}, 0,
			[]string{`patch>oncall/slack rest>mail/email`}, ""},
		{"flags after the event file; batch with a silence", []string{"route", "../../events/sqs-batch.json", "--config", patchConfig, "--now", "2026-05-04T10:05:00Z"}, 0,
			[]string{
				`filtered: status InProgress not in notify_on of route patch`,
				`filtered: status Success not in notify_on of route patch`,
				`silenced: silenced by patch-night until 2026-05-04T12:00:00Z: monthly patching`,
			}, ""},
		{"silence expired", []string{"route", "--config", patchConfig, "--now", "2026-05-04T12:00:00Z", "../../events/sns-invocation-failed.json"}, 0,
			[]string{`patch>oncall/slack rest>mail/email`}, ""},
		{"bad record: good ones printed, exit 1", []string{"route", "../../events/bad/mixed-batch.json"}, 1,
			[]string{"*", "*"}, "record 1 (sns message"},
		{"bad event", []string{"route", "../../events/bad/not-json.json"}, 1, nil, "not valid JSON"},
		{"bad config", []string{"route", "--config", badConfig, "../../events/sns-command-failed.json"}, 1, nil,
			`unknown key "frobnicate"`},
		{"missing config", []string{"route", "--config", "no/such.yaml", "../../events/sns-command-failed.json"}, 1, nil, "no such file"},
		{"no event", []string{"route"}, 2, nil, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.wantCode, stderr.String())
			}
			lines := nonEmptyLines(stdout.String())
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), stdout.String())
			}
			for i, l := range lines {
				var got routeLine
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("line %d is not a decision: %v\n%s", i, err, l)
				}
				if got.CommandID == "" || got.Status == "" || got.Kind == "" || got.DocumentName == "" {
					t.Errorf("line %d lacks key fields: %s", i, l)
				}
				if tc.want[i] != "*" && decisionText(got) != tc.want[i] {
					t.Errorf("line %d: got %s\nwant %s", i, decisionText(got), tc.want[i])
				}
			}
			if tc.stderr != "" && !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}

func decisionText(l routeLine) string {
	if len(l.Deliveries) == 0 {
		return string(l.Drop) + ": " + l.Reason
	}
	var parts []string
	for _, d := range l.Deliveries {
		parts = append(parts, d.Route+">"+d.Destination+"/"+string(d.Type))
	}
	return strings.Join(parts, " ")
}
