package state

import (
	"fmt"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Judge says what the ordering guard makes of in when its timeline holds stored (nil: empty).
//
// Statuses of a timeline are ordered by (terminal, event time, status name): any terminal status
// is later than any non-terminal one, then the later event time is later, and the status name
// breaks a tie of both. So a notification older than the stored one is Stale, a non-terminal
// status after a terminal one is Stale even if its event time is later (SSM never follows a
// terminal status, so such a time is wrong), a terminal status at the same event time as a
// non-terminal one wins, and the same status at the same time is a Duplicate. Because the order
// is total, the final state of a timeline does not depend on the order notifications arrive in.
func Judge(stored *Timeline, in Timeline) Verdict {
	if stored == nil {
		return Fresh
	}
	switch c := compareTimeline(in, *stored); {
	case c > 0:
		return Fresh
	case c == 0:
		return Duplicate
	}
	return Stale
}

func compareTimeline(a, b Timeline) int {
	at, bt := a.Status.Terminal(), b.Status.Terminal()
	if at != bt {
		if at {
			return 1
		}
		return -1
	}
	if c := a.EventTime.Compare(b.EventTime); c != 0 {
		return c
	}
	return strings.Compare(string(a.Status), string(b.Status))
}

// MaxKeyPartBytes bounds the command ID, instance ID and status of a notification the store
// accepts: each becomes part of DynamoDB keys (a partition key holds at most 2,048 bytes, a sort
// key 1,024, and a claim key joins all three, escaped), while SSM's own are far shorter (a command
// ID has 36 characters). A longer one is bad input, refused here rather than by DynamoDB, whose
// refusal the store reports as an infrastructure fault.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys
const MaxKeyPartBytes = 128

// TimelineOf is the timeline entry n would write, or an error wrapping ErrInvalid when n cannot
// be placed in a timeline.
func TimelineOf(n *payload.Notification) (Timeline, error) {
	switch {
	case n == nil:
		return Timeline{}, fmt.Errorf("%w: no notification", ErrInvalid)
	case n.CommandID == "":
		return Timeline{}, fmt.Errorf("%w: notification without a command ID", ErrInvalid)
	case n.Kind == payload.KindInvocation && n.InstanceID == "":
		return Timeline{}, fmt.Errorf("%w: invocation of command %s without an instance ID", ErrInvalid, n.CommandID)
	case n.Kind != payload.KindInvocation && n.Kind != payload.KindCommand:
		return Timeline{}, fmt.Errorf("%w: notification of command %s has kind %q", ErrInvalid, n.CommandID, n.Kind)
	case n.Status == "":
		return Timeline{}, fmt.Errorf("%w: notification of command %s without a status", ErrInvalid, n.CommandID)
	case n.EventTime.IsZero():
		return Timeline{}, fmt.Errorf("%w: notification of command %s without an event time", ErrInvalid, n.CommandID)
	case len(n.CommandID) > MaxKeyPartBytes || len(n.InstanceID) > MaxKeyPartBytes || len(n.Status) > MaxKeyPartBytes:
		return Timeline{}, fmt.Errorf("%w: command ID, instance ID or status longer than %d bytes", ErrInvalid, MaxKeyPartBytes)
	}
	return Timeline{CommandID: n.CommandID, Target: n.Target(), Status: n.Status, EventTime: n.EventTime.UTC()}, nil
}
