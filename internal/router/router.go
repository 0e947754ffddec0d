// Package router is the router Lambda's handler: decode (once, into records) → guard → decide →
// claim → deliver → complete or park, for every record of an SNS, SQS or EventBridge event. The
// Lambda entry point, the local CLI and the tests all run this same Handler; only its
// dependencies differ (DynamoDB or the in-process store, live or preview delivery).
package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ssmnotify/ssmnotify/internal/fault"
	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// Deliverer sends one notification to one destination. Its errors are classified with
// internal/fault (notify's retryable and permanent errors are): permanent (parked with the
// destination's reason), infrastructure (retried and counted) or retryable. An unclassified error
// counts as retryable, the safe side for "nothing is lost".
type Deliverer interface {
	Deliver(ctx context.Context, d rules.Delivery, n *payload.Notification) error
}

// Parker keeps what could not be delivered — with its reason and a replayable event — where an
// operator can find it: the dead-letter queue in AWS, a folder locally.
type Parker interface {
	Park(ctx context.Context, p Parked) error
}

// Parked is one record kept for an operator.
type Parked struct {
	// Code is why: CodeBadInput or CodePermanent.
	Code   string `json:"code"`
	Reason string `json:"reason"`
	// The notification's identity, when it could be decoded.
	CommandID   string `json:"commandId,omitempty"`
	InstanceID  string `json:"instanceId,omitempty"`
	Status      string `json:"status,omitempty"`
	Destination string `json:"destination,omitempty"`
	// Event is a Lambda event holding only this record: `ssmnotify redrive` sends it back to the
	// router as it is. Input that is not JSON at all is kept as text in EventText instead.
	Event     json.RawMessage `json:"event,omitempty"`
	EventText string          `json:"eventText,omitempty"`
	// ParkedAt is when it was parked.
	ParkedAt time.Time `json:"parkedAt"`
}

// Park codes.
const (
	CodeBadInput  = "bad_input"
	CodePermanent = "permanent_delivery_failure"
)

// Outcome is what happened to one notification at one destination (or to the whole
// notification, when it went nowhere).
type Outcome string

// Outcomes, as logged and counted.
const (
	Delivered  Outcome = "delivered"
	Duplicate  Outcome = "duplicate"   // delivered before (claim done) or a redelivery of the stored status
	Stale      Outcome = "stale"       // older than what is stored: not delivered
	Filtered   Outcome = "filtered"    // notify_on / notify_for
	Silenced   Outcome = "silenced"    // an active silence
	Muted      Outcome = "muted"       // a mute window
	NoRoute    Outcome = "no_route"    // no route matched
	InProgress Outcome = "in_progress" // another invocation holds the claim: retry later
	Unchanged  Outcome = "unchanged"   // a scheduled render found the message up to date
	Retryable  Outcome = "failed_retryable"
	// Infrastructure: the store, a permission or the dead-letter queue failed. Retried like
	// Retryable, and counted as InfrastructureError for an alarm: never parked as bad input.
	Infrastructure Outcome = "failed_infrastructure"
	Permanent      Outcome = "failed_permanent" // parked for an operator
	BadInput       Outcome = "bad_input"        // parked for an operator
)

// Retry reports whether the outcome asks Lambda to try the record again.
func (o Outcome) Retry() bool { return o == Retryable || o == InProgress || o == Infrastructure }

// Result is one line of the router's account of an event.
type Result struct {
	Record       int
	RecordID     string
	Notification *payload.Notification // nil for bad input
	Route        string
	Destination  string
	Outcome      Outcome
	Reason       string
	// Thread is what the command's evolving message did, for deliveries to a threaded
	// destination and for scheduled renders ("" otherwise).
	Thread thread.Outcome
	// CommandID names the command of a scheduled render (which has no notification).
	CommandID string

	rec *payload.Record // what to park, should it come to that
}

// Report is everything the router did with one event.
type Report struct {
	Source  payload.Source
	Results []Result
}

// Retry lists the records that must be tried again.
func (r *Report) Retry() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome.Retry() {
			out = append(out, res)
		}
	}
	return out
}

// Handler routes Run Command notifications. Every field but Logger and Metrics is required.
type Handler struct {
	Rules   *rules.Set
	Store   state.Store
	Deliver Deliverer
	Park    Parker
	// Now is the clock (time.Now in Lambda; fixed in tests and the demo).
	Now func() time.Time
	// Logger gets one line per decision; nil discards.
	Logger *slog.Logger
	// Metrics gets the EMF lines of each invocation (stdout in Lambda); nil discards.
	Metrics io.Writer
	// DefaultLease bounds a claim when the context has no deadline (the CLI); Lambda's context
	// always has one, and the lease ends there.
	DefaultLease time.Duration
	// Threads, when set, keeps one evolving message per command for bot-mode Slack
	// destinations (parent, updates, batched failure replies) instead of a post per
	// notification. Webhook and email destinations are unaffected.
	Threads *thread.Threads
	// Emails, when set, sends one email per command outcome to email destinations that group by
	// command (the default; `group: none` keeps one per notification).
	Emails *thread.Emails
}

// Handle is the Lambda entry point. SQS batches get a partial batch response naming only the
// records to retry; other events fail the invocation when anything must be retried, so Lambda's
// retries and then the on-failure destination keep them.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	rep, err := h.Process(ctx, raw)
	if err != nil {
		return nil, err
	}
	retry := rep.Retry()
	if rep.Source == payload.SourceSQS {
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		seen := map[string]bool{}
		for _, r := range retry {
			if !seen[r.RecordID] {
				seen[r.RecordID] = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.RecordID})
			}
		}
		return resp, nil
	}
	if len(retry) > 0 {
		return nil, retryError(retry)
	}
	return nil, nil
}

// retryError summarizes what must be retried, without secrets (notify errors carry none) and
// without payloads.
func retryError(retry []Result) error {
	parts := make([]string, 0, 3)
	for i, r := range retry {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(retry)-3))
			break
		}
		id := "record " + fmt.Sprint(r.Record)
		if r.Notification != nil {
			id = r.Notification.CommandID + "/" + orDash(r.Notification.InstanceID) + "/" + string(r.Notification.Status)
		}
		parts = append(parts, fmt.Sprintf("%s → %s: %s", id, orDash(r.Destination), r.Reason))
	}
	return fmt.Errorf("%d deliveries to retry: %s", len(retry), strings.Join(parts, "; "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Process routes every record of the event and reports what happened to each, failures
// included; the error is reserved for an event that cannot be accounted for at all.
func (h *Handler) Process(ctx context.Context, raw []byte) (*Report, error) {
	start := h.now()
	inv := &invocation{h: h, m: metrics.New("router"), log: h.logger(ctx), rep: &Report{}}
	defer func() {
		if h.Metrics != nil {
			_ = inv.m.Flush(h.Metrics, h.now())
		}
	}()
	recs := payload.Decode(raw)
	inv.rep.Source = recs.Source()

	// Scheduled renders and bad records first, in record order; then the notifications, older
	// status changes first within the batch: fewer of them end up stale.
	var order []int
	renders := 0
	for i := range recs {
		switch rec := &recs[i]; {
		case rec.Render != nil:
			renders++
			inv.render(ctx, rec)
		case rec.Err != nil:
			inv.badInput(ctx, rec)
		default:
			order = append(order, i)
		}
	}
	if len(recs) == 0 || renders < len(recs) {
		// Notifications received, bad ones included; a batch of render requests only has none.
		inv.m.Add("Received", float64(len(recs)-renders))
	}
	sort.SliceStable(order, func(a, b int) bool {
		return recs[order[a]].Notification.EventTime.Before(recs[order[b]].Notification.EventTime)
	})
	for _, i := range order {
		inv.route(ctx, &recs[i])
	}
	inv.runThreads(ctx)
	inv.log.LogAttrs(ctx, slog.LevelDebug, "event done", slog.String("source", string(inv.rep.Source)), slog.Int("results", len(inv.rep.Results)),
		slog.Duration("duration", h.now().Sub(start)))
	return inv.rep, nil
}

// invocation is what the records of one event share while they are routed: the handler, the
// invocation's metrics and logger, the report, and the command messages to render after the
// batch.
type invocation struct {
	h    *Handler
	m    *metrics.Recorder
	log  *slog.Logger
	rep  *Report
	work threadWork
}

// badInput parks a record that could not be decoded.
func (inv *invocation) badInput(ctx context.Context, rec *payload.Record) {
	e := rec.Err
	inv.m.Add("Unrecognized", 1)
	res := Result{Record: rec.Index, RecordID: rec.ID, rec: rec}
	res.Outcome, res.Reason = inv.park(ctx, rec, CodeBadInput, nil, e.Error())
	level := slog.LevelWarn
	if res.Outcome != BadInput {
		level = slog.LevelError // could not keep it: retried
	}
	inv.log.LogAttrs(ctx, level, "notification", slog.Int("record", rec.Index), slog.String("message_id", rec.ID),
		slog.String("outcome", string(res.Outcome)), slog.String("code", e.Code), slog.String("reason", res.Reason))
	inv.rep.Results = append(inv.rep.Results, res)
}

// route handles one notification: guard, decide, then deliver to each destination.
func (inv *invocation) route(ctx context.Context, rec *payload.Record) {
	h, n := inv.h, rec.Notification
	start := h.now()
	base := Result{Record: rec.Index, RecordID: rec.ID, Notification: n, rec: rec}
	emit := func(r Result) {
		h.logResult(ctx, inv.log, levelOf(r.Outcome), r, h.now().Sub(start))
		inv.rep.Results = append(inv.rep.Results, r)
	}

	obs, err := h.Store.Observe(ctx, n, h.now())
	if err != nil {
		r := base
		reason := "ordering guard: " + err.Error()
		if fault.Of(err) == fault.BadInput {
			reason = "ordering guard refused it: " + err.Error()
		}
		r.Outcome, r.Reason = inv.fail(ctx, rec, nil, reason, err)
		inv.count(r, "")
		emit(r)
		return
	}
	if obs.Verdict == state.Stale {
		inv.m.Add("Stale", 1)
		r := base
		r.Outcome, r.Reason = Stale, "older than the stored status"
		emit(r)
		return
	}

	// The command's evolving messages follow every status change, delivered or not.
	if h.Threads != nil || h.Emails != nil {
		inv.work.touch(rec, obs.Verdict == state.Duplicate)
	}
	d := h.Rules.Decide(n, h.now())
	if !d.Delivered() {
		r := base
		r.Outcome, r.Reason = dropOutcome(d.Drop), d.Reason
		inv.m.Add(metricName(r.Outcome), 1)
		emit(r)
		return
	}

	lease := h.leaseUntil(ctx)
	for _, dl := range d.Deliveries {
		r := base
		r.Route, r.Destination = dl.Route, dl.Destination.Name
		if h.threaded(dl.Destination) || h.perCommandEmail(dl.Destination) {
			// Rendered once per command after the batch: see runThreads.
			r.Outcome, r.Reason = Delivered, "pending"
			inv.work.add(rec, dl.Destination, obs.Verdict == state.Duplicate, len(inv.rep.Results))
			inv.rep.Results = append(inv.rep.Results, r)
			continue
		}
		r.Outcome, r.Reason = inv.deliver(ctx, rec, dl, lease)
		inv.count(r, dl.Destination.Type)
		emit(r)
	}
}

// deliver claims one delivery, sends it, and completes or releases the claim.
func (inv *invocation) deliver(ctx context.Context, rec *payload.Record, dl rules.Delivery, lease time.Time) (Outcome, string) {
	h, n := inv.h, rec.Notification
	if !lease.After(h.now()) {
		// The invocation's deadline has passed: a claim would end before it began.
		return Retryable, "no time left before the invocation's deadline"
	}
	key := state.NotificationClaim(n.CommandID, n.Target(), n.Status, dl.Destination.Name)
	c, err := h.Store.Claim(ctx, key, h.now(), lease)
	if err != nil {
		return inv.fail(ctx, rec, &dl, "claim: "+err.Error(), err)
	}
	switch c.Outcome {
	case state.ClaimDone:
		return Duplicate, "already delivered"
	case state.ClaimInProgress:
		return InProgress, "another invocation is delivering it (lease until " + c.LeaseUntil.UTC().Format(time.RFC3339) + ")"
	}

	sendErr := h.Deliver.Deliver(ctx, dl, n)
	if sendErr == nil {
		// The message is out. Completing can fail only on the store; try twice more, then leave
		// it: the claim's lease ends at this invocation's deadline, and failing the invocation now
		// would resend what was just delivered.
		var cerr error
		for attempt := 0; attempt < 3; attempt++ {
			if cerr = h.Store.Complete(ctx, c, h.now()); cerr == nil || !state.IsRetryable(cerr) {
				break
			}
		}
		if cerr != nil {
			return Delivered, "delivered; recording it failed: " + cerr.Error()
		}
		return Delivered, ""
	}

	if rerr := h.Store.Release(ctx, c, h.now()); rerr != nil && !errors.Is(rerr, state.ErrNotHeld) && fault.Of(sendErr).Park() {
		// A permanent failure whose claim could not be released would block its replay until the
		// lease passes; say so, the replay will wait.
		sendErr = fmt.Errorf("%w (and releasing the claim failed: %v)", sendErr, rerr)
	}
	return inv.fail(ctx, rec, &dl, sendErr.Error(), sendErr)
}

// fail decides what becomes of a record that failed with err, by err's class (internal/fault):
// bad input and permanent failures are parked with reason (and the destination, dl, when there
// is one); an infrastructure failure is retried and counted for the alarm; anything else is
// retried.
func (inv *invocation) fail(ctx context.Context, rec *payload.Record, dl *rules.Delivery, reason string, err error) (Outcome, string) {
	switch fault.Of(err) {
	case fault.BadInput:
		inv.m.Add("Unrecognized", 1)
		return inv.park(ctx, rec, CodeBadInput, dl, reason)
	case fault.Permanent:
		return inv.park(ctx, rec, CodePermanent, dl, reason)
	case fault.Infrastructure:
		inv.m.Add("InfrastructureError", 1)
		return Infrastructure, reason
	}
	return Retryable, reason
}

// park keeps rec for an operator with its one-record event. When the dead-letter queue refuses
// it, the record is retried instead (an infrastructure failure): never lost.
func (inv *invocation) park(ctx context.Context, rec *payload.Record, code string, dl *rules.Delivery, reason string) (Outcome, string) {
	p := Parked{Code: code, Reason: reason, Event: rec.Event(), ParkedAt: inv.h.now()}
	if n := rec.Notification; n != nil {
		p.CommandID, p.InstanceID, p.Status = n.CommandID, n.InstanceID, string(n.Status)
	} else if req, ok := thread.ParseRequest(rec.Render); ok {
		p.CommandID = req.CommandID // a scheduled render
	}
	if dl != nil {
		p.Destination = dl.Destination.Name
	}
	if len(p.Event) > 0 && !json.Valid(p.Event) {
		p.EventText, p.Event = string(p.Event), nil
	}
	if err := inv.h.Park.Park(ctx, p); err != nil {
		inv.m.Add("InfrastructureError", 1)
		return Infrastructure, reason + "; parking it failed: " + err.Error()
	}
	if code == CodePermanent {
		return Permanent, reason
	}
	return BadInput, reason
}

func (h *Handler) leaseUntil(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	lease := h.DefaultLease
	if lease <= 0 {
		lease = 30 * time.Second
	}
	return h.now().Add(lease)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// logger is the handler's logger. In Lambda it is aws-lambda-go's lambdacontext logger, which
// adds the request ID to every line logged with the invocation's context.
func (h *Handler) logger(context.Context) *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func dropOutcome(d rules.DropReason) Outcome {
	switch d {
	case rules.DropFiltered:
		return Filtered
	case rules.DropSilenced:
		return Silenced
	case rules.DropMuted:
		return Muted
	}
	return NoRoute
}

func metricName(o Outcome) string {
	switch o {
	case Filtered:
		return "Filtered"
	case Silenced:
		return "Silenced"
	case Muted:
		return "Muted"
	}
	return "NoRoute"
}

// levelOf is the log level of a decision line: errors for what an operator or a retry must
// handle, a warning for bad input (parked), information otherwise.
func levelOf(o Outcome) slog.Level {
	switch o {
	case Retryable, Permanent, Infrastructure:
		return slog.LevelError
	case BadInput:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
