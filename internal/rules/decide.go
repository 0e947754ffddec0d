package rules

import (
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// DropReason says why a notification is delivered nowhere. The values are fit for metric names.
type DropReason string

// Why nothing is sent.
const (
	// DropFiltered: the routes that matched do not want this status (notify_on) or kind
	// (notify_for).
	DropFiltered DropReason = "filtered"
	// DropSilenced: an active silence matches the notification.
	DropSilenced DropReason = "silenced"
	// DropMuted: every route that wanted it is inside one of its mute windows.
	DropMuted DropReason = "muted"
	// DropNoRoute: no route's match selects the notification.
	DropNoRoute DropReason = "no_route"
)

// Decision is what to do with one notification: deliver it to Deliveries, or drop it for Drop.
// Reason is for humans (logs, the route command): why it was dropped, or, for a delivered
// notification, which matching routes held it back (empty when none did).
type Decision struct {
	Deliveries []Delivery
	Drop       DropReason
	Reason     string
}

// Delivered reports whether the notification goes anywhere.
func (d Decision) Delivered() bool { return len(d.Deliveries) > 0 }

// Delivery is one destination to send to, and the route that chose it.
type Delivery struct {
	Route       string
	Destination *Destination
	// Enrich is the route's enrichment settings, or nil when the alert is not enriched.
	Enrich *Enrich
}

// hold records a matching route that did not deliver, for the decision's reason.
type hold struct {
	route *Route
	drop  DropReason // DropFiltered or DropMuted
	mute  *MuteWindow
}

// reason says which mute window, or which of notify_on and notify_for, held n back.
func (h hold) reason(n *payload.Notification) string {
	if h.drop == DropMuted {
		return "muted by " + h.mute.Name + " (route " + h.route.Name + ")"
	}
	if !h.route.notifyOn.contains(n.Status) {
		return "status " + string(n.Status) + " not in notify_on of route " + h.route.Name
	}
	return "kind " + string(n.Kind) + " not in notify_for of route " + h.route.Name
}

// Decide walks the routes in order, as Alertmanager does: a route whose match selects n is taken,
// and the walk stops there unless the route says continue. A taken route then delivers to its
// destinations unless n's status is not in its notify_on, its kind not in its notify_for, or one
// of its mute windows holds the status at now. A destination reached by several routes is
// delivered to once, for the first of them. Finally an active silence that matches n drops
// everything.
//
// Decide is safe for concurrent use; it allocates only the deliveries, for a drop or a partial
// hold the reason text, and, when a general pattern (one with '?' or a class) meets a shared
// document's ARN, a copy of the name (see glob.match).
func (s *Set) Decide(n *payload.Notification, now time.Time) Decision {
	var (
		d       Decision
		matched bool
		holds   [4]hold // enough for the usual case without allocating
		nHolds  int
		extra   []hold
	)
	addHold := func(h hold) {
		if nHolds < len(holds) {
			holds[nHolds] = h
		} else {
			extra = append(extra, h)
		}
		nHolds++
	}
	for _, r := range s.routes {
		if !r.match.matches(n) {
			continue
		}
		matched = true
		switch {
		case !r.notifyOn.contains(n.Status), !r.notifyFor.has(n.Kind):
			addHold(hold{route: r, drop: DropFiltered})
		default:
			if mw := r.mutedBy(n.Status, now); mw != nil {
				addHold(hold{route: r, drop: DropMuted, mute: mw})
				break
			}
			for _, dest := range r.To {
				if !hasDestination(d.Deliveries, dest) {
					if d.Deliveries == nil {
						// Room for a continue route and a catch-all in one allocation.
						d.Deliveries = make([]Delivery, 0, max(len(r.To), 4))
					}
					d.Deliveries = append(d.Deliveries, Delivery{Route: r.Name, Destination: dest, Enrich: r.Enrich})
				}
			}
		}
		if !r.Continue {
			break
		}
	}
	all := func(i int) hold {
		if i < len(holds) {
			return holds[i]
		}
		return extra[i-len(holds)]
	}
	switch {
	case !matched:
		d.Drop, d.Reason = DropNoRoute, "no route matched"
		return d
	case len(d.Deliveries) == 0:
		// Prefer a mute as the reason: that route wanted the notification and only the time
		// of day held it back, which is what a reader asking "why no alert?" needs to know.
		pick := all(0)
		for i := range nHolds {
			if h := all(i); h.drop == DropMuted {
				pick = h
				break
			}
		}
		d.Drop, d.Reason = pick.drop, pick.reason(n)
		return d
	}
	for _, sl := range s.silences {
		if sl.Active(now) && sl.match.matches(n) {
			return Decision{Drop: DropSilenced, Reason: sl.reason}
		}
	}
	if nHolds > 0 {
		parts := make([]string, nHolds)
		for i := range nHolds {
			parts[i] = all(i).reason(n)
		}
		d.Reason = strings.Join(parts, "; ")
	}
	return d
}

func hasDestination(ds []Delivery, dest *Destination) bool {
	for i := range ds {
		if ds[i].Destination == dest {
			return true
		}
	}
	return false
}

// mutedBy returns the first of r's mute windows that holds status at now, or nil.
func (r *Route) mutedBy(status payload.Status, now time.Time) *MuteWindow {
	for _, w := range r.MuteWindows {
		if w.Holds(status, now) {
			return w
		}
	}
	return nil
}

// matcher is a compiled match block: every field that is set must match; within a field any
// value may match. The zero matcher matches everything.
type matcher struct {
	kinds     kindSet // 0: any
	statuses  statusSet
	hasStatus bool
	accounts  []*glob
	regions   []*glob
	documents []*glob
	instances []*glob
}

// matches checks the cheap fields first so that most non-matching routes cost a few
// comparisons.
func (m *matcher) matches(n *payload.Notification) bool {
	if m.kinds != 0 && !m.kinds.has(n.Kind) {
		return false
	}
	if m.hasStatus && !m.statuses.contains(n.Status) {
		return false
	}
	if m.accounts != nil && !anyGlob(m.accounts, n.Account) {
		return false
	}
	if m.regions != nil && !anyGlob(m.regions, n.Region) {
		return false
	}
	if m.documents != nil && !anyGlob(m.documents, n.DocumentName) {
		return false
	}
	if m.instances != nil {
		// A command summary names its instances in InstanceIDs: it matches when any of them
		// does. A command targeted by tags names none and so never matches an instance glob.
		if n.Kind == payload.KindInvocation || n.InstanceID != "" {
			return anyGlob(m.instances, n.InstanceID)
		}
		for _, id := range n.InstanceIDs {
			if anyGlob(m.instances, id) {
				return true
			}
		}
		return false
	}
	return true
}

func anyGlob(gs []*glob, s string) bool {
	for _, g := range gs {
		if g.match(s) {
			return true
		}
	}
	return false
}

// kindSet is a bit set of payload kinds.
type kindSet uint8

const (
	kindCommand kindSet = 1 << iota
	kindInvocation
	kindAll = kindCommand | kindInvocation
)

func (k kindSet) has(kind payload.Kind) bool {
	switch kind {
	case payload.KindCommand:
		return k&kindCommand != 0
	case payload.KindInvocation:
		return k&kindInvocation != 0
	}
	return false
}

// statusSet is a set of statuses with two wildcards: All, and AnyFailure (every status for which
// payload.Status.Failure is true, including the detailed ones).
type statusSet struct {
	all        bool
	anyFailure bool
	list       []payload.Status
}

func (s *statusSet) contains(st payload.Status) bool {
	if s.all || (s.anyFailure && st.Failure()) {
		return true
	}
	for _, x := range s.list {
		if x == st {
			return true
		}
	}
	return false
}
