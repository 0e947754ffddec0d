package notify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		class     Class
		retryable bool
		permanent bool
		maybeSent bool
	}{
		{"nil", nil, 0, false, false, false},
		{"unclassified counts as retryable", base, ClassRetryable, true, false, false},
		{"retryable", Retryable("op", base), ClassRetryable, true, false, false},
		{"retryable maybe sent", RetryableMaybeSent("op", base), ClassRetryable, true, false, true},
		{"permanent", Permanent("op", base), ClassPermanent, false, true, false},
		{"wrapped permanent", fmt.Errorf("deliver: %w", Permanent("op", base)), ClassPermanent, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassOf(tc.err); got != tc.class {
				t.Errorf("ClassOf = %v, want %v", got, tc.class)
			}
			if got := IsRetryable(tc.err); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.retryable)
			}
			if got := IsPermanent(tc.err); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.permanent)
			}
			var e *Error
			if got := errors.As(tc.err, &e) && e.MaybeSent; got != tc.maybeSent {
				t.Errorf("MaybeSent = %v, want %v", got, tc.maybeSent)
			}
			if tc.err != nil && !errors.Is(tc.err, base) {
				t.Errorf("errors.Is(err, base) = false; the cause must stay reachable")
			}
		})
	}
	if Retryable("op", nil) != nil || Permanent("op", nil) != nil || RetryableMaybeSent("op", nil) != nil {
		t.Error("wrapping nil must give nil")
	}
}

func TestErrorText(t *testing.T) {
	err := RetryableMaybeSent("slack chat.postMessage to ops", errors.New("timeout"))
	want := "slack chat.postMessage to ops: retryable (may have been delivered): timeout"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestFits(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithDeadline(t.Context(), now.Add(10*time.Second))
	defer cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want bool
	}{
		{"fits with margin", ctx, 7 * time.Second, true},
		{"exactly at the margin", ctx, 8 * time.Second, true},
		{"past the margin", ctx, 9 * time.Second, false},
		{"no deadline within max", t.Context(), 5 * time.Second, true},
		{"no deadline beyond max", t.Context(), 31 * time.Second, false},
		{"negative", ctx, -time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fits(tc.ctx, now, tc.d, 2*time.Second, 30*time.Second); got != tc.want {
				t.Errorf("Fits = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIsTimeout(t *testing.T) {
	if !IsTimeout(fmt.Errorf("x: %w", context.DeadlineExceeded)) {
		t.Error("deadline exceeded is a timeout")
	}
	if IsTimeout(errors.New("x")) {
		t.Error("a plain error is not a timeout")
	}
}
