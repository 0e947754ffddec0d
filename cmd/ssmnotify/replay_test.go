package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// replayed is what one replay left behind.
type replayed struct {
	stdout, stderr string
	code           int
	summary        replaySummary
	// calls are the Slack request bodies by file name, in call order.
	calls []replayCall
	files []string
}

type replayCall struct {
	name, method string
	body         struct {
		Channel  string `json:"channel"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
		Text     string `json:"text"`
	}
	raw string
}

func replayRun(t *testing.T, args ...string) replayed {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	r := replayed{code: run(append([]string{"replay", "--out", out}, args...), &stdout, &stderr)}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r.summary); err != nil {
		t.Fatalf("last line is not the JSON summary: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		r.files = append(r.files, e.Name())
		if !strings.HasSuffix(e.Name(), ".slack.json") || strings.Contains(e.Name(), "-digest-") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		// json.MarshalIndent writes <, > and & as \u003c, \u003e and \u0026.
		c := replayCall{name: e.Name(), raw: strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))}
		if strings.HasSuffix(e.Name(), "-chat.update.slack.json") {
			c.method = "chat.update"
		} else {
			c.method = "chat.postMessage"
		}
		if err := json.Unmarshal(raw, &c.body); err != nil {
			t.Fatal(err)
		}
		r.calls = append(r.calls, c)
	}
	return r
}

// parents returns each parent's final text (its last post or update) by ts.
func (r replayed) parents() map[string]string {
	out := map[string]string{}
	// The replay's ts are 1777888800.000001, … in post order (replies included).
	ts := 0
	for _, c := range r.calls {
		if c.method == "chat.postMessage" {
			ts++
			if c.body.ThreadTS == "" {
				out[tsOf(ts)] = c.raw
			}
		} else {
			out[c.body.TS] = c.raw
		}
	}
	return out
}

func tsOf(n int) string { return fmt.Sprintf("1777888800.%06d", n) }

// TestReplayDemoTellsTheTruth is issue 14's "must show" on the demo's events with the shipped
// config: timed-out and cancelled commands read as such with their own mentions (the shipped
// config has none for Cancelled), no terminal command reads "in progress", every failed instance
// is named in a thread reply.
func TestReplayDemoTellsTheTruth(t *testing.T) {
	r := replayRun(t, "../../events/timelines/demo.jsonl", "--digest-at", "2026-05-05T07:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var sawTimedOut, sawCancelled bool
	for ts, body := range r.parents() {
		switch {
		case strings.Contains(body, "Timed Out: AWS-RunPowerShellScript"):
			sawTimedOut = true
			if !strings.Contains(body, "<!here>") {
				t.Errorf("timed-out parent %s lacks its mention:\n%s", ts, body)
			}
		case strings.Contains(body, "Canceled: "):
			sawCancelled = true
			if strings.Contains(body, "<!here>") {
				t.Errorf("a cancel pages on-call:\n%s", body)
			}
		}
		if strings.Contains(body, "in progress") && !strings.Contains(body, "In Progress: ") {
			t.Errorf("a finished command reads \"in progress\":\n%s", body)
		}
		if strings.Contains(body, ":x: Failed: ") && strings.Contains(body, "so far") {
			t.Errorf("a finished command's time reads \"so far\":\n%s", body)
		}
	}
	if !sawTimedOut || !sawCancelled {
		t.Errorf("timed out %v, cancelled %v: want both commands in the channel", sawTimedOut, sawCancelled)
	}
	for _, c := range r.calls {
		if strings.Contains(c.raw, "Canceled") && strings.Contains(c.body.Text, "<!here>") {
			t.Errorf("%s: a cancel mentions <!here>: %s", c.name, c.body.Text)
		}
	}
	s := r.summary
	if s.Notifications == 0 || s.Slack["chat.postMessage"] == 0 || s.Emails != 5 || s.Digest == nil || s.Digest.FailedCommands != 5 {
		t.Errorf("summary %+v (digest %+v): want one email per failed command (5) and a digest of 5 failed commands", s, s.Digest)
	}
}

var instanceRE = regexp.MustCompile(`\|(i-[0-9a-f]{17})>`)

// TestReplayFleetOfSixtyFailures is issue 14's "must show" on one command whose 60 instances all
// fail, with the shipped config: every instance named once in the thread, the mention made
// once, at most 3 emails, and the digest reports 1 failed command and 60 failed instances.
func TestReplayFleetOfSixtyFailures(t *testing.T) {
	r := replayRun(t, "../../events/timelines/fleet-60-failed.jsonl", "--digest-at", "2026-05-05T07:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var named []string
	mentions := 0
	for _, c := range r.calls {
		if c.method == "chat.postMessage" {
			mentions += strings.Count(c.body.Text, "<!here>")
		}
		if c.body.ThreadTS != "" {
			for _, m := range instanceRE.FindAllStringSubmatch(c.raw, -1) {
				named = append(named, m[1])
			}
		}
	}
	slices.Sort(named)
	if len(named) != 60 || len(slices.Compact(slices.Clone(named))) != 60 {
		t.Errorf("thread replies name %d instances (%d distinct), want each of the 60 once", len(named), len(slices.Compact(named)))
	}
	if mentions != 1 {
		t.Errorf("<!here> posted %d times, want once", mentions)
	}
	final := r.parents()[tsOf(1)]
	if !strings.Contains(final, "Failed: AWS-RunShellScript — Failed on 60 of 60") || strings.Contains(final, "in progress") {
		t.Errorf("final parent:\n%s", final)
	}
	s := r.summary
	if s.Emails > 3 || s.Emails == 0 {
		t.Errorf("%d emails to platform-email, want 1 to 3", s.Emails)
	}
	if s.Digest == nil || s.Digest.FailedCommands != 1 || s.Digest.FailedInstances != 60 {
		t.Errorf("digest %+v, want 1 failed command and 60 failed instances", s.Digest)
	}
	if s.Notifications != 121 {
		t.Errorf("%d notifications, want 121", s.Notifications)
	}
}

// TestReplayBadLines: a bad line is reported with its number, the exit status is 1, and every
// other line is still replayed.
func TestReplayBadLines(t *testing.T) {
	good, err := os.ReadFile("../../events/timelines/fleet-60-failed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	timeline := lines[0] + "not json\n" + `{"at":"yesterday","event":{}}` + "\n" + `{"event":{}}` + "\n" + strings.Join(lines[1:], "")
	path := filepath.Join(t.TempDir(), "t.jsonl")
	if err := os.WriteFile(path, []byte(timeline), 0o644); err != nil {
		t.Fatal(err)
	}
	r := replayRun(t, path)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{":2: not a JSON object", `:3: "at" is not an RFC 3339 time: "yesterday"`, `:4: no "at" time`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.summary.Notifications != 121 {
		t.Errorf("%d notifications replayed, want all 121 good ones", r.summary.Notifications)
	}
}

// TestReplayRefusesANonEmptyOut: an existing non-empty --out is refused unless --force.
func TestReplayRefusesANonEmptyOut(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", "--out", out, "../../events/timelines/demo.jsonl"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "not empty") {
		t.Errorf("exit %d, stderr %q: want a refusal", code, stderr.String())
	}
	if code := run([]string{"replay", "--out", out, "--force", "../../events/timelines/demo.jsonl"}, &stdout, &stderr); code != 0 {
		t.Errorf("with --force: exit %d\n%s", code, stderr.String())
	}
}

// TestReplayDynamoDB: against dynalite, the table is created and every request counted.
func TestReplayDynamoDB(t *testing.T) {
	ddb := testenv.Dynalite(t)
	t.Setenv(appenv.DynamoDBEndpoint, ddb.URL)
	t.Setenv(appenv.TableName, "replay-test")
	r := replayRun(t, "../../events/timelines/fleet-60-failed.jsonl", "--store", "dynamodb", "--digest-at", "2026-05-05T07:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	d := r.summary.DynamoDB
	if d == nil || d.Requests == 0 || d.ItemsRead == 0 || r.summary.Digest.FailedInstances != 60 {
		t.Errorf("summary %+v: want DynamoDB requests and items read counted", r.summary)
	}
	t.Logf("121 notifications: %d DynamoDB requests, %d items read", d.Requests, d.ItemsRead)
}
