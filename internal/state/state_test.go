package state_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	tl := func(st payload.Status, sec int) state.Timeline {
		return state.Timeline{CommandID: "c", Status: st, EventTime: t0.Add(time.Duration(sec) * time.Second)}
	}
	ptr := func(t state.Timeline) *state.Timeline { return &t }
	cases := []struct {
		name   string
		stored *state.Timeline
		in     state.Timeline
		want   state.Verdict
	}{
		{"empty", nil, tl(payload.StatusInProgress, 1), state.Fresh},
		{"newer", ptr(tl(payload.StatusInProgress, 1)), tl(payload.StatusSuccess, 2), state.Fresh},
		{"older", ptr(tl(payload.StatusInProgress, 2)), tl(payload.StatusInProgress, 1), state.Stale},
		{"same", ptr(tl(payload.StatusFailed, 2)), tl(payload.StatusFailed, 2), state.Duplicate},
		{"non-terminal after terminal", ptr(tl(payload.StatusSuccess, 2)), tl(payload.StatusInProgress, 3), state.Stale},
		{"terminal after later non-terminal", ptr(tl(payload.StatusInProgress, 3)), tl(payload.StatusSuccess, 2), state.Fresh},
		{"same time terminal wins", ptr(tl(payload.StatusInProgress, 2)), tl(payload.StatusFailed, 2), state.Fresh},
		{"same time non-terminal loses", ptr(tl(payload.StatusFailed, 2)), tl(payload.StatusInProgress, 2), state.Stale},
		{"same time, two terminals: by name", ptr(tl(payload.StatusFailed, 2)), tl(payload.StatusTimedOut, 2), state.Fresh},
		{"same time, two terminals: by name, reversed", ptr(tl(payload.StatusTimedOut, 2)), tl(payload.StatusFailed, 2), state.Stale},
		{"newer terminal", ptr(tl(payload.StatusFailed, 2)), tl(payload.StatusSuccess, 3), state.Fresh},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := state.Judge(tc.stored, tc.in); got != tc.want {
				t.Fatalf("Judge = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestJudgeTotalOrder checks that, for every pair, exactly one of a-after-b and b-after-a holds
// unless they are equal: the final state of a timeline cannot depend on arrival order.
func TestJudgeTotalOrder(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	statuses := append(slices.Clone(payload.StandardStatuses), payload.StatusPending, payload.StatusUndeliverable, "Odd")
	var all []state.Timeline
	for _, st := range statuses {
		for sec := range 3 {
			all = append(all, state.Timeline{CommandID: "c", Status: st, EventTime: t0.Add(time.Duration(sec) * time.Second)})
		}
	}
	for _, a := range all {
		for _, b := range all {
			ab, ba := state.Judge(&b, a), state.Judge(&a, b)
			same := a.Status == b.Status && a.EventTime.Equal(b.EventTime)
			switch {
			case same && (ab != state.Duplicate || ba != state.Duplicate):
				t.Errorf("%v vs itself: %v/%v", a, ab, ba)
			case !same && !((ab == state.Fresh && ba == state.Stale) || (ab == state.Stale && ba == state.Fresh)):
				t.Errorf("%s@%d vs %s@%d: %v/%v", a.Status, a.EventTime.Second(), b.Status, b.EventTime.Second(), ab, ba)
			}
		}
	}
}

func TestTimelineOf(t *testing.T) {
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.FixedZone("x", 3600))
	n := &payload.Notification{Kind: payload.KindInvocation, CommandID: "c", InstanceID: "i-1", Status: payload.StatusFailed, EventTime: at}
	got, err := state.TimelineOf(n)
	if err != nil || got.Target != "i-1" || got.EventTime.Location() != time.UTC || !got.EventTime.Equal(at) {
		t.Fatalf("TimelineOf = %+v, %v", got, err)
	}
	n.Kind = payload.Kind("other")
	if _, err := state.TimelineOf(n); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func TestClaimKey(t *testing.T) {
	parts := [][]string{
		{"a", "b"}, {"a#b"}, {"a", "b", ""}, {"a%23b"}, {"a%", "23b"}, {"", "a#b"}, {"#", ""}, {"", "#"},
	}
	seen := map[string][]string{}
	for _, p := range parts {
		k := state.NewClaimKey("N", p...)
		if other, dup := seen[k.String()]; dup {
			t.Fatalf("%q and %q give the same key %s", p, other, k)
		}
		seen[k.String()] = p
		if !k.Valid() || !strings.HasPrefix(k.String(), "N#") {
			t.Fatalf("key %s", k)
		}
	}
	if (state.ClaimKey{}).Valid() || state.NewClaimKey("a#b", "x").Valid() {
		t.Fatal("a key without a scope, or with '#' in it, is valid")
	}
	from := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	got := state.DigestClaim(from, from.Add(24*time.Hour), "slack:C1").String()
	if want := "D#2026-05-04T00:00:00.000000000Z#2026-05-05T00:00:00.000000000Z#slack:C1"; got != want {
		t.Fatalf("digest key %s, want %s", got, want)
	}
}

// TestFailureSortKey checks that sort-key order is time order, whatever the fraction digits.
func TestFailureSortKey(t *testing.T) {
	base := time.Date(2026, 5, 4, 10, 59, 59, 0, time.UTC)
	times := []time.Time{base, base.Add(time.Nanosecond), base.Add(500 * time.Millisecond), base.Add(999999999), base.Add(time.Second)}
	var keys []string
	for _, tm := range times {
		keys = append(keys, state.FailureSortKey(tm, "c", "i"))
	}
	if !slices.IsSorted(keys) {
		t.Fatalf("keys not in time order: %q", keys)
	}
	if got := state.FailureBucket(base.In(time.FixedZone("x", 7200))); got != "FAIL#2026-05-04T10" {
		t.Fatalf("bucket %s", got)
	}
	if got := state.FailureBucket(base.Add(time.Second)); got != "FAIL#2026-05-04T11" {
		t.Fatalf("next bucket %s", got)
	}
}

func TestIsRetryable(t *testing.T) {
	cause := errors.New("throttled")
	err := fmt.Errorf("claim x: %w", state.Unavailable(cause))
	if !state.IsRetryable(err) || !errors.Is(err, cause) || !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("%v: not retryable or cause lost", err)
	}
	if state.IsRetryable(fmt.Errorf("x: %w", state.ErrInvalid)) || state.IsRetryable(nil) || state.Unavailable(nil) != nil {
		t.Fatal("misclassified")
	}
}
