package rules

import (
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/problem"
)

// compiler turns the raw sections into a Set: it checks that required keys are given and every
// value against what it may be (statuses, patterns, zones, addresses, times), and resolves
// names, reporting to the same problem.List as the reader. It knows nothing of YAML.
type compiler struct {
	problems *problem.List
	set      *Set
	windows  map[string]*MuteWindow
}

func (c *compiler) errorf(line int, format string, args ...any) {
	c.problems.At(line, format, args...)
}

func isAnyFailure(s string) bool {
	switch strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(s)) {
	case "anyfailure":
		return true
	}
	return false
}

// knownFailures are the statuses AnyFailure expands to where a concrete list is needed.
var knownFailures = []payload.Status{
	payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled,
	payload.StatusDeliveryTimedOut, payload.StatusExecutionTimedOut, payload.StatusUndeliverable,
	payload.StatusTerminated, payload.StatusInvalidPlatform, payload.StatusAccessDenied,
	payload.StatusIncomplete, payload.StatusRateExceeded, payload.StatusNoInstancesInTag,
}

// statusSet reads statuses (any spelling payload.ParseStatus knows), All, or AnyFailure. A name
// payload does not know is refused: a typo must not silently match nothing.
func (c *compiler) statusSet(l list, what string) (statusSet, []string) {
	var (
		set   statusSet
		names []string
	)
	for _, v := range l {
		raw := strings.TrimSpace(v.value)
		switch {
		case strings.EqualFold(raw, "all"):
			set.all = true
			names = append(names, "All")
		case isAnyFailure(raw):
			set.anyFailure = true
			names = append(names, "AnyFailure")
		default:
			st, ok := c.status(v, what)
			if !ok {
				continue
			}
			set.list = append(set.list, st)
			names = append(names, string(st))
		}
	}
	return set, names
}

// statusNames are offered as suggestions for a misspelt status.
var statusNames = []string{
	"All", "AnyFailure", "InProgress", "Success", "Failed", "TimedOut", "Cancelled",
	"Pending", "Delayed", "Cancelling", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable",
	"Terminated", "InvalidPlatform", "AccessDenied", "Incomplete", "RateExceeded", "NoInstancesInTag",
}

func (c *compiler) status(v scalar, what string) (payload.Status, bool) {
	st, _, ok := payload.ParseStatus(v.value)
	if !ok || !knownStatus(st) {
		c.errorf(v.line, "%s: unknown status %s%s; use InProgress, Success, Failed, TimedOut, Cancelled, AnyFailure, All, or a detailed status such as Undeliverable", what, q(v.value), problem.DidYouMean(v.value, statusNames))
		return "", false
	}
	return st, true
}

func knownStatus(s payload.Status) bool {
	switch s {
	case payload.StatusPending, payload.StatusDelayed, payload.StatusCancelling:
		return true
	}
	return s.Standard() || s.Failure()
}

func (c *compiler) kinds(l list, what string) kindSet {
	var k kindSet
	for _, v := range l {
		switch strings.ToLower(strings.TrimSpace(v.value)) {
		case "command":
			k |= kindCommand
		case "invocation":
			k |= kindInvocation
		case "all":
			k |= kindAll
		default:
			c.errorf(v.line, "%s: unknown kind %s; use command (one message per command) or invocation (one per instance)", what, q(v.value))
		}
	}
	if k == 0 {
		k = kindAll // only after a reported problem; keeps the matcher from meaning "any"
	}
	return k
}

// destinationRefs resolves destination names against the destinations defined so far.
func (c *compiler) destinationRefs(l list, what string) []*Destination {
	var out []*Destination
	for _, v := range l {
		name := strings.TrimSpace(v.value)
		dest := c.set.destByName[name]
		if dest == nil {
			c.errorf(v.line, "%s: undefined destination %s%s", what, q(name), problem.DidYouMean(name, destNames(c.set.destinations)))
			continue
		}
		if contains(destNames(out), name) {
			c.errorf(v.line, "%s: destination %q is listed twice", what, name)
			continue
		}
		out = append(out, dest)
	}
	return out
}

func destNames(ds []*Destination) []string {
	out := make([]string, len(ds))
	for i, x := range ds {
		out[i] = x.Name
	}
	return out
}

// windowRefs resolves mute window names.
func (c *compiler) windowRefs(l list, what string) []*MuteWindow {
	var out []*MuteWindow
	for _, v := range l {
		name := strings.TrimSpace(v.value)
		w := c.windows[name]
		if w == nil {
			known := make([]string, 0, len(c.set.muteWindows))
			for _, x := range c.set.muteWindows {
				known = append(known, x.Name)
			}
			c.errorf(v.line, "%s: undefined mute window %s%s", what, q(name), problem.DidYouMean(name, known))
			continue
		}
		out = append(out, w)
	}
	return out
}

func (c *compiler) location(s scalar, what string) *time.Location {
	if !s.ok {
		return nil
	}
	if s.value == "Local" {
		c.errorf(s.line, "%s: \"Local\" depends on the machine; name the zone, e.g. Europe/London or UTC", what)
		return nil
	}
	loc, err := time.LoadLocation(s.value)
	if err != nil {
		c.errorf(s.line, "%s: unknown time zone %s; use an IANA name such as Europe/London, America/New_York or UTC", what, q(s.value))
		return nil
	}
	return loc
}

func (c *compiler) timestamp(s scalar, what string) (time.Time, bool) {
	if !s.ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s.value)
	if err != nil {
		c.errorf(s.line, "%s: %s is not an RFC 3339 time with a zone, such as 2026-05-04T12:00:00Z", what, q(s.value))
		return time.Time{}, false
	}
	return t, true
}
