package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

const fleetConfig = `
destinations:
  - name: fleet
    slack:
      channel: "#fleet"
      mentions: {Failed: "<!here>"}
routes:
  - name: everything
    notify_on: [All]
    to: [fleet]
`

// clock is a fake clock shared by the handlers, the Slack server and the driver.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// fleet drives notifications through concurrent router invocations the way an SQS buffer would:
// batches of records, several invocations at once, each a separate "execution environment" with
// its own handler (and render-lease token), all sharing the store, Slack and the render queue.
type fleet struct {
	t        testing.TB
	clk      *clock
	slack    *slacktest.Server
	sched    *thread.Memory
	parked   *deadletter.Memory
	handlers []*router.Handler
}

func newFleet(t testing.TB, store state.Store, workers int) *fleet {
	t.Helper()
	return newFleetWith(t, store, workers, fleetConfig)
}

// newFleetWith is newFleet with another routing config.
func newFleetWith(t testing.TB, store state.Store, workers int, config string) *fleet {
	t.Helper()
	clk := &clock{}
	clk.ns.Store(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC).UnixNano())
	set, err := rules.Parse([]byte(config), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := slacktest.NewServer(t, slacktest.WithClock(clk.now))
	f := &fleet{t: t, clk: clk, slack: srv, sched: &thread.Memory{}, parked: &deadletter.Memory{}}
	client := slack.New(srv.Token, slack.WithAPIURL(srv.APIURL))
	for w := range workers {
		f.handlers = append(f.handlers, &router.Handler{
			Rules: set, Store: store, Deliver: &fakeDeliverer{}, Park: f.parked, Now: clk.now,
			Threads: &thread.Threads{
				Store: store, Schedule: f.sched, Now: clk.now, Token: fmt.Sprintf("env-%d", w),
				Slack: func(context.Context) (thread.Poster, error) { return client, nil },
			},
		})
	}
	return f
}

// run processes the batches, workers at a time, advancing the clock between rounds and handing
// due renders to the router as the render queue would; then drains the render queue.
func (f *fleet) run(batches [][]byte, step time.Duration) {
	f.t.Helper()
	for i := 0; i < len(batches); i += len(f.handlers) {
		var wg sync.WaitGroup
		for w, h := range f.handlers {
			if i+w >= len(batches) {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.invoke(h, batches[i+w])
			}()
		}
		wg.Wait()
		f.clk.advance(step)
		f.drain()
	}
	for range 600 {
		next, ok := f.sched.Next()
		if !ok {
			return
		}
		if next.After(f.clk.now()) {
			f.clk.ns.Store(next.UnixNano())
		}
		f.drain()
	}
	f.t.Fatal("the render queue never emptied")
}

func (f *fleet) drain() {
	if due := f.sched.Due(f.clk.now()); len(due) > 0 {
		f.invoke(f.handlers[0], thread.Event(due))
	}
}

func (f *fleet) invoke(h *router.Handler, ev []byte) {
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		f.t.Errorf("invocation failed: %v", err)
		return
	}
	b, _ := json.Marshal(resp)
	if strings.Contains(string(b), `"itemIdentifier"`) {
		f.t.Errorf("records to retry: %s", b)
	}
}

// snsEnvelope is an SNS notification as an SQS buffer delivers it.
func snsEnvelope(msgID string, msg map[string]any) string {
	m, _ := json.Marshal(msg)
	env, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": msgID, "TopicArn": "arn:aws:sns:us-east-1:111122223333:ssmnotify",
		"Message": string(m), "Timestamp": "2026-05-04T10:00:00Z"})
	return string(env)
}

func sqsBatches(bodies []string, size int) [][]byte {
	var out [][]byte
	for i := 0; i < len(bodies); i += size {
		var recs []map[string]any
		for j, b := range bodies[i:min(i+size, len(bodies))] {
			recs = append(recs, map[string]any{"messageId": fmt.Sprintf("sqs-%d", i+j), "eventSource": "aws:sqs",
				"eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:buffer", "body": b})
		}
		ev, _ := json.Marshal(map[string]any{"Records": recs})
		out = append(out, ev)
	}
	return out
}

// fleetCommand builds the invocation notifications of a command to n instances: InProgress for
// each, then Success or Failed (failed of them), shuffled, with dupPct% duplicates.
func fleetCommand(cmd string, n, failed int, dupPct float64, rng *rand.Rand) (bodies []string, failedIDs []string) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for i := range n {
		inst := fmt.Sprintf("i-%017x", i)
		base := map[string]any{"commandId": cmd, "documentName": "AWS-RunPatchBaseline", "instanceId": inst, "requestedDateTime": t0.Format(time.RFC3339Nano)}
		ip := maps(base, "status", "InProgress", "eventTime", t0.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
		final := "Success"
		if i < failed {
			final = "Failed"
			failedIDs = append(failedIDs, inst)
		}
		end := maps(base, "status", final, "eventTime", t0.Add(time.Minute+time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
		bodies = append(bodies, snsEnvelope(fmt.Sprintf("%s-ip-%d", cmd[:4], i), ip), snsEnvelope(fmt.Sprintf("%s-end-%d", cmd[:4], i), end))
	}
	for range int(float64(len(bodies)) * dupPct / 100) {
		bodies = append(bodies, bodies[rng.IntN(len(bodies))])
	}
	rng.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	return bodies, failedIDs
}

func maps(base map[string]any, kv ...string) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

var labelRE = regexp.MustCompile(`\|(i-[0-9a-f]{17})(?:\\u003e|>)`)

// threadStats summarizes what Slack saw in the channel.
type threadStats struct {
	calls, posts, updates, replies, parents, maxPerSecond int
	parentText                                            string
	replied                                               []string
}

func statsOf(t *testing.T, srv *slacktest.Server, channel string) threadStats {
	t.Helper()
	var s threadStats
	for _, c := range srv.Calls() {
		s.calls++
		switch c.Method {
		case slacktest.MethodPostMessage:
			s.posts++
		case slacktest.MethodUpdate:
			s.updates++
		}
	}
	for _, m := range srv.Messages(channel) {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			s.parents++
			s.parentText = m.Text + "\n" + string(m.Blocks) + string(m.Attachments)
			for _, r := range srv.Replies(channel, m.TS) {
				s.replies++
				// Each instance is a link labelled with its ID: <url|i-…>.
				for _, m := range labelRE.FindAllStringSubmatch(string(r.Blocks), -1) {
					s.replied = append(s.replied, m[1])
				}
			}
		}
	}
	s.maxPerSecond = srv.MaxCallsPerSecond(channel)
	return s
}

// TestThousandInstanceCommandIsOneMessage is issue 9's proof: 1,000 instances, InProgress then
// 950 Success and 50 Failed, shuffled with 5% duplicates, through concurrent router invocations
// against dynalite and the local Slack server.
func TestThousandInstanceCommandIsOneMessage(t *testing.T) {
	l := dynamotest.Start(t)
	store, counter := l.NewStore(t)
	rng := rand.New(rand.NewPCG(9, 9))
	bodies, failedIDs := fleetCommand("5e1f0000-1111-4222-8333-944455556666", 1000, 50, 5, rng)
	f := newFleet(t, store, 4)
	// Each round of four concurrent invocations takes a second: the whole command is reported
	// over about 11 seconds.
	f.run(sqsBatches(bodies, 50), time.Second)

	s := statsOf(t, f.slack, "#fleet")
	t.Logf("notifications %d; Slack calls %d (%d posts, %d updates; %d thread replies); max calls to #fleet in one second: %d; DynamoDB requests %d (%.1f per notification); renders scheduled %d",
		len(bodies), s.calls, s.posts, s.updates, s.replies, s.maxPerSecond, counter.Total(), float64(counter.Total())/float64(len(bodies)), f.sched.Count)
	if s.parents != 1 {
		t.Errorf("%d parent messages, want 1", s.parents)
	}
	if s.calls >= 60 {
		t.Errorf("%d Slack calls; the goal is under 60", s.calls)
	}
	if s.maxPerSecond > 1 {
		t.Errorf("%d calls to #fleet in one second", s.maxPerSecond)
	}
	if !strings.Contains(s.parentText, "Failed on 50 of 1000") || !strings.Contains(s.parentText, "950 of 1000 succeeded") || strings.Contains(s.parentText, "in progress") {
		t.Errorf("final parent does not show 950/50 exactly:\n%s", s.parentText)
	}
	// Every failed instance is named in exactly one thread reply.
	checkNamedOnce(t, s, failedIDs)
	if testing.Verbose() {
		t.Logf("final parent:\n%s\nreplies name %d instances", s.parentText, len(s.replied))
	}
}

// TestThousandFailuresAreEachNamed is issue 14's fleet proof: 1,000 instances that all fail,
// shuffled with 5% duplicates, through concurrent invocations against dynalite and the local
// Slack server. Every one is named in the thread (batched replies within Slack's limits), the
// mention is made once, and the final parent is exact.
func TestThousandFailuresAreEachNamed(t *testing.T) {
	t.Run("memory", func(t *testing.T) { thousandFailures(t, memory.New(), nil) })
	t.Run("dynalite", func(t *testing.T) {
		l := dynamotest.Start(t)
		store, counter := l.NewStore(t)
		thousandFailures(t, store, counter.Total)
	})
}

func thousandFailures(t *testing.T, store state.Store, requests func() int) {
	counter := struct{ Total func() int }{requests}
	if counter.Total == nil {
		counter.Total = func() int { return 0 }
	}
	bodies, failedIDs := fleetCommand("5e1f0001-1111-4222-8333-944455556666", 1000, 1000, 5, rand.New(rand.NewPCG(14, 14)))
	f := newFleet(t, store, 4)
	f.run(sqsBatches(bodies, 50), time.Second)
	s := statsOf(t, f.slack, "#fleet")
	t.Logf("notifications %d; Slack calls %d (%d posts, %d updates; %d thread replies); DynamoDB requests %d",
		len(bodies), s.calls, s.posts, s.updates, s.replies, counter.Total())
	if s.parents != 1 || s.maxPerSecond > 1 {
		t.Errorf("%d parents, %d calls in one second; want 1 and at most 1", s.parents, s.maxPerSecond)
	}
	checkNamedOnce(t, s, failedIDs)
	if !strings.Contains(s.parentText, ":x: Failed: AWS-RunPatchBaseline — Failed on 1000 of 1000") || strings.Contains(s.parentText, "in progress") {
		t.Errorf("final parent:\n%s", s.parentText)
	}
	var mentions int
	for _, m := range f.slack.Messages("#fleet") {
		mentions += strings.Count(m.Text, "<!here>")
	}
	if mentions != 1 {
		t.Errorf("<!here> in %d messages, want 1", mentions)
	}
}

// TestCommandSummariesOnlyUpdateOneParent: with NotificationType Command there are no
// per-instance notifications: one parent, updated in place, no replies.
func TestCommandSummariesOnlyUpdateOneParent(t *testing.T) {
	store := memory.New()
	f := newFleet(t, store, 2)
	cmd := "c0c0c0c0-1111-4222-8333-944455556666"
	ids := []string{"i-0aaa1111bbbb2222c", "i-0ddd3333eeee4444f"}
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	summary := func(status string, at time.Duration, id string) string {
		return snsEnvelope(id, map[string]any{"commandId": cmd, "documentName": "AWS-RunShellScript", "instanceIds": ids,
			"requestedDateTime": t0.Format(time.RFC3339), "expiresAfter": t0.Add(time.Hour).Format(time.RFC3339),
			"outputS3BucketName": "", "outputS3KeyPrefix": "", "status": status, "eventTime": t0.Add(at).Format(time.RFC3339Nano)})
	}
	bodies := []string{summary("Failed", 90*time.Second, "m3"), summary("InProgress", time.Second, "m1"), summary("InProgress", time.Second, "m1"), summary("Failed", 90*time.Second, "m3")}
	f.run(sqsBatches(bodies[:2], 1), 2*time.Second)
	f.run(sqsBatches(bodies[2:], 1), 2*time.Second)
	s := statsOf(t, f.slack, "#fleet")
	// Two environments take the batches concurrently. When the parent was posted In Progress and
	// then edited to Failed, an edit notifies nobody, so the Failed mention goes out once, in a
	// thread reply (issue 14); when Failed came first, the parent itself carries it. Either way:
	// one parent, one mention.
	if s.parents != 1 || s.replies > 1 {
		t.Errorf("%d parents, %d replies; want 1 and at most 1 (the reply that mentions)", s.parents, s.replies)
	}
	var mentions int
	for _, m := range f.slack.Messages("#fleet") {
		mentions += strings.Count(m.Text, "<!here>")
	}
	if mentions != 1 {
		t.Errorf("<!here> in %d messages, want 1", mentions)
	}
	if !strings.Contains(s.parentText, "Failed") || strings.Contains(s.parentText, "In Progress:") {
		t.Errorf("parent should show the final Failed state:\n%s", s.parentText)
	}
	t.Logf("Slack calls %d (%d posts, %d updates)", s.calls, s.posts, s.updates)
}

// TestTerminalStateIsBroadcastWhenAsked: with broadcast_terminal the command's final state is
// posted once as a thread reply that is also shown in the channel.
func TestTerminalStateIsBroadcastWhenAsked(t *testing.T) {
	f := newFleet(t, memory.New(), 1)
	set, err := rules.Parse([]byte(strings.Replace(fleetConfig, `mentions: {Failed: "<!here>"}`, "broadcast_terminal: true", 1)), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.handlers[0].Rules = set
	cmd := "b0b0b0b0-1111-4222-8333-944455556666"
	bodies, _ := fleetCommand(cmd, 3, 1, 0, rand.New(rand.NewPCG(1, 2)))
	// Invocation notifications alone do not say how many instances there are; the command's own
	// terminal status (its summary, or EventBridge's command event) says it finished.
	bodies = append(bodies, snsEnvelope("summary", map[string]any{"commandId": cmd, "documentName": "AWS-RunPatchBaseline",
		"instanceIds": []string{"i-00000000000000000", "i-00000000000000001", "i-00000000000000002"}, "requestedDateTime": "2026-05-04T10:00:00Z",
		"expiresAfter": "2026-05-04T11:00:00Z", "outputS3BucketName": "", "outputS3KeyPrefix": "", "status": "Failed", "eventTime": "2026-05-04T10:02:00Z"}))
	f.run(sqsBatches(bodies, 2), time.Second)
	f.run(sqsBatches(bodies, 2), time.Second) // redelivered: still one broadcast
	var broadcasts int
	for _, m := range f.slack.Messages("#fleet") {
		if m.ReplyBroadcast {
			broadcasts++
			if !strings.Contains(m.Text, "Command finished") {
				t.Errorf("broadcast %q", m.Text)
			}
		}
	}
	if broadcasts != 1 {
		t.Errorf("%d broadcasts, want 1", broadcasts)
	}
}
