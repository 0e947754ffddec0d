package enrich_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

const (
	commandID = "1a2b3c4d-1111-4a2b-9c3d-0123456789ab"
	failedID  = "i-0ddd3333eeee4444f"
	execTOID  = "i-0aaa1111bbbb2222c"
	delivTOID = "i-0eee5555ffff6666a"
	successID = "i-0bbb7777cccc8888d"
	undelivID = "i-0fff1212abab3434c"
)

// mustEnrich parses an enrich block the way the config file gives it, so the tests use the
// very settings type the router gets.
func mustEnrich(tb testing.TB, block string) *rules.Enrich {
	tb.Helper()
	s, err := rules.Parse([]byte("destinations: [{name: ops, slack: {channel: \"#ops\"}}]\nroutes:\n  - name: r\n    to: ops\n    enrich: "+block+"\n"), "test.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return s.Routes()[0].Enrich
}

// clock is a settable clock for the caches.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	srv   *ssmtest.Server
	clock *clock
	e     *enrich.Enricher
}

func newHarness(tb testing.TB) *harness {
	srv := ssmtest.New(tb)
	for _, name := range []string{"failed", "execution-timed-out", "delivery-timed-out", "success", "undeliverable"} {
		srv.AddInvocation(ssmtest.Recorded(tb, name))
	}
	srv.SetTag(failedID, "web-03")
	c := &clock{t: time.Date(2026, 5, 4, 10, 5, 0, 0, time.UTC)}
	return &harness{srv: srv, clock: c, e: &enrich.Enricher{
		SSM: srv.SSM(), EC2: srv.EC2(), Region: ssmtest.Region, Account: "123456789012", Now: c.Now,
	}}
}

func invocation(instanceID string, status payload.Status) *payload.Notification {
	return &payload.Notification{
		Kind: payload.KindInvocation, CommandID: commandID, DocumentName: "AWS-RunShellScript",
		InstanceID: instanceID, Status: status, StatusRaw: string(status),
		Region: ssmtest.Region, Account: "123456789012",
	}
}

func command(status payload.Status, ids ...string) *payload.Notification {
	return &payload.Notification{
		Kind: payload.KindCommand, CommandID: commandID, DocumentName: "AWS-RunShellScript",
		InstanceIDs: ids, Status: status, StatusRaw: string(status),
		Region: ssmtest.Region, Account: "123456789012",
	}
}

func TestEnrichInvocation(t *testing.T) {
	h := newHarness(t)
	d := h.e.Enrich(t.Context(), invocation(failedID, payload.StatusFailed), mustEnrich(t, "{name_tag: true, output_lines: 2}"))
	if d == nil || d.Unavailable != nil || len(d.Invocations) != 1 {
		t.Fatalf("detail = %+v", d)
	}
	inv := d.Invocations[0]
	if inv.InstanceID != failedID || inv.InstanceName != "web-03" || inv.Status != "Failed" || inv.Step != "aws:runShellScript" ||
		inv.ResponseCode == nil || *inv.ResponseCode != 2 || inv.Stream != "stderr" || !inv.EarlierCut || inv.CappedBySSM {
		t.Errorf("invocation = %+v", inv)
	}
	if want := "\tIs the server running on that host and accepting TCP/IP connections?\nfailed to run commands: exit status 2"; inv.Output != want {
		t.Errorf("output = %q, want the last 2 lines %q", inv.Output, want)
	}
	if inv.S3Bucket != "ops-ssm-output" || inv.S3Prefix != "runcommand" || inv.LogGroup != "" {
		t.Errorf("output location = %q %q %q", inv.S3Bucket, inv.S3Prefix, inv.LogGroup)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 1 {
		t.Errorf("%d GetCommandInvocation calls, want 1", got)
	}
}

func TestEnrichDetailedStatuses(t *testing.T) {
	tests := []struct {
		instance string
		status   payload.Status
		detailed string
		code     *int
		stream   string
		logGroup string
	}{
		{execTOID, payload.StatusTimedOut, "ExecutionTimedOut", ptr(124), "stdout", "/ssm/deploys"},
		{delivTOID, payload.StatusTimedOut, "DeliveryTimedOut", nil, "", ""},
		{undelivID, payload.StatusFailed, "Undeliverable", nil, "", ""},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.detailed, func(t *testing.T) {
			d := h.e.Enrich(t.Context(), invocation(tc.instance, tc.status), mustEnrich(t, "true"))
			if d == nil || len(d.Invocations) != 1 {
				t.Fatalf("detail = %+v", d)
			}
			inv := d.Invocations[0]
			if inv.Status != tc.detailed || (inv.ResponseCode == nil) != (tc.code == nil) ||
				(tc.code != nil && *inv.ResponseCode != *tc.code) || inv.Stream != tc.stream || inv.LogGroup != tc.logGroup {
				t.Errorf("got %+v", inv)
			}
		})
	}
}

func ptr(i int) *int { return &i }

// TestEnrichMultiStep: AWS-RunPatchBaseline answers InvalidPluginName without a step name;
// ListCommandInvocations with Details finds PatchLinux failed and the other two skipped.
func TestEnrichMultiStep(t *testing.T) {
	h := newHarness(t)
	l := ssmtest.RecordedListed(t, "patch-linux-failed")
	h.srv.AddListed(l)
	n := invocation(l.InstanceId, payload.StatusFailed)
	n.CommandID, n.DocumentName = l.CommandId, l.DocumentName
	d := h.e.Enrich(t.Context(), n, mustEnrich(t, "true"))
	if d == nil || d.Unavailable != nil || len(d.Invocations) != 1 || !d.Patch {
		t.Fatalf("detail = %+v", d)
	}
	inv := d.Invocations[0]
	if inv.Step != "PatchLinux" || inv.Steps != 3 || strings.Join(inv.Skipped, ",") != "PatchWindows,PatchMacOS" ||
		inv.Status != "Failed" || inv.ResponseCode == nil || *inv.ResponseCode != 100 || inv.Stream != "stderr" {
		t.Errorf("invocation = %+v", inv)
	}
	if !strings.HasSuffix(inv.Output, "E: Unable to locate package\nfailed to run commands: exit status 100") || strings.Contains(inv.Output, "apt-get update") {
		t.Errorf("output = %q, want the stderr part only", inv.Output)
	}
	if inv.S3Bucket != "ops-ssm-output" || inv.S3Prefix != "patching" {
		t.Errorf("output location = %q %q", inv.S3Bucket, inv.S3Prefix)
	}
	if g, l := h.srv.Calls(ssmtest.GetCommandInvocation), h.srv.Calls(ssmtest.ListCommandInvocations); g != 1 || l != 1 {
		t.Errorf("%d GetCommandInvocation and %d ListCommandInvocations calls, want 1 and 1", g, l)
	}
}

// TestEnrichConsistencyDelay: right after a status change SSM may not know the invocation yet;
// the lookup waits briefly and asks again rather than report "not found".
func TestEnrichConsistencyDelay(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "InvocationDoesNotExist", Times: 2})
	d := h.e.Enrich(t.Context(), invocation(failedID, payload.StatusFailed), mustEnrich(t, "{timeout: 2s}"))
	if d == nil || d.Unavailable != nil || len(d.Invocations) != 1 || d.Invocations[0].Status != "Failed" {
		t.Fatalf("detail = %+v", d)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 3 {
		t.Errorf("%d calls, want 3 (two not-yet, then the answer)", got)
	}
}

// TestEnrichCommandSummary: a command summary asks ListCommands for the counts and
// ListCommandInvocations for the failures (one call per failure status), not every instance.
func TestEnrichCommandSummary(t *testing.T) {
	h := newHarness(t)
	h.srv.AddCommand(ssmtest.Command{CommandId: commandID, DocumentName: "AWS-RunShellScript", Status: "Failed",
		TargetCount: 50, CompletedCount: 50, ErrorCount: 3, DeliveryTimedOutCount: 1})
	d := h.e.Enrich(t.Context(), command(payload.StatusFailed), mustEnrich(t, "{max_instances: 10}"))
	if d == nil || d.Unavailable != nil || d.Command == nil || d.Command.Targets != 50 || d.Command.Errors != 3 {
		t.Fatalf("detail = %+v", d)
	}
	var shown []string
	for _, inv := range d.Invocations {
		shown = append(shown, inv.InstanceID+"="+inv.Status)
	}
	want := failedID + "=Failed " + undelivID + "=Undeliverable " + execTOID + "=ExecutionTimedOut " + delivTOID + "=DeliveryTimedOut"
	if strings.Join(shown, " ") != want {
		t.Errorf("shown %v\nwant  %s", shown, want)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 0 {
		t.Errorf("%d GetCommandInvocation calls, want 0", got)
	}
	if l, c := h.srv.Calls(ssmtest.ListCommandInvocations), h.srv.Calls(ssmtest.ListCommands); l != 2 || c != 1 {
		t.Errorf("%d ListCommandInvocations and %d ListCommands calls, want 2 and 1", l, c)
	}
	msg := render.Slack(command(payload.StatusFailed), render.Options{Detail: d})
	s := strings.Join(rendertest.SlackStrings(t, msg), "\n")
	for _, w := range []string{"Failed on 4 of 50 (1 delivery timed out).", "*Undeliverable*", "exit code 2"} {
		if !strings.Contains(s, w) {
			t.Errorf("no %q in the Slack message", w)
		}
	}
}

func TestEnrichNotApplicable(t *testing.T) {
	h := newHarness(t)
	cfg := mustEnrich(t, "true")
	tests := []struct {
		name string
		e    *enrich.Enricher
		n    *payload.Notification
		cfg  *rules.Enrich
	}{
		{"success is not a failure", h.e, invocation(successID, payload.StatusSuccess), cfg},
		{"in progress", h.e, invocation(failedID, payload.StatusInProgress), cfg},
		{"route does not enrich", h.e, invocation(failedID, payload.StatusFailed), nil},
		{"no enricher wired", nil, invocation(failedID, payload.StatusFailed), cfg},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := tc.e.Enrich(t.Context(), tc.n, tc.cfg); d != nil {
				t.Errorf("detail = %+v, want nil", d)
			}
		})
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 0 {
		t.Errorf("%d calls, want none", got)
	}
}

func TestEnrichUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		n     *payload.Notification
		fault *ssmtest.Fault
		want  failure.Code
		calls int
	}{
		{"another region", func() *payload.Notification {
			n := invocation(failedID, payload.StatusFailed)
			n.Region = "eu-west-1"
			return n
		}(), nil, failure.OtherRegion, 0},
		{"another account", func() *payload.Notification {
			n := invocation(failedID, payload.StatusFailed)
			n.Account = "999999999999"
			return n
		}(), nil, failure.OtherAccount, 0},
		{"throttled twice", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "ThrottlingException"}, failure.Throttled, 2},
		{"server error", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "InternalServerError"}, failure.APIError, 1},
		{"access denied", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "AccessDeniedException"}, failure.Denied, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.fault != nil {
				h.srv.SetFault(ssmtest.GetCommandInvocation, "", *tc.fault)
			}
			d := h.e.Enrich(t.Context(), tc.n, mustEnrich(t, "true"))
			if d == nil || d.Unavailable == nil || d.Unavailable.Code != tc.want || len(d.Invocations) != 0 {
				t.Errorf("detail = %+v, want Unavailable %q", d, tc.want)
			}
			if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
		})
	}
}

// TestNotFoundWaitsWithinTheBudget: an invocation SSM never knows is asked about a few times,
// then reported not found — within the budget.
func TestNotFoundWaitsWithinTheBudget(t *testing.T) {
	h := newHarness(t)
	d := h.e.Enrich(t.Context(), invocation("i-0fff9999aaaa0000b", payload.StatusFailed), mustEnrich(t, "{timeout: 500ms}"))
	if d == nil || d.Unavailable == nil || d.Unavailable.Code != failure.NotFound {
		t.Errorf("detail = %+v", d)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got < 2 {
		t.Errorf("%d calls, want a few", got)
	}
}

// TestThrottlingIsRetriedOnce checks that a throttled lookup is asked once more, that the
// other destinations of the same notification reuse the answer, and that SSM is asked again
// only after the result cache expires; and that one throttle is absorbed by the retry.
func TestThrottlingIsRetriedOnce(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "ThrottlingException"})
	cfg := mustEnrich(t, "true")
	n := invocation(failedID, payload.StatusFailed)
	for range 5 { // five destinations
		d := h.e.Enrich(t.Context(), n, cfg)
		if d == nil || d.Unavailable == nil || d.Unavailable.Code != failure.Throttled {
			t.Fatalf("detail = %+v", d)
		}
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 2 {
		t.Errorf("%d calls for 5 destinations, want 2 (one retry)", got)
	}
	h.clock.Add(enrich.DefaultResultTTL)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "ThrottlingException", Times: 1})
	d := h.e.Enrich(t.Context(), n, cfg)
	if d == nil || d.Unavailable != nil || len(d.Invocations) != 1 {
		t.Errorf("one throttle then an answer: %+v", d)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 4 {
		t.Errorf("%d calls, want 4", got)
	}
}

// TestTimeoutKeepsTheBudget has SSM hang for an hour: Enrich must come back on its budget with
// "unavailable", and the hung requests must have been abandoned. (The guard below is a liveness
// check — without the budget the test would hang for the hour — not a timing assertion.)
func TestTimeoutKeepsTheBudget(t *testing.T) {
	h := newHarness(t)
	for _, op := range []string{ssmtest.GetCommandInvocation, ssmtest.ListCommandInvocations, ssmtest.ListCommands, ssmtest.DescribeTags} {
		h.srv.SetFault(op, "", ssmtest.Fault{Delay: time.Hour})
	}
	cfg := mustEnrich(t, "{timeout: 100ms, name_tag: true}")
	done := make(chan *failure.Detail, 1)
	go func() { done <- h.e.Enrich(t.Context(), command(payload.StatusFailed, failedID, execTOID), cfg) }()
	var d *failure.Detail
	select {
	case d = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Enrich did not return: the budget does not hold")
	}
	if d == nil || d.Unavailable == nil || d.Unavailable.Code != failure.Budget || d.Unavailable.Budget != 100*time.Millisecond {
		t.Errorf("detail = %+v", d)
	}
}

// TestAlertGoesOutWhenSSMHangs is the whole path of one alert while SSM hangs: enrich, render,
// post to a local Slack. The alert is delivered, and says why it carries no detail.
func TestAlertGoesOutWhenSSMHangs(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: time.Hour})
	slackSrv := slacktest.NewServer(t)
	bot := slack.New(slackSrv.Token, slack.WithAPIURL(slackSrv.APIURL))

	n := invocation(failedID, payload.StatusFailed)
	detail := h.e.Enrich(t.Context(), n, mustEnrich(t, "{timeout: 200ms}"))
	msg := render.Slack(n, render.Options{Mention: "<!here>", Detail: detail})
	if _, err := bot.Post(t.Context(), "#ops", msg, slack.PostOptions{}); err != nil {
		t.Fatal(err)
	}
	got := slackSrv.Messages("#ops")
	if len(got) != 1 {
		t.Fatalf("%d messages in #ops, want 1", len(got))
	}
	if !strings.Contains(string(got[0].Attachments), "Enrichment unavailable:* SSM did not answer within the 200ms budget") {
		t.Errorf("the alert does not say enrichment was unavailable: %s", got[0].Attachments)
	}
	mail, err := render.Email(n, render.Options{Detail: detail})
	if err != nil || !strings.Contains(mail.Text, "Enrichment unavailable: SSM did not answer within the 200ms budget") {
		t.Errorf("email: %v\n%s", err, mail.Text)
	}
}

// TestEnrichedAlertPosted posts an enriched alert to the local Slack, which validates it as
// Slack would.
func TestEnrichedAlertPosted(t *testing.T) {
	h := newHarness(t)
	slackSrv := slacktest.NewServer(t)
	bot := slack.New(slackSrv.Token, slack.WithAPIURL(slackSrv.APIURL))
	n := command(payload.StatusFailed, failedID, execTOID, delivTOID, successID)
	detail := h.e.Enrich(t.Context(), n, mustEnrich(t, "{max_instances: 10, name_tag: true}"))
	msg := render.Slack(n, render.Options{Detail: detail})
	if _, err := bot.Post(t.Context(), "#ops", msg, slack.PostOptions{}); err != nil {
		t.Fatal(err)
	}
	atts := string(slackSrv.Messages("#ops")[0].Attachments)
	for _, want := range []string{"(web-03): *Failed*, exit code 2", "*Execution Timed Out*, exit code 124", "*Delivery Timed Out*", "exit status 2"} {
		if !strings.Contains(atts, want) {
			t.Errorf("no %q in the posted alert", want)
		}
	}
}

func TestNameTagCache(t *testing.T) {
	h := newHarness(t)
	cfg := mustEnrich(t, "{name_tag: true}")
	for range 3 {
		d := h.e.Enrich(t.Context(), invocation(failedID, payload.StatusFailed), cfg)
		if d.Invocations[0].InstanceName != "web-03" {
			t.Fatalf("name = %q", d.Invocations[0].InstanceName)
		}
		h.clock.Add(enrich.DefaultResultTTL) // a new notification each time, as far as the result cache goes
	}
	if got := h.srv.Calls(ssmtest.DescribeTags); got != 1 {
		t.Errorf("%d DescribeTags calls, want 1 (cached)", got)
	}
	h.clock.Add(enrich.DefaultNameTTL)
	h.srv.SetTag(failedID, "web-03-renamed")
	if d := h.e.Enrich(t.Context(), invocation(failedID, payload.StatusFailed), cfg); d.Invocations[0].InstanceName != "web-03-renamed" {
		t.Errorf("after the TTL: name = %q", d.Invocations[0].InstanceName)
	}
	// A throttled tag read costs the name, not the alert.
	h.clock.Add(enrich.DefaultNameTTL)
	h.srv.SetFault(ssmtest.DescribeTags, "", ssmtest.Fault{Error: "RequestLimitExceeded"})
	d := h.e.Enrich(t.Context(), invocation(failedID, payload.StatusFailed), cfg)
	if d.Unavailable != nil || d.Invocations[0].InstanceName != "" || d.Invocations[0].Status != "Failed" {
		t.Errorf("with tags throttled: %+v", d)
	}
}

// TestConcurrentDestinationsShareOneLookup: deliveries running at once for the same
// notification wait for one lookup instead of each asking SSM.
func TestConcurrentDestinationsShareOneLookup(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: 50 * time.Millisecond})
	cfg := mustEnrich(t, "true")
	n := invocation(failedID, payload.StatusFailed)
	var wg sync.WaitGroup
	details := make([]*failure.Detail, 8)
	for i := range details {
		wg.Go(func() { details[i] = h.e.Enrich(t.Context(), n, cfg) })
	}
	wg.Wait()
	for _, d := range details {
		if d == nil || len(d.Invocations) != 1 || d.Invocations[0].Status != "Failed" {
			t.Errorf("detail = %+v", d)
		}
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 1 {
		t.Errorf("%d calls, want 1", got)
	}
}

// TestHostileOutputThroughEnrich: a megabyte of hostile output from SSM is bounded by the
// enricher and escaped by the renderer.
func TestHostileOutputThroughEnrich(t *testing.T) {
	h := newHarness(t)
	inv := ssmtest.Recorded(t, "failed")
	inv.InstanceId = "i-0ccc0000dddd1111e"
	inv.StandardErrorContent = strings.Repeat("<!channel> ```<script>alert(1)</script>``` <https://evil.example|click>\n", 14000) + "\x1b[31mFATAL\x1b[0m <@U123>\n"
	inv.StandardErrorUrl = "https://evil.example/stderr"
	h.srv.AddInvocation(inv)
	d := h.e.Enrich(t.Context(), invocation(inv.InstanceId, payload.StatusFailed), mustEnrich(t, "{output_lines: 100}"))
	if d == nil || len(d.Invocations) != 1 {
		t.Fatalf("detail = %+v", d)
	}
	got := d.Invocations[0]
	if len(got.Output) > 64<<10 || !got.EarlierCut || !got.CappedBySSM || got.S3Bucket != "" {
		t.Errorf("output %d bytes, cut %v, capped %v, link %q", len(got.Output), got.EarlierCut, got.CappedBySSM, got.S3Bucket)
	}
	msg := render.Slack(invocation(inv.InstanceId, payload.StatusFailed), render.Options{Detail: d})
	s := strings.Join(rendertest.SlackStrings(t, msg), "\n")
	for _, bad := range []string{"<!channel>", "<script", "<@U123>", "<https://evil", "evil.example/stderr", "\x1b", "```<"} {
		if strings.Contains(s, bad) {
			t.Errorf("Slack message contains %q", bad)
		}
	}
	if !strings.Contains(s, "FATAL &lt;@U123&gt;```") {
		t.Error("the end of the output (FATAL) is not the end of the block")
	}
}

// TestPatchRun: AWS-RunPatchBaseline on 50 instances; 41 fail in PatchLinux with the same
// stderr, 3 report exit 1 though their patch state after the run is compliant, 6 succeed. The
// command's message names the most common reason and pages; an alert about one of the 3 says
// "patched, reported failure" and pages nobody.
func TestPatchRun(t *testing.T) {
	h := newHarness(t)
	base := ssmtest.RecordedListed(t, "patch-linux-failed")
	const cmd = "7e8f9a0b-2222-4c3d-8e4f-abcdef012345"
	id := func(i int) string { return fmt.Sprintf("i-0%016x", 0x5000+i) }
	for i := range 50 {
		l := base
		l.CommandId, l.InstanceId = cmd, id(i)
		l.CommandPlugins = append([]ssmtest.Plugin(nil), base.CommandPlugins...)
		switch {
		case i < 41:
			h.srv.SetPatchState(ssmtest.PatchState{InstanceId: l.InstanceId, Operation: "Install", InstalledCount: 30, FailedCount: 1, MissingCount: 4})
		case i < 44:
			l.CommandPlugins[1].ResponseCode = 1
			l.CommandPlugins[1].Output = "Installing 12 updates\n----------ERROR-------\nreboot pending; agent lost its connection\nfailed to run commands: exit status 1"
			h.srv.SetPatchState(ssmtest.PatchState{InstanceId: l.InstanceId, Operation: "Install", InstalledCount: 42, InstalledPendingRebootCount: 0})
		default:
			l.Status, l.StatusDetails = "Success", "Success"
			l.CommandPlugins[1].Status, l.CommandPlugins[1].StatusDetails, l.CommandPlugins[1].ResponseCode = "Success", "Success", 0
		}
		h.srv.AddListed(l)
	}
	h.srv.AddCommand(ssmtest.Command{CommandId: cmd, DocumentName: "AWS-RunPatchBaseline", Status: "Failed", TargetCount: 50, CompletedCount: 50, ErrorCount: 44})
	cfg := mustEnrich(t, "true")
	n := command(payload.StatusFailed)
	n.CommandID, n.DocumentName = cmd, "AWS-RunPatchBaseline"
	d := h.e.Enrich(t.Context(), n, cfg)
	if d == nil || d.Unavailable != nil || len(d.Invocations)+len(d.Others) != 44 {
		t.Fatalf("detail = %+v", d)
	}
	if got, want := render.MostCommonReason(append(d.Invocations, d.Others...), 50), "41 of 50: exit 100 in PatchLinux — E: Unable to locate package"; got != want {
		t.Errorf("most common reason = %q, want %q", got, want)
	}
	msg := render.Slack(n, render.Options{Mention: "<!here>", Detail: d})
	s := strings.Join(rendertest.SlackStrings(t, msg), "\n")
	if !strings.Contains(s, "41 of 50: exit 100 in PatchLinux — E: Unable to locate package") || !strings.HasPrefix(msg.Text, "<!here>") {
		t.Errorf("the command's message lacks the reason line or the page:\n%s", s)
	}
	if calls := h.srv.Calls(ssmtest.ListCommandInvocations) + h.srv.Calls(ssmtest.ListCommands) + h.srv.Calls(ssmtest.DescribeInstancePatchStates); calls != 4 {
		t.Errorf("%d SSM calls for a 50-instance patch run, want 4", calls)
	}

	// The thread: the parent leads with the reason; a reply for 41 of them pages and names each
	// one's step and last stderr line; a reply for the 3 says "patched, reported failure" and
	// pages nobody.
	var failed, patched []string
	for i := range 44 {
		if i < 41 {
			failed = append(failed, id(i))
		} else {
			patched = append(patched, id(i))
		}
	}
	v := render.CommandView{CommandID: cmd, Document: "AWS-RunPatchBaseline", Region: ssmtest.Region, Status: payload.StatusFailed,
		Targets: 50, Counts: map[payload.Status]int{payload.StatusFailed: 44, payload.StatusSuccess: 6}, Failed: append(failed, patched...), FailedTotal: 44}
	parent := strings.Join(rendertest.SlackStrings(t, render.ParentWithDetail(render.Parent(v), v, d)), "\n")
	if !strings.Contains(parent, "*Most common:* 41 of 50: exit 100 in PatchLinux — E: Unable to locate package") {
		t.Errorf("parent:\n%s", parent)
	}
	if m := render.ReplyMention("<!here>", failed, d); m != "<!here>" {
		t.Errorf("a reply for real failures pages with %q", m)
	}
	if m := render.ReplyMention("<!here>", patched, d); m != "" {
		t.Errorf("a reply for the 3 patched instances pages with %q", m)
	}
	reply := strings.Join(rendertest.SlackStrings(t, render.ReplyWithDetail(render.FailureReply(v, instances(patched), ""), v, patched, d)), "\n")
	if strings.Count(reply, render.PatchedReportedFailure) != 3 {
		t.Errorf("reply for the 3:\n%s", reply)
	}
	reply = strings.Join(rendertest.SlackStrings(t, render.ReplyWithDetail(render.FailureReply(v, instances(failed[:2]), "<!here>"), v, failed[:2], d)), "\n")
	if strings.Count(reply, "exit code 100, in step PatchLinux (skipped: PatchWindows, PatchMacOS) — E: Unable to locate package") != 2 {
		t.Errorf("reply for 2 failures:\n%s", reply)
	}

	// One of the 3, as an invocation notification.
	one := invocation(id(42), payload.StatusFailed)
	one.CommandID, one.DocumentName = cmd, "AWS-RunPatchBaseline"
	d = h.e.Enrich(t.Context(), one, cfg)
	if d == nil || len(d.Invocations) != 1 || !d.Invocations[0].PatchedButReported() {
		t.Fatalf("detail = %+v", d)
	}
	msg = render.Slack(one, render.Options{Mention: "<!here>", Detail: d})
	s = strings.Join(rendertest.SlackStrings(t, msg), "\n")
	if strings.Contains(s, "<!here>") || !strings.Contains(s, render.PatchedReportedFailure) {
		t.Errorf("a patched instance that reported failure must say so and not page:\n%s", s)
	}
	mail, err := render.Email(one, render.Options{Detail: d})
	if err != nil || !strings.Contains(mail.Text, render.PatchedReportedFailure) {
		t.Errorf("email: %v\n%s", err, mail.Text)
	}
}

// TestSlowAnswerIsKeptBriefly: an answer that missed its budget is shared by the batch's other
// destinations, and asked again a few seconds later (a later render adds the detail).
func TestSlowAnswerIsKeptBriefly(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: time.Hour, Times: 1})
	cfg := mustEnrich(t, "{timeout: 100ms}")
	n := invocation(failedID, payload.StatusFailed)
	for range 2 {
		if d := h.e.Enrich(t.Context(), n, cfg); d.Unavailable == nil || d.Unavailable.Code != failure.Budget {
			t.Fatalf("detail = %+v", d)
		}
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 1 {
		t.Errorf("%d calls for two destinations, want 1", got)
	}
	h.clock.Add(10 * time.Second)
	if d := h.e.Enrich(t.Context(), n, cfg); d.Unavailable != nil || len(d.Invocations) != 1 {
		t.Errorf("a later render: %+v", d)
	}
}
