package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// TestChannelViewInChromium runs the demo, loads out/latest/index.html in a real headless
// Chromium and reads what a person would see: the evolving message of a command as it stands
// after its last chat.update, its history, its thread reply, and the emails. The screenshot is
// kept under the repository's out/screenshots/ (docs/img/channel-view.png is a copy of one).
func TestChannelViewInChromium(t *testing.T) {
	browser := testenv.NeedChromium(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "--events", "../../events", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	index := filepath.Join(out, "latest", "index.html")
	if !strings.Contains(stdout.String(), index) {
		t.Errorf("the demo must say where the page is (%s):\n%s", index, stdout.String())
	}
	abs, err := filepath.Abs(index)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)
	text := testenv.Text(browser.DumpDOM(url))

	// AWS-RunPatchBaseline's message: posted as "3 instances targeted", updated three times, one
	// thread reply. The page shows the current state first, then the history in order, then the
	// thread.
	msg := between(t, text, "ssmnotify APP (edited) ❌ Failed: AWS-RunPatchBaseline", "⏰ Timed Out: AWS-RunPowerShellScript")
	inOrder(t, msg,
		"ssmnotify APP (edited) ❌ Failed: AWS-RunPatchBaseline @here i-0ddd3333eeee4444f : Failed , exit code 100, in step PatchLinux",
		"Failed on 1 of 3 · 2 of 3 succeeded Failed instances: i-0ddd3333eeee4444f",
		"Open in the Run Command console",
		"History: 4 versions",
		"1. chat.postMessage", "Failed · 3 instances targeted",
		"2. chat.update", "Failed on 1 of 3 · 2 not reported",
		"4. chat.update", "Failed on 1 of 3 · 2 of 3 succeeded",
		"1 reply", "❌ 1 instance failed i-0ddd3333eeee4444f",
	)
	for _, want := range []string{
		"#ops-alerts",
		"📊 Run Command digest: 5 failed commands, 4 failed instances",
		"Subject [ssm] [FAILED] AWS-RunPatchBaseline — Failed on 1 of 3 · 2 of 3 succeeded — 0b7f3c2e (us-east-1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	// Keep a picture of the page where people look for output.
	shots := filepath.Join(testenv.ModuleRoot(t), "out", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(shots, "channel-view.png")
	browser.Screenshot(url, shot, 1100, 1400)
	t.Logf("screenshot: %s", shot)
}

// between returns the part of s from the first from up to the next to.
func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	if i < 0 {
		t.Fatalf("the page does not show %q:\n%s", from, s)
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// inOrder checks that s shows each of want, in that order.
func inOrder(t *testing.T, s string, want ...string) {
	t.Helper()
	rest := s
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%q is not shown (after the previous check) in:\n%s", w, s)
			return
		}
		rest = rest[i+len(w):]
	}
}
