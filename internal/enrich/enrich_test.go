package enrich_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

const (
	commandID = "1a2b3c4d-1111-4a2b-9c3d-0123456789ab"
	failedID  = "i-0ddd3333eeee4444f"
	execTOID  = "i-0aaa1111bbbb2222c"
	delivTOID = "i-0eee5555ffff6666a"
	successID = "i-0bbb7777cccc8888d"
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
	for _, name := range []string{"failed", "execution-timed-out", "delivery-timed-out", "success"} {
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
	if d == nil || d.Unavailable != "" || len(d.Invocations) != 1 {
		t.Fatalf("detail = %+v", d)
	}
	inv := d.Invocations[0]
	if inv.InstanceID != failedID || inv.InstanceName != "web-03" || inv.DetailedStatus != "Failed" ||
		inv.ResponseCode == nil || *inv.ResponseCode != 2 || inv.Stream != "stderr" || !inv.EarlierCut || inv.CappedBySSM {
		t.Errorf("invocation = %+v", inv)
	}
	if want := "\tIs the server running on that host and accepting TCP/IP connections?\nfailed to run commands: exit status 2"; inv.Output != want {
		t.Errorf("output = %q, want the last 2 lines %q", inv.Output, want)
	}
	if want := "https://s3.console.aws.amazon.com/s3/buckets/ops-ssm-output?prefix=runcommand%2F" + commandID + "%2F" + failedID + "%2F&region=us-east-1"; inv.OutputURL != want || inv.OutputLabel != "Full output in S3" {
		t.Errorf("output link = %q %q\nwant %q", inv.OutputURL, inv.OutputLabel, want)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 1 {
		t.Errorf("%d GetCommandInvocation calls, want 1", got)
	}
}

func TestEnrichDetailedStatuses(t *testing.T) {
	tests := []struct {
		instance   string
		status     payload.Status
		detailed   string
		code       *int
		stream     string
		outputLink string
	}{
		{execTOID, payload.StatusTimedOut, "Execution Timed Out", ptr(124), "stdout",
			"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fssm$252Fdeploys$3FlogStreamNameFilter$3D" + commandID + "$252F" + execTOID},
		{delivTOID, payload.StatusTimedOut, "Delivery Timed Out", nil, "", ""},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.detailed, func(t *testing.T) {
			d := h.e.Enrich(t.Context(), invocation(tc.instance, tc.status), mustEnrich(t, "true"))
			if d == nil || len(d.Invocations) != 1 {
				t.Fatalf("detail = %+v", d)
			}
			inv := d.Invocations[0]
			if inv.DetailedStatus != tc.detailed || (inv.ResponseCode == nil) != (tc.code == nil) ||
				(tc.code != nil && *inv.ResponseCode != *tc.code) || inv.Stream != tc.stream || inv.OutputURL != tc.outputLink {
				t.Errorf("got %+v", inv)
			}
		})
	}
}

func ptr(i int) *int { return &i }

func TestEnrichCommandSummary(t *testing.T) {
	tests := []struct {
		name, cfg string
		ids       []string
		shown     []string
		note      string
		calls     int
	}{
		{"max_instances caps the lookups", "{max_instances: 2}", []string{failedID, execTOID, delivTOID, successID},
			[]string{failedID, execTOID}, "Looked up 2 of 4 instances (max_instances).", 2},
		{"successes are not shown", "{max_instances: 10}", []string{successID, failedID, delivTOID},
			[]string{failedID, delivTOID}, "Looked up 3 instances; 1 succeeded and is not shown.", 3},
		{"all looked up succeeded", "{max_instances: 1}", []string{successID, failedID},
			nil, "Looked up 1 of 2 instances (max_instances); all of them succeeded — the failure is among the others.", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.e.Enrich(t.Context(), command(payload.StatusFailed, tc.ids...), mustEnrich(t, tc.cfg))
			if d == nil || d.Unavailable != "" {
				t.Fatalf("detail = %+v", d)
			}
			var shown []string
			for _, inv := range d.Invocations {
				shown = append(shown, inv.InstanceID)
			}
			if strings.Join(shown, " ") != strings.Join(tc.shown, " ") || d.Note != tc.note {
				t.Errorf("shown %v, note %q\nwant  %v, note %q", shown, d.Note, tc.shown, tc.note)
			}
			if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
		})
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
		want  string
		calls int
	}{
		{"another region", func() *payload.Notification {
			n := invocation(failedID, payload.StatusFailed)
			n.Region = "eu-west-1"
			return n
		}(),
			nil, "the command ran in eu-west-1; ssmnotify reads only us-east-1", 0},
		{"another account", func() *payload.Notification {
			n := invocation(failedID, payload.StatusFailed)
			n.Account = "999999999999"
			return n
		}(),
			nil, "the command ran in account 999999999999; ssmnotify reads only its own account", 0},
		{"targeted by tags", command(payload.StatusFailed), nil, "the command was targeted by tags", 0},
		{"throttled", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "ThrottlingException"},
			"SSM throttled the request (ThrottlingException); not retried", 1},
		{"server error", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "InternalServerError"},
			"SSM answered InternalServerError", 1},
		{"access denied", invocation(failedID, payload.StatusFailed), &ssmtest.Fault{Error: "AccessDeniedException"},
			"grant ssm:GetCommandInvocation", 1},
		{"no such invocation", invocation("i-0fff9999aaaa0000b", payload.StatusFailed), nil,
			"SSM has no invocation of this command on this instance (InvocationDoesNotExist)", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.fault != nil {
				h.srv.SetFault(ssmtest.GetCommandInvocation, "", *tc.fault)
			}
			d := h.e.Enrich(t.Context(), tc.n, mustEnrich(t, "true"))
			if d == nil || !strings.Contains(d.Unavailable, tc.want) || len(d.Invocations) != 0 {
				t.Errorf("detail = %+v, want Unavailable containing %q", d, tc.want)
			}
			// No retry: one call per instance, however the call failed.
			if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
		})
	}
}

// TestThrottlingIsNotRetriedForever checks that a throttled lookup is asked once, that the
// other destinations of the same notification reuse the answer, and that SSM is asked again
// only after the result cache expires.
func TestThrottlingIsNotRetriedForever(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "ThrottlingException"})
	cfg := mustEnrich(t, "true")
	n := command(payload.StatusFailed, failedID, execTOID, delivTOID)
	for range 5 { // five destinations
		d := h.e.Enrich(t.Context(), n, cfg)
		if d == nil || !strings.Contains(d.Unavailable, "throttled") {
			t.Fatalf("detail = %+v", d)
		}
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 3 {
		t.Errorf("%d calls for 3 instances and 5 destinations, want 3", got)
	}
	h.clock.Add(enrich.DefaultResultTTL)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Times: 0}) // healthy again
	d := h.e.Enrich(t.Context(), n, cfg)
	if d == nil || d.Unavailable != "" || len(d.Invocations) != 3 {
		t.Errorf("after the cache expired: %+v", d)
	}
	if got := h.srv.Calls(ssmtest.GetCommandInvocation); got != 6 {
		t.Errorf("%d calls, want 6", got)
	}
}

// TestPartialFailure: one instance throttled, the others answered — each is shown as it is.
func TestPartialFailure(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, execTOID, ssmtest.Fault{Error: "ThrottlingException"})
	d := h.e.Enrich(t.Context(), command(payload.StatusFailed, failedID, execTOID), mustEnrich(t, "true"))
	if d == nil || d.Unavailable != "" || len(d.Invocations) != 2 {
		t.Fatalf("detail = %+v", d)
	}
	if d.Invocations[0].DetailedStatus != "Failed" || d.Invocations[1].InstanceID != execTOID ||
		!strings.Contains(d.Invocations[1].Unavailable, "throttled") {
		t.Errorf("invocations = %+v", d.Invocations)
	}
}

// TestTimeoutKeepsTheBudget has SSM hang for an hour: Enrich must come back on its budget with
// "unavailable", and the hung requests must have been abandoned. (The guard below is a liveness
// check — without the budget the test would hang for the hour — not a timing assertion.)
func TestTimeoutKeepsTheBudget(t *testing.T) {
	h := newHarness(t)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: time.Hour})
	h.srv.SetFault(ssmtest.DescribeTags, "", ssmtest.Fault{Delay: time.Hour})
	cfg := mustEnrich(t, "{timeout: 100ms, name_tag: true}")
	done := make(chan *render.Detail, 1)
	go func() { done <- h.e.Enrich(t.Context(), command(payload.StatusFailed, failedID, execTOID), cfg) }()
	var d *render.Detail
	select {
	case d = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Enrich did not return: the budget does not hold")
	}
	if d == nil || d.Unavailable != "SSM did not answer within the 100ms budget" {
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
	for _, want := range []string{"(web-03): *Failed*, exit code 2", "*Execution Timed Out*, exit code 124", "*Delivery Timed Out*", "exit status 2", "1 succeeded and is not shown"} {
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
	if d.Unavailable != "" || d.Invocations[0].InstanceName != "" || d.Invocations[0].DetailedStatus != "Failed" {
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
	details := make([]*render.Detail, 8)
	for i := range details {
		wg.Go(func() { details[i] = h.e.Enrich(t.Context(), n, cfg) })
	}
	wg.Wait()
	for _, d := range details {
		if d == nil || len(d.Invocations) != 1 || d.Invocations[0].DetailedStatus != "Failed" {
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
	if len(got.Output) > 64<<10 || !got.EarlierCut || !got.CappedBySSM || got.OutputURL != "" {
		t.Errorf("output %d bytes, cut %v, capped %v, link %q", len(got.Output), got.EarlierCut, got.CappedBySSM, got.OutputURL)
	}
	msg := render.Slack(invocation(inv.InstanceId, payload.StatusFailed), render.Options{Detail: d})
	s := strings.Join(slackTexts(t, msg), "\n")
	for _, bad := range []string{"<!channel>", "<script", "<@U123>", "<https://evil", "evil.example/stderr", "\x1b", "```<"} {
		if strings.Contains(s, bad) {
			t.Errorf("Slack message contains %q", bad)
		}
	}
	if !strings.Contains(s, "FATAL &lt;@U123&gt;```") {
		t.Error("the end of the output (FATAL) is not the end of the block")
	}
}

// slackTexts is every string in the message as Slack decodes it (JSON escapes undone).
func slackTexts(tb testing.TB, msg render.SlackMessage) []string {
	tb.Helper()
	raw, err := msg.JSON()
	if err != nil {
		tb.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
