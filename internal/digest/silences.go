package digest

import (
	"context"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// SilenceStore is the part of the ad-hoc silence store the digest reads.
type SilenceStore interface {
	Silences(ctx context.Context, now time.Time) ([]silence.Silence, error)
}

// expiringWithin is how far past the window's end a silence's end makes it "expiring".
const expiringWithin = 24 * time.Hour

// silenceReport counts, as the window's failures are read, what each silence held back, and then
// says which silences the digest names: active at the window's end (expiring when they end
// within a day), and those that ended within the window without ever matching.
type silenceReport struct {
	rules    *rules.Set
	window   Window
	list     []silence.Silence // overlapping the window
	heldBack map[string]int
}

func newSilenceReport(set *rules.Set, w Window, all []silence.Silence) *silenceReport {
	r := &silenceReport{rules: set, window: w, heldBack: map[string]int{}}
	for _, s := range all {
		if s.Starts.Before(w.To) && s.Ends.After(w.From) {
			r.list = append(r.list, s)
		}
	}
	return r
}

// add counts f against every silence that was active at its time and matches it as the router
// would have seen it (its deliveries' routes and destinations included).
func (r *silenceReport) add(f state.Failure) {
	if len(r.list) == 0 {
		return
	}
	n := &payload.Notification{
		Kind: payload.KindCommand, CommandID: f.CommandID, DocumentName: f.DocumentName, InstanceID: f.InstanceID,
		Status: f.Status, EventTime: f.EventTime, Region: f.Region, Account: f.Account,
	}
	if f.InstanceID != "" {
		n.Kind = payload.KindInvocation
	}
	targets := []silence.Target{{N: n}}
	if r.rules != nil {
		if ds := r.rules.Decide(n, f.EventTime).Deliveries; len(ds) > 0 {
			targets = targets[:0]
			for _, d := range ds {
				targets = append(targets, silence.Target{N: n, Route: d.Route, Destination: d.Destination.Name})
			}
		}
	}
	for i := range r.list {
		s := &r.list[i]
		if s.StateAt(f.EventTime) != silence.Active {
			continue
		}
		for _, t := range targets {
			if s.Matches(t) {
				r.heldBack[s.ID]++
				break
			}
		}
	}
}

// facts lists what the digest says, active and expiring first, by end.
func (r *silenceReport) facts() []tally.Silence {
	var out, unused []tally.Silence
	for _, s := range r.list {
		fact := tally.Silence{ID: s.ID, Author: s.Author, Comment: s.Comment, What: s.Matchers.String(), Ends: s.Ends, HeldBack: r.heldBack[s.ID]}
		switch {
		case s.StateAt(r.window.To) == silence.Active:
			fact.Kind = tally.SilenceActive
			if !s.Ends.After(r.window.To.Add(expiringWithin)) {
				fact.Kind = tally.SilenceExpiring
			}
			out = append(out, fact)
		case !s.Ends.Before(r.window.From) && s.Ends.Before(r.window.To) && s.Matched.IsZero() && fact.HeldBack == 0:
			fact.Kind = tally.SilenceUnused
			unused = append(unused, fact)
		}
	}
	return append(out, unused...)
}
