package deliver_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// TestDeliveryFiles: the preview transport writes what Live would send, under its folder only.
func TestDeliveryFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := preview.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := &payload.Notification{Kind: payload.KindInvocation, CommandID: "../../etc/passwd-1", InstanceID: "i-1/../x",
		DocumentName: "Doc", Status: payload.StatusFailed, Region: "us-east-1", EventTime: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	hook := &rules.Destination{Name: "hook", Type: rules.DestinationSlack,
		Slack: &rules.SlackDestination{Mode: rules.SlackWebhook, Mentions: map[payload.Status]string{payload.StatusFailed: "<!subteam^S1>"}}}
	mail := &rules.Destination{Name: "mail", Type: rules.DestinationEmail,
		Email: &rules.EmailDestination{To: []string{"a@example.com"}, Cc: []string{"b@example.com"}, From: "s@example.com", SubjectPrefix: "[prod]"}}
	p := &deliver.Preview{Writer: w}
	for _, d := range []rules.Delivery{{Route: "r", Destination: hook}, {Route: "r", Destination: mail}} {
		if err := p.Deliver(t.Context(), d, n); err != nil {
			t.Fatal(err)
		}
	}
	paths := p.Paths
	if len(paths) != 4 {
		t.Fatalf("paths %v", paths)
	}
	for _, p := range paths {
		if filepath.Dir(p) != dir {
			t.Errorf("%s escapes the output directory", p)
		}
	}
	if want := "01-hook-_.._etc_passwd-i-1_.._x-Failed.slack.json"; filepath.Base(paths[0]) != want {
		t.Errorf("file %s, want %s", filepath.Base(paths[0]), want)
	}
	raw, _ := os.ReadFile(paths[0])
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["channel"]; ok || body["parse"] != "none" || !strings.HasPrefix(body["text"].(string), "<!subteam^S1> ") {
		t.Errorf("webhook body: %s", raw)
	}
	headers, _ := os.ReadFile(paths[1])
	for _, want := range []string{"From: s@example.com", "To: a@example.com", "Cc: b@example.com", "Subject: [prod] [FAILED] Doc on i-1/../x"} {
		if !strings.Contains(string(headers), want) {
			t.Errorf("headers lack %q:\n%s", want, headers)
		}
	}
}
