package router_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// renderOnly renders each delivery as the live deliverer would and sends nothing.
type renderOnly struct{}

func (renderOnly) Deliver(_ context.Context, d rules.Delivery, n *payload.Notification) error {
	opt := deliver.Options(n, d.Destination)
	if d.Destination.Email != nil {
		_, err := render.Email(n, opt)
		return err
	}
	_, err := render.Slack(n, opt).JSON()
	return err
}

// BenchmarkHandler is the router's own CPU time per notification — decode, guard, rules, claims,
// rendering Slack and email — with in-process dependencies, so the network is excluded. Each
// iteration is a new failed invocation to the default config's two destinations (a fresh
// command, so nothing is a duplicate).
func BenchmarkHandler(b *testing.B) {
	raw, err := os.ReadFile("../../events/sns-invocation-failed.json")
	if err != nil {
		b.Fatal(err)
	}
	h := &router.Handler{Rules: rules.Default(), Store: memory.New(), Deliver: renderOnly{}, Park: &deadletter.Memory{}, Now: func() time.Time { return now }}
	events := make([][]byte, 4096)
	for i := range events {
		events[i] = []byte(replaceCommand(string(raw), fmt.Sprintf("%08x", i)))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := h.Handle(context.Background(), events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
		if i%len(events) == 0 {
			h.Store = memory.New()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/notification")
}

// replaceCommand gives an event a different command ID (the sample's first block is 0b7f3c2e).
func replaceCommand(s, id string) string {
	out := []byte(s)
	for i := 0; i+8 <= len(out); i++ {
		if string(out[i:i+8]) == "0b7f3c2e" {
			copy(out[i:], id)
		}
	}
	return string(out)
}

// BenchmarkHandlerDynamo counts requests per notification on the happy path against dynalite and
// the local Slack server: a failed invocation to one Slack bot destination (the command's
// evolving message) and one email-free route.
func BenchmarkHandlerDynamo(b *testing.B) {
	raw, err := os.ReadFile("../../events/sns-invocation-failed.json")
	if err != nil {
		b.Fatal(err)
	}
	l := dynamotest.Start(b)
	store, counter := l.NewStore(b)
	srv := slacktest.NewServer(b)
	client := slack.New(srv.Token, slack.WithAPIURL(srv.APIURL))
	set, err := rules.Parse([]byte(fleetConfig), "fleet.yaml")
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{}
	clk.ns.Store(now.UnixNano())
	h := &router.Handler{Rules: set, Store: store, Deliver: &fakeDeliverer{}, Park: &deadletter.Memory{}, Now: clk.now,
		Threads: &thread.Threads{Store: store, Schedule: &thread.Memory{}, Now: clk.now, Token: "bench",
			Slack: func(context.Context) (thread.Poster, error) { return client, nil }}}
	n := 0
	for b.Loop() {
		ev := []byte(replaceCommand(string(raw), fmt.Sprintf("%08x", rand.Uint32())))
		if _, err := h.Handle(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
		clk.advance(time.Second)
		n++
	}
	b.ReportMetric(float64(counter.Total())/float64(n), "dynamodb-requests/notification")
	b.ReportMetric(float64(len(srv.Calls()))/float64(n), "slack-requests/notification")
}

// BenchmarkThousandInstanceCommand reports the Slack calls one 1,000-instance command makes
// (2,100 invocation notifications with 5% duplicates, four concurrent invocations, a second per
// round), with the in-process store.
func BenchmarkThousandInstanceCommand(b *testing.B) {
	var calls, perSecond float64
	for b.Loop() {
		bodies, _ := fleetCommand(fmt.Sprintf("5e1f%04x-1111-4222-8333-944455556666", rand.IntN(65536)), 1000, 50, 5, rand.New(rand.NewPCG(9, 9)))
		f := newFleet(b, memory.New(), 4)
		f.run(sqsBatches(bodies, 50), time.Second)
		calls = float64(len(f.slack.Calls()))
		perSecond = float64(f.slack.MaxCallsPerSecond("#fleet"))
	}
	b.ReportMetric(calls, "slack-calls/command")
	b.ReportMetric(perSecond, "max-calls/s/channel")
}
