// Package digest is the digest Lambda's handler: from a scheduled event it computes the window,
// reads the failure index for it (and for the window before, for comparison) while aggregating
// in bounded memory, and sends the summary to each digest destination exactly once. The Lambda
// entry point, the local CLI and the tests all run this same Handler; only its dependencies
// differ (DynamoDB or the in-process store, live or preview sending).
package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Store is the part of the state store the digest uses: the failure index and the claims that
// make each (window, destination) digest go out once.
type Store interface {
	state.FailureIndex
	state.Claims
}

// Sender sends one digest to one destination. Its errors are classified with internal/notify:
// retryable or permanent; an unclassified error counts as retryable. loc is the zone the
// config's digest block names, for showing times.
type Sender interface {
	Send(ctx context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error
}

// Outcome is what happened to the digest at one destination.
type Outcome string

// Outcomes, as logged and reported.
const (
	Sent      Outcome = "sent"
	Duplicate Outcome = "duplicate" // this window was already sent to the destination
	// Clear: the window had no failures and the config does not ask for an "all clear".
	Clear      Outcome = "clear_not_sent"
	InProgress Outcome = "in_progress" // another invocation holds the claim: retry later
	Retryable  Outcome = "failed_retryable"
	Permanent  Outcome = "failed_permanent" // logged and reported; the invocation is not failed for it
)

// Retry reports whether the outcome asks Lambda to run the digest again.
func (o Outcome) Retry() bool { return o == Retryable || o == InProgress }

// Result is what happened at one destination.
type Result struct {
	Destination string
	Type        rules.DestinationType
	Outcome     Outcome
	Reason      string
}

// Report is everything one run of the digest did.
type Report struct {
	// Event is the scheduled event the run was for.
	Event ScheduledEvent
	// Window is the window summarised; Summary what was found in it.
	Window  Window
	Summary *tally.Summary
	// Read is what reading the window cost; ReadPrevious what reading the previous window cost.
	Read, ReadPrevious state.ReadStats
	// Results has one entry per digest destination, in config order.
	Results []Result
}

// Retry lists the destinations that must be tried again.
func (r *Report) Retry() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome.Retry() {
			out = append(out, res)
		}
	}
	return out
}

// Response is what Handle returns to Lambda (visible in a synchronous invoke and in the CLI).
type Response struct {
	Window       string            `json:"window"`
	Failures     int               `json:"failures"`
	Destinations map[string]string `json:"destinations"`
}

// Handler runs the digest. Rules, Store and Send are required.
type Handler struct {
	Rules *rules.Set
	Store Store
	Send  Sender
	// Now is the clock (time.Now in Lambda; fixed in tests and the demo). It decides which items
	// have expired and the claims' times — never the window, which comes from the event.
	Now func() time.Time
	// Logger gets one line per destination and one for the read; nil discards.
	Logger *slog.Logger
	// Metrics gets the EMF lines of each invocation (stdout in Lambda); nil discards.
	Metrics io.Writer
	// DefaultLease bounds a claim when the context has no deadline (the CLI); Lambda's context
	// always has one, and the lease ends there.
	DefaultLease time.Duration
	// MaxKeys caps the distinct names counted per table (tally.DefaultMaxKeys when 0).
	MaxKeys int
	// Silences, when set, is the ad-hoc silence store: the digest lists active silences, what
	// each held back in the window, those ending within a day, and those that ended unused.
	Silences SilenceStore
}

// Handle is the Lambda entry point. It fails the invocation — so that Lambda retries it — when
// the event is unusable, the store cannot be read, or a destination failed in a way a retry may
// fix; the claims make the retry send only what is still missing. A permanent failure at a
// destination is logged and reported but does not fail the invocation: retrying cannot fix it.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	rep, err := h.Run(ctx, raw)
	if err != nil {
		return nil, err
	}
	if retry := rep.Retry(); len(retry) > 0 {
		return nil, retryError(retry)
	}
	resp := Response{Window: rep.Window.String(), Failures: rep.Summary.Total, Destinations: map[string]string{}}
	for _, r := range rep.Results {
		resp.Destinations[r.Destination] = string(r.Outcome)
	}
	return resp, nil
}

// retryError names the destinations to retry and why, without secrets (notify errors carry
// none).
func retryError(retry []Result) error {
	parts := make([]string, 0, len(retry))
	for _, r := range retry {
		parts = append(parts, r.Destination+": "+r.Reason)
	}
	return fmt.Errorf("digest: %d destinations to retry: %s", len(retry), strings.Join(parts, "; "))
}

// Run builds the digest of the event's window and sends it to every destination that has not
// had it yet. It returns an error, and sends nothing, when the config has no digest block, the
// event is unusable (wrapping ErrInvalidEvent) or the failure index cannot be read (a retryable
// state error); what happened at each destination is in the report.
func (h *Handler) Run(ctx context.Context, raw []byte) (*Report, error) {
	start := h.now()
	log := h.logger()
	m := metrics.New("digest")
	defer func() {
		if h.Metrics != nil {
			_ = m.Flush(h.Metrics, h.now())
		}
	}()
	cfg := h.Rules.Digest()
	if cfg == nil {
		return nil, errors.New("digest: the config has no digest block")
	}
	ev, err := ParseEvent(raw)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "digest event refused", slog.String("reason", err.Error()))
		return nil, err
	}
	rep := &Report{Event: ev, Window: WindowAt(ev.Time, cfg.Window)}
	sum, err := h.summarise(ctx, rep, cfg)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "digest read failed", slog.String("window", rep.Window.String()), slog.String("reason", err.Error()))
		return nil, err
	}
	rep.Summary = sum
	m.Add("Failures", float64(sum.Total))
	m.Add("ItemsRead", float64(rep.Read.Scanned+rep.ReadPrevious.Scanned))
	log.LogAttrs(ctx, slog.LevelInfo, "digest read",
		slog.String("event_id", ev.ID), slog.String("source", ev.Source), slog.String("window", rep.Window.String()),
		slog.Int("failures", sum.Total), slog.Int("previous_failures", sum.Previous.Total),
		slog.Int("documents", sum.Documents.Distinct), slog.Int("instances", sum.Instances.Distinct), slog.Int("commands", sum.Commands.Distinct),
		slog.Int("queries", rep.Read.Requests+rep.ReadPrevious.Requests), slog.Int("items_read", rep.Read.Scanned+rep.ReadPrevious.Scanned),
		slog.Float64("read_capacity_units", rep.Read.CapacityUnits+rep.ReadPrevious.CapacityUnits),
		slog.Float64("duration_ms", float64(h.now().Sub(start).Microseconds())/1000))

	lease := h.leaseUntil(ctx)
	for _, dest := range cfg.Destinations {
		t0 := h.now()
		r := Result{Destination: dest.Name, Type: dest.Type}
		if sum.Clear() && !cfg.SendWhenClear {
			r.Outcome, r.Reason = Clear, "no failures in the window; send_when_clear is off"
		} else {
			r.Outcome, r.Reason = h.deliver(ctx, rep.Window, dest, sum, cfg.Location, lease)
		}
		level := slog.LevelInfo
		switch r.Outcome {
		case Sent:
			m.Add("DigestSent", 1, metrics.Dimension{Name: "DestinationType", Value: string(dest.Type)})
		case Retryable, InProgress:
			m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "retryable"})
			level = slog.LevelWarn
		case Permanent:
			m.Add("DeliveryFailed", 1, metrics.Dimension{Name: "Class", Value: "permanent"})
			level = slog.LevelError
		}
		if r.Outcome == Retryable {
			level = slog.LevelError
		}
		log.LogAttrs(ctx, level, "digest",
			slog.String("window", rep.Window.String()), slog.String("destination", dest.Name),
			slog.String("destination_type", string(dest.Type)), slog.Int("failures", sum.Total),
			slog.String("outcome", string(r.Outcome)), slog.String("reason", r.Reason),
			slog.Float64("duration_ms", float64(h.now().Sub(t0).Microseconds())/1000))
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

// summarise reads the window and the one before it, counting as it reads.
func (h *Handler) summarise(ctx context.Context, rep *Report, cfg *rules.DigestConfig) (*tally.Summary, error) {
	now := h.now()
	cur := tally.New(h.MaxKeys)
	var sil *silenceReport
	add := cur.Add
	if h.Silences != nil {
		// The digest goes out without its silence section rather than not at all.
		if list, err := h.Silences.Silences(ctx, now); err != nil {
			h.logger().LogAttrs(ctx, slog.LevelWarn, "digest silences unavailable", slog.String("reason", err.Error()))
		} else {
			sil = newSilenceReport(h.Rules, rep.Window, list)
			add = func(f state.Failure) error { sil.add(f); return cur.Add(f) }
		}
	}
	stats, err := h.Store.Failures(ctx, rep.Window.From, rep.Window.To, now, add)
	rep.Read = stats
	if err != nil {
		return nil, fmt.Errorf("digest: read failures of %s: %w", rep.Window, err)
	}
	prevWin := rep.Window.Previous()
	prev := tally.NewPrevious(h.MaxKeys)
	pstats, err := h.Store.Failures(ctx, prevWin.From, prevWin.To, now, prev.Add)
	rep.ReadPrevious = pstats
	if err != nil {
		return nil, fmt.Errorf("digest: read failures of the previous window %s: %w", prevWin, err)
	}
	sum := cur.Summary(rep.Window.From, rep.Window.To, cfg.TopN, prev)
	if sil != nil {
		sum.Silences = sil.facts()
	}
	return sum, nil
}

// deliver claims the (window, destination) digest, sends it, and completes or releases the
// claim: nothing is recorded as sent before the send succeeded.
func (h *Handler) deliver(ctx context.Context, w Window, dest *rules.Destination, sum *tally.Summary, loc *time.Location, lease time.Time) (Outcome, string) {
	c, err := h.Store.Claim(ctx, state.DigestClaim(w.From, w.To, dest.Name), h.now(), lease)
	if err != nil {
		if state.IsRetryable(err) {
			return Retryable, "claim: " + err.Error()
		}
		return Permanent, "claim: " + err.Error()
	}
	switch c.Outcome {
	case state.ClaimDone:
		return Duplicate, "already sent"
	case state.ClaimInProgress:
		return InProgress, "another invocation is sending it (lease until " + c.LeaseUntil.UTC().Format(time.RFC3339) + ")"
	}

	sendErr := h.Send.Send(ctx, dest, sum, loc)
	if sendErr == nil {
		// The digest is out. Completing can fail only on the store: try twice more, then leave
		// it; the claim's lease ends at this invocation's deadline, and failing the invocation
		// now would send the digest again.
		var cerr error
		for range 3 {
			if cerr = h.Store.Complete(ctx, c, h.now()); cerr == nil || !state.IsRetryable(cerr) {
				break
			}
		}
		if cerr != nil {
			return Sent, "sent; recording it failed: " + cerr.Error()
		}
		return Sent, ""
	}
	// Give the claim back so that the retry (Lambda's, or an operator's re-run after fixing a
	// permanent cause) can send at once.
	if rerr := h.Store.Release(ctx, c, h.now()); rerr != nil && !errors.Is(rerr, state.ErrNotHeld) {
		sendErr = fmt.Errorf("%w (and releasing the claim failed: %v)", sendErr, rerr)
	}
	if notify.IsPermanent(sendErr) {
		return Permanent, sendErr.Error()
	}
	return Retryable, sendErr.Error()
}

func (h *Handler) leaseUntil(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	lease := h.DefaultLease
	if lease <= 0 {
		lease = time.Minute
	}
	return h.now().Add(lease)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}
