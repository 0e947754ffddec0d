package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(destinationsYAML+"routes: [{name: r, to: team}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(good)
	if err != nil || s.File() != good || len(s.Routes()) != 1 {
		t.Fatalf("Load = %v, %v", s, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour} {
		if got, err := parseWindow(in); err != nil || got != want {
			t.Errorf("parseWindow(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", "xd", "-1h", "0d", "32d"} {
		if _, err := parseWindow(in); err == nil {
			t.Errorf("parseWindow(%q): no error", in)
		}
	}
}

func TestSecretKind(t *testing.T) {
	for in, want := range map[string]string{
		"xoxb-123":                           "token",
		"Bearer XOXP-abc":                    "token",
		"xapp-1-A0":                          "token",
		"https://HOOKS.slack.com/services/":  "webhook",
		"#xoxo-club":                         "token", // better a false alarm than a leaked token
		"xoxo":                               "",
		"#ops-alerts":                        "",
		"https://example.slack.com/archives": "",
	} {
		if got := secretKind(in); got != want {
			t.Errorf("secretKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := q(long)
	if !strings.HasSuffix(got, "…") || len(got) > 90 || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("q(long) = %q", got)
	}
	if got := q("xoxb-1-2"); strings.Contains(got, "xoxb") {
		t.Errorf("q repeats a token: %q", got)
	}
}

func TestAccessors(t *testing.T) {
	s := MustParse(t, destinationsYAML+`
mute_windows:
  - {name: w, time_zone: Europe/Paris, days: [fri-mon], hours: ["22:00-06:30", "12:00-24:00"], statuses: AnyFailure}
routes: [{name: r, to: team, mute_windows: w}]
silences:
  - {name: s, reason: r, until: 2026-06-01T00:00:00+02:00, match: {instance: "i-9*"}}
`)
	w := s.MuteWindows()[0]
	if w.TimeZone != "Europe/Paris" || len(w.Days) != 4 || w.Hours[0].String() != "22:00-06:30" || w.Hours[1].String() != "12:00-24:00" {
		t.Errorf("window = %+v", w)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC), true},   // Saturday 00:00 CEST, Friday's night
		{time.Date(2026, 4, 30, 21, 0, 0, 0, time.UTC), false}, // Thursday 23:00 CEST: Thursday is not listed
		{time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC), false},   // Friday 03:00 CEST, still Thursday's night
		{time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), true},   // Friday 12:00 CEST
		{time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC), false},  // Tuesday 12:00 CEST
	} {
		if got := w.Holds(payload.StatusTimedOut, tc.at); got != tc.want {
			t.Errorf("Holds(TimedOut, %v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if w.Holds(payload.StatusSuccess, time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Error("a window of AnyFailure holds Success")
	}
	sl := s.Silences()[0]
	if !sl.Matches(note(payload.StatusFailed, invocation("i-9abc"))) || sl.Matches(note(payload.StatusFailed, invocation("i-1"))) {
		t.Error("silence Matches")
	}
	if !sl.Until.Equal(time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("Until = %v", sl.Until)
	}
	if s.Destination("nope") != nil || (*SlackDestination)(nil).Mention(payload.StatusFailed) != "" {
		t.Error("lookups of missing things")
	}
}

// TestEmailGroup: an email destination groups by command unless it says group: none; anything
// else is a problem on its line.
func TestEmailGroup(t *testing.T) {
	cfg := func(group string) string {
		return "destinations:\n  - name: e\n    email: {to: a@example.com, from: b@example.com" + group + "}\nroutes:\n  - name: r\n    to: [e]\n"
	}
	for _, tc := range []struct {
		group      string
		perCommand bool
	}{{"", true}, {", group: command", true}, {", group: none", false}} {
		s, err := Parse([]byte(cfg(tc.group)), "c.yaml")
		if err != nil {
			t.Fatalf("%q: %v", tc.group, err)
		}
		if got := s.Destination("e").Email.PerCommand(); got != tc.perCommand {
			t.Errorf("%q: PerCommand %v, want %v", tc.group, got, tc.perCommand)
		}
	}
	if _, err := Parse([]byte(cfg(", group: instance")), "c.yaml"); err == nil || !strings.Contains(err.Error(), `3: destination "e": group must be command`) {
		t.Errorf("a bad group: %v", err)
	}
}
