package router

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/silence"
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
	mu      sync.Mutex
	list    []silence.Silence
	fetched time.Time
	ok      bool
	marked  map[string]bool
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
	defer c.mu.Unlock()
	maxAge := h.SilenceMaxAge
	if maxAge <= 0 {
		maxAge = DefaultSilenceMaxAge
	}
	if c.ok && !now.Before(c.fetched) && now.Sub(c.fetched) < maxAge {
		return c.list
	}
	list, err := h.Silences.Silences(ctx, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "silences unavailable", slog.String("reason", err.Error()), slog.Int("kept", len(c.list)))
		return c.list
	}
	// Only what can still apply: pending or active.
	kept := list[:0]
	for _, s := range list {
		if s.StateAt(now) != silence.Expired {
			kept = append(kept, s)
		}
	}
	c.list, c.fetched, c.ok = kept, now, true
	return c.list
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
