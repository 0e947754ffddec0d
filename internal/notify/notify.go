// Package notify holds what the delivery transports (Slack in internal/notify/slack, SES email in
// internal/notify/email) share: the classification of their errors, so that the router can decide
// between failing the invocation (Lambda retries it) and keeping the notification for an operator.
//
// Every transport error says which operation failed ("slack chat.postMessage to #ops") and never
// carries a secret: no bot token, no webhook URL.
package notify

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/fault"
)

// Class says whether trying the same delivery again later can succeed.
type Class int

// Classes of delivery failure.
const (
	// ClassRetryable failures may succeed later: HTTP 5xx, timeouts, rate limits that did not fit
	// in the time left, SES throttling after bounded backoff.
	ClassRetryable Class = iota + 1
	// ClassPermanent failures will fail again until someone changes the configuration or the
	// message: unknown channel, bot not in channel, revoked token, rejected address.
	ClassPermanent
)

func (c Class) String() string {
	switch c {
	case ClassRetryable:
		return "retryable"
	case ClassPermanent:
		return "permanent"
	}
	return "unclassified"
}

// Error is a classified delivery failure.
type Error struct {
	// Op names the operation, e.g. "slack chat.postMessage to ops-alerts". It never holds a
	// secret.
	Op    string
	Class Class
	// MaybeSent is set when the request may have reached the service before it failed (a
	// timeout after the request was written, a 5xx): a retry may duplicate the message, so the
	// transport did not resend it within the same call. Error() says so, and with it the
	// decision line an operator reads.
	MaybeSent bool
	Err       error
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Class.String()
	if e.MaybeSent {
		s += " (may have been delivered)"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Fault places the failure in ssmnotify's one error taxonomy (internal/fault), which the router
// reads: a permanent failure is parked with this error as the destination's reason, anything
// else is retried.
func (e *Error) Fault() fault.Class {
	if e.Class == ClassPermanent {
		return fault.Permanent
	}
	return fault.Retryable
}

// Retryable marks err, from operation op, as worth retrying later. It returns nil for a nil err.
func Retryable(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Class: ClassRetryable, Err: err}
}

// RetryableMaybeSent marks err as retryable although the message may already have been
// delivered: the caller may retry (a duplicate beats a lost alert), but the transport did not.
func RetryableMaybeSent(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Class: ClassRetryable, MaybeSent: true, Err: err}
}

// Permanent marks err, from operation op, as one that retrying will not fix. It returns nil for a
// nil err.
func Permanent(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Class: ClassPermanent, Err: err}
}

// ClassOf classifies err. An error no transport classified counts as retryable: losing an alert
// is worse than a duplicate, and the router's retries are bounded by Lambda. A context
// cancellation or deadline, or a network timeout, is retryable too. ClassOf(nil) is 0.
func ClassOf(err error) Class {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassRetryable
}

// IsRetryable reports whether err is a delivery failure worth retrying later (see ClassOf).
func IsRetryable(err error) bool { return ClassOf(err) == ClassRetryable }

// IsPermanent reports whether err was classified permanent by a transport.
func IsPermanent(err error) bool { return ClassOf(err) == ClassPermanent }

// IsTimeout reports whether err is a timeout or a cancellation: a context deadline, a cancelled
// context, or a network timeout (net/http client timeouts included).
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Fits reports whether waiting d from now still leaves margin before ctx's deadline. Without a
// deadline it allows waits up to maxWait. Transports use it for a rate limit's Retry-After and for
// SES throttling backoff: a wait that cannot fit would only turn into a timeout later, so the
// failure is returned as retryable at once instead.
func Fits(ctx context.Context, now time.Time, d, margin, maxWait time.Duration) bool {
	if d < 0 {
		return false
	}
	if dl, ok := ctx.Deadline(); ok {
		return now.Add(d).Add(margin).Before(dl) || now.Add(d).Add(margin).Equal(dl)
	}
	return d <= maxWait
}

// Sleep waits for d or until ctx is done, whichever comes first; it returns ctx's error in the
// second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
