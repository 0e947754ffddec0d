package digest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest"
)

// TestShippedScheduledEvents: both sample events decode — the EventBridge Scheduler one the
// deployed schedule sends (the CDK app's target input, placeholders filled in) and the
// EventBridge scheduled rule one — and name the same window.
func TestShippedScheduledEvents(t *testing.T) {
	want := time.Date(2026, 5, 5, 7, 0, 0, 0, time.UTC)
	for file, source := range map[string]string{
		"scheduled-digest-scheduler.json": digest.SourceScheduler,
		"scheduled-digest.json":           digest.SourceEvents,
	} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := digest.ParseEvent(raw)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if ev.Source != source || !ev.Time.Equal(want) {
			t.Errorf("%s: source %q time %s, want %q %s", file, ev.Source, ev.Time, source, want)
		}
		if w := digest.WindowAt(ev.Time, 24*time.Hour); !w.To.Equal(want) {
			t.Errorf("%s: window %s", file, w)
		}
	}
}
