package state

import (
	"cmp"
	"slices"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// RollupBuilder derives a Rollup from a command's stored items, in any order. Both
// implementations use it, so they agree on every detail.
type RollupBuilder struct {
	r      Rollup
	failed []Timeline
}

// Start resets the builder for commandID.
func (b *RollupBuilder) Start(commandID string) {
	*b = RollupBuilder{r: Rollup{CommandID: commandID, Counts: map[payload.Status]int{}}}
}

// AddTimeline adds one live (not expired) timeline with the attributes stored beside it.
// targets is used for the command's own timeline only.
func (b *RollupBuilder) AddTimeline(t Timeline, document string, requested time.Time, targets int) {
	r := &b.r
	if t.Target == "" {
		c := t
		r.Command = &c
		r.Targets = targets
		if document != "" {
			r.DocumentName = document // the summary's document wins over an invocation's
		}
	} else {
		r.Invocations++
		r.Counts[t.Status]++
		if t.Status.Failure() {
			b.failed = append(b.failed, t)
		}
	}
	if r.DocumentName == "" {
		r.DocumentName = document
	}
	if r.RequestedAt.IsZero() && !requested.IsZero() {
		r.RequestedAt = requested
	}
	if r.FirstEvent.IsZero() || t.EventTime.Before(r.FirstEvent) {
		r.FirstEvent = t.EventTime
	}
	if t.EventTime.After(r.LastEvent) {
		r.LastEvent = t.EventTime
	}
}

// AddMessage adds one live message record.
func (b *RollupBuilder) AddMessage(m Message) { b.r.Messages = append(b.r.Messages, m) }

// Finish returns the roll-up.
func (b *RollupBuilder) Finish() Rollup {
	r := b.r
	slices.SortFunc(b.failed, func(x, y Timeline) int {
		return cmp.Or(x.EventTime.Compare(y.EventTime), cmp.Compare(x.Target, y.Target))
	})
	r.FailedTotal = len(b.failed)
	r.Failures = b.failed
	for _, t := range b.failed[:min(len(b.failed), MaxRollupFailed)] {
		r.Failed = append(r.Failed, t.Target)
	}
	slices.SortFunc(r.Messages, func(x, y Message) int { return cmp.Compare(x.Key.Channel, y.Key.Channel) })
	return r
}
