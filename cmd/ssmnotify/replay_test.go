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
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
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
	// Each run writes a new folder under --out; latest points at it.
	dir := filepath.Join(out, "latest")
	if r.code != 2 {
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			t.Errorf("no channel view of the replay: %v", err)
		}
		if !strings.Contains(r.stdout, "== wrote "+filepath.Join(out, "replay-")) {
			t.Errorf("replay does not say where it wrote:\n%s", r.stdout)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		r.files = append(r.files, e.Name())
		if !strings.HasSuffix(e.Name(), ".slack.json") || strings.Contains(e.Name(), "-digest-") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
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

// TestReplayRefusesANonEmptyOut: an --out given by hand that is a non-empty folder holding no
// earlier runs (most likely the wrong folder) is refused unless --force; one that holds earlier
// runs takes the next run folder beside them.
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
	if b, err := os.ReadFile(filepath.Join(out, "keep.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the folder's own file was touched: %q, %v", b, err)
	}
	stderr.Reset()
	if code := run([]string{"replay", "--out", out, "../../events/timelines/demo.jsonl"}, &stdout, &stderr); code != 0 {
		t.Errorf("again, into a folder of earlier runs: exit %d\n%s", code, stderr.String())
	}
	runs, _ := filepath.Glob(filepath.Join(out, "replay-*"))
	if len(runs) != 2 {
		t.Errorf("run folders %v, want two (none reused)", runs)
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

// failedTimeline is a one-line timeline of the failed-invocation sample event at 10:05.
func failedTimeline(t *testing.T) string {
	t.Helper()
	ev, err := os.ReadFile("../../events/sns-invocation-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ev); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "failed.jsonl")
	if err := os.WriteFile(path, []byte(`{"at":"2026-05-04T10:05:00Z","event":`+compact.String()+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// slackText is every Slack body the replay wrote, joined.
func (r replayed) slackText() string {
	var b strings.Builder
	for _, c := range r.calls {
		b.WriteString(c.raw)
	}
	return b.String()
}

// TestReplayEnrichesFromLocalSSM: with AWS_ENDPOINT_URL_SSM pointing at the local SSM server,
// replay enriches the alerts and the command's message exactly as the Lambda does.
func TestReplayEnrichesFromLocalSSM(t *testing.T) {
	noAWS(t)
	srv := ssmtest.New(t)
	l := ssmtest.RecordedListed(t, "patch-linux-failed")
	l.CommandId, l.InstanceId = "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", "i-0ddd3333eeee4444f"
	srv.AddListed(l)
	srv.SetPatchState(ssmtest.PatchState{InstanceId: l.InstanceId, Operation: "Install", InstalledCount: 40, FailedCount: 2, MissingCount: 1})
	t.Setenv("AWS_ENDPOINT_URL_SSM", srv.URL())
	t.Setenv("AWS_REGION", "us-east-1")

	r := replayRun(t, failedTimeline(t))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	s := r.slackText()
	for _, want := range []string{"exit code 100, in step PatchLinux (skipped: PatchWindows, PatchMacOS)", "E: Unable to locate package"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the replay's Slack bodies:\n%s", want, s)
		}
	}
	if srv.Calls(ssmtest.ListCommandInvocations) == 0 {
		t.Error("the local SSM was not asked")
	}
}

// TestReplayWithoutAWSSaysSo: without credentials or an endpoint, replay's messages say the
// detail is unavailable, as the Lambda's would, instead of silently leaving it out.
func TestReplayWithoutAWSSaysSo(t *testing.T) {
	noAWS(t)
	r := replayRun(t, failedTimeline(t))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if s := r.slackText(); !strings.Contains(s, "detail unavailable (no AWS access)") {
		t.Errorf("replay does not say the detail is unavailable:\n%s", s)
	}
}

// TestReplaySilenced: an active ad-hoc silence (--silences) applies in replay as in Lambda: the
// outcome is silenced and the command's message says who silenced the failure and why.
func TestReplaySilenced(t *testing.T) {
	noAWS(t)
	file := filepath.Join(t.TempDir(), "silences.jsonl")
	line := `{"id":"x1","matchers":[{"name":"document","value":"AWS-RunPatchBaseline","isRegex":false,"isEqual":true}],"startsAt":"2026-05-04T09:00:00Z","endsAt":"2026-05-04T13:00:00Z","createdBy":"alice","comment":"patch night","createdAt":"2026-05-04T09:00:00Z"}`
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := replayRun(t, failedTimeline(t), "--silences", file)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "silenced") {
		t.Errorf("no silenced outcome in the replay's report:\n%s", r.stdout)
	}
	s := r.slackText()
	if !strings.Contains(s, "1 failure silenced by alice: patch night") || !strings.Contains(s, "Failed on 1") {
		t.Errorf("message wording:\n%s", s)
	}
	if strings.Contains(s, "<!here>") {
		t.Errorf("a silenced failure pinged:\n%s", s)
	}
}

// TestReplaySilencedFromTheStore: with --store dynamodb, the store's ad-hoc silences apply, as
// they do in Lambda (`silence add` writes them there).
func TestReplaySilencedFromTheStore(t *testing.T) {
	noAWS(t)
	c := newSilenceCLI(t)
	if code, _, errOut := c.run("add", "document=AWS-RunPatchBaseline", "--duration", "4h", "--comment", "patch night", "--author", "alice", "--now", "2026-05-04T09:00:00Z"); code != 0 {
		t.Fatalf("silence add: exit %d: %s", code, errOut)
	}
	r := replayRun(t, failedTimeline(t), "--store", "dynamodb")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if s := r.slackText(); !strings.Contains(s, "1 failure silenced by alice: patch night") {
		t.Errorf("message wording:\n%s", s)
	}
}
