package state

import "time"

// Defaults.
const (
	// DefaultDedupWindow is how long a completed claim is kept: a redelivery within it is not sent
	// again.
	DefaultDedupWindow = 7 * 24 * time.Hour
	// DefaultRetention is how long timelines (and so roll-ups and failure index entries) and
	// message records are kept after their last write.
	DefaultRetention = 35 * 24 * time.Hour
	// MaxRollupFailed caps Rollup.Failed.
	MaxRollupFailed = 100
)

// TTL is the TTLAttribute value for an item that may be deleted after t: epoch seconds.
func TTL(t time.Time) int64 { return t.Unix() }

// Expired reports whether an item with TTL value ttl counts as absent at now. DynamoDB deletes
// such items days late (emulators never), so every read applies this itself.
func Expired(ttl int64, now time.Time) bool { return ttl <= now.Unix() }
