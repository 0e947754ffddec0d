// Package fault is ssmnotify's one error taxonomy. Every failure the router meets with a record
// is one of four classes, and what happens to the record follows from the class alone:
//
//   - BadInput: the record can never be delivered (not a Run Command notification, a
//     notification the store cannot place). It is parked with its reason; retrying cannot help.
//   - Permanent: a destination refused the delivery for good (unknown channel, rejected address).
//     It is parked with the destination's reason until someone fixes the configuration.
//   - Retryable: a later try may succeed (a Slack 5xx, a rate limit that did not fit, another
//     invocation holding the claim). Lambda retries the record.
//   - Infrastructure: ssmnotify's own infrastructure failed (the state table is missing,
//     throttled or unavailable; a role lacks a permission; the dead-letter queue refused the
//     record). Lambda retries the record and the router counts an infrastructure metric that an
//     alarm watches: it is never parked as bad input, because the record is not at fault.
//
// The packages that produce errors mark them (state, notify); the router reads the class with Of.
// It sits below every other package, so any of them can use it.
package fault

import "errors"

// Class is a kind of failure.
type Class int

// Classes, from "the record is at fault" to "we are".
const (
	// BadInput: the record can never be delivered; park it.
	BadInput Class = iota + 1
	// Permanent: the destination refused it for good; park it with the destination's reason.
	Permanent
	// Retryable: a later try may succeed; Lambda retries.
	Retryable
	// Infrastructure: the store, a permission or a queue failed; Lambda retries, and the
	// InfrastructureError metric counts it.
	Infrastructure
)

func (c Class) String() string {
	switch c {
	case BadInput:
		return "bad_input"
	case Permanent:
		return "permanent"
	case Retryable:
		return "retryable"
	case Infrastructure:
		return "infrastructure"
	}
	return "none"
}

// Retry reports whether a record that failed this way is given back to Lambda to try again.
func (c Class) Retry() bool { return c == Retryable || c == Infrastructure }

// Park reports whether a record that failed this way is parked for an operator.
func (c Class) Park() bool { return c == BadInput || c == Permanent }

// classed is an error that knows its class.
type classed interface{ Fault() Class }

// Of classifies err by the outermost error in its chain that knows its class. An error nobody
// classified is Retryable: a duplicate is better than a lost notification, and Lambda bounds the
// retries. Of(nil) is 0.
func Of(err error) Class {
	if err == nil {
		return 0
	}
	var c classed
	if errors.As(err, &c) {
		if k := c.Fault(); k != 0 {
			return k
		}
	}
	return Retryable
}

// Mark returns err classified as c, with err's message and err still reachable through
// errors.Is and errors.As. Mark(c, nil) is nil.
func Mark(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &marked{class: c, err: err}
}

type marked struct {
	class Class
	err   error
}

func (m *marked) Error() string { return m.err.Error() }
func (m *marked) Unwrap() error { return m.err }
func (m *marked) Fault() Class  { return m.class }
