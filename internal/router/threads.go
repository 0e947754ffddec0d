package router

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/fault"
	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// threaded reports whether deliveries to dest go through the command's evolving message.
func (h *Handler) threaded(dest *rules.Destination) bool {
	return h.Threads != nil && dest.Slack != nil && dest.Slack.Mode != rules.SlackWebhook
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
	return thread.Request{
		CommandID: n.CommandID, Destination: dest.Name, Channel: dest.Slack.Channel,
		Region: n.Region, Account: n.Account, Broadcast: dest.Slack.BroadcastTerminal, Mentions: dest.Slack.Mentions,
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
	j.dup = j.dup && dup
}

// runThreads renders, once per command and destination, the messages the batch touched: those
// it delivered to, and those of commands that already have a message in a threaded channel
// (their counts changed even if the rules sent this status nowhere).
func (inv *invocation) runThreads(ctx context.Context) {
	h, w := inv.h, &inv.work
	if h.Threads == nil {
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
		out, err := h.Threads.Tick(ctx, j.req)
		outcome, reason := Delivered, "command message: "+string(out)
		if j.dup && err == nil {
			// Shown already; a render here only catches up on what others changed.
			outcome, reason = Duplicate, "the command's message already shows it"
		}
		if len(j.results) == 0 {
			if out == thread.Unchanged || out == thread.Scheduled {
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
			inv.count(*r, rules.DestinationSlack)
			h.logResult(ctx, inv.log, levelOf(r.Outcome), *r, 0)
		}
	}
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
	case h.Threads == nil:
		r.Outcome, r.Reason = Permanent, "a scheduled render reached a router without threads"
	default:
		out, err := h.Threads.Tick(ctx, req)
		r.Thread = out
		switch class := fault.Of(err); {
		case err == nil:
			r.Outcome, r.Reason = Delivered, "command message: "+string(out)
			if out == thread.Unchanged || out == thread.Scheduled {
				r.Outcome = Unchanged
			}
		case class.Park():
			// The next notification of the command renders again; nothing to replay.
			r.Outcome, r.Reason = Permanent, "command message: "+err.Error()
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
