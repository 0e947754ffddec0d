package rules

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestProblemsGolden pins Parse's whole answer for each config under testdata/problems: every
// problem's message, line and suggestion, and their order. Refresh with -update, and read the
// diff: a changed golden file is a changed message for a user.
func TestProblemsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "problems", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs under testdata/problems (%v)", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, "c.yaml")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Parse error = %v, want a *ConfigError", err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestProblemsGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("Parse(%s) problems:\n%s\nwant (%s):\n%s", file, got, golden, want)
			}
		})
	}
}
