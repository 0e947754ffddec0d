package thread

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Outcomes of Emails.Tick.
const (
	Emailed  Outcome = "emailed"
	FollowUp Outcome = "emailed_follow_up"
	// EmailPending: the command's email goes out once its outcome is known or it is quiet.
	EmailPending Outcome = "email_pending"
)

// EmailChannel is the message-record channel of a command's email to a destination: the record
// keeps what the last email showed, so a redelivery sends nothing and a change sends a follow-up.
func EmailChannel(destination string) string { return "email:" + destination }

// Emails sends one email per command outcome to each email destination that groups by command
// (the default), instead of one per notification: 60 failed instances and their summary are one
// email listing the 60, not 61 emails. When the command's terminal status is known (its summary,
// or every targeted instance finished) the email goes out at once; otherwise once its
// invocations stop changing for Quiet, through a delayed render on the render queue. A later
// change sends a follow-up; a redelivery sends nothing.
type Emails struct {
	Store    state.Store
	Schedule Scheduler
	Now      func() time.Time
	// Send sends one rendered email to a destination.
	Send func(ctx context.Context, dest *rules.Destination, msg render.EmailMessage) error
	// Quiet is how long a command's state must stay unchanged before its email goes out while
	// its outcome is not yet known (default 2 minutes).
	Quiet time.Duration
	// Lease bounds a send (default 20 s), as for Threads.
	Lease time.Duration
	// Token identifies this process as a lease holder.
	Token string
	// Detail, when set, says why the command's instances failed, as Threads.Detail does for
	// the Slack message (EnrichedDetail): the email leads with the most common reason and
	// describes each failed instance. It is looked up when an email goes out, not for its
	// fingerprint, so detail that arrives later sends no follow-up on its own. nil sends without.
	Detail func(ctx context.Context, req Request, v render.CommandView) *failure.Detail
}

// emailRecord is what the email's message record keeps.
type emailRecord struct {
	// FP is the fingerprint of what the last email showed.
	FP string `json:"fp,omitempty"`
	// Sent counts the emails sent about the command.
	Sent int `json:"sent,omitempty"`
	// Seen is the fingerprint of the latest state a check saw and SeenAt when it first saw it:
	// the quiet period runs from there (our clock, not the event times, which may be old).
	Seen   string    `json:"seen,omitempty"`
	SeenAt time.Time `json:"seenAt,omitzero"`
	// Next is when a scheduled check is due.
	Next time.Time `json:"next,omitzero"`
}

func (e *Emails) quiet() time.Duration {
	if e.Quiet > 0 {
		return e.Quiet
	}
	return 2 * time.Minute
}

func (e *Emails) lease() time.Duration {
	if e.Lease > 0 {
		return e.Lease
	}
	return 20 * time.Second
}

// Tick sends the command's email to dest if its outcome is known (or quiet) and differs from
// what was last sent, or schedules a check for when it will be quiet.
func (e *Emails) Tick(ctx context.Context, req Request, dest *rules.Destination) (Outcome, error) {
	if dest == nil || dest.Email == nil {
		return "", errors.New("email render: no email destination")
	}
	key := state.MessageKey{CommandID: req.CommandID, Channel: EmailChannel(req.Destination)}
	now := e.Now()
	var held state.Message
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return "", state.Unavailable(fmt.Errorf("email record %s/%s: too many concurrent writers", req.CommandID, req.Destination))
		}
		m, err := e.Store.Message(ctx, key, now)
		if err != nil {
			return "", fmt.Errorf("read email record: %w", err)
		}
		m.Key = key
		if m.Holder != "" && m.Holder != e.Token && m.HeldUntil.After(now) {
			// Someone is sending: look again once its lease is over.
			if err := e.Schedule.Schedule(ctx, req, m.HeldUntil); err != nil {
				return "", fmt.Errorf("schedule an email check: %w", err)
			}
			return EmailPending, nil
		}
		m.Holder, m.HeldUntil = e.Token, now.Add(e.lease())
		stored, ok, err := e.Store.PutMessage(ctx, m, now)
		if err != nil {
			return "", fmt.Errorf("take email lease: %w", err)
		}
		if ok {
			held = stored
			break
		}
	}
	var rec emailRecord
	if held.Rendered != "" {
		_ = json.Unmarshal([]byte(held.Rendered), &rec)
	}
	out, schedule, sendErr := e.decide(ctx, req, dest, &rec, held, now)

	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return out, state.Unavailable(errors.New("write email record: too many concurrent writers"))
		}
		cur := held
		if attempt > 0 {
			var err error
			if cur, err = e.Store.Message(ctx, key, now); err != nil {
				return out, fmt.Errorf("read email record: %w", err)
			}
		}
		cur.Key = key
		if cur.Holder != e.Token {
			return out, sendErr // our lease passed; the new holder owns the record
		}
		cur.Holder, cur.HeldUntil = "", time.Time{}
		b, _ := json.Marshal(rec)
		cur.Rendered = string(b)
		if out == Emailed || out == FollowUp {
			cur.RenderedAt = now
		}
		if _, ok, err := e.Store.PutMessage(ctx, cur, now); err != nil {
			return out, fmt.Errorf("write email record: %w", err)
		} else if !ok {
			continue
		}
		if !schedule.IsZero() {
			if err := e.Schedule.Schedule(ctx, req, schedule); err != nil {
				return out, fmt.Errorf("schedule an email check: %w", err)
			}
		}
		return out, sendErr
	}
}

// decide reads the roll-up and sends, or says when to look again.
func (e *Emails) decide(ctx context.Context, req Request, dest *rules.Destination, rec *emailRecord, held state.Message, now time.Time) (Outcome, time.Time, error) {
	roll, err := e.Store.Rollup(ctx, req.CommandID, now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read roll-up: %w", err)
	}
	v := View(roll, req)
	failed := newFailures(roll.Failures, nil)
	fp := emailFingerprint(v, failed)
	if fp != rec.Seen {
		rec.Seen, rec.SeenAt = fp, now
	}
	if fp == rec.FP {
		return Unchanged, time.Time{}, nil
	}
	// The outcome is known when the command finished and every targeted instance reported;
	// otherwise more may come (invocations after their summary, or only summaries subscribed):
	// wait until nothing changed for the quiet period.
	complete := v.Finished && roll.Targets > 0 && roll.Invocations >= roll.Targets
	if quietAt := rec.SeenAt.Add(e.quiet()); !complete && now.Before(quietAt) {
		if rec.Next.After(now) && !rec.Next.After(quietAt) {
			return EmailPending, time.Time{}, nil // a check is due already; it reschedules if needed
		}
		rec.Next = quietAt
		return EmailPending, quietAt, nil
	}
	followUp := rec.Sent > 0
	sctx, cancel := context.WithTimeout(ctx, held.HeldUntil.Sub(now)-min(leaseMargin, held.HeldUntil.Sub(now)/10))
	defer cancel()
	var d *failure.Detail
	if e.Detail != nil && (v.Status.Failure() || v.FailedTotal > 0) {
		d = e.Detail(sctx, req, v) // one lookup per email, bounded by enrichment's own budget
	}
	if err := e.Send(sctx, dest, render.CommandEmail(v, failed, dest.Email.SubjectPrefix, followUp, d)); err != nil {
		return "", time.Time{}, err
	}
	rec.FP, rec.Sent, rec.Next = fp, rec.Sent+1, time.Time{}
	if followUp {
		return FollowUp, time.Time{}, nil
	}
	return Emailed, time.Time{}, nil
}

// emailFingerprint identifies what a command email shows: status, tally and the failed
// instances with their statuses.
func emailFingerprint(v render.CommandView, failed []render.Instance) string {
	var b strings.Builder
	b.WriteString(string(v.Status) + "|" + v.Tally())
	for _, in := range failed {
		b.WriteString("|" + in.ID + "=" + string(in.Status))
	}
	return b.String()
}
