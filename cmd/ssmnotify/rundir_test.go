package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartRunNeverReuses: two runs in the same second get two folders, latest follows the
// newest, and the older run's files stay as they were.
func TestStartRunNeverReuses(t *testing.T) {
	base := t.TempDir()
	at := time.Date(2026, 5, 4, 16, 0, 0, 0, time.UTC)
	first, err := startRun(base, "invoke-router", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first.Path("parked.json"), []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := startRun(base, "invoke-router", at)
	if err != nil {
		t.Fatal(err)
	}
	if first.Dir == second.Dir || filepath.Base(first.Dir) != "invoke-router-20260504-160000" || filepath.Base(second.Dir) != "invoke-router-20260504-160000-2" {
		t.Fatalf("folders %s and %s", first.Dir, second.Dir)
	}
	if target, err := os.Readlink(filepath.Join(base, "latest")); err != nil || target != filepath.Base(second.Dir) {
		t.Errorf("latest → %q (%v), want %s", target, err, filepath.Base(second.Dir))
	}
	if b, err := os.ReadFile(first.Path("parked.json")); err != nil || string(b) != "first" {
		t.Errorf("the first run's file changed: %q %v", b, err)
	}
}

// TestStartRunLeavesARealLatestFolder: a "latest" that is a folder, not our link, is not replaced.
func TestStartRunLeavesARealLatestFolder(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "latest"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := startRun(base, "demo", time.Now()); err == nil || !strings.Contains(err.Error(), "is not a link") {
		t.Errorf("err = %v, want a refusal to replace a real folder", err)
	}
}
