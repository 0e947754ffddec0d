package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs `make demo`'s command over the shipped samples: it must deliver, write the exact
// Slack bodies and emails, park the bad input, and deliver nothing on the replay.
func TestDemo(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "--events", "../../events", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	s := stdout.String()
	for _, want := range []string{
		"sns-invocation-failed.json", "→ emailed the command's outcome to platform-email",
		"→ posted the command's message in ops-slack", "→ replied in the command's thread in ops-slack", "→ updated the command's message in ops-slack",
		"→ stale: older than the stored status", "→ filtered: status Success not in notify_on",
		"bad input: ", "nothing delivered twice: ", "deliveries in the first pass, 0 in the second",
		"→ ops-slack (slack): sent", "→ platform-email (email): sent", "→ ops-slack (slack): duplicate",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	slack, _ := filepath.Glob(filepath.Join(out, "router", "*.slack.json"))
	html, _ := filepath.Glob(filepath.Join(out, "router", "*.email.html"))
	txt, _ := filepath.Glob(filepath.Join(out, "router", "*.email.txt"))
	parked, _ := filepath.Glob(filepath.Join(out, "dead-letter", "*.json"))
	// One message per command in Slack (posts, thread replies, updates); one email per failed
	// command (issue 14: it was one per notification, 9).
	if len(slack) < 6 || len(html) != 5 || len(txt) != 5 {
		t.Errorf("previews: %d Slack, %d HTML, %d text; want ≥6 Slack calls and 5 emails", len(slack), len(html), len(txt))
	}
	digests, _ := filepath.Glob(filepath.Join(out, "digest", "*"))
	if len(digests) != 4 {
		t.Errorf("digest previews: %v", digests)
	}
	if len(parked) == 0 {
		t.Error("nothing parked in dead-letter/")
	}
	body, err := os.ReadFile(slack[0])
	if err != nil || !strings.Contains(string(body), `"channel": "#ops-alerts"`) {
		t.Errorf("Slack preview %s: %s", slack[0], body)
	}
}

func TestInvokeRouter(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"invoke", "router", "--out", out, "../../events/sns-invocation-failed.json"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "posted the command's message in ops-slack") || !strings.Contains(stdout.String(), "emailed the command's outcome to platform-email") {
		t.Errorf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"invoke", "router", "--deliver", "carrier-pigeon", "--event", "../../events/sns-invocation-failed.json"}, &stdout, &stderr); code != 2 {
		t.Errorf("a bad --deliver must be a usage error, got %d", code)
	}
}
