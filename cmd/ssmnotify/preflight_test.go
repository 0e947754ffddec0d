package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// noAWS leaves the test with no AWS credentials or region from anywhere, and never lets the SDK
// ask the instance metadata service.
func noAWS(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", appenv.SlackSecretARN, appenv.TableName, appenv.DynamoDBEndpoint} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestRedriveFailsFirstWithoutCredentials: without credentials redrive says so and nothing
// else — no "0 messages" that would read as an empty queue.
func TestRedriveFailsFirstWithoutCredentials(t *testing.T) {
	noAWS(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	var stdout, stderr bytes.Buffer
	code := run([]string{"redrive", "--queue", "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq"}, &stdout, &stderr)
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	t.Setenv("AWS_REGION", "")
	stderr.Reset()
	if code := run([]string{"redrive", "--queue", "q"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no AWS region: set AWS_REGION") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestInvokeLiveNeedsSettings: --deliver live and --store dynamodb name every missing setting
// before anything runs or is written.
func TestInvokeLiveNeedsSettings(t *testing.T) {
	noAWS(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"invoke", "router", "--deliver", "live", "--store", "dynamodb", "--out", out, "../../events/sns-invocation-failed.json"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), appenv.TableName) || !strings.Contains(stderr.String(), appenv.SlackSecretARN) {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a run that could not start wrote %v", entries)
	}
	t.Setenv(appenv.SlackSecretARN, "ssmnotify/slack")
	t.Setenv(appenv.TableName, "t")
	stderr.Reset()
	code = run([]string{"invoke", "router", "--deliver", "live", "--store", "dynamodb", "--out", out, "../../events/sns-invocation-failed.json"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "no AWS region") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
}

// TestInvokeDynaliteAndDigest is the README's local run: the router stores in dynalite (the
// table is created on first use), then the digest reads the failures back.
func TestInvokeDynaliteAndDigest(t *testing.T) {
	db := testenv.Dynalite(t)
	noAWS(t)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv(appenv.TableName, "ssmnotify-local")
	t.Setenv(appenv.DynamoDBEndpoint, db.URL)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"invoke", "router", "--store", "dynamodb", "--out", out, "--now", "2026-05-04T16:00:00Z", "../../events/sns-command-failed.json"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("invoke router: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "created the state table ssmnotify-local at "+db.URL) {
		t.Errorf("the missing local table must be created and said so:\n%s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	args = []string{"invoke", "digest", "--store", "dynamodb", "--out", out, "--now", "2026-05-05T07:00:00Z", "../../events/scheduled-digest.json"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("invoke digest: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), ": 1 failures") || strings.Contains(stderr.String(), "created the state table") {
		t.Errorf("the digest must read the router's failure from the same table:\n%s%s", stdout.String(), stderr.String())
	}
	runs, _ := filepath.Glob(filepath.Join(out, "invoke-*"))
	if len(runs) != 2 {
		t.Errorf("two runs must write two folders: %v", runs)
	}
}
