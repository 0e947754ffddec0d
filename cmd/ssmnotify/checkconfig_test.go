package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes text to a file in a fresh temporary directory and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ssmnotify.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckConfigCommand(t *testing.T) {
	unknownKey := writeConfig(t, `destinations:
  - name: ops
    slack:
      channel: "#ops"
routes:
  - name: all
    to: ops
    notify_on: AnyFailure
    continu: true
`)
	manyProblems := writeConfig(t, `destinations:
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
`)
	withWarnings := writeConfig(t, `destinations:
  - {name: ops, slack: {channel: "#ops"}}
  - {name: spare, email: {to: a@example.com, from: b@example.com}}
routes:
  - {name: r, to: ops}
silences:
  - {name: old, reason: done, until: 2026-01-01T00:00:00Z, match: {document: "*"}}
`)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   string
	}{
		{"shipped config", []string{"check-config", "../../config/ssmnotify.yaml"}, 0,
			[]string{"../../config/ssmnotify.yaml: OK (1 route, 2 destinations (1 slack, 1 email), 0 silences, 0 mute windows, digest cron(0 8 * * ? *) Europe/London, window 24h, to ops-slack, platform-email)"}, ""},
		{"unknown key is named with its line", []string{"check-config", unknownKey}, 1,
			[]string{unknownKey + `:9: route "all": unknown key "continu" (did you mean continue?)`, unknownKey + ": 1 problem"}, ""},
		{"every problem at once", []string{"check-config", manyProblems}, 1,
			[]string{manyProblems + `:3: destination "ops" slack: unknown key "colour"`,
				manyProblems + `:6: route "r" to: undefined destination "nowhere"`,
				manyProblems + `:7: route "r" notify_on: unknown status "Sucess" (did you mean Success?)`,
				manyProblems + `:8: duplicate route name "r" (first at line 5)`,
				manyProblems + `:11: mute window "w" time_zone: unknown time zone "Mars/Olympus"`,
				manyProblems + ": 5 problems"}, ""},
		{"warnings do not fail", []string{"check-config", "--now", "2026-05-04T00:00:00Z", withWarnings}, 0,
			[]string{withWarnings + ": OK (1 route, 2 destinations (1 slack, 1 email), 1 silence, 0 mute windows, no digest)",
				withWarnings + `:3: warning: destination "spare" is not used by any route or the digest`,
				withWarnings + `:7: warning: silence "old" expired at 2026-01-01T00:00:00Z and no longer applies; delete it`}, ""},
		{"several files, one bad", []string{"check-config", "../../config/ssmnotify.yaml", unknownKey}, 1,
			[]string{"../../config/ssmnotify.yaml: OK", unknownKey + ": 1 problem"}, ""},
		{"missing file", []string{"check-config", "no/such.yaml"}, 1, nil, "no such file"},
		{"no file", []string{"check-config"}, 2, nil, "usage"},
		{"bad --now", []string{"check-config", "--now", "tomorrow", unknownKey}, 2, nil, "RFC 3339"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if tc.stderr != "" && !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}
