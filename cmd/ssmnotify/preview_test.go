package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

func TestPreviewDefaultConfig(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"preview", "--out", dir, "--now", "2026-05-04T10:05:00Z", "../../events/sns-command-failed.json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	slackFiles, _ := filepath.Glob(filepath.Join(dir, "*.slack.json"))
	htmlFiles, _ := filepath.Glob(filepath.Join(dir, "*.email.html"))
	headerFiles, _ := filepath.Glob(filepath.Join(dir, "*.email.headers.txt"))
	if len(slackFiles) != 1 || len(htmlFiles) != 1 || len(headerFiles) != 1 {
		t.Fatalf("files: slack %v html %v headers %v\n%s", slackFiles, htmlFiles, headerFiles, stdout.String())
	}
	raw, err := os.ReadFile(slackFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Channel     string          `json:"channel"`
		Text        string          `json:"text"`
		Blocks      json.RawMessage `json:"blocks"`
		Attachments json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Channel != "#ops-alerts" || !strings.HasPrefix(body.Text, "<!here> ") {
		t.Errorf("channel %q text %q: want the configured channel and mention", body.Channel, body.Text)
	}
	if p := slacktest.Check(body.Text, body.Blocks, body.Attachments); p != nil {
		t.Errorf("Slack would reject the previewed body: %v", p)
	}
	headers, _ := os.ReadFile(headerFiles[0])
	if !strings.Contains(string(headers), "[FAILED] AWS-RunPatchBaseline — Failed · 3 instances targeted") || !strings.Contains(string(headers), "To: platform-team@example.com") {
		t.Errorf("headers:\n%s", headers)
	}
	if !strings.Contains(stdout.String(), "previewed") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestPreviewBadInputAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"preview", "--out", t.TempDir(), "../../events/bad/not-json.json"}, &stdout, &stderr); code != 1 || stderr.Len() == 0 {
		t.Errorf("bad input: exit %d, stderr %q", code, stderr.String())
	}
	if code := run([]string{"preview"}, &stdout, &stderr); code != 2 {
		t.Errorf("no event file: exit %d, want 2", code)
	}
	if code := run([]string{"preview", "--config", "does-not-exist.yaml", "x.json"}, &stdout, &stderr); code != 2 {
		t.Errorf("missing config: exit %d, want 2", code)
	}
}
