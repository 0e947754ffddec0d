package deadletter_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/router"
)

// TestDirNeverOverwrites: two runs parking into one folder keep each other's records.
func TestDirNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	first, second := &deadletter.Dir{Path: dir}, &deadletter.Dir{Path: dir}
	for _, d := range []*deadletter.Dir{first, second, first} {
		if err := d.Park(t.Context(), router.Parked{Code: "bad_input", Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 3 {
		t.Fatalf("%d parked files, want 3: %v", len(files), files)
	}
	if _, err := os.Stat(filepath.Join(dir, "003-bad-input.json")); err != nil {
		t.Error(err)
	}
}
