package fault_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/fault"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name  string
		err   error
		want  fault.Class
		retry bool
		park  bool
	}{
		{"nil", nil, 0, false, false},
		{"unclassified", base, fault.Retryable, true, false},
		{"deadline", fmt.Errorf("send: %w", context.DeadlineExceeded), fault.Retryable, true, false},
		{"bad input", fault.Mark(fault.BadInput, base), fault.BadInput, false, true},
		{"permanent, wrapped", fmt.Errorf("deliver: %w", fault.Mark(fault.Permanent, base)), fault.Permanent, false, true},
		{"infrastructure", fault.Mark(fault.Infrastructure, base), fault.Infrastructure, true, false},
		// The outermost class wins: a layer that knows better reclassifies.
		{"reclassified", fault.Mark(fault.Infrastructure, fmt.Errorf("park: %w", fault.Mark(fault.BadInput, base))), fault.Infrastructure, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fault.Of(tc.err)
			if got != tc.want || got.Retry() != tc.retry || got.Park() != tc.park {
				t.Errorf("Of = %v (retry %v, park %v), want %v (retry %v, park %v)", got, got.Retry(), got.Park(), tc.want, tc.retry, tc.park)
			}
		})
	}
	if fault.Mark(fault.BadInput, nil) != nil {
		t.Error("Mark(nil) is not nil")
	}
	m := fault.Mark(fault.Infrastructure, base)
	if !errors.Is(m, base) || m.Error() != "boom" {
		t.Errorf("Mark hides the cause: %v", m)
	}
}
