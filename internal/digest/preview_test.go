package digest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

// TestPreview runs the digest with the in-process store and the preview sender, as
// `ssmnotify invoke digest` and `make demo` do: the files continue the router's numbering.
func TestPreview(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "07-ops-slack-0b7f3c2e-i-1-Failed.slack.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	observe(t, store, statetest.Invocation("cmd-1", "i-1", payload.StatusFailed, scheduled.Add(-time.Hour)))
	p := &deliver.Preview{Writer: preview.Appending(dir)}
	h := &digest.Handler{Rules: config(t, "24h", false), Store: store, Send: &digest.Delivery{Transport: p}, Now: func() time.Time { return scheduled.Add(time.Minute) }}
	rep, err := h.Run(t.Context(), event(digest.SourceEvents, scheduled))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rep); got != "ops-slack=sent platform-email=sent" {
		t.Fatalf("outcomes %q", got)
	}
	var names []string
	for _, path := range p.Paths {
		names = append(names, filepath.Base(path))
	}
	want := "08-digest-ops-slack.slack.json 09-digest-platform-email.email.headers.txt 09-digest-platform-email.email.html 09-digest-platform-email.email.txt"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	raw, err := os.ReadFile(p.Paths[0])
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Channel string          `json:"channel"`
		Text    string          `json:"text"`
		Blocks  json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Channel != "#ops-digest" || !strings.Contains(body.Text, "1 failed command, 1 failed instance") || len(body.Blocks) == 0 {
		t.Errorf("Slack preview %s (%v)", raw, err)
	}
	headers, _ := os.ReadFile(p.Paths[1])
	if !strings.Contains(string(headers), "Subject: [ssm] Run Command digest, Tue 5 May 2026: 1 failed command, 1 failed instance") {
		t.Errorf("headers:\n%s", headers)
	}
}
