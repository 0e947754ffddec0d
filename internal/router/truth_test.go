package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// Issue 14: the evolving message tells on-call the truth. Each test here failed on the code
// before the fix.

const truthConfig = `
destinations:
  - name: oncall
    slack:
      channel: "#oncall"
      mentions: {Failed: "<@UFAILED>", TimedOut: "<@UTIMEDOUT>", DeliveryTimedOut: "<@UDELIVERY>"}
routes:
  - name: everything
    notify_on: [All]
    to: [oncall]
`

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// invocation is one instance's notification of cmd at t0+at.
func invocation(cmd, doc, inst, status string, at time.Duration) map[string]any {
	return map[string]any{"commandId": cmd, "documentName": doc, "instanceId": inst, "status": status,
		"requestedDateTime": t0.Format(time.RFC3339), "eventTime": t0.Add(at).Format(time.RFC3339Nano)}
}

// summary is cmd's command-summary notification.
func summary(cmd, doc, status string, at time.Duration, bucket string, ids ...string) map[string]any {
	return map[string]any{"commandId": cmd, "documentName": doc, "instanceIds": ids, "status": status,
		"requestedDateTime": t0.Format(time.RFC3339), "expiresAfter": t0.Add(time.Hour).Format(time.RFC3339),
		"outputS3BucketName": bucket, "outputS3KeyPrefix": "ssm", "eventTime": t0.Add(at).Format(time.RFC3339Nano)}
}

func bodiesOf(msgs ...map[string]any) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = snsEnvelope(fmt.Sprintf("m-%d", i), m)
	}
	return out
}

// parentOf is the one parent message of the channel (the test fails on any other count).
func parentOf(t *testing.T, srv *slacktest.Server, channel string) (slacktest.Message, []slacktest.Message) {
	t.Helper()
	var parents []slacktest.Message
	for _, m := range srv.Messages(channel) {
		if m.ThreadTS == "" {
			parents = append(parents, m)
		}
	}
	if len(parents) != 1 {
		t.Fatalf("%d parent messages, want 1", len(parents))
	}
	return parents[0], srv.Replies(channel, parents[0].TS)
}

func allText(m slacktest.Message) string {
	return m.Text + "\n" + string(m.Blocks) + string(m.Attachments)
}

// Finding 1: a timed-out, cancelled or delivery-timed-out command reads as such, with the
// mention configured for that status.
func TestParentShowsTheRealStatusAndItsMention(t *testing.T) {
	for _, tc := range []struct {
		status, words, mention string
	}{
		{"TimedOut", "Timed Out", "<@UTIMEDOUT>"},
		{"Cancelled", "Canceled", ""},
		{"DeliveryTimedOut", "Delivery Timed Out", "<@UDELIVERY>"},
		{"Failed", "Failed", "<@UFAILED>"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f := newFleetWith(t, memory.New(), 1, truthConfig)
			cmd := "a1a1a1a1-1111-4222-8333-944455556666"
			f.run(sqsBatches(bodiesOf(invocation(cmd, "AWS-RunPowerShellScript", "i-0aaaaaaaaaaaaaaa1", tc.status, time.Minute)), 1), time.Second)
			parent, replies := parentOf(t, f.slack, "#oncall")
			want := tc.words + ": AWS-RunPowerShellScript — " + tc.words + " on 1 of 1"
			if !strings.Contains(parent.Text, want) {
				t.Errorf("parent text %q, want it to say %q", parent.Text, want)
			}
			all := allText(parent)
			for _, r := range replies {
				all += allText(r)
			}
			for _, m := range []string{"<@UFAILED>", "<@UTIMEDOUT>", "<@UDELIVERY>"} {
				if n := strings.Count(parent.Text, m); m == tc.mention && n != 1 || m != tc.mention && strings.Contains(all, m) {
					t.Errorf("mention %s: %d in the parent; want it only for %s\n%s", m, n, tc.status, all)
				}
			}
		})
	}
}

// Finding 2: once a command finished nothing reads "in progress", and its time is what it took.
func TestFinishedCommandShowsNoStaleProgress(t *testing.T) {
	cmd := "b2b2b2b2-1111-4222-8333-944455556666"
	ids := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"}
	for _, tc := range []struct {
		name  string
		msgs  []map[string]any
		tally string
	}{
		{"one instance never reported", []map[string]any{
			invocation(cmd, "AWS-RunPatchBaseline", ids[0], "InProgress", time.Second),
			invocation(cmd, "AWS-RunPatchBaseline", ids[1], "InProgress", time.Second),
			invocation(cmd, "AWS-RunPatchBaseline", ids[2], "InProgress", time.Second),
			invocation(cmd, "AWS-RunPatchBaseline", ids[0], "Failed", 3*time.Minute),
			invocation(cmd, "AWS-RunPatchBaseline", ids[1], "Success", 3*time.Minute+12*time.Second),
			summary(cmd, "AWS-RunPatchBaseline", "Failed", 3*time.Minute+12*time.Second, "", ids...),
		}, "Failed on 1 of 3 · 1 of 3 succeeded · 1 not reported"},
		{"failed summary after an in-progress invocation", []map[string]any{
			invocation(cmd, "AWS-RunPatchBaseline", ids[0], "InProgress", time.Second),
			summary(cmd, "AWS-RunPatchBaseline", "Failed", 3*time.Minute+12*time.Second, "", ids[0]),
		}, "0 of 1 succeeded · 1 not reported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleetWith(t, memory.New(), 1, truthConfig)
			f.run(sqsBatches(bodiesOf(tc.msgs...), 1), time.Second)
			parent, _ := parentOf(t, f.slack, "#oncall")
			all := allText(parent)
			if !strings.Contains(parent.Text, "Failed: AWS-RunPatchBaseline — "+tc.tally) {
				t.Errorf("parent %q, want the tally %q", parent.Text, tc.tally)
			}
			if strings.Contains(all, "in progress") || strings.Contains(all, "so far") {
				t.Errorf("a finished command still reads as running:\n%s", all)
			}
			if !strings.Contains(all, "took 3m12s") {
				t.Errorf("want the time it took (3m12s):\n%s", all)
			}
		})
	}
}

// Finding 11: "on 1 of 3", not "on 3 instances"; and the parent links the command's S3 output.
func TestParentSaysHowManyFailedAndLinksTheOutput(t *testing.T) {
	f := newFleetWith(t, memory.New(), 1, truthConfig)
	cmd := "c3c3c3c3-1111-4222-8333-944455556666"
	ids := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"}
	f.run(sqsBatches(bodiesOf(
		invocation(cmd, "AWS-RunPatchBaseline", ids[0], "Failed", time.Minute),
		invocation(cmd, "AWS-RunPatchBaseline", ids[1], "Success", time.Minute),
		invocation(cmd, "AWS-RunPatchBaseline", ids[2], "Success", time.Minute),
		summary(cmd, "AWS-RunPatchBaseline", "Failed", 2*time.Minute, "patch-logs", ids...),
	), 4), time.Second)
	parent, _ := parentOf(t, f.slack, "#oncall")
	if !strings.Contains(parent.Text, "Failed on 1 of 3") {
		t.Errorf("parent %q, want \"Failed on 1 of 3\"", parent.Text)
	}
	want := "https://s3.console.aws.amazon.com/s3/buckets/patch-logs?prefix=ssm%2F" + cmd + "%2F&amp;region=us-east-1|Output in S3"
	if !strings.Contains(strings.ReplaceAll(string(parent.Attachments), `\u0026`, "&"), want) {
		t.Errorf("no S3 output link %q in\n%s", want, parent.Attachments)
	}
}

var linkHostRE = regexp.MustCompile(`<https://([^/|>]*)`)

// Finding 6: the event's region never becomes a link host; with no valid region there is no
// console link at all.
func TestThreadLinksGoToAWSHostsOnly(t *testing.T) {
	for _, region := range []string{"evil.example/", ""} {
		t.Run(fmt.Sprintf("%q", region), func(t *testing.T) {
			f := newFleetWith(t, memory.New(), 1, truthConfig)
			cmd := "d4d4d4d4-1111-4222-8333-944455556666"
			var bodies []string
			for i, st := range []string{"Failed", "Failed"} {
				m, _ := json.Marshal(invocation(cmd, "AWS-RunShellScript", fmt.Sprintf("i-0aaaaaaaaaaaaaaa%d", i), st, time.Minute))
				env, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": fmt.Sprint("m", i),
					"TopicArn": "arn:aws:sns:" + region + ":111122223333:ssmnotify", "Message": string(m), "Timestamp": "2026-05-04T10:00:00Z"})
				bodies = append(bodies, string(env))
			}
			f.run(sqsBatches(bodies, 1), time.Second)
			var all string
			for _, m := range f.slack.Messages("#oncall") {
				all += allText(m)
			}
			all = strings.ReplaceAll(all, `\u003c`, "<")
			for _, h := range linkHostRE.FindAllStringSubmatch(all, -1) {
				if !strings.HasSuffix(h[1], ".amazon.com") {
					t.Errorf("link to host %q", h[1])
				}
			}
			if strings.Contains(all, "evil.example") && strings.Contains(all, "evil.example/.console") || strings.Contains(all, "https://.console") {
				t.Errorf("a link built from the region %q:\n%s", region, all)
			}
			if strings.Contains(all, "console.aws.amazon.com") {
				t.Errorf("a console link without a valid region:\n%s", all)
			}
		})
	}
}

// Finding 3: when the render that would show the final state was scheduled and then fails
// permanently, it is parked with a replayable event, and replaying it shows the final state.
func TestPermanentErrorOnScheduledRenderIsParkedAndRedrivable(t *testing.T) {
	l := dynamotest.Start(t)
	store, _ := l.NewStore(t)
	f := newFleetWith(t, store, 1, truthConfig)
	cmd := "e5e5e5e5-1111-4222-8333-944455556666"
	h := f.handlers[0]
	ctx := context.Background()
	if _, err := h.Handle(ctx, sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "InProgress", 0)), 1)[0]); err != nil {
		t.Fatal(err)
	}
	// The final state arrives half a second after the parent was posted: a render is scheduled.
	f.clk.advance(500 * time.Millisecond)
	rep, err := h.Process(ctx, sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "Success", time.Minute)), 1)[0])
	if err != nil || rep.Results[0].Thread != thread.Scheduled {
		t.Fatalf("want the render scheduled: %+v %v", rep.Results, err)
	}
	// The bot is removed from the channel before the render runs.
	f.slack.Inject(slacktest.MethodUpdate, 1, slacktest.SlackError("not_in_channel"))
	f.clk.advance(time.Second)
	f.drain()
	parked := f.parked.All()
	if len(parked) != 1 || parked[0].Code != router.CodePermanent || parked[0].CommandID != cmd || !strings.Contains(parked[0].Reason, "not_in_channel") {
		t.Fatalf("parked %+v, want the render parked with its reason", parked)
	}
	// Once the bot is back, redriving the parked event shows the final state.
	if _, err := h.Handle(ctx, parked[0].Event); err != nil {
		t.Fatal(err)
	}
	parent, _ := parentOf(t, f.slack, "#oncall")
	if !strings.Contains(parent.Text, "Success") {
		t.Errorf("after redrive the parent reads %q", parent.Text)
	}
}

// Finding 4: a render never acts past its lease: a Retry-After longer than what is left of the
// lease is not waited out (the render is retried later), so no other renderer can post a second
// parent meanwhile.
func TestRenderNeverActsPastItsLease(t *testing.T) {
	f := newFleetWith(t, memory.New(), 2, truthConfig)
	cmd := "f6f6f6f6-1111-4222-8333-944455556666"
	ctx := context.Background()
	ev := sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "Failed", 0)), 1)[0]
	var waited []time.Duration
	// Environment 0's Slack client "waits" on the shared fake clock; while it waits, environment 1
	// handles a redelivery of the same notification.
	sleep := func(ctx context.Context, d time.Duration) error {
		waited = append(waited, d)
		f.clk.advance(d)
		_, _ = f.handlers[1].Handle(ctx, ev)
		return nil
	}
	c0 := slack.New(f.slack.Token, slack.WithAPIURL(f.slack.APIURL), slack.WithClock(time.Now, sleep))
	f.handlers[0].Threads.Slack = func(context.Context) (thread.Poster, error) { return c0, nil }
	f.slack.Inject(slacktest.MethodPostMessage, 1, slacktest.RateLimited(25*time.Second))
	if rep, err := f.handlers[0].Process(ctx, ev); err != nil || len(rep.Retry()) != 1 {
		t.Errorf("the rate-limited render should be retried: %v %v", rep.Results, err)
	}
	if len(waited) > 0 {
		t.Errorf("waited %v inside a 20s lease", waited)
	}
	f.clk.advance(time.Minute)
	if _, err := f.handlers[1].Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	parentOf(t, f.slack, "#oncall")
}

// Finding 5: Slack answering ok without a ts is a retryable failure, and bounded: not a new
// parent on every render.
func TestOKWithoutTSIsRetryableAndBounded(t *testing.T) {
	f := newFleetWith(t, memory.New(), 1, truthConfig)
	cmd := "a7a7a7a7-1111-4222-8333-944455556666"
	f.slack.Inject(slacktest.MethodPostMessage, 100, slacktest.OKWithoutTS())
	ctx := context.Background()
	var retryable, permanent int
	for i := range 30 {
		ev := sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "InProgress", time.Duration(i)*time.Second)), 1)[0]
		rep, err := f.handlers[0].Process(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			switch r.Outcome {
			case router.Retryable:
				retryable++
			case router.Permanent:
				permanent++
			}
		}
		f.clk.advance(time.Second)
		f.drain()
	}
	if n := len(f.slack.Messages("#oncall")); n > 3 {
		t.Errorf("%d parents posted in 30 ticks; want at most 3", n)
	}
	if retryable == 0 || permanent == 0 || len(f.parked.All()) == 0 {
		t.Errorf("retryable %d, permanent %d, parked %d: want retries, then a parked permanent failure", retryable, permanent, len(f.parked.All()))
	}
}

// Findings 7 and 9 at fleet scale: 150 failed instances of 200 are each named in exactly one
// thread reply (batched within Slack's limits), and the mention is made once.
func TestEveryFailedInstanceIsNamedAndMentionedOnce(t *testing.T) {
	f := newFleet(t, memory.New(), 2)
	bodies, failedIDs := fleetCommand("17171717-1111-4222-8333-944455556666", 200, 150, 5, rand.New(rand.NewPCG(7, 7)))
	f.run(sqsBatches(bodies, 25), time.Second)
	s := statsOf(t, f.slack, "#fleet")
	checkNamedOnce(t, s, failedIDs)
	var mentions int
	for _, m := range f.slack.Messages("#fleet") {
		mentions += strings.Count(m.Text, "<!here>")
	}
	if mentions != 1 {
		t.Errorf("<!here> in %d messages, want 1", mentions)
	}
	if !strings.Contains(s.parentText, "Failed on 150 of 200") || !strings.Contains(s.parentText, "50 of 200 succeeded") {
		t.Errorf("final parent:\n%s", s.parentText)
	}
}

// checkNamedOnce fails unless the thread replies name each of failed exactly once and nothing
// else.
func checkNamedOnce(t *testing.T, s threadStats, failed []string) {
	t.Helper()
	got := slices.Sorted(slices.Values(s.replied))
	want := slices.Sorted(slices.Values(failed))
	if !slices.Equal(got, want) {
		missing := 0
		for _, id := range want {
			if !slices.Contains(got, id) {
				missing++
			}
		}
		t.Errorf("replies name %d instances (%d distinct) of %d failed; %d never named", len(got), len(slices.Compact(slices.Clone(got))), len(want), missing)
	}
}

// Finding 12: when Slack posted the parent but its answer was lost, the retry finds that message
// (by the command ID in its metadata) and adopts it: one parent, showing the live state, not an
// orphan claiming "In Progress" beside a second parent.
func TestOrphanedParentIsAdopted(t *testing.T) {
	f := newFleetWith(t, memory.New(), 1, strings.Replace(truthConfig, `channel: "#oncall"`, `channel: "C0ONCALL1"`, 1))
	cmd := "c12c12c1-1111-4222-8333-944455556666"
	ctx := context.Background()
	h := f.handlers[0]
	f.slack.Inject(slacktest.MethodPostMessage, 1, slacktest.PostedButLost())
	first := sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "InProgress", 0)), 1)[0]
	if rep, err := h.Process(ctx, first); err != nil || len(rep.Retry()) != 1 {
		t.Fatalf("a lost answer must be retried: %+v %v", rep, err)
	}
	f.clk.advance(2 * time.Second)
	if rep, err := h.Process(ctx, first); err != nil || len(rep.Retry()) != 0 { // Lambda's retry
		t.Fatalf("retry: %+v %v", rep.Results, err)
	}
	f.clk.advance(2 * time.Second)
	f.run(sqsBatches(bodiesOf(invocation(cmd, "AWS-RunShellScript", "i-0aaaaaaaaaaaaaaa1", "Success", time.Minute)), 1), time.Second)
	parent, _ := parentOf(t, f.slack, "C0ONCALL1")
	if !strings.Contains(parent.Text, "Success: AWS-RunShellScript") {
		t.Errorf("the one parent reads %q, want the final Success", parent.Text)
	}
}
