package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// ParentOutcome is the result of ClaimParent.
type ParentOutcome int

// Parent outcomes.
const (
	// ParentOwned: the caller must post the parent message now, then call SetParentTS.
	ParentOwned ParentOutcome = iota + 1
	// ParentPosted: the parent exists; Message.TS is its ts. Update it or reply under it.
	ParentPosted
	// ParentPending: another caller is posting it (until Message.HeldUntil). Back off and retry;
	// do not post.
	ParentPending
)

func (o ParentOutcome) String() string {
	switch o {
	case ParentOwned:
		return "owned"
	case ParentPosted:
		return "posted"
	case ParentPending:
		return "pending"
	}
	return "unknown"
}

// ParentClaim is the result of ClaimParent.
type ParentClaim struct {
	Outcome ParentOutcome
	// Message is the record as stored after the call; for ParentOwned it carries the caller's
	// Holder token, to pass to SetParentTS.
	Message Message
}

// maxCASAttempts bounds the read-decide-write loops of the helpers below. Each lost race means
// another writer made progress, so a handful of attempts suffices; running out is reported as
// retryable.
const maxCASAttempts = 5

// ClaimParent decides which of any number of concurrent callers posts the parent message of a
// command in a channel: exactly one gets ParentOwned (until leaseUntil); the others see
// ParentPending while it posts and ParentPosted, with the ts, once it called SetParentTS. If the
// owner's lease passes before it stored a ts (it crashed), the next caller becomes the owner.
func ClaimParent(ctx context.Context, s MessageRefs, key MessageKey, now, leaseUntil time.Time) (ParentClaim, error) {
	for range maxCASAttempts {
		m, err := s.Message(ctx, key, now)
		if err != nil {
			return ParentClaim{}, fmt.Errorf("claim parent %s/%s: %w", key.CommandID, key.Channel, err)
		}
		if m.TS != "" {
			return ParentClaim{Outcome: ParentPosted, Message: m}, nil
		}
		if m.Holder != "" && m.HeldUntil.After(now) {
			return ParentClaim{Outcome: ParentPending, Message: m}, nil
		}
		m.Key = key
		m.Holder = NewToken()
		m.HeldUntil = leaseUntil
		stored, ok, err := s.PutMessage(ctx, m, now)
		if err != nil {
			return ParentClaim{}, fmt.Errorf("claim parent %s/%s: %w", key.CommandID, key.Channel, err)
		}
		if ok {
			return ParentClaim{Outcome: ParentOwned, Message: stored}, nil
		}
	}
	return ParentClaim{}, fmt.Errorf("claim parent %s/%s: %w", key.CommandID, key.Channel,
		Unavailable(fmt.Errorf("record kept changing for %d attempts", maxCASAttempts)))
}

// SetParentTS stores the ts of the parent the owner of c (ParentOwned) just posted, records it as
// rendered with rendered, and ends the owner's lease. If the owner's lease passed and another
// caller took over in the meantime, it returns ErrNotHeld.
func SetParentTS(ctx context.Context, s MessageRefs, c ParentClaim, ts, rendered string, now time.Time) (Message, error) {
	key := c.Message.Key
	m := c.Message
	for range maxCASAttempts {
		if c.Outcome != ParentOwned || m.Holder != c.Message.Holder || m.TS != "" {
			return Message{}, fmt.Errorf("set parent ts %s/%s: %w", key.CommandID, key.Channel, ErrNotHeld)
		}
		next := m
		next.TS = ts
		next.Holder = ""
		next.HeldUntil = time.Time{}
		next.Rendered = rendered
		next.RenderedAt = now
		stored, ok, err := s.PutMessage(ctx, next, now)
		if err != nil {
			return Message{}, fmt.Errorf("set parent ts %s/%s: %w", key.CommandID, key.Channel, err)
		}
		if ok {
			return stored, nil
		}
		// Someone wrote in between; if it was not a takeover (only fields we do not own
		// changed), try again on top of it.
		if m, err = s.Message(ctx, key, now); err != nil {
			return Message{}, fmt.Errorf("set parent ts %s/%s: %w", key.CommandID, key.Channel, err)
		}
	}
	return Message{}, fmt.Errorf("set parent ts %s/%s: %w", key.CommandID, key.Channel,
		Unavailable(fmt.Errorf("record kept changing for %d attempts", maxCASAttempts)))
}

// NewToken returns a random holder token.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}
