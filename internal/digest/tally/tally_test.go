package tally_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

var base = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

func failure(cmd, doc, instance string, st payload.Status, at time.Time) state.Failure {
	return state.Failure{CommandID: cmd, DocumentName: doc, InstanceID: instance, Status: st, EventTime: at, Region: "eu-west-1"}
}

func TestSummaryCountsAndOrder(t *testing.T) {
	c := tally.New(0)
	prev := tally.NewPrevious(0)
	add := func(cc *tally.Counter, f state.Failure) {
		if err := cc.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	add(c, failure("c1", "Patch", "i-1", payload.StatusFailed, at(3)))
	add(c, failure("c1", "Patch", "i-2", payload.StatusFailed, at(1)))
	add(c, failure("c1", "Patch", "", payload.StatusFailed, at(4)))
	add(c, failure("c2", "Deploy", "i-1", payload.StatusTimedOut, at(2)))
	add(c, failure("c3", "Backup", "i-3", payload.StatusCancelled, at(5)))
	add(prev, failure("p1", "Patch", "i-1", payload.StatusFailed, at(-60)))
	add(prev, failure("p2", "Deploy", "i-1", payload.StatusFailed, at(-61)))
	add(prev, failure("p2", "Deploy", "i-2", payload.StatusFailed, at(-62)))

	s := c.Summary(base, base.Add(24*time.Hour), 2, prev)
	if s.Total != 5 || s.CommandLevel != 1 || !s.FirstFailure.Equal(at(1)) || !s.LastFailure.Equal(at(5)) {
		t.Fatalf("totals: %+v", s)
	}
	wantStatus := []tally.Count{{Name: "Failed", Count: 3}, {Name: "Cancelled", Count: 1}, {Name: "TimedOut", Count: 1}}
	if fmt.Sprint(s.ByStatus) != fmt.Sprint(wantStatus) {
		t.Errorf("by status %v, want %v", s.ByStatus, wantStatus)
	}
	// Top 2 documents: Patch 3 (previous 1), then Backup and Deploy tie at 1: by name.
	d := s.Documents
	if len(d.Top) != 2 || d.Top[0].Name != "Patch" || d.Top[0].Count != 3 || d.Top[0].Previous != 1 || !d.Top[0].PreviousKnown ||
		d.Top[1].Name != "Backup" || d.Top[1].Previous != 0 || !d.Top[1].PreviousKnown {
		t.Errorf("documents %+v", d.Top)
	}
	if d.Distinct != 3 || d.More() != 1 || d.NotShown != 1 || d.Uncounted != 0 {
		t.Errorf("documents table %+v", d)
	}
	if in := s.Instances; in.Distinct != 3 || in.Top[0].Name != "i-1" || in.Top[0].Count != 2 || in.NotShown != 1 {
		t.Errorf("instances %+v", in)
	}
	cm := s.Commands
	if cm.Distinct != 3 || len(cm.Top) != 2 || cm.Top[0].CommandID != "c1" || cm.Top[0].Failures != 3 ||
		!cm.Top[0].First.Equal(at(1)) || !cm.Top[0].Last.Equal(at(4)) || cm.Top[1].CommandID != "c2" || cm.More() != 1 {
		t.Errorf("commands %+v", cm)
	}
	if s.Previous == nil || s.Previous.Total != 3 || !s.Previous.To.Equal(base) || !s.Previous.From.Equal(base.Add(-24*time.Hour)) {
		t.Errorf("previous %+v", s.Previous)
	}
}

// TestCap: with a cap of K names, memory holds K names per table; the rest is counted as
// uncounted, totals stay exact, and counts of admitted names stay exact.
func TestCap(t *testing.T) {
	const k = 50
	c := tally.New(k)
	prev := tally.NewPrevious(k)
	rng := rand.New(rand.NewPCG(1, 2))
	exact := map[string]int{}
	var order []string
	total := 0
	for i := range 2000 {
		doc := fmt.Sprintf("doc-%03d", rng.IntN(200))
		if _, ok := exact[doc]; !ok {
			order = append(order, doc)
		}
		exact[doc]++
		total++
		if err := c.Add(failure(fmt.Sprintf("cmd-%d", i), doc, fmt.Sprintf("i-%d", i), payload.StatusFailed, base)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			_ = prev.Add(failure("p", fmt.Sprintf("doc-%03d", i%300), "i", payload.StatusFailed, base))
		}
	}
	s := c.Summary(base, base.Add(time.Hour), 0, prev)
	if s.Total != total {
		t.Fatalf("total %d, want %d", s.Total, total)
	}
	d := s.Documents
	if d.Distinct != k || len(d.Top) != k {
		t.Fatalf("distinct %d, top %d, want %d", d.Distinct, len(d.Top), k)
	}
	admitted := map[string]bool{}
	for _, name := range order[:k] {
		admitted[name] = true
	}
	counted := 0
	for _, e := range d.Top {
		if !admitted[e.Name] || e.Count != exact[e.Name] {
			t.Errorf("%s: count %d, exact %d, admitted %v", e.Name, e.Count, exact[e.Name], admitted[e.Name])
		}
		counted += e.Count
	}
	if counted+d.Uncounted != total || d.Uncounted == 0 {
		t.Errorf("counted %d + uncounted %d != %d", counted, d.Uncounted, total)
	}
	if s.Commands.Distinct != k || s.Commands.Uncounted != total-k || s.Instances.Uncounted != total-k {
		t.Errorf("commands %d/%d, instances uncounted %d", s.Commands.Distinct, s.Commands.Uncounted, s.Instances.Uncounted)
	}
	// The previous window was capped too: a document it did not count has an unknown change.
	unknown := 0
	for _, e := range d.Top {
		if !e.PreviousKnown {
			unknown++
		}
	}
	if unknown == 0 {
		t.Error("no document with an unknown previous count, though the previous window was capped")
	}
}

// TestFailedCommandsAndInstancesApart is issue 14's finding 10: 60 failed instances and their
// failed command summary are 1 failed command and 60 failed instances, not "61 failures"; one
// failed instance with its summary is not "2 failures".
func TestFailedCommandsAndInstancesApart(t *testing.T) {
	for _, tc := range []struct {
		instances, commands, instancesWant int
	}{{60, 1, 60}, {1, 1, 1}} {
		c := tally.New(0)
		at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
		for i := range tc.instances {
			_ = c.Add(state.Failure{CommandID: "cmd-1", DocumentName: "AWS-RunShellScript", InstanceID: fmt.Sprintf("i-%d", i), Status: payload.StatusFailed, EventTime: at})
		}
		_ = c.Add(state.Failure{CommandID: "cmd-1", DocumentName: "AWS-RunShellScript", Status: payload.StatusFailed, EventTime: at})
		s := c.Summary(at, at.Add(time.Hour), 10, nil)
		if s.FailedCommands != tc.commands || s.FailedInstances != tc.instancesWant {
			t.Errorf("%d failed instances + summary: %d failed commands, %d failed instances; want %d and %d",
				tc.instances, s.FailedCommands, s.FailedInstances, tc.commands, tc.instancesWant)
		}
	}
}
