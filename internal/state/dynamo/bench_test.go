package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

// BenchmarkClaim measures what one notification costs the state layer on the router's path:
// Observe, then Claim and Complete for one destination. "happy" is a new status; "redelivery"
// the same notification arriving again after it was delivered (a duplicate, then "done").
// It reports DynamoDB requests per notification and p50/p99 latency of the claim and of the
// whole path, against dynalite on loopback (and the in-process store for comparison).
func BenchmarkClaim(b *testing.B) {
	local := dynamotest.Start(b)
	stores := []struct {
		name string
		new  func(b *testing.B) (state.Store, *dynamo.Counter)
	}{
		{"dynalite", func(b *testing.B) (state.Store, *dynamo.Counter) { return local.NewStore(b) }},
		{"memory", func(*testing.B) (state.Store, *dynamo.Counter) { return memory.New(), nil }},
	}
	for _, st := range stores {
		b.Run(st.name+"/happy", func(b *testing.B) { benchPath(b, st.new, false) })
		b.Run(st.name+"/redelivery", func(b *testing.B) { benchPath(b, st.new, true) })
	}
}

func benchPath(b *testing.B, newStore func(b *testing.B) (state.Store, *dynamo.Counter), redeliver bool) {
	s, counter := newStore(b)
	ctx := b.Context()
	now := statetest.Base
	notification := func(i int) *payload.Notification {
		st := payload.StatusSuccess
		if i%10 == 0 {
			st = payload.StatusFailed // failures also write the failure index: same request
		}
		return statetest.Invocation(fmt.Sprintf("bench-%d", i/1000), fmt.Sprintf("i-%06d", i), st, now.Add(time.Duration(i)*time.Millisecond))
	}
	deliver := func(n *payload.Notification) (claim, path time.Duration, err error) {
		t0 := time.Now()
		if _, err := s.Observe(ctx, n, now); err != nil {
			return 0, 0, err
		}
		t1 := time.Now()
		c, err := s.Claim(ctx, state.NotificationClaim(n.CommandID, n.Target(), n.Status, "slack:C0123"), now, now.Add(time.Minute))
		if err != nil {
			return 0, 0, err
		}
		t2 := time.Now()
		if c.Outcome == state.ClaimWon {
			if err := s.Complete(ctx, c, now); err != nil {
				return 0, 0, err
			}
		}
		return t2.Sub(t1), time.Since(t0), nil
	}
	var claims, paths []time.Duration
	count, requests := 0, 0
	for i := 0; b.Loop(); i++ {
		n := notification(i)
		b.StopTimer()
		if redeliver {
			if _, _, err := deliver(n); err != nil {
				b.Fatal(err)
			}
		}
		if counter != nil {
			counter.Reset()
		}
		b.StartTimer()
		claim, path, err := deliver(n)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		claims = append(claims, claim)
		paths = append(paths, path)
		count++
		if counter != nil {
			requests += counter.Total()
		}
		b.StartTimer()
	}
	if counter != nil {
		b.ReportMetric(float64(requests)/float64(count), "requests/notification")
	}
	b.ReportMetric(percentile(claims, 50), "claim-p50-us")
	b.ReportMetric(percentile(claims, 99), "claim-p99-us")
	b.ReportMetric(percentile(paths, 50), "path-p50-us")
	b.ReportMetric(percentile(paths, 99), "path-p99-us")
}

func percentile(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100].Nanoseconds()) / 1e3
}
