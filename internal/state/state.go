package state

import (
	"context"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Store is everything the router and the digest keep between invocations. Both implementations
// (internal/state/dynamo and internal/state/memory) pass the same contract suite
// (internal/state/statetest). Consumers that need only a part should depend on the smaller
// interface it embeds.
//
// Every method takes the current time: the store never reads a clock, so tests and the demo
// control lease expiry and TTL. An item whose TTL has passed is absent in every read and write.
type Store interface {
	Guard
	Claims
	Rollups
	FailureIndex
	MessageRefs
}

// Guard is the ordering guard: one status timeline per (command, target), keeping only the latest
// status seen.
type Guard interface {
	// Observe records n in its timeline if it is newer than what is stored, and says whether it is
	// Fresh, a Duplicate of the stored status, or Stale (see Judge for the order). The same single
	// write keeps what Rollup and Failures read: the document, times, region and account, and, for
	// a failure status, the failure index entry. A Stale notification changes nothing.
	//
	// A notification without a command ID or event time, or an invocation without an instance ID,
	// is an error wrapping ErrInvalid.
	Observe(ctx context.Context, n *payload.Notification, now time.Time) (Observed, error)
}

// Claims gives exactly-once delivery: claim before sending, Complete after the send succeeded,
// Release after it failed.
type Claims interface {
	// Claim takes key for the caller until leaseUntil (the invocation's deadline). It wins when the
	// key is absent, its TTL has passed, or an earlier claim was never completed and its lease has
	// passed. Otherwise the outcome is ClaimInProgress (someone holds it: back off and retry later,
	// never send) or ClaimDone (already delivered within the dedup window). Neither is an error.
	Claim(ctx context.Context, key ClaimKey, now, leaseUntil time.Time) (Claim, error)
	// Complete marks a won claim delivered and keeps it for the dedup window. It is idempotent.
	// If another caller has taken the claim over since (this caller's lease passed), it returns an
	// error wrapping ErrNotHeld and changes nothing.
	Complete(ctx context.Context, c Claim, now time.Time) error
	// Release gives a won claim back after a failed send, so the retry can claim it at once.
	// Releasing a claim that is already gone is not an error; one taken over by another caller or
	// already completed is ErrNotHeld.
	Release(ctx context.Context, c Claim, now time.Time) error
}

// Rollups reads a command's roll-up.
type Rollups interface {
	// Rollup derives a command's state from its timelines as they are stored now: counts by
	// status, the failed instances, the command-level status, and its message references. It is
	// exact whatever retries or crashes happened, because it is computed from the per-target
	// latest statuses rather than kept as counters.
	Rollup(ctx context.Context, commandID string, now time.Time) (Rollup, error)
}

// FailureIndex reads the failures the digest summarises.
type FailureIndex interface {
	// Failures calls fn for each failure whose event time is in [from, to) and whose TTL has not
	// passed at now, in ascending (event time, command ID, target) order, reading page by page so
	// memory stays bounded. It stops at the first error fn returns and returns it.
	Failures(ctx context.Context, from, to, now time.Time, fn func(Failure) error) (ReadStats, error)
}

// MessageRefs keeps, per (command, Slack channel), the one message that shows the command: a
// compare-and-swap record so that concurrent router invocations agree on who posts the parent
// and who renders an update (internal/thread takes its render lease through it).
type MessageRefs interface {
	// Message returns the stored record for key; its Version is 0 when there is none (or its TTL
	// has passed).
	Message(ctx context.Context, key MessageKey, now time.Time) (Message, error)
	// PutMessage stores m if the stored record's version is still m.Version (0: none stored), and
	// returns the record as stored, with its new Version. ok is false, and nothing is written,
	// when another writer got there first: read again and decide again.
	PutMessage(ctx context.Context, m Message, now time.Time) (stored Message, ok bool, err error)
}

// Verdict is the ordering guard's judgement of a notification.
type Verdict int

// Verdicts of Observe.
const (
	// Fresh: newer than anything stored for its timeline; deliver it.
	Fresh Verdict = iota + 1
	// Duplicate: the same status and event time as stored (an SNS redelivery, SSM publishing twice,
	// or a Lambda retry). Proceed idempotently: the delivery claims decide what is still to send.
	Duplicate
	// Stale: older than what is stored, or a non-terminal status after a terminal one. Do not
	// deliver.
	Stale
)

func (v Verdict) String() string {
	switch v {
	case Fresh:
		return "fresh"
	case Duplicate:
		return "duplicate"
	case Stale:
		return "stale"
	}
	return "unknown"
}

// Timeline is one (command, target) status timeline's latest entry. Target is the instance ID
// for an invocation and "" for the command itself (payload.Notification.Target).
type Timeline struct {
	CommandID string
	Target    string
	Status    payload.Status
	EventTime time.Time
}

// Observed is the result of Observe.
type Observed struct {
	Verdict Verdict
	// Previous is what the timeline held before this call: nil when it was empty (or expired), and
	// nil for a Stale notification, whose refusal reads nothing back.
	Previous *Timeline
}

// ClaimOutcome is the result of a Claim.
type ClaimOutcome int

// Claim outcomes.
const (
	// ClaimWon: the caller holds the key until its lease ends; send, then Complete or Release.
	ClaimWon ClaimOutcome = iota + 1
	// ClaimInProgress: another caller holds the key and its lease has not passed. Back off (a
	// retryable outcome for the invocation); never send.
	ClaimInProgress
	// ClaimDone: delivered already, within the dedup window. Nothing to send.
	ClaimDone
)

func (o ClaimOutcome) String() string {
	switch o {
	case ClaimWon:
		return "won"
	case ClaimInProgress:
		return "in progress"
	case ClaimDone:
		return "done"
	}
	return "unknown"
}

// Claim is the result of Store.Claim. Pass it back to Complete or Release.
type Claim struct {
	Key     ClaimKey
	Outcome ClaimOutcome
	// Token identifies this holder (ClaimWon only), so a holder whose lease was taken over cannot
	// complete or release the new holder's claim.
	Token string
	// LeaseUntil is when the holder's lease ends: the caller's own for ClaimWon, the other
	// holder's for ClaimInProgress (a hint for when to retry).
	LeaseUntil time.Time
}

// Rollup is a command's state, derived from what is stored.
type Rollup struct {
	CommandID    string
	DocumentName string
	// Command is the latest command-level status (from command-summary notifications), nil when
	// none was seen.
	Command *Timeline
	// Targets is the number of instances the latest command summary named; 0 when unknown (no
	// summary seen, or the command was targeted by tags).
	Targets int
	// RequestedAt is the command's requested time when a notification carried it.
	RequestedAt time.Time
	// Invocations is the number of instances with an invocation timeline, and Counts their
	// latest statuses.
	Invocations int
	Counts      map[payload.Status]int
	// Failed lists the instances whose latest status is a failure, by event time then ID, at most
	// MaxRollupFailed of them; FailedTotal counts them all.
	Failed      []string
	FailedTotal int
	// Failures are all FailedTotal failed instances' timelines in the same order, uncapped: what
	// the command's thread replies draw from, so that every failed instance is named.
	Failures []Timeline
	// FirstEvent and LastEvent span the event times of every timeline of the command.
	FirstEvent, LastEvent time.Time
	// Messages are the command's message records, one per channel, by channel.
	Messages []Message
}

// Found reports whether anything at all is stored about the command.
func (r *Rollup) Found() bool {
	return r.Command != nil || r.Invocations > 0 || len(r.Messages) > 0
}

// Failure is one failure index entry: what the digest shows about a failed command or
// invocation.
type Failure struct {
	CommandID    string
	DocumentName string
	// InstanceID is "" for a command-level failure.
	InstanceID string
	Status     payload.Status
	EventTime  time.Time
	Region     string
	Account    string
}

// ReadStats says what a read cost.
type ReadStats struct {
	// Requests is the number of Query requests (pages) made.
	Requests int
	// Scanned is the number of items the store read (DynamoDB's ScannedCount); Returned is how
	// many of them were passed on (Count); Scanned-Returned were dropped because their TTL had
	// passed.
	Scanned  int
	Returned int
	// CapacityUnits is the read capacity consumed, where the store reports it.
	CapacityUnits float64
}

// Add accumulates o into s.
func (s *ReadStats) Add(o ReadStats) {
	s.Requests += o.Requests
	s.Scanned += o.Scanned
	s.Returned += o.Returned
	s.CapacityUnits += o.CapacityUnits
}

// MessageKey names one command's message in one channel.
type MessageKey struct {
	CommandID string
	Channel   string
}

// Message is the record of one command's message in one channel. Apart from Key and Version its
// fields are the caller's to use; internal/thread gives them their usual meaning.
type Message struct {
	Key MessageKey
	// TS is the Slack ts of the parent message, "" until it is posted.
	TS string
	// Holder is the token of whoever is posting or rendering, and HeldUntil the end of its lease;
	// a holder whose lease has passed may be replaced.
	Holder    string
	HeldUntil time.Time
	// Rendered is an opaque description of what the message shows now (for example a fingerprint
	// of the counts it displays) and RenderedAt when it was last rendered: enough to skip an update
	// that would change nothing and to bound the update rate.
	Rendered   string
	RenderedAt time.Time
	// Version is the record's write count: 0 when none is stored. PutMessage compares it.
	Version int64
}
