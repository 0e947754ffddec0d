package state

import (
	"context"
	"errors"
)

var (
	// ErrUnavailable marks a failure that a later retry may not meet: throttling that outlasted
	// the SDK's bounded retries, a 5xx, a network error, a deadline. Test with IsRetryable.
	ErrUnavailable = errors.New("state store unavailable")
	// ErrInvalid marks a request the store refuses whatever happens (for example a notification
	// without a command ID). Retrying does not help.
	ErrInvalid = errors.New("invalid state request")
	// ErrNotHeld is returned by Complete, Release and SetParentTS when the caller no longer holds
	// what it claimed: its lease passed and another caller took over.
	ErrNotHeld = errors.New("claim not held")
)

// IsRetryable reports whether err is worth retrying later: it wraps ErrUnavailable, or the
// context's deadline passed or it was cancelled (the invocation ran out of time; its retry may
// not).
func IsRetryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}

// Unavailable wraps err so that errors.Is(err, ErrUnavailable) holds while the cause stays
// reachable with errors.As.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &unavailableError{err: err}
}

type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "state store unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error {
	return []error{ErrUnavailable, e.err}
}
