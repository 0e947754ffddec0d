package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
)

// previewText runs preview on the failed-invocation event and returns the Slack body and the
// email text.
func previewText(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"preview", "--out", dir, "--now", "2026-05-04T10:05:00Z", "../../events/sns-invocation-failed.json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	slackFiles, _ := filepath.Glob(filepath.Join(dir, "*.slack.json"))
	textFiles, _ := filepath.Glob(filepath.Join(dir, "*.email.txt"))
	if len(slackFiles) == 0 || len(textFiles) == 0 {
		t.Fatalf("files: %v %v", slackFiles, textFiles)
	}
	var s, m strings.Builder
	for _, f := range slackFiles {
		b, _ := os.ReadFile(f)
		s.Write(b)
	}
	for _, f := range textFiles {
		b, _ := os.ReadFile(f)
		m.Write(b)
	}
	return s.String(), m.String()
}

// TestPreviewEnrichesFromLocalSSM: with AWS_ENDPOINT_URL_SSM pointing at the local SSM server,
// preview enriches exactly as the Lambda does (the shipped config enriches by default).
func TestPreviewEnrichesFromLocalSSM(t *testing.T) {
	noAWS(t)
	srv := ssmtest.New(t)
	l := ssmtest.RecordedListed(t, "patch-linux-failed")
	l.CommandId, l.InstanceId = "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", "i-0ddd3333eeee4444f"
	srv.AddListed(l)
	srv.SetPatchState(ssmtest.PatchState{InstanceId: l.InstanceId, Operation: "Install", InstalledCount: 40, FailedCount: 2, MissingCount: 1})
	t.Setenv("AWS_ENDPOINT_URL_SSM", srv.URL())
	t.Setenv("AWS_REGION", "us-east-1")

	// The command's Slack message and its per-command email carry the detail.
	slackBody, mailBody := previewText(t)
	for _, want := range []string{"exit code 100, in step PatchLinux (skipped: PatchWindows, PatchMacOS)", "E: Unable to locate package"} {
		if !strings.Contains(slackBody, want) || !strings.Contains(mailBody, want) {
			t.Errorf("no %q in the preview\nslack: %s\nemail: %s", want, slackBody, mailBody)
		}
	}
	if srv.Calls(ssmtest.ListCommandInvocations) == 0 {
		t.Error("the local SSM was not asked")
	}
}

// TestPreviewWithoutAWSSaysSo: without credentials or endpoint, the alert says the detail is
// unavailable instead of silently leaving it out.
func TestPreviewWithoutAWSSaysSo(t *testing.T) {
	noAWS(t)
	slackBody, _ := previewText(t)
	if !strings.Contains(slackBody, "detail unavailable (no AWS access)") {
		t.Errorf("preview does not say the detail is unavailable\nslack: %s", slackBody)
	}
}

// TestDemoShowsWhy: `make demo` serves recorded SSM answers from the local SSM server, so its
// alerts, thread replies and parent messages carry the failed step and its reason.
func TestDemoShowsWhy(t *testing.T) {
	noAWS(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "--events", "../../events", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "latest", "router", "*"))
	var all strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	s := all.String()
	for _, want := range []string{
		"exit code 100, in step PatchLinux (skipped: PatchWindows, PatchMacOS)",  // alerts and replies
		`i-0ddd3333eeee4444f\u003e: *Failed*, exit code 100, in step PatchLinux`, // the parent names its one failure
		"Execution Timed Out", // a script that ran too long
	} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the demo's previews", want)
		}
	}
	if strings.Contains(s, "no AWS access") {
		t.Error("the demo did not use its local SSM")
	}
	// The cancelled sample (AWS-UpdateSSMAgent) is answered as SSM answers a cancelled
	// invocation: Cancelled, no exit code, and found (not InvocationDoesNotExist).
	cancelled := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), "AWS-UpdateSSMAgent") && !strings.Contains(string(b), "c48a2d77-4444-4d5e-af60-34567890def1") {
			continue
		}
		cancelled++
		for _, bad := range []string{"Failed, exit code", "exit code 2", "InvocationDoesNotExist", "Failed on 0"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s: the cancelled command's message says %q", filepath.Base(f), bad)
			}
		}
	}
	if cancelled == 0 {
		t.Error("no message about the cancelled sample")
	}
	if strings.Contains(stderr.String(), "InvocationDoesNotExist") || strings.Contains(stdout.String(), "InvocationDoesNotExist") {
		t.Errorf("the demo warns InvocationDoesNotExist:\n%s%s", stdout.String(), stderr.String())
	}
	if os.Getenv("AWS_ENDPOINT_URL_SSM") != "" {
		t.Error("the demo left AWS_ENDPOINT_URL_SSM set")
	}
}
