package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// MustParse parses a config written in a test, failing the test with every problem.
func MustParse(tb testing.TB, text string) *Set {
	tb.Helper()
	s, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		tb.Fatalf("Parse:\n%v", err)
	}
	return s
}

// destinationsYAML defines three Slack channels and an email list for the decision tests.
const destinationsYAML = `
destinations:
  - name: oncall
    slack: {channel: "#oncall", mentions: {AnyFailure: "<!subteam^S0123ABCD>", Failed: "<!here>"}}
  - name: team
    slack: {channel: "#team"}
  - name: ops
    slack: {channel: "#ops"}
  - name: mail
    email: {to: [platform@example.com], from: ssmnotify@example.com}
`

// note builds a notification; fields are overridden by the options.
func note(status payload.Status, opts ...func(*payload.Notification)) *payload.Notification {
	n := &payload.Notification{
		Kind:         payload.KindCommand,
		CommandID:    "0b7f3c2e-1111-4a2b-9c3d-0123456789ab",
		DocumentName: "AWS-RunShellScript",
		InstanceIDs:  []string{"i-0aaa1111bbbb2222c"},
		Status:       status,
		Region:       "us-east-1",
		Account:      "123456789012",
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func doc(name string) func(*payload.Notification) {
	return func(n *payload.Notification) { n.DocumentName = name }
}

func invocation(instance string) func(*payload.Notification) {
	return func(n *payload.Notification) {
		n.Kind, n.InstanceID, n.InstanceIDs = payload.KindInvocation, instance, nil
	}
}

func where(account, region string) func(*payload.Notification) {
	return func(n *payload.Notification) { n.Account, n.Region = account, region }
}

func instances(ids ...string) func(*payload.Notification) {
	return func(n *payload.Notification) { n.InstanceIDs = ids }
}

// summary writes a decision compactly: "route>dest route>dest" or "drop:reason".
func summary(d Decision) string {
	if !d.Delivered() {
		return string(d.Drop) + ": " + d.Reason
	}
	parts := make([]string, len(d.Deliveries))
	for i, x := range d.Deliveries {
		parts[i] = x.Route + ">" + x.Destination.Name
	}
	return strings.Join(parts, " ")
}

var monday = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func TestDecideRoutes(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
defaults:
  notify_on: [AnyFailure]
  to: [mail]
routes:
  - name: patch
    match: {document: "AWS-RunPatchBaseline*"}
    notify_on: [Failed, TimedOut]
    to: [oncall]
    continue: true
  - name: deploy
    match: {document: "Deploy-*", kind: command}
    notify_on: [Success, AnyFailure]
    to: [team, oncall]
    continue: true
  - name: prod-account
    match: {account: "111111111111", region: "eu-*"}
    notify_on: All
    notify_for: invocation
    to: [ops]
  - name: web-fleet
    match: {instance: "i-0web*"}
    to: [team]
  - name: invocation-only
    match: {status: Delayed}
    notify_for: invocation
    to: [ops]
  - name: catch-all
    to: [mail, oncall]
`)
	tests := []struct {
		name string
		n    *payload.Notification
		want string
	}{
		{"first match wins, defaults fill in to", note(payload.StatusFailed),
			"catch-all>mail catch-all>oncall"},
		{"continue carries on, destination delivered once", note(payload.StatusFailed, doc("AWS-RunPatchBaseline")),
			"patch>oncall catch-all>mail"},
		{"continue route filtered by notify_on, later route still applies", note(payload.StatusCancelled, doc("AWS-RunPatchBaseline")),
			"catch-all>mail catch-all>oncall"},
		{"two continue routes then catch-all, each destination once", note(payload.StatusTimedOut, doc("Deploy-web")),
			"deploy>team deploy>oncall catch-all>mail"},
		{"success: deploy sends, catch-all filters, delivery keeps its reason", note(payload.StatusSuccess, doc("Deploy-web")),
			"deploy>team deploy>oncall"},
		{"match.kind: invocation of deploy skips the deploy route", note(payload.StatusSuccess, doc("Deploy-web"), invocation("i-1")),
			"filtered: status Success not in notify_on of route catch-all"},
		{"route that matches but filters stops the walk", note(payload.StatusSuccess, where("111111111111", "eu-west-1"), invocation("i-0web1")),
			"prod-account>ops"},
		{"notify_for excludes command summaries and stops the walk", note(payload.StatusFailed, where("111111111111", "eu-west-1")),
			"filtered: kind command not in notify_for of route prod-account"},
		{"region glob does not match another region", note(payload.StatusFailed, where("111111111111", "us-east-1"), invocation("i-2")),
			"catch-all>mail catch-all>oncall"},
		{"instance glob on an invocation", note(payload.StatusFailed, invocation("i-0web42")),
			"web-fleet>team"},
		{"instance glob on a command summary matches any of its instances", note(payload.StatusFailed, instances("i-0db1", "i-0web7")),
			"web-fleet>team"},
		{"instance glob never matches a tag-targeted command", note(payload.StatusFailed, instances()),
			"catch-all>mail catch-all>oncall"},
		{"AnyFailure covers detailed failure statuses", note(payload.StatusUndeliverable),
			"catch-all>mail catch-all>oncall"},
		{"non-standard status matchable by name", note(payload.StatusDelayed, invocation("i-3")),
			"filtered: status Delayed not in notify_on of route invocation-only"},
		{"unknown status goes nowhere with AnyFailure", note(payload.Status("Exploded")),
			"filtered: status Exploded not in notify_on of route catch-all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(set.Decide(tt.n, monday))
			if got != tt.want {
				t.Errorf("Decide:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDecideNoRouteAndReasonOfPartialHold(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
routes:
  - name: patch
    match: {document: AWS-RunPatchBaseline}
    notify_on: Success
    to: team
    continue: true
  - name: patch-fail
    match: {document: AWS-RunPatchBaseline}
    to: oncall
`)
	if got, want := summary(set.Decide(note(payload.StatusFailed), monday)), "no_route: no route matched"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	d := set.Decide(note(payload.StatusFailed, doc("AWS-RunPatchBaseline")), monday)
	if got, want := summary(d), "patch-fail>oncall"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if want := "status Failed not in notify_on of route patch"; d.Reason != want {
		t.Errorf("Reason = %q, want %q", d.Reason, want)
	}
	if d.Drop != "" {
		t.Errorf("Drop = %q for a delivered notification", d.Drop)
	}
}

func TestDecideInheritance(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
mute_windows:
  - {name: always, time_zone: UTC}
defaults:
  notify_on: [Failed]
  notify_for: invocation
  to: [ops]
  mute_windows: [always]
routes:
  - name: inherits-everything
    match: {document: A}
  - name: overrides-everything
    match: {document: B}
    notify_on: [Success]
    notify_for: [command]
    to: [team]
    mute_windows: []
`)
	tests := []struct {
		name string
		n    *payload.Notification
		want string
	}{
		{"inherited notify_for", note(payload.StatusFailed, doc("A")), "filtered: kind command not in notify_for of route inherits-everything"},
		{"inherited notify_on", note(payload.StatusTimedOut, doc("A"), invocation("i-1")), "filtered: status TimedOut not in notify_on of route inherits-everything"},
		{"inherited mute window holds Success by default, not Failed", note(payload.StatusFailed, doc("A"), invocation("i-1")), "inherits-everything>ops"},
		{"overridden notify_on, notify_for, to and an empty mute_windows", note(payload.StatusSuccess, doc("B")), "overrides-everything>team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(set.Decide(tt.n, monday)); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
	// Built-in defaults: All statuses, both kinds.
	bare := MustParse(t, destinationsYAML+"routes:\n  - {name: r, to: team}\n")
	for _, st := range []payload.Status{payload.StatusInProgress, payload.StatusPending, payload.Status("Whatever")} {
		if got := summary(bare.Decide(note(st, invocation("i-1")), monday)); got != "r>team" {
			t.Errorf("built-in default for %s: got %s", st, got)
		}
	}
}

func TestDecideSilences(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
routes:
  - {name: all, to: [oncall, mail]}
silences:
  - name: patch-night
    reason: monthly patching
    starts: 2026-05-03T22:00:00Z
    until: 2026-05-04T06:00:00Z
    match: {document: AWS-RunPatchBaseline, status: [Failed, TimedOut]}
  - name: old
    reason: expired long ago
    until: 2026-01-01T00:00:00Z
    match: {document: "*"}
`)
	patchFail := note(payload.StatusFailed, doc("AWS-RunPatchBaseline"))
	tests := []struct {
		name string
		n    *payload.Notification
		now  time.Time
		want string
	}{
		{"before starts", patchFail, time.Date(2026, 5, 3, 21, 59, 59, 0, time.UTC), "all>oncall all>mail"},
		{"at starts", patchFail, time.Date(2026, 5, 3, 22, 0, 0, 0, time.UTC),
			"silenced: silenced by patch-night until 2026-05-04T06:00:00Z: monthly patching"},
		{"just before until", patchFail, time.Date(2026, 5, 4, 5, 59, 59, 0, time.UTC),
			"silenced: silenced by patch-night until 2026-05-04T06:00:00Z: monthly patching"},
		{"expired at until", patchFail, time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC), "all>oncall all>mail"},
		{"status the silence does not match", note(payload.StatusCancelled, doc("AWS-RunPatchBaseline")),
			time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC), "all>oncall all>mail"},
		{"another document", note(payload.StatusFailed), time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC), "all>oncall all>mail"},
		{"an expired catch-all silence does nothing", note(payload.StatusFailed), monday, "all>oncall all>mail"},
		{"the same catch-all silence before it expired", note(payload.StatusFailed), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
			"silenced: silenced by old until 2026-01-01T00:00:00Z: expired long ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(set.Decide(tt.n, tt.now)); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDecideMuteWindows(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
mute_windows:
  - name: ny-nights
    time_zone: America/New_York
    hours: ["22:00-07:00"]
  - name: ny-weekend-nights
    time_zone: America/New_York
    days: [fri-sat]
    hours: ["23:00-06:00", "12:00-13:00"]
    statuses: [All]
  - name: london-1am
    time_zone: Europe/London
    hours: ["01:00-02:00"]
    statuses: [Failed]
  - name: ny-1am
    time_zone: America/New_York
    hours: ["01:00-02:00"]
  - name: tokyo-weekend
    time_zone: Asia/Tokyo
    days: [sat, sun]
routes:
  - name: nights
    match: {document: Nights}
    to: team
    mute_windows: [ny-nights]
  - name: weekend
    match: {document: Weekend}
    to: team
    mute_windows: [ny-weekend-nights]
  - name: failures
    match: {document: Failures}
    to: oncall
    mute_windows: [london-1am]
  - name: ambiguous
    match: {document: Ambiguous}
    to: team
    mute_windows: [ny-1am]
  - name: tokyo
    match: {document: Tokyo}
    to: team
    mute_windows: [tokyo-weekend]
    continue: true
  - name: tokyo-mail
    match: {document: Tokyo}
    to: mail
`)
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	const (
		muted     = "muted"
		delivered = "delivered"
	)
	tests := []struct {
		name   string
		doc    string
		status payload.Status
		now    string
		want   string
	}{
		// Across midnight: 22:00-07:00 EDT = 02:00-11:00 UTC in May.
		{"before the night", "Nights", payload.StatusSuccess, "2026-05-05T01:59:00Z", delivered},
		{"22:00 local", "Nights", payload.StatusSuccess, "2026-05-05T02:00:00Z", muted},
		{"midnight local", "Nights", payload.StatusInProgress, "2026-05-05T04:00:00Z", muted},
		{"06:59 local", "Nights", payload.StatusSuccess, "2026-05-05T10:59:59Z", muted},
		{"07:00 local", "Nights", payload.StatusSuccess, "2026-05-05T11:00:00Z", delivered},
		{"failures are not held by default", "Nights", payload.StatusFailed, "2026-05-05T04:00:00Z", delivered},

		// DST starts in New York on Sunday 2026-03-08 at 02:00 EST (07:00 UTC) -> 03:00 EDT.
		// 07:00 EDT is 11:00 UTC that morning, where 07:00 EST would have been 12:00 UTC.
		{"spring forward: 06:30 EDT", "Nights", payload.StatusSuccess, "2026-03-08T10:30:00Z", muted},
		{"spring forward: 07:00 EDT", "Nights", payload.StatusSuccess, "2026-03-08T11:00:00Z", delivered},
		{"spring forward: the night before, 22:00 EST", "Nights", payload.StatusSuccess, "2026-03-08T03:00:00Z", muted},
		{"spring forward: 21:59 EST", "Nights", payload.StatusSuccess, "2026-03-08T02:59:00Z", delivered},

		// DST ends in New York on Sunday 2026-11-01 at 02:00 EDT (06:00 UTC) -> 01:00 EST.
		// 07:00 EST is 12:00 UTC, where 07:00 EDT would have been 11:00 UTC.
		{"fall back: 06:30 EST", "Nights", payload.StatusSuccess, "2026-11-01T11:30:00Z", muted},
		{"fall back: 06:59 EST", "Nights", payload.StatusSuccess, "2026-11-01T11:59:00Z", muted},
		{"fall back: 07:00 EST", "Nights", payload.StatusSuccess, "2026-11-01T12:00:00Z", delivered},
		// 01:30 happens twice that night; the window covers both.
		{"fall back: first 01:30 (EDT)", "Ambiguous", payload.StatusSuccess, "2026-11-01T05:30:00Z", muted},
		{"fall back: second 01:30 (EST)", "Ambiguous", payload.StatusSuccess, "2026-11-01T06:30:00Z", muted},
		{"fall back: 02:00 EST", "Ambiguous", payload.StatusSuccess, "2026-11-01T07:00:00Z", delivered},
		// 01:00-02:00 on the spring-forward night exists (01:00-01:59 EST); 02:xx does not.
		{"spring forward: 01:30 EST", "Ambiguous", payload.StatusSuccess, "2026-03-08T06:30:00Z", muted},
		{"spring forward: 03:00 EDT right after", "Ambiguous", payload.StatusSuccess, "2026-03-08T07:00:00Z", delivered},

		// days: a range belongs to the day it starts on. fri-sat 23:00-06:00 covers Friday
		// night and Saturday night, into Saturday and Sunday mornings, but not Thursday night.
		{"thursday 23:30 local", "Weekend", payload.StatusFailed, "2026-05-08T03:30:00Z", delivered},
		{"friday 05:00 local (thursday's night)", "Weekend", payload.StatusFailed, "2026-05-08T09:00:00Z", delivered},
		{"friday 23:30 local", "Weekend", payload.StatusFailed, "2026-05-09T03:30:00Z", muted},
		{"saturday 05:59 local", "Weekend", payload.StatusFailed, "2026-05-09T09:59:00Z", muted},
		{"saturday 12:30 local", "Weekend", payload.StatusFailed, "2026-05-09T16:30:00Z", muted},
		{"sunday 05:00 local (saturday's night)", "Weekend", payload.StatusFailed, "2026-05-10T09:00:00Z", muted},
		{"sunday 12:30 local", "Weekend", payload.StatusFailed, "2026-05-10T16:30:00Z", delivered},
		{"sunday 23:30 local", "Weekend", payload.StatusFailed, "2026-05-11T03:30:00Z", delivered},

		// Europe/London in summer is UTC+1; the window names Failed explicitly.
		{"london 01:30 BST", "Failures", payload.StatusFailed, "2026-07-01T00:30:00Z", muted},
		{"london 01:30 BST, success not listed", "Failures", payload.StatusSuccess, "2026-07-01T00:30:00Z", delivered},
		{"london 02:30 BST", "Failures", payload.StatusFailed, "2026-07-01T01:30:00Z", delivered},

		// Whole days in Tokyo (UTC+9): Saturday starts at Friday 15:00 UTC.
		{"tokyo friday 23:59", "Tokyo", payload.StatusSuccess, "2026-05-08T14:59:00Z", delivered},
		{"tokyo saturday 00:00: route tokyo muted, tokyo-mail still delivers", "Tokyo", payload.StatusSuccess, "2026-05-08T15:00:00Z", delivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := set.Decide(note(tt.status, doc(tt.doc)), utc(tt.now))
			got := delivered
			if d.Drop == DropMuted {
				got = muted
			} else if !d.Delivered() {
				t.Fatalf("unexpected drop %s", summary(d))
			}
			if got != tt.want {
				t.Errorf("got %s (%s), want %s", got, summary(d), tt.want)
			}
		})
	}
	t.Run("reason names the window", func(t *testing.T) {
		d := set.Decide(note(payload.StatusSuccess, doc("Nights")), utc("2026-05-05T04:00:00Z"))
		if want := "muted by ny-nights (route nights)"; d.Reason != want {
			t.Errorf("Reason = %q, want %q", d.Reason, want)
		}
	})
	t.Run("a muted continue route does not hold back the next route", func(t *testing.T) {
		d := set.Decide(note(payload.StatusSuccess, doc("Tokyo")), utc("2026-05-08T15:00:00Z"))
		if got, want := summary(d), "tokyo-mail>mail"; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		if want := "muted by tokyo-weekend (route tokyo)"; d.Reason != want {
			t.Errorf("Reason = %q, want %q", d.Reason, want)
		}
	})
}

func TestDecideMutePreferredOverFilterAsReason(t *testing.T) {
	set := MustParse(t, destinationsYAML+`
mute_windows:
  - {name: always, time_zone: UTC}
routes:
  - {name: a, notify_on: Failed, to: team, continue: true}
  - {name: b, to: ops, mute_windows: [always]}
`)
	d := set.Decide(note(payload.StatusSuccess), monday)
	if got, want := summary(d), "muted: muted by always (route b)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestMentions(t *testing.T) {
	set := MustParse(t, destinationsYAML+"routes:\n  - {name: r, to: [oncall, team, ops, mail]}\n")
	slack := set.Destination("oncall").Slack
	for st, want := range map[payload.Status]string{
		payload.StatusFailed:        "<!here>", // explicit beats AnyFailure
		payload.StatusTimedOut:      "<!subteam^S0123ABCD>",
		payload.StatusUndeliverable: "<!subteam^S0123ABCD>",
		payload.StatusSuccess:       "",
	} {
		if got := slack.Mention(st); got != want {
			t.Errorf("Mention(%s) = %q, want %q", st, got, want)
		}
	}
	if got := set.Destination("team").Slack.Mention(payload.StatusFailed); got != "" {
		t.Errorf("team has no mentions, got %q", got)
	}
}

// BenchmarkDecide routes through 50 routes of realistic shape; the notification matches the
// last (catch-all) route after passing a continue route, so every route is examined.
func BenchmarkDecide(b *testing.B) {
	var cfg strings.Builder
	cfg.WriteString(destinationsYAML)
	cfg.WriteString("mute_windows:\n  - {name: nights, time_zone: Europe/London, hours: [\"22:00-07:00\"]}\n")
	cfg.WriteString("silences:\n  - {name: s, reason: r, until: 2030-01-01T00:00:00Z, match: {document: Nothing-*}}\n")
	cfg.WriteString("routes:\n")
	cfg.WriteString("  - {name: r0, match: {kind: command}, notify_on: AnyFailure, to: oncall, continue: true, mute_windows: [nights]}\n")
	for i := 1; i < 49; i++ {
		fmt.Fprintf(&cfg, "  - {name: r%d, match: {document: [\"Team%d-*\", \"*-svc%d\"], instance: \"i-0%02x*\", region: [us-west-2, \"eu-*\"], status: [Failed, TimedOut]}, to: [team, ops]}\n", i, i, i, i)
	}
	cfg.WriteString("  - {name: catch-all, to: [oncall, mail]}\n")
	set := MustParse(b, cfg.String())
	if len(set.Routes()) != 50 {
		b.Fatalf("%d routes", len(set.Routes()))
	}
	n := note(payload.StatusFailed, doc("AWS-RunPatchBaseline"))
	want := "r0>oncall catch-all>mail"
	if got := summary(set.Decide(n, monday)); got != want {
		b.Fatalf("got %s, want %s", got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.Decide(n, monday)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(set.Routes())), "ns/route")
}
