package router

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	notifyslack "github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// SilenceStore is the part of the ad-hoc silence store the router uses (internal/state/dynamo
// in Lambda, internal/state/memory for the CLI, the demo and replay).
type SilenceStore interface {
	Silences(ctx context.Context, now time.Time) ([]silence.Silence, error)
	MarkMatched(ctx context.Context, id string, now time.Time) error
}

// DefaultSilenceMaxAge is how old the router's copy of the silences may get: a new silence takes
// effect within it, and a container reads the silence partition at most once per this period
// rather than once per notification.
const DefaultSilenceMaxAge = 30 * time.Second

// silenceCache is one container's copy of the stored silences.
type silenceCache struct {
	mu        sync.Mutex
	list      []silence.Silence
	fetched   time.Time
	ok        bool
	marked    map[string]bool
	announced map[state.ClaimKey]bool
}

// activeSilences returns the stored silences, read again when the copy is older than the max
// age (or the clock went back, as in a replay). When the store cannot be read, the last copy is
// kept (or none): a notification is delivered rather than held back by a silence nobody can see.
func (h *Handler) activeSilences(ctx context.Context, now time.Time, log *slog.Logger) []silence.Silence {
	if h.Silences == nil {
		return nil
	}
	c := &h.silences
	c.mu.Lock()
	maxAge := h.SilenceMaxAge
	if maxAge <= 0 {
		maxAge = DefaultSilenceMaxAge
	}
	if c.ok && !now.Before(c.fetched) && now.Sub(c.fetched) < maxAge {
		defer c.mu.Unlock()
		return c.list
	}
	list, err := h.Silences.Silences(ctx, now)
	if err != nil {
		defer c.mu.Unlock()
		log.LogAttrs(ctx, slog.LevelWarn, "silences unavailable", slog.String("reason", err.Error()), slog.Int("kept", len(c.list)))
		return c.list
	}
	// Only what can still apply: pending or active.
	kept := make([]silence.Silence, 0, len(list))
	for _, s := range list {
		if s.StateAt(now) != silence.Expired {
			kept = append(kept, s)
		}
	}
	c.list, c.fetched, c.ok = kept, now, true
	c.mu.Unlock()
	h.announceSilences(ctx, list, now, log)
	return kept
}

// announceWindow is how recent a silence's creation or expiry must be for the router to
// announce it: the first refresh of any container after the change does, once (a claim).
const announceWindow = time.Hour

// announceSilences logs, and posts to the config's silence_channel, each silence created or
// expired within announceWindow: "@alice silenced AWS-RunPatchBaseline failures for 4h: patch
// night". A claim per (silence, event, channel) makes it once across containers and retries;
// a failed post is released and tried again at the next refresh.
func (h *Handler) announceSilences(ctx context.Context, list []silence.Silence, now time.Time, log *slog.Logger) {
	dest := h.Rules.SilenceChannel()
	if dest == nil {
		return
	}
	for _, s := range list {
		var events []string
		if !s.Created.After(now) && now.Sub(s.Created) < announceWindow {
			events = append(events, "created")
		}
		if s.StateAt(now) == silence.Expired && s.Updated.Equal(s.Ends) && now.Sub(s.Ends) < announceWindow {
			events = append(events, "expired")
		}
		for _, ev := range events {
			h.announce(ctx, s, ev, dest, now, log)
		}
	}
}

func (h *Handler) announce(ctx context.Context, s silence.Silence, event string, dest *rules.Destination, now time.Time, log *slog.Logger) {
	key := state.NewClaimKey(scopeSilenceAnnouncement, s.ID, event, dest.Name)
	c := &h.silences
	c.mu.Lock()
	done := c.announced[key]
	c.mu.Unlock()
	if done {
		return
	}
	outcome, reason := h.postAnnouncement(ctx, key, s, event, dest, now)
	if outcome == Delivered || outcome == Duplicate {
		c.mu.Lock()
		if c.announced == nil {
			c.announced = map[state.ClaimKey]bool{}
		}
		c.announced[key] = true
		c.mu.Unlock()
	}
	level := slog.LevelInfo
	if outcome == Retryable || outcome == Permanent {
		level = slog.LevelWarn
	}
	log.LogAttrs(ctx, level, "silence "+event, slog.String("silence_id", s.ID), slog.String("author", s.Author),
		slog.String("silence_comment", s.Comment), slog.String("matchers", s.Matchers.String()),
		slog.String("destination", dest.Name), slog.String("outcome", string(outcome)), slog.String("reason", reason))
}

// scopeSilenceAnnouncement is the claim scope of a silence announcement.
const scopeSilenceAnnouncement = "SIL"

func (h *Handler) postAnnouncement(ctx context.Context, key state.ClaimKey, s silence.Silence, event string, dest *rules.Destination, now time.Time) (Outcome, string) {
	if h.Threads == nil || h.Threads.Slack == nil {
		return Permanent, "no Slack bot client (the router has no render queue configured)"
	}
	cl, err := h.Store.Claim(ctx, key, now, h.leaseUntil(ctx))
	if err != nil {
		return Retryable, "claim: " + err.Error()
	}
	switch cl.Outcome {
	case state.ClaimDone:
		return Duplicate, "announced already"
	case state.ClaimInProgress:
		return InProgress, "another invocation is announcing it"
	}
	text := "@" + s.Summary()
	if event == "expired" {
		text = s.ExpirySummary()
	}
	msg := render.SlackMessage{Text: render.EscapeMrkdwn(text), Blocks: []slack.Block{render.MrkdwnSection(":no_bell: " + render.EscapeMrkdwn(text))}}
	poster, err := h.Threads.Slack(ctx)
	if err == nil {
		_, err = poster.Post(ctx, dest.Slack.Channel, msg, notifyslack.PostOptions{})
	}
	if err != nil {
		_ = h.Store.Release(ctx, cl, h.now())
		return Retryable, err.Error()
	}
	if err := h.Store.Complete(ctx, cl, h.now()); err != nil {
		return Delivered, "posted; recording it failed: " + err.Error()
	}
	return Delivered, ""
}

// markMatched records, once per silence and container, that s held something back: the digest
// names silences that expired without ever matching.
func (h *Handler) markMatched(ctx context.Context, s *silence.Silence, now time.Time, log *slog.Logger) {
	if !s.Matched.IsZero() {
		return
	}
	c := &h.silences
	c.mu.Lock()
	done := c.marked[s.ID]
	if c.marked == nil {
		c.marked = map[string]bool{}
	}
	c.marked[s.ID] = true
	c.mu.Unlock()
	if done {
		return
	}
	if err := h.Silences.MarkMatched(ctx, s.ID, now); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "mark silence matched", slog.String("silence_id", s.ID), slog.String("reason", err.Error()))
	}
}
