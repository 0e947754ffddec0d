package state

import (
	"context"
	"errors"

	"github.com/ssmnotify/ssmnotify/internal/fault"
)

var (
	// ErrUnavailable marks a store failure that may pass by itself: throttling that outlasted the
	// SDK's bounded retries, a 5xx, a network error. It is an infrastructure fault
	// (fault.Infrastructure). Test with IsRetryable.
	ErrUnavailable = errors.New("state store unavailable")
	// ErrRefused marks a request the store refused for a reason that lies with the store or its
	// configuration, not with the record: the table does not exist, the role may not use it. It is
	// an infrastructure fault (fault.Infrastructure): the record is retried and an operator
	// alerted, never parked as bad input. IsRetryable is false for it: an immediate retry meets
	// the same refusal; one after someone fixed the cause succeeds.
	ErrRefused = errors.New("state store refused the request")
	// ErrContended marks a compare-and-swap that kept losing to other writers of the same item:
	// busy, not broken (fault.Retryable).
	ErrContended = errors.New("state store item kept changing")
	// ErrInvalid marks a request the store refuses whatever happens (for example a notification
	// without a command ID): the record is at fault (fault.BadInput). Retrying does not help.
	ErrInvalid = fault.Mark(fault.BadInput, errors.New("invalid state request"))
	// ErrNotHeld is returned by Complete and Release when the caller no longer holds what it
	// claimed: its lease passed and another caller took over.
	ErrNotHeld = errors.New("claim not held")
)

// IsRetryable reports whether err is worth retrying soon: it wraps ErrUnavailable or
// ErrContended, or the context's deadline passed or it was cancelled (the invocation ran out of
// time; its retry may not).
func IsRetryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrContended) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// Unavailable wraps err so that errors.Is(err, ErrUnavailable) holds and fault.Of(err) is
// fault.Infrastructure, while the cause stays reachable with errors.As.
func Unavailable(err error) error { return classify(err, ErrUnavailable, fault.Infrastructure) }

// Refused wraps err so that errors.Is(err, ErrRefused) holds and fault.Of(err) is
// fault.Infrastructure, while the cause stays reachable with errors.As.
func Refused(err error) error { return classify(err, ErrRefused, fault.Infrastructure) }

// Contended wraps err so that errors.Is(err, ErrContended) holds and fault.Of(err) is
// fault.Retryable.
func Contended(err error) error { return classify(err, ErrContended, fault.Retryable) }

func classify(err, kind error, class fault.Class) error {
	if err == nil {
		return nil
	}
	return &storeError{kind: kind, class: class, err: err}
}

type storeError struct {
	kind  error
	class fault.Class
	err   error
}

func (e *storeError) Error() string      { return e.kind.Error() + ": " + e.err.Error() }
func (e *storeError) Unwrap() []error    { return []error{e.kind, e.err} }
func (e *storeError) Fault() fault.Class { return e.class }
