package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
)

// silenceCLI runs `ssmnotify silence …` against a fresh table on dynalite.
type silenceCLI struct {
	t     *testing.T
	local *dynamotest.Local
}

func newSilenceCLI(t *testing.T) silenceCLI {
	t.Helper()
	l := dynamotest.Start(t)
	t.Setenv(appenv.DynamoDBEndpoint, l.Server.URL)
	t.Setenv(appenv.TableName, l.NewTable(t))
	return silenceCLI{t, l}
}

func (c silenceCLI) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var o, e bytes.Buffer
	full := append([]string{"silence"}, args...)
	full = append(full, "--store", "dynamodb")
	code = run(full, &o, &e)
	return code, o.String(), e.String()
}

func (c silenceCLI) query(args ...string) []map[string]any {
	c.t.Helper()
	code, out, errOut := c.run(append([]string{"query"}, args...)...)
	if code != 0 {
		c.t.Fatalf("query: exit %d: %s", code, errOut)
	}
	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			c.t.Fatalf("query line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func ids(lines []map[string]any) []string {
	var out []string
	for _, l := range lines {
		if l["source"] == nil {
			out = append(out, l["id"].(string))
		}
	}
	return out
}

const at = "2026-05-04T03:00:00Z"

func TestSilenceAddQueryExpire(t *testing.T) {
	c := newSilenceCLI(t)
	code, out, errOut := c.run("add", "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'", "--duration", "4h",
		"--comment", "patch night", "--author", "alice", "--now", at)
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	if len(id) != 36 {
		t.Fatalf("add printed %q, want the new ID", out)
	}
	if !strings.Contains(errOut, `"msg":"silence created"`) || !strings.Contains(errOut, "alice silenced AWS-RunPatchBaseline failures for 4h: patch night") {
		t.Errorf("no decision line for the creation: %s", errOut)
	}

	lines := c.query("--now", at)
	if got := ids(lines); len(got) != 1 || got[0] != id {
		t.Fatalf("query: %v, want [%s]", got, id)
	}
	l := lines[0]
	if l["createdBy"] != "alice" || l["comment"] != "patch night" || l["endsAt"] != "2026-05-04T07:00:00Z" || l["status"].(map[string]any)["state"] != "active" {
		t.Errorf("query line %v", l)
	}
	// Filters select by the silences' matchers.
	if got := ids(c.query("--now", at, "document=~AWS-Run.*")); len(got) != 1 {
		t.Errorf("filter document=~AWS-Run.*: %v", got)
	}
	if got := ids(c.query("--now", at, "document=AWS-RunShellScript")); len(got) != 0 {
		t.Errorf("filter on another document: %v", got)
	}
	// The built-in config's silences are shown too, read-only.
	for _, l := range lines {
		if l["source"] != nil && (l["source"] != "config" || !strings.HasPrefix(l["id"].(string), "config:")) {
			t.Errorf("config silence line %v", l)
		}
	}

	if code, _, errOut := c.run("expire", id, "--now", "2026-05-04T04:00:00Z"); code != 0 || !strings.Contains(errOut, `"msg":"silence expired"`) {
		t.Fatalf("expire: exit %d: %s", code, errOut)
	}
	if code, _, errOut := c.run("expire", id, "--now", "2026-05-04T04:10:00Z"); code != 0 {
		t.Fatalf("expire again (idempotent): exit %d: %s", code, errOut)
	}
	if got := ids(c.query("--now", "2026-05-04T04:20:00Z")); len(got) != 0 {
		t.Errorf("expired silence still listed as active: %v", got)
	}
	exp := c.query("--now", "2026-05-04T04:20:00Z", "--expired")
	if got := ids(exp); len(got) != 1 || exp[0]["endsAt"] != "2026-05-04T04:00:00Z" {
		t.Errorf("--expired: %v", exp)
	}
	if code, _, errOut := c.run("expire", "no-such-id"); code != 2 || !strings.Contains(errOut, "no such silence") {
		t.Errorf("expire unknown: exit %d: %s", code, errOut)
	}
	if code, _, errOut := c.run("expire", "config:agent-upgrade"); code != 2 || !strings.Contains(errOut, "read-only") {
		t.Errorf("expire a config silence: exit %d: %s", code, errOut)
	}
}

func TestSilencePendingStart(t *testing.T) {
	c := newSilenceCLI(t)
	code, _, errOut := c.run("add", "AWS-RunShellScript", "--start", "2026-05-04T05:00:00Z", "--duration", "2h", "--comment", "later", "--now", at)
	if code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	lines := c.query("--now", at)
	if len(ids(lines)) != 1 || lines[0]["status"].(map[string]any)["state"] != "pending" {
		t.Fatalf("pending silence: %v", lines)
	}
}

func TestSilenceBadInput(t *testing.T) {
	c := newSilenceCLI(t)
	ok := []string{"document=X", "--comment", "why", "--now", at}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown field", []string{"add", "foo=bar", "--comment", "why", "--now", at}, `foo=bar: unknown field "foo"`},
		{"bad regexp", []string{"add", "status=~(Failed", "--comment", "why", "--now", at}, "status=~(Failed: bad regular expression"},
		{"end before start", append([]string{"add", "--start", "2026-05-04T05:00:00Z", "--end", "2026-05-04T04:00:00Z"}, ok...), "--end: end 2026-05-04T04:00:00Z is not after start"},
		{"duration over 90 days", append([]string{"add", "--duration", "91d"}, ok...), "--duration: 91d is over the limit of 90 days"},
		{"end over 90 days", append([]string{"add", "--end", "2026-09-01T00:00:00Z"}, ok...), "--duration:"},
		{"empty comment", []string{"add", "document=X", "--comment", " ", "--now", at}, "--comment: a silence needs a comment"},
		{"no comment", []string{"add", "document=X", "--now", at}, "--comment:"},
		{"no matcher", []string{"add", "--comment", "why", "--now", at}, "MATCHER: at least one matcher"},
		{"bad duration", append([]string{"add", "--duration", "forever"}, ok...), `--duration: "forever" is not a duration`},
		{"bad start", append([]string{"add", "--start", "tomorrow"}, ok...), "--start:"},
		{"ends in the past", append([]string{"add", "--start", "2026-05-03T00:00:00Z", "--duration", "1h"}, ok...), "--end: the silence would end before now"},
		{"bad query filter", []string{"query", "nope=1"}, `unknown field "nope"`},
		{"unknown verb", []string{"frob"}, `unknown verb "frob"`},
		{"expire without ID", []string{"expire"}, "name at least one silence ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := c.run(tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	if got := c.query("--now", at); len(ids(got)) != 0 {
		t.Errorf("bad input stored silences: %v", got)
	}
	if got := c.query("--now", at, "--expired"); len(ids(got)) != 0 {
		t.Errorf("bad input stored silences: %v", got)
	}
}

func TestSilenceImport(t *testing.T) {
	c := newSilenceCLI(t)
	for _, d := range []string{"AWS-RunPatchBaseline", "AWS-RunShellScript"} {
		if code, _, errOut := c.run("add", "document="+d, "--duration", "4h", "--comment", "patch night", "--now", at); code != 0 {
			t.Fatal(errOut)
		}
	}
	_, exported, _ := c.run("query", "--now", at)

	// Into another table: the same silences, new IDs; config lines are skipped.
	t.Setenv(appenv.TableName, c.local.NewTable(t))
	file := filepath.Join(t.TempDir(), "silences.jsonl")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.run("import", file, "--now", at)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if n := len(strings.Fields(out)); n != 2 {
		t.Errorf("import printed %d IDs, want 2: %s", n, out)
	}
	if strings.Contains(exported, `"source":"config"`) && !strings.Contains(errOut, "comes from the config; skipped") {
		t.Errorf("config lines were not skipped: %s", errOut)
	}
	if got := ids(c.query("--now", at)); len(got) != 2 {
		t.Errorf("after import: %v", got)
	}

	// A file with one bad line imports nothing.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	lines := strings.SplitN(exported, "\n", 2)
	broken := strings.Replace(lines[0], `"comment":"patch night"`, `"comment":""`, 1)
	if err := os.WriteFile(bad, []byte(lines[0]+"\n"+broken+"\n{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = c.run("import", bad, "--now", at)
	if code != 2 || !strings.Contains(errOut, "nothing imported") || !strings.Contains(errOut, "bad.jsonl:2: comment:") || !strings.Contains(errOut, "bad.jsonl:3:") {
		t.Errorf("bad import: exit %d: %s", code, errOut)
	}
	if got := ids(c.query("--now", at)); len(got) != 2 {
		t.Errorf("a refused import stored something: %v", got)
	}
}

func TestRouteAppliesSilences(t *testing.T) {
	c := newSilenceCLI(t)
	if code, _, errOut := c.run("add", "document=AWS-RunPatchBaseline", "destination=platform-email", "--duration", "4h", "--comment", "patch night", "--now", "2026-05-04T10:00:00Z"); code != 0 {
		t.Fatal(errOut)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"route", "--store", "dynamodb", "--now", "2026-05-04T10:05:00Z", "../../events/sns-invocation-failed.json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("route: %s", stderr.String())
	}
	var line routeLine
	if err := json.Unmarshal(stdout.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	for _, d := range line.Deliveries {
		if silenced := d.SilencedBy != ""; silenced != (d.Destination == "platform-email") || (silenced && d.SilenceComment != "patch night") {
			t.Errorf("delivery %+v", d)
		}
	}
	// After it ends, nothing is silenced.
	stdout.Reset()
	run([]string{"route", "--store", "dynamodb", "--now", "2026-05-04T15:00:00Z", "../../events/sns-invocation-failed.json"}, &stdout, &stderr)
	if strings.Contains(stdout.String(), "silencedBy") {
		t.Errorf("expired silence applied: %s", stdout.String())
	}
}

// TestInvokeWithSilences: the real router handler, in-process, with a file of silences: the
// silenced delivery is reported with the silence's ID and comment, the other is delivered.
func TestInvokeWithSilences(t *testing.T) {
	file := filepath.Join(t.TempDir(), "silences.jsonl")
	line := `{"id":"5f1e0000-0000-4000-8000-000000000017","matchers":[{"name":"document","value":"AWS-RunPatchBaseline","isRegex":false,"isEqual":true},{"name":"destination","value":"platform-email","isRegex":false,"isEqual":true}],"startsAt":"2026-05-04T09:00:00Z","endsAt":"2026-05-04T13:00:00Z","createdBy":"alice","comment":"patch night","createdAt":"2026-05-04T09:00:00Z"}`
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"invoke", "router", "../../events/sns-invocation-failed.json", "--silences", file, "--now", "2026-05-04T10:05:00Z", "--out", t.TempDir()}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("invoke: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "silenced for platform-email: silenced by alice until 2026-05-04T13:00:00Z (silence 5f1e0000-0000-4000-8000-000000000017: patch night)") {
		t.Errorf("no silenced line:\n%s", out)
	}
	if !strings.Contains(out, "ops-slack") || strings.Contains(out, "silenced for ops-slack") {
		t.Errorf("the Slack delivery should go out:\n%s", out)
	}
}

// TestInvokeSilencedMessageWording: the command's Slack message (preview) still shows the
// failure and says who silenced it.
func TestInvokeSilencedMessageWording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "silences.jsonl")
	line := `{"id":"x1","matchers":[{"name":"document","value":"AWS-RunPatchBaseline","isRegex":false,"isEqual":true}],"startsAt":"2026-05-04T09:00:00Z","endsAt":"2026-05-04T13:00:00Z","createdBy":"alice","comment":"patch night","createdAt":"2026-05-04T09:00:00Z"}`
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"invoke", "router", "../../events/sns-invocation-failed.json", "--silences", file, "--now", "2026-05-04T10:05:00Z", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("invoke: exit %d: %s", code, stderr.String())
	}
	posts, _ := filepath.Glob(filepath.Join(out, "latest", "router", "*chat.postMessage*"))
	if len(posts) == 0 {
		t.Fatal("no preview of the command's message")
	}
	// The first post is the command's parent message; thread replies may follow.
	msg, err := os.ReadFile(posts[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msg), "1 failure silenced by alice: patch night") || !strings.Contains(string(msg), "Failed on 1") {
		t.Errorf("message wording:\n%s", msg)
	}
	for _, p := range posts {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "<!here>") || strings.Contains(string(b), `\u003c!here\u003e`) {
			t.Errorf("a silenced failure pinged in %s:\n%s", p, b)
		}
	}
}

func TestSilenceUpdate(t *testing.T) {
	c := newSilenceCLI(t)
	_, out, _ := c.run("add", "document=AWS-RunPatchBaseline", "--duration", "4h", "--comment", "patch night", "--now", at)
	id := strings.TrimSpace(out)

	// A longer end and a new comment: the same silence.
	code, out, errOut := c.run("update", id, "--duration", "6h", "--comment", "patch night, part two", "--now", "2026-05-04T04:00:00Z")
	if code != 0 || strings.TrimSpace(out) != id {
		t.Fatalf("update in place: exit %d, printed %q: %s", code, out, errOut)
	}
	if l := c.query("--now", "2026-05-04T04:00:00Z"); len(ids(l)) != 1 || l[0]["endsAt"] != "2026-05-04T09:00:00Z" || l[0]["comment"] != "patch night, part two" {
		t.Fatalf("after update: %v", l)
	}

	// New matchers: the old silence expires, a new one starts now.
	code, out, errOut = c.run("update", id, "document=~'AWS-RunPatchBaseline|AWS-InstallWindowsUpdates'", "--now", "2026-05-04T05:00:00Z")
	newID := strings.TrimSpace(out)
	if code != 0 || newID == id || len(newID) != 36 {
		t.Fatalf("update matchers: exit %d, printed %q: %s", code, out, errOut)
	}
	if got := ids(c.query("--now", "2026-05-04T05:00:00Z")); len(got) != 1 || got[0] != newID {
		t.Errorf("active after the edit: %v, want [%s]", got, newID)
	}
	if got := ids(c.query("--now", "2026-05-04T05:00:00Z", "--expired")); len(got) != 1 || got[0] != id {
		t.Errorf("expired after the edit: %v, want [%s] (history kept)", got, id)
	}
	for _, bad := range [][]string{
		{"update", "nope", "--now", at},
		{"update", newID, "foo=bar", "--now", "2026-05-04T05:00:00Z"},
		{"update", newID, "--duration", "100d", "--now", "2026-05-04T05:00:00Z"},
		{"update"},
	} {
		if code, _, errOut := c.run(bad...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, errOut)
		}
	}
}
