package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFeatureFlagsPinned: cdk.json sets every feature flag the pinned aws-cdk-lib recommends,
// to the recommended value, so that `cdk synth` (and these tests, which read cdk.json) get the
// behaviour of this version rather than the legacy defaults. The recommendation is read from the
// aws-cdk-lib package the Go module embeds, so bumping the module without updating cdk.json
// fails here.
func TestFeatureFlagsPinned(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatalf("go list the CDK module: %v", err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	tgz := filepath.Join(dir, "jsii", "aws-cdk-lib-"+strings.TrimPrefix(version, "v")+".tgz")
	recommended, err := recommendedFlags(tgz)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cdkJSONContext(t)
	for flag, want := range recommended {
		got, ok := ctx[flag]
		if !ok {
			t.Errorf("cdk.json does not set %s (recommended: %v)", flag, want)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cdk.json %s (-recommended +set):\n%s", flag, diff)
		}
	}
}

func recommendedFlags(tgz string) (map[string]any, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New(tgz + " has no package/recommended-feature-flags.json")
		}
		if err != nil {
			return nil, err
		}
		if h.Name != "package/recommended-feature-flags.json" {
			continue
		}
		var flags map[string]any
		if err := json.NewDecoder(tr).Decode(&flags); err != nil {
			return nil, err
		}
		return flags, nil
	}
}
