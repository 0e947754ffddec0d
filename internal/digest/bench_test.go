package digest_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/digest/view"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
)

// benchFailures is how many failures the benchmark's window holds.
const benchFailures = 100000

// splitStore reads failures from DynamoDB and keeps claims in a fresh in-process store per
// iteration, so every iteration sends (a digest already sent would skip rendering).
type splitStore struct {
	state.FailureIndex
	state.Claims
}

// sampled wraps the failure index to sample the heap while the window is read: the digest's
// peak memory is reached during the read (the tally) and the rendering after it.
type sampled struct {
	state.FailureIndex
	every int
	peak  uint64
}

func (s *sampled) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.peak = max(s.peak, m.HeapInuse)
}

func (s *sampled) Failures(ctx context.Context, from, to, now time.Time, fn func(state.Failure) error) (state.ReadStats, error) {
	i := 0
	return s.FailureIndex.Failures(ctx, from, to, now, func(f state.Failure) error {
		if i++; i%s.every == 0 {
			s.sample()
		}
		return fn(f)
	})
}

// renderSender renders for each destination, as Live does, without a network.
type renderSender struct{ sample func() }

func (r renderSender) Send(_ context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error {
	if dest.Slack != nil {
		if _, err := view.Slack(s, view.Options{Location: loc}).JSON(); err != nil {
			return err
		}
	} else if _, err := view.Email(s, view.Options{Location: loc}); err != nil {
		return err
	}
	r.sample()
	return nil
}

// BenchmarkDigest100k summarises a 24-hour window holding 100,000 failures (about 30,000
// commands over 300 instances and 15 documents) against dynalite, with the previous window
// empty, and renders it for Slack and email. It reports the time per digest, the peak heap in
// use while it ran (above what was in use before), the bytes allocated, the Query requests, the
// items read and the read capacity units DynamoDB reports. Run it with -benchtime=1x: one digest
// reads the whole window.
func BenchmarkDigest100k(b *testing.B) {
	// Seeding 100,000 items into dynalite takes about a minute, so it happens once per
	// benchmark run, outside the timer. b.Loop calls this function once per measurement (not
	// once per ramp-up step as b.N loops are), so no package-level sync.Once is needed — and
	// none could outlive dynalite, which stops when this b ends. A plain `go test` never gets
	// here.
	local := dynamotest.Start(b)
	store, _ := local.NewStore(b)
	start := time.Now()
	seed(b, store, generate(benchFailures, scheduled, 24*time.Hour-time.Minute, 42))
	b.Logf("seeded %d failures in %s", benchFailures, time.Since(start).Round(time.Millisecond))
	set := config(b, "24h", false)
	now := scheduled.Add(time.Minute)
	raw := event(digest.SourceScheduler, scheduled)
	var peak, alloc, rcu float64
	var queries, items int
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		idx := &sampled{FailureIndex: store, every: 1000}
		h := &digest.Handler{Rules: set, Store: splitStore{idx, memory.New()}, Send: renderSender{idx.sample}, Now: func() time.Time { return now }}
		b.StartTimer()
		rep, err := h.Run(b.Context(), raw)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Summary.Total != benchFailures || rep.Results[0].Outcome != digest.Sent {
			b.Fatalf("summarised %d failures (%s), want %d sent", rep.Summary.Total, outcomes(rep), benchFailures)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		peak = max(peak, float64(idx.peak)-float64(before.HeapInuse))
		alloc += float64(after.TotalAlloc - before.TotalAlloc)
		rcu += rep.Read.CapacityUnits + rep.ReadPrevious.CapacityUnits
		queries += rep.Read.Requests + rep.ReadPrevious.Requests
		items += rep.Read.Scanned + rep.ReadPrevious.Scanned
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(peak/(1<<20), "peak-heap-MiB")
	b.ReportMetric(alloc/n/(1<<20), "alloc-MiB/op")
	b.ReportMetric(float64(queries)/n, "queries/op")
	b.ReportMetric(float64(items)/n, "items/op")
	b.ReportMetric(rcu/n, "RCU/op")
}
