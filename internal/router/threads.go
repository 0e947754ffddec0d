package router

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
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
	results []int // the deliveries routed to it, as indexes into the report's results
	n       *payload.Notification
	dup     bool // every notification behind it was a duplicate
	quiet   bool // only silenced deliveries reached it: their lines are logged already
}

// threadWork collects, over one batch, the commands whose messages may need rendering: one
// render per command and destination, however many of its notifications the batch holds.
type threadWork struct {
	byKey   map[threadKey]*threadJob
	order   []threadKey
	touched []*payload.Notification // latest notification of each command touched, in order
	dupCmd  map[string]bool
}

func newThreadRequest(n *payload.Notification, dest *rules.Destination) thread.Request {
	return thread.Request{
		CommandID: n.CommandID, Destination: dest.Name, Channel: dest.Slack.Channel,
		Region: n.Region, Account: n.Account, Broadcast: dest.Slack.BroadcastTerminal, Mentions: dest.Slack.Mentions,
	}
}

// touch notes that n changed (or repeated) its command's state.
func (w *threadWork) touch(n *payload.Notification, dup bool) {
	if w.dupCmd == nil {
		w.dupCmd = map[string]bool{}
	}
	for i, t := range w.touched {
		if t.CommandID == n.CommandID {
			w.touched[i] = n
			w.dupCmd[n.CommandID] = w.dupCmd[n.CommandID] && dup
			return
		}
	}
	w.touched = append(w.touched, n)
	w.dupCmd[n.CommandID] = dup
}

// add routes the delivery at result index idx to the command's message in dest.
func (w *threadWork) add(n *payload.Notification, dest *rules.Destination, dup bool, idx int) {
	k := threadKey{n.CommandID, dest.Name}
	j := w.byKey[k]
	if j == nil {
		j = &threadJob{req: newThreadRequest(n, dest), dup: true}
		w.byKey[k] = j
		w.order = append(w.order, k)
	}
	j.results = append(j.results, idx)
	j.n = n
	j.dup = j.dup && dup
	j.quiet = false
}

// silenced notes that a silence held back n's delivery to dest: the command's message is still
// brought up to date, since its counts changed.
func (w *threadWork) silenced(n *payload.Notification, dest *rules.Destination, dup bool) {
	k := threadKey{n.CommandID, dest.Name}
	j := w.byKey[k]
	if j == nil {
		j = &threadJob{req: newThreadRequest(n, dest), dup: true, quiet: true}
		w.byKey[k] = j
		w.order = append(w.order, k)
	}
	j.n = n
	j.dup = j.dup && dup
}

// silenceNote is what the command's message says about the silence that holds back its failures
// at the destination, or nil. The message is one per command: it names a silence when the
// silence would hold back a failure of the command there (so it never pings for failures
// nobody wants to hear about), whatever the status that triggered this render.
func silenceNote(active []silence.Silence, n *payload.Notification, req thread.Request, route string, now time.Time) *thread.SilenceNote {
	if len(active) == 0 {
		return nil
	}
	f := *n
	f.Status = payload.StatusFailed
	sl := silence.Find(active, silence.Target{N: &f, Route: route, Destination: req.Destination}, now)
	if sl == nil {
		return nil
	}
	return &thread.SilenceNote{ID: sl.ID, Author: sl.Author, Comment: sl.Comment}
}

// runThreads renders, once per command and destination, the messages the batch touched: those
// it delivered to, and those of commands that already have a message in a threaded channel
// (their counts changed even if the rules sent this status nowhere).
func (h *Handler) runThreads(ctx context.Context, raw []byte, rep *Report, w *threadWork, m *metrics.Recorder, log *slog.Logger) {
	if h.Threads == nil {
		return
	}
	now := h.now()
	for _, n := range w.touched {
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
			w.byKey[k] = &threadJob{req: newThreadRequest(n, dest), n: n, dup: w.dupCmd[n.CommandID]}
			w.order = append(w.order, k)
		}
	}
	active := h.activeSilences(ctx, now, log)
	for _, k := range w.order {
		j := w.byKey[k]
		j.req.Silence = nil
		if len(active) > 0 {
			j.req.Silence = silenceNote(active, j.n, j.req, h.routeTo(j.n, k.destination, now), now)
		}
		out, err := h.Threads.Tick(ctx, j.req)
		outcome, reason := Delivered, "command message: "+string(out)
		switch {
		case err != nil && notify.IsPermanent(err):
			outcome, reason = Permanent, "command message: "+err.Error()
		case err != nil:
			outcome, reason = Retryable, "command message: "+err.Error()
		case j.dup:
			// Shown already; a render here only catches up on what others changed.
			outcome, reason = Duplicate, "the command's message already shows it"
		}
		if len(j.results) == 0 {
			if out == thread.Unchanged || out == thread.Scheduled || (j.quiet && err == nil) {
				continue // nothing to report for a message this batch did not change
			}
			rep.Results = append(rep.Results, Result{Record: j.n.Record, RecordID: j.n.RecordID, Notification: j.n, Destination: k.destination, CommandID: k.command})
			j.results = append(j.results, len(rep.Results)-1)
		}
		for _, idx := range j.results {
			r := &rep.Results[idx]
			r.Outcome, r.Reason, r.Thread, r.CommandID = outcome, reason, out, k.command
			if outcome == Permanent {
				r.Outcome, r.Reason = h.parkPermanent(ctx, raw, r.Notification, rules.Delivery{Route: r.Route, Destination: h.Rules.Destination(k.destination)}, err.Error())
			}
			h.count(m, *r, rules.DestinationSlack)
			level := slog.LevelInfo
			if r.Outcome == Retryable || r.Outcome == Permanent {
				level = slog.LevelError
			}
			h.logResult(ctx, log, level, *r, 0)
		}
	}
}

// routeTo is the route that delivers n's failures to destination, for a silence's route matcher.
func (h *Handler) routeTo(n *payload.Notification, destination string, now time.Time) string {
	f := *n
	f.Status = payload.StatusFailed
	for _, d := range h.Rules.Decide(&f, now).Deliveries {
		if d.Destination.Name == destination {
			return d.Route
		}
	}
	return ""
}

// processRenders runs scheduled renders (from the render queue).
func (h *Handler) processRenders(ctx context.Context, reqs []thread.Request, ids []string, m *metrics.Recorder) *Report {
	rep := &Report{Source: payload.SourceSQS}
	log := h.logger(ctx)
	for i, req := range reqs {
		r := Result{Record: i, RecordID: ids[i], Destination: req.Destination, CommandID: req.CommandID}
		if h.Threads == nil {
			r.Outcome, r.Reason = Permanent, "a scheduled render reached a router without threads"
		} else {
			out, err := h.Threads.Tick(ctx, req)
			r.Thread = out
			switch {
			case err == nil:
				r.Outcome, r.Reason = Delivered, "command message: "+string(out)
				if out == thread.Unchanged || out == thread.Scheduled {
					r.Outcome = Unchanged
				}
			case notify.IsPermanent(err):
				// The next notification of the command renders again; nothing to replay.
				r.Outcome, r.Reason = Permanent, "command message: "+err.Error()
			default:
				r.Outcome, r.Reason = Retryable, "command message: "+err.Error()
			}
		}
		m.Add("Renders", 1)
		log.LogAttrs(ctx, slog.LevelInfo, "render", slog.String("command_id", req.CommandID), slog.String("destination", req.Destination),
			slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason))
		rep.Results = append(rep.Results, r)
	}
	return rep
}

// renderRequests recognizes an SQS batch from the render queue: every body a scheduled render.
func renderRequests(raw []byte) ([]thread.Request, []string, bool) {
	if !bytes.Contains(raw, []byte(thread.RenderKey)) {
		return nil, nil, false
	}
	var ev struct {
		Records []struct {
			MessageID string `json:"messageId"`
			Body      string `json:"body"`
		} `json:"Records"`
	}
	if json.Unmarshal(raw, &ev) != nil || len(ev.Records) == 0 {
		return nil, nil, false
	}
	reqs := make([]thread.Request, 0, len(ev.Records))
	ids := make([]string, 0, len(ev.Records))
	for _, rec := range ev.Records {
		r, ok := thread.ParseRender(rec.Body)
		if !ok {
			return nil, nil, false
		}
		reqs = append(reqs, r)
		ids = append(ids, rec.MessageID)
	}
	return reqs, ids, true
}

// count adds r to the invocation's metrics.
func (h *Handler) count(m *metrics.Recorder, r Result, typ rules.DestinationType) {
	switch r.Outcome {
	case Delivered:
		m.Add("Delivered", 1, metrics.Dimension{Name: "DestinationType", Value: string(typ)})
	case Duplicate:
		m.Add("Duplicate", 1)
	case Retryable, InProgress:
		m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "retryable"})
	case Permanent:
		m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "permanent"})
	}
}

// logResult writes the one decision line of a notification at a destination.
func (h *Handler) logResult(ctx context.Context, log *slog.Logger, level slog.Level, r Result, took time.Duration) {
	var cmd, inst, status, kind string
	if n := r.Notification; n != nil {
		cmd, inst, status, kind = n.CommandID, n.InstanceID, string(n.Status), string(n.Kind)
	}
	attrs := []slog.Attr{
		slog.String("command_id", cmd), slog.String("instance_id", inst),
		slog.String("kind", kind), slog.String("status", status),
		slog.String("route", r.Route), slog.String("destination", r.Destination),
		slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason),
	}
	if r.SilenceID != "" {
		attrs = append(attrs, slog.String("silence_id", r.SilenceID), slog.String("silence_comment", r.SilenceComment))
	}
	attrs = append(attrs, slog.Float64("duration_ms", float64(took.Microseconds())/1000))
	log.LogAttrs(ctx, level, "notification", attrs...)
}
