package enrich_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// benchEnrich runs Enrich b.N times with the result cache expired before each call (the cost of
// a first delivery), and reports the SSM calls per failed notification (every operation) and the
// latency it adds: median and 99th percentile.
func benchEnrich(b *testing.B, n *payload.Notification, block string, cached bool) {
	h := newHarness(b)
	benchWith(b, h, n, block, cached)
}

func benchWith(b *testing.B, h *harness, n *payload.Notification, block string, cached bool) {
	cfg := mustEnrich(b, block)
	b.ReportAllocs()
	var took []time.Duration
	for b.Loop() {
		if !cached {
			h.clock.Add(enrich.DefaultResultTTL)
		}
		start := time.Now()
		d := h.e.Enrich(b.Context(), n, cfg)
		took = append(took, time.Since(start))
		if d == nil || d.Unavailable != nil {
			b.Fatalf("detail = %+v", d)
		}
	}
	calls := 0
	for _, op := range []string{ssmtest.GetCommandInvocation, ssmtest.ListCommandInvocations, ssmtest.ListCommands, ssmtest.DescribeInstancePatchStates} {
		calls += h.srv.Calls(op)
	}
	b.ReportMetric(float64(calls)/float64(len(took)), "ssm_calls/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "p50_ms")
	b.ReportMetric(float64(took[len(took)*99/100])/float64(time.Millisecond), "p99_ms")
}

// BenchmarkEnrichMultiStep is an AWS-RunPatchBaseline invocation: GetCommandInvocation answers
// InvalidPluginName, ListCommandInvocations finds the failed step, DescribeInstancePatchStates
// (in parallel) the patch state.
func BenchmarkEnrichMultiStep(b *testing.B) {
	h := newHarness(b)
	l := ssmtest.RecordedListed(b, "patch-linux-failed")
	h.srv.AddListed(l)
	n := invocation(l.InstanceId, payload.StatusFailed)
	n.CommandID, n.DocumentName = l.CommandId, l.DocumentName
	benchWith(b, h, n, "true", false)
}

// BenchmarkEnrichPatchRun50 is the command summary of a 50-instance patch run with 44 failures:
// ListCommands, two filtered ListCommandInvocations and one DescribeInstancePatchStates.
func BenchmarkEnrichPatchRun50(b *testing.B) {
	h := newHarness(b)
	base := ssmtest.RecordedListed(b, "patch-linux-failed")
	for i := range 50 {
		l := base
		l.InstanceId = fmt.Sprintf("i-0%016x", 0x5000+i)
		if i >= 44 {
			l.Status, l.StatusDetails = "Success", "Success"
		}
		h.srv.AddListed(l)
		h.srv.SetPatchState(ssmtest.PatchState{InstanceId: l.InstanceId, Operation: "Install", FailedCount: 1})
	}
	h.srv.AddCommand(ssmtest.Command{CommandId: base.CommandId, TargetCount: 50, CompletedCount: 50, ErrorCount: 44})
	n := command(payload.StatusFailed)
	n.CommandID, n.DocumentName = base.CommandId, base.DocumentName
	benchWith(b, h, n, "true", false)
}

// BenchmarkEnrichInvocation is the overhead one enriched invocation alert adds against the local
// server: one signed GetCommandInvocation round trip, decoding and shaping.
func BenchmarkEnrichInvocation(b *testing.B) {
	benchEnrich(b, invocation(failedID, payload.StatusFailed), "true", false)
}

// BenchmarkEnrichCommand4 is a command summary with four instances, three failed: ListCommands
// and the failures (two filtered ListCommandInvocations), in parallel.
func BenchmarkEnrichCommand4(b *testing.B) {
	benchEnrich(b, command(payload.StatusFailed, failedID, execTOID, delivTOID, successID), "{max_instances: 10}", false)
}

// BenchmarkEnrichInvocationWithName adds the Name tag (cached after the first call).
func BenchmarkEnrichInvocationWithName(b *testing.B) {
	benchEnrich(b, invocation(failedID, payload.StatusFailed), "{name_tag: true}", false)
}

// BenchmarkEnrichCached is a second destination of the same notification: no call at all.
func BenchmarkEnrichCached(b *testing.B) {
	benchEnrich(b, invocation(failedID, payload.StatusFailed), "true", true)
}

// BenchmarkEnrichHungSSM is the worst case: SSM never answers and the alert waits out the
// budget (100ms here). budget_overrun_ms is how much longer than the budget the alert waited.
func BenchmarkEnrichHungSSM(b *testing.B) {
	h := newHarness(b)
	h.srv.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: time.Hour})
	cfg := mustEnrich(b, "{timeout: 100ms}")
	var took []time.Duration
	n := invocation(failedID, payload.StatusFailed)
	var worst time.Duration
	for b.Loop() {
		h.clock.Add(enrich.DefaultResultTTL)
		start := time.Now()
		d := h.e.Enrich(b.Context(), n, cfg)
		el := time.Since(start)
		took = append(took, el)
		worst = max(worst, el)
		if d == nil || d.Unavailable == nil {
			b.Fatalf("detail = %+v", d)
		}
	}
	b.ReportMetric(float64(worst-cfg.Timeout)/float64(time.Millisecond), "worst_budget_overrun_ms")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "p50_ms")
	b.ReportMetric(float64(took[len(took)*99/100])/float64(time.Millisecond), "p99_ms")
}

// BenchmarkEnrichAndRender is enrichment plus rendering the Slack message and the email: the
// whole cost enrichment adds to a delivery.
func BenchmarkEnrichAndRender(b *testing.B) {
	h := newHarness(b)
	cfg := mustEnrich(b, "true")
	n := invocation(failedID, payload.StatusFailed)
	b.ReportAllocs()
	for b.Loop() {
		h.clock.Add(enrich.DefaultResultTTL)
		d := h.e.Enrich(b.Context(), n, cfg)
		_ = render.Slack(n, render.Options{Detail: d})
		if _, err := render.Email(n, render.Options{Detail: d}); err != nil {
			b.Fatal(err)
		}
	}
}
