// Package memory is the in-process state.Store: the embedded default for `make demo` and the
// local CLI. It keeps the DynamoDB store's semantics exactly — TTL-as-absent, lease expiry, the
// same ordering and the same precision (event times in nanoseconds, leases in milliseconds, TTL
// in seconds) — and passes the same contract suite. Time is always passed in; it reads no clock.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Store is an in-process state.Store, safe for concurrent use. The zero value is not usable;
// call New.
type Store struct {
	mu       sync.Mutex
	commands map[string]*command
	claims   map[state.ClaimKey]*claim
}

var _ state.Store = (*Store)(nil)

// command is everything stored under one command, like its DynamoDB partition.
type command struct {
	timelines map[string]*timeline // by target ("" for the command)
	messages  map[string]*message  // by channel
}

type timeline struct {
	state.Timeline
	doc, region, account string
	requested            time.Time
	targets              int
	ttl                  int64
}

type claim struct {
	done    bool
	token   string
	leaseMS int64
	ttl     int64
}

type message struct {
	state.Message
	ttl int64
}

// New returns an empty store.
func New() *Store {
	return &Store{
		commands: map[string]*command{},
		claims:   map[state.ClaimKey]*claim{},
	}
}

func (s *Store) command(id string, create bool) *command {
	c := s.commands[id]
	if c == nil && create {
		c = &command{timelines: map[string]*timeline{}, messages: map[string]*message{}}
		s.commands[id] = c
	}
	return c
}

// Observe implements state.Guard.
func (s *Store) Observe(ctx context.Context, n *payload.Notification, now time.Time) (state.Observed, error) {
	in, err := state.TimelineOf(n)
	if err != nil {
		return state.Observed{}, fmt.Errorf("observe: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return state.Observed{}, fmt.Errorf("observe %s/%s: %w", in.CommandID, in.Target, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.command(in.CommandID, true)
	t := c.timelines[in.Target]
	var prev *state.Timeline
	if t != nil && !state.Expired(t.ttl, now) {
		p := t.Timeline
		prev = &p
	}
	v := state.Judge(prev, in)
	if v == state.Stale {
		return state.Observed{Verdict: v}, nil
	}
	if t == nil {
		t = &timeline{}
		c.timelines[in.Target] = t
	}
	// Like the DynamoDB update, a field the notification lacks keeps what was stored.
	t.Timeline = in
	t.doc = cmp.Or(n.DocumentName, t.doc)
	t.region = cmp.Or(n.Region, t.region)
	t.account = cmp.Or(n.Account, t.account)
	if !n.RequestedDateTime.IsZero() {
		t.requested = time.Unix(0, n.RequestedDateTime.UnixNano()).UTC()
	}
	if n.Kind == payload.KindCommand {
		t.targets = len(n.InstanceIDs)
	}
	t.ttl = state.TTL(now.Add(state.DefaultRetention))
	return state.Observed{Verdict: v, Previous: prev}, nil
}

// Claim implements state.Claims.
func (s *Store) Claim(ctx context.Context, key state.ClaimKey, now, leaseUntil time.Time) (state.Claim, error) {
	if err := state.CheckClaim(key, now, leaseUntil); err != nil {
		return state.Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return state.Claim{}, fmt.Errorf("claim %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.claims[key]; c != nil && !state.Expired(c.ttl, now) {
		if c.done {
			return state.Claim{Key: key, Outcome: state.ClaimDone}, nil
		}
		if c.leaseMS > now.UnixMilli() {
			return state.Claim{Key: key, Outcome: state.ClaimInProgress, LeaseUntil: time.UnixMilli(c.leaseMS).UTC()}, nil
		}
	}
	c := &claim{token: state.NewToken(), leaseMS: leaseUntil.UnixMilli(), ttl: state.TTL(later(now, leaseUntil).Add(state.DefaultDedupWindow))}
	s.claims[key] = c
	return state.Claim{Key: key, Outcome: state.ClaimWon, Token: c.token, LeaseUntil: time.UnixMilli(c.leaseMS).UTC()}, nil
}

// Complete implements state.Claims.
func (s *Store) Complete(ctx context.Context, cl state.Claim, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("complete %s: %w", cl.Key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.claims[cl.Key]
	if c == nil || state.Expired(c.ttl, now) || cl.Token == "" || c.token != cl.Token {
		return fmt.Errorf("complete %s: %w", cl.Key, state.ErrNotHeld)
	}
	c.done = true
	c.leaseMS = 0
	c.ttl = state.TTL(now.Add(state.DefaultDedupWindow))
	return nil
}

// Release implements state.Claims.
func (s *Store) Release(ctx context.Context, cl state.Claim, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release %s: %w", cl.Key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.claims[cl.Key]
	switch {
	case c == nil || state.Expired(c.ttl, now):
		delete(s.claims, cl.Key)
		return nil
	case c.done || cl.Token == "" || c.token != cl.Token:
		return fmt.Errorf("release %s: %w", cl.Key, state.ErrNotHeld)
	}
	delete(s.claims, cl.Key)
	return nil
}

// Rollup implements state.Rollups.
func (s *Store) Rollup(ctx context.Context, commandID string, now time.Time) (state.Rollup, error) {
	if err := ctx.Err(); err != nil {
		return state.Rollup{}, fmt.Errorf("rollup %s: %w", commandID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var b state.RollupBuilder
	b.Start(commandID)
	c := s.command(commandID, false)
	if c == nil {
		return b.Finish(), nil
	}
	for _, target := range slices.Sorted(maps.Keys(c.timelines)) {
		t := c.timelines[target]
		if state.Expired(t.ttl, now) {
			continue
		}
		b.AddTimeline(t.Timeline, t.doc, t.requested, t.targets)
	}
	for _, ch := range slices.Sorted(maps.Keys(c.messages)) {
		if m := c.messages[ch]; !state.Expired(m.ttl, now) {
			b.AddMessage(m.Message)
		}
	}
	return b.Finish(), nil
}

// Failures implements state.FailureIndex. It reads every stored timeline (this is memory, not
// DynamoDB), but reports Scanned as DynamoDB would: the failures inside the window, expired or
// not.
func (s *Store) Failures(ctx context.Context, from, to, now time.Time, fn func(state.Failure) error) (state.ReadStats, error) {
	if err := ctx.Err(); err != nil {
		return state.ReadStats{}, fmt.Errorf("read failures: %w", err)
	}
	type entry struct {
		sk string
		f  state.Failure
	}
	var (
		stats state.ReadStats
		found []entry
	)
	s.mu.Lock()
	for _, c := range s.commands {
		for _, t := range c.timelines {
			if !t.Status.Failure() || t.EventTime.Before(from) || !t.EventTime.Before(to) {
				continue
			}
			stats.Scanned++
			if state.Expired(t.ttl, now) {
				continue
			}
			found = append(found, entry{
				sk: state.FailureSortKey(t.EventTime, t.CommandID, t.Target),
				f: state.Failure{
					CommandID: t.CommandID, DocumentName: t.doc, InstanceID: t.Target, Status: t.Status,
					EventTime: t.EventTime, Region: t.region, Account: t.account,
				},
			})
		}
	}
	s.mu.Unlock()
	// The DynamoDB store reads hour buckets in order and each in sort-key order: the same order.
	slices.SortFunc(found, func(a, b entry) int { return cmp.Compare(a.sk, b.sk) })
	for _, e := range found {
		stats.Returned++
		if err := fn(e.f); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// Message implements state.MessageRefs.
func (s *Store) Message(ctx context.Context, key state.MessageKey, now time.Time) (state.Message, error) {
	if err := ctx.Err(); err != nil {
		return state.Message{}, fmt.Errorf("message %s/%s: %w", key.CommandID, key.Channel, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.command(key.CommandID, false); c != nil {
		if m := c.messages[key.Channel]; m != nil && !state.Expired(m.ttl, now) {
			return m.Message, nil
		}
	}
	return state.Message{Key: key}, nil
}

// PutMessage implements state.MessageRefs.
func (s *Store) PutMessage(ctx context.Context, m state.Message, now time.Time) (state.Message, bool, error) {
	if m.Key.CommandID == "" || m.Key.Channel == "" {
		return state.Message{}, false, fmt.Errorf("put message: %w: command ID and channel are required", state.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return state.Message{}, false, fmt.Errorf("put message %s/%s: %w", m.Key.CommandID, m.Key.Channel, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.command(m.Key.CommandID, true)
	var version int64
	if old := c.messages[m.Key.Channel]; old != nil && !state.Expired(old.ttl, now) {
		version = old.Version
	}
	if version != m.Version {
		return state.Message{}, false, nil
	}
	stored := m
	stored.Version++
	stored.HeldUntil = milli(m.HeldUntil)
	stored.RenderedAt = milli(m.RenderedAt)
	c.messages[m.Key.Channel] = &message{Message: stored, ttl: state.TTL(now.Add(state.DefaultRetention))}
	return stored, true, nil
}

// milli truncates t to the milliseconds the DynamoDB store keeps; the zero time stays zero.
func milli(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
