package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		file string
		want AppConfig
	}{
		{fullConfig, AppConfig{
			RouterSES:   []string{"SSMNotify@Example.com", "alerts@mail.example.org", "example.com", "mail.example.org"},
			DigestSES:   []string{"alerts@mail.example.org", "mail.example.org"},
			RouterSlack: true, RouterThreads: true,
			DigestSlack: true,
			Digest:      &DigestSchedule{Expression: "cron(0 8 * * ? *)", TimeZone: "Europe/London"},
		}},
		{emailOnlyConfig, AppConfig{
			RouterSES:    []string{"example.com", "ssmnotify@example.com"},
			RouterEnrich: true, RouterNameTags: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := LoadConfig(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Path, tt.want.Contents = tt.file, raw
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadConfig (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadConfigInvalid shows that a config the functions would refuse fails the synth with
// the rules package's own message: every problem, each with its line.
func TestLoadConfigInvalid(t *testing.T) {
	_, err := LoadConfig("testdata/invalid.yaml")
	if err == nil {
		t.Fatal("no error for an invalid config")
	}
	for _, want := range []string{
		"routing config testdata/invalid.yaml is invalid",
		"testdata/invalid.yaml:4:", "email needs from",
		"testdata/invalid.yaml:7:", `undefined destination "nowhere"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, err := LoadConfig("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "read routing config") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPrepareAssets(t *testing.T) {
	cfg, err := LoadConfig(emailOnlyConfig)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("missing bootstrap", func(t *testing.T) {
		dir := t.TempDir()
		_, err := PrepareAssets(dir, cfg)
		for _, fn := range FunctionNames {
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, fn)+"/bootstrap is missing: run `make build`") {
				t.Errorf("error %v does not name the missing %s binary", err, fn)
			}
		}
	})

	t.Run("ships the validated config", func(t *testing.T) {
		dir := fakeAssets(t)
		// What `make build` copied: the default config, not the one given as configPath.
		stale := filepath.Join(dir, "router", "config", "ssmnotify.yaml")
		if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(stale, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := PrepareAssets(dir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range FunctionNames {
			if got[fn] != filepath.Join(dir, fn) {
				t.Errorf("asset of %s = %q, want %q", fn, got[fn], filepath.Join(dir, fn))
			}
			shipped, err := os.ReadFile(filepath.Join(dir, fn, "config", "ssmnotify.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if string(shipped) != string(cfg.Contents) {
				t.Errorf("%s ships %q, want the validated config", fn, shipped)
			}
		}
	})
}

func TestSESIdentities(t *testing.T) {
	tests := []struct {
		from string
		want []string
	}{
		{"ops@example.com", []string{"ops@example.com", "example.com"}},
		{"SSM Notify <Ops@Mail.Example.COM>", []string{"Ops@Mail.Example.COM", "mail.example.com"}},
	}
	for _, tt := range tests {
		got, err := sesIdentities(tt.from)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("sesIdentities(%q) (-want +got):\n%s", tt.from, diff)
		}
	}
	if _, err := sesIdentities("not an address"); err == nil {
		t.Error("no error for a bad address")
	}
}

func TestNewStackRefusesBadInputs(t *testing.T) {
	_, err := NewStack(nil, "X", &StackProps{
		Settings: Settings{SlackSecret: ""},
		Config:   AppConfig{Path: "c.yaml", RouterSlack: true},
	})
	for _, want := range []string{
		"the routing config c.yaml has Slack destinations: set -c slackSecret=",
		"no asset folder for the router function",
		"no asset folder for the digest function",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}
