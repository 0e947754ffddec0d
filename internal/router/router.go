// Package router is the router Lambda's handler: decode → guard → decide → claim → deliver →
// complete, for every notification in an SNS, SQS or EventBridge event. The Lambda entry point,
// the local CLI and the tests all run this same Handler; only its dependencies differ (DynamoDB
// or the in-process store, live or preview delivery).
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

	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// Deliverer sends one notification to one destination. Its errors are classified with
// internal/notify: retryable (a later try may succeed) or permanent (it will not). An
// unclassified error counts as retryable, the safe side for "nothing is lost".
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
	Permanent  Outcome = "failed_permanent" // parked for an operator
	BadInput   Outcome = "bad_input"        // parked for an operator
)

// Retry reports whether the outcome asks Lambda to try the record again.
func (o Outcome) Retry() bool { return o == Retryable || o == InProgress }

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
	// SilenceID and SilenceComment name the ad-hoc silence of a Silenced outcome.
	SilenceID, SilenceComment string
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
	// Silences, when set, is the ad-hoc silence store (`ssmnotify silence`): a delivery that an
	// active silence matches is not sent (outcome silenced); the command's message still counts
	// it. Read at most once per SilenceMaxAge (default DefaultSilenceMaxAge) per Handler.
	Silences      SilenceStore
	SilenceMaxAge time.Duration

	silences silenceCache
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

// Process routes every notification in the event and reports what happened to each. It returns
// an error only when the event cannot be accounted for at all (parking a bad record failed);
// everything else is in the report.
func (h *Handler) Process(ctx context.Context, raw []byte) (*Report, error) {
	start := h.now()
	m := metrics.New("router")
	defer func() {
		if h.Metrics != nil {
			_ = m.Flush(h.Metrics, h.now())
		}
	}()
	if reqs, ids, ok := renderRequests(raw); ok {
		return h.processRenders(ctx, reqs, ids, m), nil
	}
	ns, bad := payload.Decode(raw)
	rep := &Report{}
	if len(ns) > 0 {
		rep.Source = ns[0].Source
	} else if len(bad) > 0 {
		rep.Source = bad[0].Source
	}
	if rep.Source == "" && looksLikeSQS(raw) {
		rep.Source = payload.SourceSQS
	}
	m.Add("Received", float64(len(ns)+len(bad)))
	log := h.logger(ctx)

	for _, e := range bad {
		m.Add("Unrecognized", 1)
		res := Result{Record: e.Index, RecordID: e.MessageID, Outcome: BadInput, Reason: e.Error()}
		if err := h.park(ctx, Parked{Code: CodeBadInput, Reason: e.Error(), Event: payload.RecordEvent(raw, e.Index)}); err != nil {
			// Could not keep it: let Lambda retry the record rather than lose it.
			res.Outcome, res.Reason = Retryable, "bad input, and parking it failed: "+err.Error()
		}
		log.LogAttrs(ctx, slog.LevelWarn, "notification", slog.Int("record", e.Index), slog.String("message_id", e.MessageID),
			slog.String("outcome", string(res.Outcome)), slog.String("code", e.Code), slog.String("reason", res.Reason))
		rep.Results = append(rep.Results, res)
	}

	// Within one batch, older status changes first: fewer of them end up stale.
	order := make([]int, len(ns))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ns[order[a]].EventTime.Before(ns[order[b]].EventTime) })
	work := &threadWork{byKey: map[threadKey]*threadJob{}}
	for _, i := range order {
		rep.Results = append(rep.Results, h.route(ctx, raw, &ns[i], m, log, work, len(rep.Results))...)
	}
	h.runThreads(ctx, raw, rep, work, m, log)
	log.LogAttrs(ctx, slog.LevelDebug, "event done", slog.String("source", string(rep.Source)), slog.Int("results", len(rep.Results)),
		slog.Duration("duration", h.now().Sub(start)))
	return rep, nil
}

// route handles one notification: guard, decide, then deliver to each destination.
func (h *Handler) route(ctx context.Context, raw []byte, n *payload.Notification, m *metrics.Recorder, log *slog.Logger, work *threadWork, offset int) []Result {
	start := h.now()
	base := Result{Record: n.Record, RecordID: n.RecordID, Notification: n}
	emit := func(r Result, level slog.Level) Result {
		h.logResult(ctx, log, level, r, h.now().Sub(start))
		return r
	}

	obs, err := h.Store.Observe(ctx, n, h.now())
	if err != nil {
		r := base
		if state.IsRetryable(err) {
			r.Outcome, r.Reason = Retryable, "ordering guard: "+err.Error()
			m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "retryable"})
			return []Result{emit(r, slog.LevelError)}
		}
		r.Outcome, r.Reason = BadInput, "ordering guard refused it: "+err.Error()
		m.Add("Unrecognized", 1)
		if perr := h.park(ctx, Parked{Code: CodeBadInput, Reason: r.Reason, CommandID: n.CommandID, InstanceID: n.InstanceID, Status: string(n.Status), Event: payload.RecordEvent(raw, n.Record)}); perr != nil {
			r.Outcome, r.Reason = Retryable, r.Reason+"; parking it failed: "+perr.Error()
		}
		return []Result{emit(r, slog.LevelWarn)}
	}
	if obs.Verdict == state.Stale {
		m.Add("Stale", 1)
		r := base
		r.Outcome, r.Reason = Stale, "older than the stored status"
		return []Result{emit(r, slog.LevelInfo)}
	}

	// The command's evolving messages follow every status change, delivered or not.
	if h.Threads != nil {
		work.touch(n, obs.Verdict == state.Duplicate)
	}
	d := h.Rules.Decide(n, h.now())
	if !d.Delivered() {
		r := base
		r.Outcome, r.Reason = dropOutcome(d.Drop), d.Reason
		m.Add(metricName(r.Outcome), 1)
		return []Result{emit(r, slog.LevelInfo)}
	}

	lease := h.leaseUntil(ctx)
	now := h.now()
	active := h.activeSilences(ctx, now, log)
	out := make([]Result, 0, len(d.Deliveries))
	for _, dl := range d.Deliveries {
		r := base
		r.Route, r.Destination = dl.Route, dl.Destination.Name
		if sl := silence.Find(active, silence.Target{N: n, Route: dl.Route, Destination: dl.Destination.Name}, now); sl != nil {
			r.Outcome, r.SilenceID, r.SilenceComment = Silenced, sl.ID, sl.Comment
			r.Reason = "silenced by " + sl.Author + " until " + sl.Ends.UTC().Format(time.RFC3339)
			m.Add("Silenced", 1)
			h.markMatched(ctx, sl, now, log)
			if h.threaded(dl.Destination) {
				// The message still counts the instance; it names the silence instead of pinging.
				work.silenced(n, dl.Destination, obs.Verdict == state.Duplicate)
			}
			out = append(out, emit(r, slog.LevelInfo))
			continue
		}
		if h.threaded(dl.Destination) {
			// Rendered once per command after the batch: see runThreads.
			r.Outcome, r.Reason = Delivered, "pending"
			work.add(n, dl.Destination, obs.Verdict == state.Duplicate, offset+len(out))
			out = append(out, r)
			continue
		}
		r.Outcome, r.Reason = h.deliver(ctx, raw, n, dl, lease)
		h.count(m, r, dl.Destination.Type)
		level := slog.LevelInfo
		if r.Outcome == Retryable || r.Outcome == Permanent {
			level = slog.LevelError
		}
		out = append(out, emit(r, level))
	}
	return out
}

// deliver claims one delivery, sends it, and completes or releases the claim.
func (h *Handler) deliver(ctx context.Context, raw []byte, n *payload.Notification, dl rules.Delivery, lease time.Time) (Outcome, string) {
	key := state.NotificationClaim(n.CommandID, n.Target(), n.Status, dl.Destination.Name)
	c, err := h.Store.Claim(ctx, key, h.now(), lease)
	if err != nil {
		if state.IsRetryable(err) {
			return Retryable, "claim: " + err.Error()
		}
		return h.parkPermanent(ctx, raw, n, dl, "claim: "+err.Error())
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

	if rerr := h.Store.Release(ctx, c, h.now()); rerr != nil && !errors.Is(rerr, state.ErrNotHeld) && notify.IsPermanent(sendErr) {
		// A permanent failure whose claim could not be released would block its replay until the
		// lease passes; say so, the replay will wait.
		sendErr = fmt.Errorf("%w (and releasing the claim failed: %v)", sendErr, rerr)
	}
	if notify.IsPermanent(sendErr) {
		return h.parkPermanent(ctx, raw, n, dl, sendErr.Error())
	}
	return Retryable, sendErr.Error()
}

func (h *Handler) parkPermanent(ctx context.Context, raw []byte, n *payload.Notification, dl rules.Delivery, reason string) (Outcome, string) {
	err := h.park(ctx, Parked{
		Code: CodePermanent, Reason: reason, Destination: dl.Destination.Name,
		CommandID: n.CommandID, InstanceID: n.InstanceID, Status: string(n.Status),
		Event: payload.RecordEvent(raw, n.Record),
	})
	if err != nil {
		return Retryable, reason + "; parking it failed: " + err.Error()
	}
	return Permanent, reason
}

func (h *Handler) park(ctx context.Context, p Parked) error {
	p.ParkedAt = h.now()
	if len(p.Event) > 0 && !json.Valid(p.Event) {
		p.EventText, p.Event = string(p.Event), nil
	}
	return h.Park.Park(ctx, p)
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

// looksLikeSQS tells an SQS batch whose every record was bad from other events, so that its
// response is still a partial batch response.
func looksLikeSQS(raw []byte) bool {
	var ev struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	return json.Unmarshal(raw, &ev) == nil && len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:sqs"
}
