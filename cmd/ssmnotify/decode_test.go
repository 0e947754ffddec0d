package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantLines int
		wantErrs  int
		errSubstr string
	}{
		{"one SNS notification", []string{"decode", "../../events/sns-command-failed.json"}, 0, 1, 0, ""},
		{"SQS batch of three", []string{"decode", "../../events/sqs-batch.json"}, 0, 3, 0, ""},
		{"good records printed, bad one reported, exit 1", []string{"decode", "../../events/bad/mixed-batch.json"}, 1, 2, 1, "record 1 (sns message"},
		{"not JSON", []string{"decode", "../../events/bad/not-json.json"}, 1, 0, 1, "not valid JSON"},
		{"missing file", []string{"decode", "no/such/file.json"}, 1, 0, 1, "no such file"},
		{"no argument", []string{"decode"}, 2, 0, 1, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tc.wantCode, stderr.String())
			}
			lines := nonEmptyLines(stdout.String())
			if len(lines) != tc.wantLines {
				t.Errorf("%d stdout lines, want %d", len(lines), tc.wantLines)
			}
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Errorf("stdout line is not JSON: %q", l)
				}
				for _, k := range []string{"source", "messageId", "kind", "commandId", "documentName", "status", "statusRaw", "eventTime", "region", "account", "topicArn"} {
					if _, ok := m[k]; !ok {
						t.Errorf("line lacks %q: %s", k, l)
					}
				}
			}
			errLines := nonEmptyLines(stderr.String())
			if len(errLines) < tc.wantErrs || (tc.wantErrs == 0 && len(errLines) > 0) {
				t.Errorf("stderr has %d lines, want %d: %s", len(errLines), tc.wantErrs, stderr.String())
			}
			if tc.errSubstr != "" && !strings.Contains(stderr.String(), tc.errSubstr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.errSubstr)
			}
			if strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "panic") {
				t.Errorf("stack trace on stderr: %s", stderr.String())
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
