// Package statetest is the contract every state.Store must meet: one suite, run against the
// in-process store and against DynamoDB (dynalite) from their own tests.
package statetest

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/fault"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Base is the time the suite's scenarios start at.
var Base = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// Factory returns an empty store with the default settings for one test. It may share the
// underlying server between tests but must not share data.
type Factory func(t *testing.T) state.Store

// Run runs the whole contract against stores from newStore.
func Run(t *testing.T, newStore Factory) {
	t.Run("ObserveOrder", func(t *testing.T) { testObserveOrder(t, newStore(t)) })
	t.Run("ObserveInvalid", func(t *testing.T) { testObserveInvalid(t, newStore(t)) })
	t.Run("ObserveExpired", func(t *testing.T) { testObserveExpired(t, newStore(t)) })
	t.Run("Permutations", func(t *testing.T) { testPermutations(t, newStore(t), 1000) })
	t.Run("ClaimConcurrent", func(t *testing.T) { testClaimConcurrent(t, newStore(t)) })
	t.Run("ClaimLease", func(t *testing.T) { testClaimLease(t, newStore(t)) })
	t.Run("ClaimRelease", func(t *testing.T) { testClaimRelease(t, newStore(t)) })
	t.Run("ClaimKeys", func(t *testing.T) { testClaimKeys(t, newStore(t)) })
	t.Run("Rollup", func(t *testing.T) { testRollup(t, newStore(t)) })
	t.Run("Failures", func(t *testing.T) { testFailures(t, newStore(t)) })
	t.Run("MessageCAS", func(t *testing.T) { testMessageCAS(t, newStore(t)) })
}

// Invocation is an invocation notification for tests.
func Invocation(cmd, instance string, st payload.Status, at time.Time) *payload.Notification {
	return &payload.Notification{
		Source: payload.SourceSNS, Kind: payload.KindInvocation, CommandID: cmd, DocumentName: "AWS-RunShellScript",
		InstanceID: instance, Status: st, StatusRaw: string(st), NonStandard: !st.Standard(), EventTime: at,
		RequestedDateTime: Base, Region: "eu-west-1", Account: "111122223333",
	}
}

// Summary is a command-summary notification for tests.
func Summary(cmd string, st payload.Status, at time.Time, instances ...string) *payload.Notification {
	n := Invocation(cmd, "", st, at)
	n.Kind = payload.KindCommand
	n.InstanceIDs = append([]string{}, instances...)
	return n
}

func mustObserve(t *testing.T, s state.Store, n *payload.Notification, now time.Time) state.Observed {
	t.Helper()
	o, err := s.Observe(t.Context(), n, now)
	if err != nil {
		t.Fatalf("observe %s %s %s@%s: %v", n.CommandID, n.Target(), n.Status, n.EventTime.Format(time.RFC3339Nano), err)
	}
	return o
}

func testObserveOrder(t *testing.T, s state.Store) {
	at := func(sec int) time.Time { return Base.Add(time.Duration(sec) * time.Second) }
	type step struct {
		n    *payload.Notification
		want state.Verdict
		prev *state.Timeline // checked when want is not Stale
	}
	tl := func(cmd, target string, st payload.Status, sec int) *state.Timeline {
		return &state.Timeline{CommandID: cmd, Target: target, Status: st, EventTime: at(sec)}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{
			{Invocation("c1", "i-1", payload.StatusInProgress, at(1)), state.Fresh, nil},
			{Invocation("c1", "i-1", payload.StatusSuccess, at(2)), state.Fresh, tl("c1", "i-1", payload.StatusInProgress, 1)},
		}},
		{"late in-progress is stale", []step{
			{Invocation("c2", "i-1", payload.StatusSuccess, at(2)), state.Fresh, nil},
			{Invocation("c2", "i-1", payload.StatusInProgress, at(1)), state.Stale, nil},
		}},
		{"duplicate", []step{
			{Invocation("c3", "i-1", payload.StatusFailed, at(2)), state.Fresh, nil},
			{Invocation("c3", "i-1", payload.StatusFailed, at(2)), state.Duplicate, tl("c3", "i-1", payload.StatusFailed, 2)},
			{Invocation("c3", "i-1", payload.StatusFailed, at(2)), state.Duplicate, tl("c3", "i-1", payload.StatusFailed, 2)},
		}},
		{"non-terminal after terminal with a later time is stale", []step{
			{Invocation("c4", "i-1", payload.StatusTimedOut, at(5)), state.Fresh, nil},
			{Invocation("c4", "i-1", payload.StatusInProgress, at(9)), state.Stale, nil},
			{Invocation("c4", "i-1", payload.StatusDelayed, at(9)), state.Stale, nil},
		}},
		{"terminal beats non-terminal at the same time", []step{
			{Invocation("c5", "i-1", payload.StatusInProgress, at(3)), state.Fresh, nil},
			{Invocation("c5", "i-1", payload.StatusSuccess, at(3)), state.Fresh, tl("c5", "i-1", payload.StatusInProgress, 3)},
			{Invocation("c5", "i-1", payload.StatusInProgress, at(3)), state.Stale, nil},
		}},
		{"terminal after a later non-terminal wins", []step{
			{Invocation("c6", "i-1", payload.StatusInProgress, at(9)), state.Fresh, nil},
			{Invocation("c6", "i-1", payload.StatusSuccess, at(5)), state.Fresh, tl("c6", "i-1", payload.StatusInProgress, 9)},
		}},
		{"newer terminal replaces older terminal", []step{
			{Invocation("c7", "i-1", payload.StatusFailed, at(5)), state.Fresh, nil},
			{Invocation("c7", "i-1", payload.StatusTimedOut, at(6)), state.Fresh, tl("c7", "i-1", payload.StatusFailed, 5)},
			{Invocation("c7", "i-1", payload.StatusFailed, at(5)), state.Stale, nil},
		}},
		{"non-standard statuses order like the rest", []step{
			{Invocation("c8", "i-1", payload.StatusPending, at(1)), state.Fresh, nil},
			{Invocation("c8", "i-1", payload.StatusDelayed, at(2)), state.Fresh, tl("c8", "i-1", payload.StatusPending, 1)},
			{Invocation("c8", "i-1", payload.StatusUndeliverable, at(3)), state.Fresh, tl("c8", "i-1", payload.StatusDelayed, 2)},
			{Invocation("c8", "i-1", payload.Status("SomethingNew"), at(4)), state.Stale, nil},
		}},
		{"timelines are independent", []step{
			{Summary("c9", payload.StatusSuccess, at(9), "i-1", "i-2"), state.Fresh, nil},
			{Invocation("c9", "i-1", payload.StatusInProgress, at(1)), state.Fresh, nil},
			{Invocation("c9", "i-2", payload.StatusInProgress, at(1)), state.Fresh, nil},
			{Summary("c9", payload.StatusInProgress, at(1)), state.Stale, nil},
		}},
		{"sub-millisecond event times are kept apart", []step{
			{Invocation("c10", "i-1", payload.StatusInProgress, at(1).Add(2*time.Microsecond)), state.Fresh, nil},
			{Invocation("c10", "i-1", payload.StatusInProgress, at(1).Add(time.Microsecond)), state.Stale, nil},
			{Invocation("c10", "i-1", payload.StatusInProgress, at(1).Add(3*time.Microsecond)), state.Fresh,
				&state.Timeline{CommandID: "c10", Target: "i-1", Status: payload.StatusInProgress, EventTime: at(1).Add(2 * time.Microsecond)}},
		}},
	}
	now := Base.Add(time.Hour)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, st := range tc.steps {
				got := mustObserve(t, s, st.n, now)
				if got.Verdict != st.want {
					t.Fatalf("step %d (%s@%s): verdict %v, want %v", i, st.n.Status, st.n.EventTime.Format(time.RFC3339Nano), got.Verdict, st.want)
				}
				if st.want == state.Stale {
					continue
				}
				if !equalTimeline(got.Previous, st.prev) {
					t.Errorf("step %d: previous %s, want %s", i, fmtTimeline(got.Previous), fmtTimeline(st.prev))
				}
			}
		})
	}
}

func equalTimeline(a, b *state.Timeline) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.CommandID == b.CommandID && a.Target == b.Target && a.Status == b.Status && a.EventTime.Equal(b.EventTime)
}

func fmtTimeline(t *state.Timeline) string {
	if t == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s/%s %s@%s", t.CommandID, t.Target, t.Status, t.EventTime.Format(time.RFC3339Nano))
}

func testObserveInvalid(t *testing.T, s state.Store) {
	cases := []struct {
		name string
		n    *payload.Notification
	}{
		{"no command", Invocation("", "i-1", payload.StatusSuccess, Base)},
		{"invocation without instance", Invocation("c", "", payload.StatusSuccess, Base)},
		{"no event time", Invocation("c", "i-1", payload.StatusSuccess, time.Time{})},
		{"no status", Invocation("c", "i-1", "", Base)},
		{"nil", nil},
		// Longer than any SSM ID, and than DynamoDB accepts in a key: bad input, never a request
		// the table refuses (which would count as an infrastructure fault).
		{"command ID too long", Invocation(strings.Repeat("c", state.MaxKeyPartBytes+1), "i-1", payload.StatusFailed, Base)},
		{"instance ID too long", Invocation("c", strings.Repeat("i", state.MaxKeyPartBytes+1), payload.StatusFailed, Base)},
		{"status too long", Invocation("c", "i-1", payload.Status(strings.Repeat("s", state.MaxKeyPartBytes+1)), Base)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Observe(t.Context(), tc.n, Base)
			if !errors.Is(err, state.ErrInvalid) || state.IsRetryable(err) || fault.Of(err) != fault.BadInput {
				t.Fatalf("err = %v, want ErrInvalid, not retryable, bad input", err)
			}
		})
	}
}

func testObserveExpired(t *testing.T, s state.Store) {
	now := Base
	mustObserve(t, s, Invocation("exp", "i-1", payload.StatusSuccess, Base.Add(time.Minute)), now)
	within := now.Add(state.DefaultRetention - time.Second)
	if got := mustObserve(t, s, Invocation("exp", "i-1", payload.StatusInProgress, Base), within); got.Verdict != state.Stale {
		t.Fatalf("inside retention: %v, want stale", got.Verdict)
	}
	after := now.Add(state.DefaultRetention)
	got := mustObserve(t, s, Invocation("exp", "i-1", payload.StatusInProgress, Base), after)
	if got.Verdict != state.Fresh || got.Previous != nil {
		t.Fatalf("after retention: %v previous %s, want fresh with no previous (an expired item is absent)", got.Verdict, fmtTimeline(got.Previous))
	}
	r, err := s.Rollup(t.Context(), "exp", after)
	if err != nil {
		t.Fatal(err)
	}
	if r.Counts[payload.StatusInProgress] != 1 || r.Counts[payload.StatusSuccess] != 0 {
		t.Fatalf("counts %v, want the re-observed InProgress only", r.Counts)
	}
}

// event is one notification of a generated lifecycle, with its rank in the true order of its
// timeline (higher is later).
type event struct {
	n    *payload.Notification
	rank int
}

// lifecycle returns one timeline's notifications in their true order (by the ordering guard's
// rules, which the patterns are written to exercise).
func lifecycle(rng *rand.Rand, cmd, instance string, t0 time.Time) []*payload.Notification {
	mk := func(st payload.Status, d time.Duration) *payload.Notification {
		if instance == "" {
			return Summary(cmd, st, t0.Add(d), "i-a", "i-b", "i-c")
		}
		return Invocation(cmd, instance, st, t0.Add(d))
	}
	ms := func(n int) time.Duration {
		return time.Duration(n)*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond
	}
	terminals := []payload.Status{payload.StatusSuccess, payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled}
	term := terminals[rng.IntN(len(terminals))]
	switch rng.IntN(6) {
	case 0: // the common case
		return []*payload.Notification{mk(payload.StatusInProgress, ms(100)), mk(term, ms(5000))}
	case 1: // terminal at the same instant as InProgress: terminal wins
		d := ms(100)
		return []*payload.Notification{mk(payload.StatusInProgress, d), mk(term, d)}
	case 2: // a longer life with non-standard statuses
		return []*payload.Notification{mk(payload.StatusPending, ms(10)), mk(payload.StatusInProgress, ms(200)),
			mk(payload.StatusDelayed, ms(300)), mk(payload.StatusInProgress, ms(400)), mk(term, ms(9000))}
	case 3: // a spurious InProgress stamped after the terminal: the terminal is still the last
		return []*payload.Notification{mk(payload.StatusInProgress, ms(100)), mk(payload.StatusInProgress, ms(20000)), mk(term, ms(5000))}
	case 4: // still running
		return []*payload.Notification{mk(payload.StatusInProgress, ms(100))}
	default: // a terminal only
		return []*payload.Notification{mk(term, ms(3000))}
	}
}

func testPermutations(t *testing.T, s state.Store, count int) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	now := Base.Add(time.Hour)
	var failures atomic.Int32
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	var stale, dup, fresh atomic.Int64
	perm := func(p int) {
		rng := rand.New(rand.NewPCG(seed, uint64(p)))
		cmd := fmt.Sprintf("perm-%d-%d", seed, p)
		targets := []string{"", "i-a", "i-b", "i-c"}
		last := map[string]*payload.Notification{}
		var events []event
		for _, target := range targets {
			life := lifecycle(rng, cmd, target, Base)
			for rank, n := range life {
				events = append(events, event{n, rank})
			}
			last[target] = life[len(life)-1]
		}
		// Redeliveries: about a third of the notifications arrive more than once.
		for _, e := range slices.Clone(events) {
			copies := 0
			if rng.IntN(3) == 0 {
				copies = 1 + rng.IntN(2)
			}
			for range copies {
				c := *e.n
				c.MessageID = fmt.Sprintf("dup-%d", rng.Int())
				events = append(events, event{&c, e.rank})
			}
		}
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		best := map[string]int{}
		for i, e := range events {
			target := e.n.Target()
			want := state.Fresh
			if b, ok := best[target]; ok {
				switch {
				case e.rank < b:
					want = state.Stale
				case e.rank == b:
					want = state.Duplicate
				}
			}
			if want != state.Stale {
				best[target] = e.rank
			}
			got, err := s.Observe(t.Context(), e.n, now)
			if err != nil {
				fail("perm %d event %d: %v", p, i, err)
				return
			}
			if got.Verdict != want {
				fail("perm %d event %d (%q %s@%s rank %d): verdict %v, want %v", p, i, target, e.n.Status,
					e.n.EventTime.Format(time.RFC3339Nano), e.rank, got.Verdict, want)
			}
			switch got.Verdict {
			case state.Fresh:
				fresh.Add(1)
			case state.Duplicate:
				dup.Add(1)
			default:
				stale.Add(1)
			}
		}
		// The stored state is the true last one: observing it again is a duplicate of it.
		for _, target := range targets {
			n := last[target]
			got, err := s.Observe(t.Context(), n, now)
			if err != nil {
				fail("perm %d final %q: %v", p, target, err)
				return
			}
			want := &state.Timeline{CommandID: cmd, Target: target, Status: n.Status, EventTime: n.EventTime}
			if got.Verdict != state.Duplicate || !equalTimeline(got.Previous, want) {
				fail("perm %d target %q: stored %s (%v), want %s", p, target, fmtTimeline(got.Previous), got.Verdict, fmtTimeline(want))
			}
		}
		r, err := s.Rollup(t.Context(), cmd, now)
		if err != nil {
			fail("perm %d rollup: %v", p, err)
			return
		}
		wantCounts := map[payload.Status]int{}
		for _, target := range targets[1:] {
			wantCounts[last[target].Status]++
		}
		if r.Command == nil || r.Command.Status != last[""].Status || r.Invocations != 3 || !mapsEqual(r.Counts, wantCounts) {
			fail("perm %d rollup: command %s, %d invocations, counts %v; want %s, 3, %v", p, fmtTimeline(r.Command), r.Invocations, r.Counts, last[""].Status, wantCounts)
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for p := range work {
				perm(p)
			}
		})
	}
	for p := range count {
		if failures.Load() > 20 {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	t.Logf("%d permutations: %d fresh, %d duplicate, %d stale", count, fresh.Load(), dup.Load(), stale.Load())
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testClaimConcurrent(t *testing.T, s state.Store) {
	key := state.NotificationClaim("race", "i-1", payload.StatusFailed, "slack:C123")
	now := Base
	const n = 50
	var (
		wg       sync.WaitGroup
		outcomes = make([]state.ClaimOutcome, n)
		errs     = make([]error, n)
		start    = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := s.Claim(t.Context(), key, now, now.Add(time.Minute))
			outcomes[i], errs[i] = c.Outcome, err
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		switch outcomes[i] {
		case state.ClaimWon:
			won++
		case state.ClaimInProgress:
		default:
			t.Errorf("claim %d: %v, want won or in progress", i, outcomes[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent claims won, want exactly 1", won, n)
	}
}

func mustClaim(t *testing.T, s state.Store, key state.ClaimKey, now, lease time.Time, want state.ClaimOutcome) state.Claim {
	t.Helper()
	c, err := s.Claim(t.Context(), key, now, lease)
	if err != nil {
		t.Fatalf("claim at %s: %v", now.Format(time.RFC3339), err)
	}
	if c.Outcome != want {
		t.Fatalf("claim at %s: %v, want %v", now.Format(time.RFC3339), c.Outcome, want)
	}
	return c
}

func testClaimLease(t *testing.T, s state.Store) {
	key := state.NotificationClaim("lease", "", payload.StatusSuccess, "email:ops@example.com")
	t0 := Base
	lease := t0.Add(15 * time.Minute)
	crashed := mustClaim(t, s, key, t0, lease, state.ClaimWon)
	if crashed.Token == "" || !crashed.LeaseUntil.Equal(lease) {
		t.Fatalf("won claim: token %q lease %s", crashed.Token, crashed.LeaseUntil)
	}
	// The holder crashed without completing. Inside its lease, nobody else may send.
	inside := mustClaim(t, s, key, lease.Add(-time.Millisecond), lease.Add(time.Minute), state.ClaimInProgress)
	if !inside.LeaseUntil.Equal(lease) || inside.Token != "" {
		t.Fatalf("in-progress claim: lease %s token %q, want the holder's lease and no token", inside.LeaseUntil, inside.Token)
	}
	// At the end of the lease the claim is abandoned: the retry wins it.
	retry := mustClaim(t, s, key, lease, lease.Add(15*time.Minute), state.ClaimWon)
	if retry.Token == crashed.Token {
		t.Fatal("the retry got the crashed holder's token")
	}
	// The crashed holder, if it comes back, cannot complete or release the retry's claim.
	if err := s.Complete(t.Context(), crashed, lease.Add(time.Second)); !errors.Is(err, state.ErrNotHeld) {
		t.Fatalf("complete by the old holder: %v, want ErrNotHeld", err)
	}
	if err := s.Release(t.Context(), crashed, lease.Add(time.Second)); !errors.Is(err, state.ErrNotHeld) {
		t.Fatalf("release by the old holder: %v, want ErrNotHeld", err)
	}
	done := lease.Add(2 * time.Second)
	if err := s.Complete(t.Context(), retry, done); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if err := s.Complete(t.Context(), retry, done); err != nil {
		t.Fatalf("complete again (a retried request): %v", err)
	}
	for _, at := range []time.Time{done, done.Add(time.Hour), done.Add(state.DefaultDedupWindow - time.Second)} {
		mustClaim(t, s, key, at, at.Add(time.Minute), state.ClaimDone)
	}
	// Past the dedup window the completed claim has expired: it counts as absent.
	end := done.Add(state.DefaultDedupWindow)
	mustClaim(t, s, key, end, end.Add(time.Minute), state.ClaimWon)
}

func testClaimRelease(t *testing.T, s state.Store) {
	key := state.NotificationClaim("rel", "i-9", payload.StatusFailed, "slack:C1")
	now := Base
	c := mustClaim(t, s, key, now, now.Add(time.Minute), state.ClaimWon)
	if err := s.Release(t.Context(), c, now); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := s.Release(t.Context(), c, now); err != nil {
		t.Fatalf("release again (a retried request): %v", err)
	}
	// A failed send released the claim: the retry claims it at once, inside the old lease.
	c2 := mustClaim(t, s, key, now.Add(time.Second), now.Add(time.Minute), state.ClaimWon)
	if err := s.Release(t.Context(), c, now.Add(time.Second)); !errors.Is(err, state.ErrNotHeld) {
		t.Fatalf("release by a stale token: %v, want ErrNotHeld", err)
	}
	if err := s.Complete(t.Context(), c2, now.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), c2, now.Add(3*time.Second)); !errors.Is(err, state.ErrNotHeld) {
		t.Fatalf("release after complete: %v, want ErrNotHeld", err)
	}
	mustClaim(t, s, key, now.Add(4*time.Second), now.Add(time.Minute), state.ClaimDone)
	if err := s.Complete(t.Context(), state.Claim{Key: state.NotificationClaim("never", "", payload.StatusSuccess, "x"), Token: "t"}, now); !errors.Is(err, state.ErrNotHeld) {
		t.Fatalf("complete of a claim never made: %v, want ErrNotHeld", err)
	}
	if _, err := s.Claim(t.Context(), state.ClaimKey{}, now, now.Add(time.Minute)); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("claim of the zero key: %v, want ErrInvalid", err)
	}
	if _, err := s.Claim(t.Context(), state.NotificationClaim("rel", "", payload.StatusFailed, "x"), now, time.Time{}); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("claim without a lease: %v, want ErrInvalid", err)
	}
}

func testClaimKeys(t *testing.T, s state.Store) {
	now := Base
	lease := now.Add(time.Minute)
	// Per destination: Slack done, email failed; the retry sends only the email.
	slack := state.NotificationClaim("k", "i-1", payload.StatusFailed, "slack:C1")
	email := state.NotificationClaim("k", "i-1", payload.StatusFailed, "email:ops@example.com")
	cs := mustClaim(t, s, slack, now, lease, state.ClaimWon)
	ce := mustClaim(t, s, email, now, lease, state.ClaimWon)
	if err := s.Complete(t.Context(), cs, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), ce, now); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, slack, now.Add(time.Second), lease, state.ClaimDone)
	mustClaim(t, s, email, now.Add(time.Second), lease, state.ClaimWon)
	// Keys that differ in any part, however the parts are spelt, are different keys.
	distinct := []state.ClaimKey{
		state.NotificationClaim("k", "i-1", payload.StatusSuccess, "slack:C1"),
		state.NotificationClaim("k", "", payload.StatusFailed, "slack:C1"),
		state.NotificationClaim("k#i-1", "", payload.StatusFailed, "slack:C1"),
		state.NotificationClaim("k", "i-1#Failed", "", "slack:C1"),
		state.NewClaimKey(state.ScopeNotification, "k", "i-1", "Failed", "slack:C1", ""),
		state.DigestClaim(Base, Base.Add(24*time.Hour), "slack:C1"),
		state.DigestClaim(Base, Base.Add(24*time.Hour), "email:team@example.com"),
		state.DigestClaim(Base.Add(24*time.Hour), Base.Add(48*time.Hour), "slack:C1"),
	}
	seen := map[string]bool{slack.String(): true, email.String(): true}
	for _, k := range distinct {
		if seen[k.String()] {
			t.Fatalf("key %s collides", k)
		}
		seen[k.String()] = true
		mustClaim(t, s, k, now.Add(2*time.Second), lease, state.ClaimWon)
	}
}

func testRollup(t *testing.T, s state.Store) {
	ctx := t.Context()
	now := Base.Add(time.Hour)
	at := func(sec int) time.Time { return Base.Add(time.Duration(sec) * time.Second) }
	r, err := s.Rollup(ctx, "nothing", now)
	if err != nil || r.Found() || r.Invocations != 0 {
		t.Fatalf("rollup of an unknown command: %+v, %v", r, err)
	}
	cmd := "roll"
	ids := []string{"i-1", "i-2", "i-3", "i-4", "i-5", "i-6"}
	steps := []*payload.Notification{
		Summary(cmd, payload.StatusInProgress, at(1), ids...),
		Invocation(cmd, "i-1", payload.StatusInProgress, at(2)),
		Invocation(cmd, "i-1", payload.StatusSuccess, at(10)),
		Invocation(cmd, "i-2", payload.StatusSuccess, at(11)),
		Invocation(cmd, "i-3", payload.StatusFailed, at(12)),
		Invocation(cmd, "i-4", payload.StatusTimedOut, at(5)),
		Invocation(cmd, "i-5", payload.StatusInProgress, at(3)),
		Invocation(cmd, "i-3", payload.StatusInProgress, at(4)), // stale
		Invocation(cmd, "i-3", payload.StatusFailed, at(12)),    // duplicate
	}
	for _, n := range steps {
		mustObserve(t, s, n, now)
	}
	// i-6 was seen long ago; its item has expired and must not count.
	mustObserve(t, s, Invocation(cmd, "i-6", payload.StatusFailed, at(0)), now.Add(-state.DefaultRetention))
	if _, _, err := s.PutMessage(ctx, state.Message{Key: state.MessageKey{CommandID: cmd, Channel: "C2"}, TS: "2.0"}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutMessage(ctx, state.Message{Key: state.MessageKey{CommandID: cmd, Channel: "C1"}, TS: "1.0"}, now); err != nil {
		t.Fatal(err)
	}
	r, err = s.Rollup(ctx, cmd, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[payload.Status]int{payload.StatusSuccess: 2, payload.StatusFailed: 1, payload.StatusTimedOut: 1, payload.StatusInProgress: 1}
	if !r.Found() || r.CommandID != cmd || r.DocumentName != "AWS-RunShellScript" || r.Targets != len(ids) ||
		r.Invocations != 5 || !mapsEqual(r.Counts, want) || !r.RequestedAt.Equal(Base) {
		t.Fatalf("rollup %+v; want 6 targets, 5 invocations, counts %v", r, want)
	}
	if r.Command == nil || r.Command.Status != payload.StatusInProgress || !r.Command.EventTime.Equal(at(1)) {
		t.Errorf("command timeline %s", fmtTimeline(r.Command))
	}
	if !slices.Equal(r.Failed, []string{"i-4", "i-3"}) || r.FailedTotal != 2 {
		t.Errorf("failed %v (%d), want [i-4 i-3] by event time", r.Failed, r.FailedTotal)
	}
	if !r.FirstEvent.Equal(at(1)) || !r.LastEvent.Equal(at(12)) {
		t.Errorf("events %s..%s, want %s..%s", r.FirstEvent, r.LastEvent, at(1), at(12))
	}
	if len(r.Messages) != 2 || r.Messages[0].Key.Channel != "C1" || r.Messages[0].TS != "1.0" || r.Messages[1].TS != "2.0" {
		t.Errorf("messages %+v, want C1 then C2", r.Messages)
	}

	// A big command: the failed list is capped, the total is not.
	big := "roll-big"
	const failed, succeeded = state.MaxRollupFailed + 30, 20
	for i := range failed + succeeded {
		st := payload.StatusFailed
		if i >= failed {
			st = payload.StatusSuccess
		}
		mustObserve(t, s, Invocation(big, fmt.Sprintf("i-%04d", i), st, at(i)), now)
	}
	r, err = s.Rollup(ctx, big, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Invocations != failed+succeeded || r.Counts[payload.StatusFailed] != failed || r.FailedTotal != failed ||
		len(r.Failed) != state.MaxRollupFailed || r.Failed[0] != "i-0000" || r.Command != nil || r.Targets != 0 {
		t.Fatalf("big rollup: %d invocations, counts %v, failed %d listed of %d, command %v",
			r.Invocations, r.Counts, len(r.Failed), r.FailedTotal, r.Command)
	}
}

func testFailures(t *testing.T, s state.Store) {
	ctx := t.Context()
	day := 24 * time.Hour
	base := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	readNow := base.Add(3*day + time.Hour)
	rng := rand.New(rand.NewPCG(4, 4))
	type seeded struct {
		f       state.Failure
		expired bool
	}
	var all []seeded
	statuses := []payload.Status{payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled, payload.StatusUndeliverable}
	add := func(cmd, instance string, st payload.Status, at time.Time, expired bool) {
		n := Invocation(cmd, instance, st, at)
		if instance == "" {
			n = Summary(cmd, st, at)
		}
		n.DocumentName = "doc-" + cmd
		observedAt := at.Add(time.Minute)
		if expired {
			observedAt = readNow.Add(-state.DefaultRetention - time.Hour)
		}
		mustObserve(t, s, n, observedAt)
		if st.Failure() {
			all = append(all, seeded{state.Failure{CommandID: cmd, DocumentName: n.DocumentName, InstanceID: instance, Status: st,
				EventTime: at, Region: n.Region, Account: n.Account}, expired})
		}
	}
	// Six days of failures, successes and progress around base, three per hour on average.
	for i := range 430 {
		at := base.Add(-3*day + time.Duration(rng.Int64N(int64(6*day))))
		cmd := fmt.Sprintf("f-%03d", i)
		switch rng.IntN(5) {
		case 0:
			add(cmd, "", statuses[rng.IntN(len(statuses))], at, false)
		case 1:
			add(cmd, "i-1", payload.StatusSuccess, at, false)
		case 2:
			add(cmd, "i-1", payload.StatusInProgress, at, false)
		default:
			add(cmd, "i-1", statuses[rng.IntN(len(statuses))], at, false)
			add(cmd, "i-2", statuses[rng.IntN(len(statuses))], at, false)
		}
	}
	// Edges of the windows below, and failures whose TTL passed on the day after base.
	add("edge-from", "i-1", payload.StatusFailed, base, false)
	add("edge-before-to", "i-1", payload.StatusFailed, base.Add(day-time.Nanosecond), false)
	add("edge-to", "i-1", payload.StatusFailed, base.Add(day), false)
	add("edge-before-from", "i-1", payload.StatusFailed, base.Add(-time.Nanosecond), false)
	for i := range 7 {
		add(fmt.Sprintf("expired-%d", i), "i-1", payload.StatusFailed, base.Add(time.Duration(i)*3*time.Hour+time.Second), true)
	}
	// A failure that was later replaced by a terminal success is no longer a failure.
	add("replaced", "i-1", payload.StatusFailed, base.Add(time.Hour), false)
	all = all[:len(all)-1]
	add("replaced", "i-1", payload.StatusSuccess, base.Add(2*time.Hour), false)

	cases := []struct {
		name     string
		from, to time.Time
	}{
		{"day without expired", base.Add(-2 * day), base},
		{"day with expired", base, base.Add(day)},
		{"unaligned", base.Add(90*time.Minute + time.Nanosecond), base.Add(25*time.Hour + 30*time.Minute)},
		{"everything", base.Add(-4 * day), base.Add(4 * day)},
		{"empty hour", base.Add(-10 * day), base.Add(-10*day + time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []state.Failure
			inWindow := 0
			for _, sd := range all {
				if sd.f.EventTime.Before(tc.from) || !sd.f.EventTime.Before(tc.to) {
					continue
				}
				inWindow++
				if !sd.expired {
					want = append(want, sd.f)
				}
			}
			slices.SortFunc(want, func(a, b state.Failure) int {
				return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.CommandID, b.CommandID), cmp.Compare(a.InstanceID, b.InstanceID))
			})
			var got []state.Failure
			stats, err := s.Failures(ctx, tc.from, tc.to, readNow, func(f state.Failure) error {
				got = append(got, f)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d failures, want %d", len(got), len(want))
			}
			for i := range want {
				if !equalFailure(got[i], want[i]) {
					t.Fatalf("failure %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			// Nothing outside the window was read: every item read is a failure inside it, and
			// the only ones dropped are those whose TTL passed.
			if stats.Returned != len(want) || stats.Scanned != inWindow {
				t.Fatalf("stats %+v: want %d returned, %d scanned (%d in the window, %d expired)", stats, len(want), inWindow, inWindow, inWindow-len(want))
			}
			if inWindow == len(want) && stats.Scanned != stats.Returned {
				t.Fatalf("ScannedCount %d != Count %d in a window without expired items", stats.Scanned, stats.Returned)
			}
			t.Logf("window %s..%s: %+v", tc.from.Format(time.RFC3339), tc.to.Format(time.RFC3339), stats)
		})
	}
	t.Run("stop", func(t *testing.T) {
		stop := errors.New("enough")
		calls := 0
		_, err := s.Failures(ctx, base.Add(-4*day), base.Add(4*day), readNow, func(state.Failure) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err %v after %d calls, want the callback's error after 1", err, calls)
		}
	})
}

func equalFailure(a, b state.Failure) bool {
	return a.CommandID == b.CommandID && a.DocumentName == b.DocumentName && a.InstanceID == b.InstanceID &&
		a.Status == b.Status && a.EventTime.Equal(b.EventTime) && a.Region == b.Region && a.Account == b.Account
}

func testMessageCAS(t *testing.T, s state.Store) {
	ctx := t.Context()
	now := Base
	key := state.MessageKey{CommandID: "cas", Channel: "C1"}
	m, err := s.Message(ctx, key, now)
	if err != nil || m.Version != 0 || m.Key != key || m.TS != "" {
		t.Fatalf("absent message: %+v, %v", m, err)
	}
	m.Holder, m.HeldUntil = "h1", now.Add(time.Minute)
	v1, ok, err := s.PutMessage(ctx, m, now)
	if err != nil || !ok || v1.Version != 1 {
		t.Fatalf("first put: %+v ok=%v err=%v", v1, ok, err)
	}
	if _, ok, err := s.PutMessage(ctx, m, now); err != nil || ok {
		t.Fatalf("second put on version 0: ok=%v err=%v, want a lost race", ok, err)
	}
	v1.TS, v1.Holder, v1.HeldUntil = "1700000000.000100", "", time.Time{}
	v1.Rendered, v1.RenderedAt = "fp-1", now.Add(1500*time.Microsecond)
	v2, ok, err := s.PutMessage(ctx, v1, now)
	if err != nil || !ok || v2.Version != 2 {
		t.Fatalf("put on version 1: %+v ok=%v err=%v", v2, ok, err)
	}
	got, err := s.Message(ctx, key, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	wantAt := now.Add(time.Millisecond) // kept to the millisecond
	if got.Version != 2 || got.TS != v1.TS || got.Holder != "" || !got.HeldUntil.IsZero() || got.Rendered != "fp-1" || !got.RenderedAt.Equal(wantAt) {
		t.Fatalf("read back %+v", got)
	}
	if _, _, err := s.PutMessage(ctx, state.Message{Key: state.MessageKey{CommandID: "cas"}}, now); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("put without channel: %v, want ErrInvalid", err)
	}
	// After the retention the record has expired: absent, and writable as new.
	later := now.Add(state.DefaultRetention)
	got, err = s.Message(ctx, key, later)
	if err != nil || got.Version != 0 || got.TS != "" {
		t.Fatalf("expired message: %+v, %v", got, err)
	}
	if _, ok, err := s.PutMessage(ctx, got, later); err != nil || !ok {
		t.Fatalf("put over an expired record: ok=%v err=%v", ok, err)
	}
}
