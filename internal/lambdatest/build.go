package lambdatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildBootstrap builds the function in the package folder pkgDir for the host, the way `make
// build` does for Lambda (lambda.norpc, trimmed, stripped), into a task root with the config
// (configFile, e.g. the repository's config/ssmnotify.yaml) beside it as config/ssmnotify.yaml.
func BuildBootstrap(tb testing.TB, pkgDir, configFile string) (bin, root string) {
	tb.Helper()
	root = tb.TempDir()
	bin = filepath.Join(root, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = pkgDir
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	cfg, err := os.ReadFile(configFile)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "config", "ssmnotify.yaml"), cfg, 0o644); err != nil {
		tb.Fatal(err)
	}
	return bin, root
}
