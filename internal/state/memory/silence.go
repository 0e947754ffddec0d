package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

var _ silence.Store = (*Store)(nil)

// storedSilence is one silence item: the silence, its compare-and-swap version and its TTL in
// epoch seconds, like the DynamoDB item.
type storedSilence struct {
	sl  silence.Silence
	ver int64
	ttl int64
}

// silence returns the live item id (nil when absent or past its TTL). Call with s.mu held.
func (s *Store) silenceItem(id string, now time.Time) *storedSilence {
	it := s.silences[id]
	if it == nil || state.Expired(it.ttl, now) {
		return nil
	}
	return it
}

func (s *Store) putSilence(sl silence.Silence) {
	if s.silences == nil {
		s.silences = map[string]*storedSilence{}
	}
	ver := int64(1)
	if old := s.silences[sl.ID]; old != nil {
		ver = old.ver + 1
	}
	// The same precision as the DynamoDB item: times through JSON (nanoseconds), matched in ms.
	if !sl.Matched.IsZero() {
		sl.Matched = time.UnixMilli(sl.Matched.UnixMilli()).UTC()
	}
	s.silences[sl.ID] = &storedSilence{sl: sl, ver: ver, ttl: state.TTL(sl.TTL())}
}

// Add implements silence.Store.
func (s *Store) Add(ctx context.Context, sl silence.Silence, now time.Time) (silence.Silence, error) {
	if sl.ReadOnly() {
		return silence.Silence{}, silence.ErrReadOnly
	}
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(sl, now), nil
}

func (s *Store) add(sl silence.Silence, now time.Time) silence.Silence {
	sl.ID, sl.Created, sl.Updated, sl.Matched = silence.NewID(), now, now, time.Time{}
	sl.Matchers = append(silence.Matchers(nil), sl.Matchers...)
	s.putSilence(sl)
	return sl
}

// Edit implements silence.Store.
func (s *Store) Edit(ctx context.Context, sl silence.Silence, now time.Time) (silence.Silence, error) {
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.silenceItem(sl.ID, now)
	if it == nil {
		return silence.Silence{}, fmt.Errorf("silence %s: %w", sl.ID, silence.ErrNotFound)
	}
	old := it.sl
	if old.StateAt(now) == silence.Expired {
		return silence.Silence{}, &silence.Error{Arg: sl.ID, Reason: "expired; add a new silence instead"}
	}
	if !old.Matchers.Equal(sl.Matchers) || !old.Starts.Equal(sl.Starts) {
		old.Expire(now)
		s.putSilence(old)
		return s.add(sl, now), nil
	}
	old.Ends, old.Comment, old.Author, old.Updated = sl.Ends, sl.Comment, sl.Author, now
	s.putSilence(old)
	return old, nil
}

// Expire implements silence.Store.
func (s *Store) Expire(ctx context.Context, id string, now time.Time) (silence.Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.silenceItem(id, now)
	if it == nil {
		return silence.Silence{}, fmt.Errorf("silence %s: %w", id, silence.ErrNotFound)
	}
	sl := it.sl
	if sl.Expire(now) {
		s.putSilence(sl)
	}
	return sl, nil
}

// MarkMatched implements silence.Store.
func (s *Store) MarkMatched(ctx context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.silenceItem(id, now); it != nil && it.sl.Matched.IsZero() {
		sl := it.sl
		sl.Matched = now
		s.putSilence(sl)
	}
	return nil
}

// Silences implements silence.Store.
func (s *Store) Silences(ctx context.Context, now time.Time) ([]silence.Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []silence.Silence
	for id := range s.silences {
		if it := s.silenceItem(id, now); it != nil {
			out = append(out, it.sl)
		}
	}
	silence.Sort(out)
	return out, nil
}
