package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/fault"
	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// threaded reports whether deliveries to dest go through the command's evolving message.
func (h *Handler) threaded(dest *rules.Destination) bool {
	return h.Threads != nil && dest.Slack != nil && dest.Slack.Mode != rules.SlackWebhook
}

// perCommandEmail reports whether deliveries to dest become one email per command outcome.
func (h *Handler) perCommandEmail(dest *rules.Destination) bool {
	return h.Emails != nil && dest.Email != nil && dest.Email.PerCommand()
}

type threadKey struct{ command, destination string }

// threadJob is one (command, destination) message to bring up to date after the batch.
type threadJob struct {
	req     thread.Request
	results []int           // the deliveries routed to it, as indexes into the report's results
	rec     *payload.Record // the latest record behind it
	dup     bool            // every notification behind it was a duplicate
}

// threadWork collects, over one batch, the commands whose messages may need rendering: one
// render per command and destination, however many of its notifications the batch holds.
type threadWork struct {
	byKey   map[threadKey]*threadJob
	order   []threadKey
	touched []*payload.Record // latest record of each command touched, in order
	dupCmd  map[string]bool
}

func newThreadRequest(n *payload.Notification, dest *rules.Destination) thread.Request {
	if dest.Slack == nil {
		return thread.Request{CommandID: n.CommandID, Destination: dest.Name, Channel: thread.EmailChannel(dest.Name), Email: true,
			Region: n.Region, Account: n.Account, OutputBucket: n.OutputS3BucketName, OutputPrefix: n.OutputS3KeyPrefix}
	}
	return thread.Request{
		CommandID: n.CommandID, Destination: dest.Name, Channel: dest.Slack.Channel,
		Region: n.Region, Account: n.Account, Broadcast: dest.Slack.BroadcastTerminal, Mentions: dest.Slack.Mentions,
		OutputBucket: n.OutputS3BucketName, OutputPrefix: n.OutputS3KeyPrefix,
	}
}

// touch notes that rec's notification changed (or repeated) its command's state.
func (w *threadWork) touch(rec *payload.Record, dup bool) {
	if w.dupCmd == nil {
		w.dupCmd = map[string]bool{}
	}
	cmd := rec.Notification.CommandID
	for i, t := range w.touched {
		if t.Notification.CommandID == cmd {
			w.touched[i] = rec
			w.dupCmd[cmd] = w.dupCmd[cmd] && dup
			return
		}
	}
	w.touched = append(w.touched, rec)
	w.dupCmd[cmd] = dup
}

// add routes the delivery at result index idx to the command's message in dest.
func (w *threadWork) add(rec *payload.Record, dest *rules.Destination, dup bool, idx int) {
	if w.byKey == nil {
		w.byKey = map[threadKey]*threadJob{}
	}
	k := threadKey{rec.Notification.CommandID, dest.Name}
	j := w.byKey[k]
	if j == nil {
		j = &threadJob{req: newThreadRequest(rec.Notification, dest), dup: true}
		w.byKey[k] = j
		w.order = append(w.order, k)
	}
	j.results = append(j.results, idx)
	j.rec = rec
	if n := rec.Notification; j.req.OutputBucket == "" && n.OutputS3BucketName != "" {
		// Invocation notifications may lack the output location their command summary names.
		j.req.OutputBucket, j.req.OutputPrefix = n.OutputS3BucketName, n.OutputS3KeyPrefix
	}
	j.dup = j.dup && dup
}

// runThreads renders, once per command and destination, the messages the batch touched: those
// it delivered to, and those of commands that already have a message in a threaded channel
// (their counts changed even if the rules sent this status nowhere).
func (inv *invocation) runThreads(ctx context.Context) {
	h, w := inv.h, &inv.work
	if h.Threads == nil && h.Emails == nil {
		return
	}
	now := h.now()
	for _, rec := range w.touched {
		n := rec.Notification
		for _, dest := range h.Rules.Destinations() {
			if !h.threaded(dest) {
				continue
			}
			k := threadKey{n.CommandID, dest.Name}
			if w.byKey[k] != nil {
				continue
			}
			msg, err := h.Store.Message(ctx, state.MessageKey{CommandID: n.CommandID, Channel: dest.Slack.Channel}, now)
			if err != nil || msg.Version == 0 {
				// No message in this channel yet (or the store is down: the next notification
				// of the command renders it).
				continue
			}
			if w.byKey == nil {
				w.byKey = map[threadKey]*threadJob{}
			}
			w.byKey[k] = &threadJob{req: newThreadRequest(n, dest), rec: rec, dup: w.dupCmd[n.CommandID]}
			w.order = append(w.order, k)
		}
	}
	for _, k := range w.order {
		j := w.byKey[k]
		out, err := h.tick(ctx, j.req)
		outcome, reason := Delivered, "command message: "+string(out)
		if j.dup && err == nil {
			// Shown already; a render here only catches up on what others changed.
			outcome, reason = Duplicate, "the command's message already shows it"
			if j.req.Email {
				reason = "the command's email already shows it"
			}
		}
		if len(j.results) == 0 {
			if out == thread.Unchanged || out == thread.Scheduled || out == thread.EmailPending {
				continue // nothing to report for a message this batch did not change
			}
			rec := j.rec
			inv.rep.Results = append(inv.rep.Results, Result{Record: rec.Index, RecordID: rec.ID, Notification: rec.Notification, Destination: k.destination, CommandID: k.command, rec: rec})
			j.results = append(j.results, len(inv.rep.Results)-1)
		}
		for _, idx := range j.results {
			r := &inv.rep.Results[idx]
			r.Outcome, r.Reason, r.Thread, r.CommandID = outcome, reason, out, k.command
			if err != nil {
				// A failure the operator must fix is parked with Slack's own words; one that a
				// retry may get past says where it happened.
				reason := "command message: " + err.Error()
				if fault.Of(err).Park() {
					reason = err.Error()
				}
				r.Outcome, r.Reason = inv.fail(ctx, r.rec, &rules.Delivery{Route: r.Route, Destination: h.Rules.Destination(k.destination)}, reason, err)
			}
			typ := rules.DestinationSlack
			if j.req.Email {
				typ = rules.DestinationEmail
			}
			inv.count(*r, typ)
			h.logResult(ctx, inv.log, levelOf(r.Outcome), *r, 0)
		}
	}
}

// tick brings one command's Slack message or email up to date.
func (h *Handler) tick(ctx context.Context, req thread.Request) (thread.Outcome, error) {
	if req.Email {
		dest := h.Rules.Destination(req.Destination)
		if dest == nil || dest.Email == nil {
			return "", notify.Permanent("email to "+req.Destination, errors.New("no such email destination in the config"))
		}
		return h.Emails.Tick(ctx, req, dest)
	}
	return h.Threads.Tick(ctx, req)
}

// render runs a scheduled render (from the render queue).
func (inv *invocation) render(ctx context.Context, rec *payload.Record) {
	h := inv.h
	req, ok := thread.ParseRequest(rec.Render)
	r := Result{Record: rec.Index, RecordID: rec.ID, Destination: req.Destination, CommandID: req.CommandID, rec: rec}
	switch {
	case !ok:
		inv.m.Add("Unrecognized", 1)
		r.Outcome, r.Reason = inv.park(ctx, rec, CodeBadInput, nil, fmt.Sprintf("record %d (sqs message %s): scheduled render request without a command ID or channel", rec.Index, rec.ID))
	case req.Email && h.Emails == nil || !req.Email && h.Threads == nil:
		r.Outcome, r.Reason = Permanent, "a scheduled render reached a router without threads"
	default:
		out, err := h.tick(ctx, req)
		r.Thread = out
		switch class := fault.Of(err); {
		case err == nil:
			r.Outcome, r.Reason = Delivered, "command message: "+string(out)
			if out == thread.Unchanged || out == thread.Scheduled || out == thread.EmailPending {
				r.Outcome = Unchanged
			}
		case class.Park():
			// This render may be the only one left to show the command's final state: park it,
			// replayable (its own render request), for an operator once the cause is fixed.
			var dl *rules.Delivery
			if dest := h.Rules.Destination(req.Destination); dest != nil {
				dl = &rules.Delivery{Destination: dest}
			}
			r.Outcome, r.Reason = inv.park(ctx, rec, CodePermanent, dl, "command message: "+err.Error())
		case class == fault.Infrastructure:
			inv.m.Add("InfrastructureError", 1)
			r.Outcome, r.Reason = Infrastructure, "command message: "+err.Error()
		default:
			r.Outcome, r.Reason = Retryable, "command message: "+err.Error()
		}
	}
	inv.m.Add("Renders", 1)
	inv.log.LogAttrs(ctx, levelOf(r.Outcome), "render", slog.String("command_id", req.CommandID), slog.String("destination", req.Destination),
		slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason))
	inv.rep.Results = append(inv.rep.Results, r)
}

// count adds a delivery's outcome to the invocation's metrics. Bad input (Unrecognized) and
// infrastructure failures (InfrastructureError) are counted where they are found.
func (inv *invocation) count(r Result, typ rules.DestinationType) {
	switch r.Outcome {
	case Delivered:
		inv.m.Add("Delivered", 1, metrics.Dimension{Name: "DestinationType", Value: string(typ)})
	case Duplicate:
		inv.m.Add("Duplicate", 1)
	case Retryable, InProgress:
		inv.m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "retryable"})
	case Permanent:
		inv.m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "permanent"})
	}
}

// logResult writes the one decision line of a notification at a destination.
func (h *Handler) logResult(ctx context.Context, log *slog.Logger, level slog.Level, r Result, took time.Duration) {
	var cmd, inst, status, kind string
	if n := r.Notification; n != nil {
		cmd, inst, status, kind = n.CommandID, n.InstanceID, string(n.Status), string(n.Kind)
	}
	log.LogAttrs(ctx, level, "notification",
		slog.String("command_id", cmd), slog.String("instance_id", inst),
		slog.String("kind", kind), slog.String("status", status),
		slog.String("route", r.Route), slog.String("destination", r.Destination),
		slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000))
}
