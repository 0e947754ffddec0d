package enrich_test

import (
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// benchEnrich runs Enrich b.N times with the result cache expired before each call (the cost of
// a first delivery), and reports the SSM calls per alert.
func benchEnrich(b *testing.B, n *payload.Notification, block string, cached bool) {
	h := newHarness(b)
	cfg := mustEnrich(b, block)
	b.ReportAllocs()
	for b.Loop() {
		if !cached {
			h.clock.Add(enrich.DefaultResultTTL)
		}
		if d := h.e.Enrich(b.Context(), n, cfg); d == nil || d.Unavailable != nil {
			b.Fatalf("detail = %+v", d)
		}
	}
	b.ReportMetric(float64(h.srv.Calls(ssmtest.GetCommandInvocation))/float64(b.N), "ssm_calls/op")
}

// BenchmarkEnrichInvocation is the overhead one enriched invocation alert adds against the local
// server: one signed GetCommandInvocation round trip, decoding and shaping.
func BenchmarkEnrichInvocation(b *testing.B) {
	benchEnrich(b, invocation(failedID, payload.StatusFailed), "true", false)
}

// BenchmarkEnrichCommand4 looks up four instances of a command summary in parallel.
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
	n := invocation(failedID, payload.StatusFailed)
	var worst time.Duration
	for b.Loop() {
		h.clock.Add(enrich.DefaultResultTTL)
		start := time.Now()
		d := h.e.Enrich(b.Context(), n, cfg)
		if el := time.Since(start); el > worst {
			worst = el
		}
		if d == nil || d.Unavailable == nil {
			b.Fatalf("detail = %+v", d)
		}
	}
	b.ReportMetric(float64(worst-cfg.Timeout)/float64(time.Millisecond), "worst_budget_overrun_ms")
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
