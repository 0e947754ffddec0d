package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Item layout (attribute names other than keys belong to the implementation):
//
//	item                      pk                  sk               by_time GSI (gsi1pk / gsi1sk)
//	command timeline          CMD#<command>       CMD              failures only: FAIL#<hour> / <time>#<command>#
//	invocation timeline       CMD#<command>       INV#<instance>   failures only: FAIL#<hour> / <time>#<command>#<instance>
//	message record (Slack)    CMD#<command>       MSG#<channel>    -
//	delivery or digest claim  CLAIM#<scope>#<id>  CLAIM            -
//
// A command's items share one partition, so Rollup reads the whole command (its status, every
// invocation's latest status and its message records) with one Query. A timeline whose latest
// status is a failure is its own failure index entry: the guard's write puts it on the time index
// and a later non-failure status takes it off, so the index always agrees with the guard. Claims
// get a partition each, so claiming spreads over the table. Every item carries TTLAttribute.
const (
	// CommandPrefix starts the partition key of every item about one command.
	CommandPrefix = "CMD#"
	// CommandSortKey is the sort key of a command's own timeline (the command-summary status).
	CommandSortKey = "CMD"
	// InvocationPrefix starts the sort key of an invocation timeline; the instance ID follows.
	InvocationPrefix = "INV#"
	// MessagePrefix starts the sort key of a message record; the channel follows.
	MessagePrefix = "MSG#"
	// ClaimPrefix starts the partition key of a delivery claim; ClaimKey.String() follows.
	ClaimPrefix = "CLAIM#"
	// ClaimSortKey is the sort key of every claim.
	ClaimSortKey = "CLAIM"
	// FailureBucketPrefix starts the TimeIndexPartitionKey of a failure: one partition per UTC hour.
	FailureBucketPrefix = "FAIL#"
	// FailureBucketLayout formats the hour of a failure bucket.
	FailureBucketLayout = "2006-01-02T15"
	// FailureBucketWidth is the width of a failure bucket.
	FailureBucketWidth = time.Hour
	// SortTimeLayout formats times in sort keys: fixed width, so string order is time order.
	SortTimeLayout = "2006-01-02T15:04:05.000000000Z"
)

// CommandPK is the partition key of the items about a command.
func CommandPK(commandID string) string { return CommandPrefix + commandID }

// TimelineSK is the sort key of a (command, target) timeline: CommandSortKey for the command,
// InvocationPrefix + instance ID for an invocation.
func TimelineSK(target string) string {
	if target == "" {
		return CommandSortKey
	}
	return InvocationPrefix + target
}

// FailureBucket is the TimeIndexPartitionKey of a failure at t.
func FailureBucket(t time.Time) string {
	return FailureBucketPrefix + t.UTC().Format(FailureBucketLayout)
}

// FailureSortKey is the TimeIndexSortKey of a failure: its event time, then the command and
// target, so a bucket reads in time order and a time range is a key condition.
func FailureSortKey(t time.Time, commandID, target string) string {
	return SortTime(t) + "#" + commandID + "#" + target
}

// SortTime formats t for a sort key (UTC, nanoseconds, fixed width).
func SortTime(t time.Time) string { return t.UTC().Format(SortTimeLayout) }

// Claim scopes.
const (
	// ScopeNotification claims one status of one timeline for one destination.
	ScopeNotification = "N"
	// ScopeDigest claims one digest window for one destination.
	ScopeDigest = "D"
)

// ClaimKey names one thing to deliver exactly once: a scope and the parts that identify it within
// the scope. Build it with NotificationClaim, DigestClaim or NewClaimKey; the zero value is not a
// valid key.
type ClaimKey struct {
	Scope string
	// ID is the escaped, joined parts.
	ID string
}

// NewClaimKey joins parts under scope. Each part is escaped, so no two different part lists give
// the same key whatever characters they contain.
func NewClaimKey(scope string, parts ...string) ClaimKey {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('#')
		}
		b.WriteString(claimEscaper.Replace(p))
	}
	return ClaimKey{Scope: scope, ID: b.String()}
}

var claimEscaper = strings.NewReplacer("%", "%25", "#", "%23")

// NotificationClaim is the key that delivers one status of one (command, target) timeline to one
// destination once. Target is "" for the command itself.
func NotificationClaim(commandID, target string, status payload.Status, destination string) ClaimKey {
	return NewClaimKey(ScopeNotification, commandID, target, string(status), destination)
}

// DigestClaim is the key that sends the digest of the window [from, to) to one destination once.
func DigestClaim(from, to time.Time, destination string) ClaimKey {
	return NewClaimKey(ScopeDigest, SortTime(from), SortTime(to), destination)
}

// String is the key as stored: scope, '#', the escaped parts.
func (k ClaimKey) String() string { return k.Scope + "#" + k.ID }

// Valid reports whether k has a scope.
func (k ClaimKey) Valid() bool { return k.Scope != "" && !strings.Contains(k.Scope, "#") }

// CheckClaim returns an error wrapping ErrInvalid when a claim of key from now until leaseUntil
// cannot work: a key without a scope, or a lease that has already ended (a zero deadline would
// let every concurrent duplicate take the claim over at once).
func CheckClaim(key ClaimKey, now, leaseUntil time.Time) error {
	if !key.Valid() {
		return fmt.Errorf("claim %q: %w: no scope", key.String(), ErrInvalid)
	}
	if !leaseUntil.After(now) {
		return fmt.Errorf("claim %s: %w: lease ends at %s, not after now (%s)", key, ErrInvalid,
			leaseUntil.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// NewToken returns a random holder token for a claim or a message record's lease.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}
