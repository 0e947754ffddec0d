package preview_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// TestAppendingFollowsTheFolder: an appending writer numbers after what is already in its
// folder (created on the first write), one number per message, and keeps every name part to a
// safe file name inside the folder.
func TestAppendingFollowsTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "digest")
	w := preview.Appending(dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the folder exists before the first write (%v)", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "11-router.slack.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := w.Slack([]string{"digest", "../../etc/passwd"}, "#ops", false, render.SlackMessage{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := w.Email([]string{"digest", ""}, &rules.EmailDestination{From: "a@example.com", To: []string{"b@example.com"}}, render.EmailMessage{Subject: "s", HTML: "<p>h</p>", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, path := range append([]string{p}, paths...) {
		if filepath.Dir(path) != dir {
			t.Errorf("%s is outside %s", path, dir)
		}
		names = append(names, filepath.Base(path))
	}
	want := "12-digest-_.._etc_passwd.slack.json 13-digest-none.email.headers.txt 13-digest-none.email.html 13-digest-none.email.txt"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %s, want %s", got, want)
	}
}
