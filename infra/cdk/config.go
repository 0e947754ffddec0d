package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// AppConfig is what the stack needs to know about the routing config: which permissions the
// functions need and when the digest runs. It is derived from the validated rules.Set so the
// stack grants exactly what the config uses.
type AppConfig struct {
	// Path is the config file as given; Contents is what was validated and is shipped.
	Path     string
	Contents []byte
	// RouterSES and DigestSES are the SES identities the functions send from: each "from"
	// address, and its domain (SES authorizes against whichever identity was verified).
	RouterSES, DigestSES []string
	// RouterSlack and DigestSlack report whether any destination is a Slack one, i.e. whether
	// the function must read the Slack secret.
	RouterSlack, DigestSlack bool
	// RouterThreads reports whether a destination posts with the bot token, which keeps one
	// evolving message per command and needs the render queue.
	RouterThreads bool
	// RouterEnrich and RouterNameTags report whether a route enriches failures (reads
	// ssm:GetCommandInvocation) and wants instance Name tags (ec2:DescribeTags).
	RouterEnrich, RouterNameTags bool
	// Digest is nil when the config has no digest block.
	Digest *DigestSchedule
}

// DigestSchedule is when the digest runs.
type DigestSchedule struct {
	// Expression is an EventBridge cron (or rate) expression, e.g. "cron(0 8 * * ? *)".
	Expression string
	// TimeZone is an IANA zone name; "" means UTC.
	TimeZone string
}

// LoadConfig validates the routing config at path with the same rules package the functions
// use, so a config the functions would refuse at init fails the synth instead, with the rules
// package's own message (every problem, with its line).
func LoadConfig(path string) (AppConfig, error) {
	contents, err := os.ReadFile(path)
	if err != nil {
		return AppConfig{}, fmt.Errorf("read routing config: %w", err)
	}
	set, err := rules.Load(path)
	if err != nil {
		return AppConfig{}, fmt.Errorf("routing config %s is invalid:\n%w", path, err)
	}
	cfg := AppConfig{Path: path, Contents: contents}
	if cfg.RouterSES, cfg.RouterSlack, err = needs(set.Destinations()); err != nil {
		return AppConfig{}, fmt.Errorf("routing config %s: %w", path, err)
	}
	cfg.RouterEnrich, cfg.RouterNameTags = set.Enrichment()
	for _, d := range set.Destinations() {
		if d.Slack != nil && d.Slack.Mode != rules.SlackWebhook {
			cfg.RouterThreads = true
		}
	}
	if d := set.Digest(); d != nil {
		if cfg.DigestSES, cfg.DigestSlack, err = needs(d.Destinations); err != nil {
			return AppConfig{}, fmt.Errorf("routing config %s: digest: %w", path, err)
		}
		cfg.Digest = &DigestSchedule{Expression: d.Schedule, TimeZone: d.TimeZone}
	}
	return cfg, nil
}

// needs lists the SES identities and says whether Slack is used by dests.
func needs(dests []*rules.Destination) (ses []string, slack bool, err error) {
	for _, d := range dests {
		switch d.Type {
		case rules.DestinationSlack:
			slack = true
		case rules.DestinationEmail:
			if d.Email == nil {
				continue
			}
			ids, err := sesIdentities(d.Email.From)
			if err != nil {
				return nil, false, fmt.Errorf("destination %s: %w", d.Name, err)
			}
			ses = append(ses, ids...)
		}
	}
	slices.Sort(ses)
	return slices.Compact(ses), slack, nil
}

// sesIdentities returns the identities SES may authorize a send from "from" against: the
// address and its domain. A sender may have verified either one, and the IAM check is made
// against the identity that was verified.
// https://docs.aws.amazon.com/ses/latest/dg/sending-authorization-policies.html
func sesIdentities(from string) ([]string, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at < 0 {
		return nil, fmt.Errorf("from %q has no domain", from)
	}
	// The address is kept as written (SES matches the identity as it was verified); domain
	// names are case-insensitive and SES stores them in lower case.
	return []string{a.Address, strings.ToLower(a.Address[at+1:])}, nil
}

// ModuleRoot finds the directory holding go.mod from dir upwards. `go test` runs in the
// package folder and `cdk synth` in the repository root; paths given to the app are relative
// to the root in both cases.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above it", dir)
		}
	}
}

// FunctionNames are the Lambda functions, each built by `make build` into build/<name>/.
var FunctionNames = []string{"router", "digest"}

// configInAsset is where the functions find the routing config: the asset folder is unpacked
// into /var/task, beside the bootstrap binary.
const configInAsset = "config/ssmnotify.yaml"

// lambdaTaskRoot is where Lambda unpacks a function's code.
const lambdaTaskRoot = "/var/task"

// PrepareAssets checks that buildDir holds a bootstrap binary for each function and puts the
// validated config into each function's folder, so that the config the synth checked is the
// one that ships even when configPath is not the default that `make build` copies. It returns
// the asset folder of each function.
func PrepareAssets(buildDir string, cfg AppConfig) (map[string]string, error) {
	dirs := make(map[string]string, len(FunctionNames))
	var errs []error
	for _, fn := range FunctionNames {
		dir := filepath.Join(buildDir, fn)
		if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || !fi.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("%s/bootstrap is missing: run `make build` (cdk.json's app does it before every synth)", dir))
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(configInAsset))
		if old, err := os.ReadFile(dst); err != nil || !bytes.Equal(old, cfg.Contents) {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := os.WriteFile(dst, cfg.Contents, 0o644); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		dirs[fn] = dir
	}
	return dirs, errors.Join(errs...)
}
