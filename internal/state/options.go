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

// Settings are the knobs both implementations share.
type Settings struct {
	DedupWindow time.Duration
	Retention   time.Duration
}

// Option changes Settings.
type Option func(*Settings)

// WithDedupWindow sets how long a completed claim is kept (default DefaultDedupWindow).
func WithDedupWindow(d time.Duration) Option { return func(s *Settings) { s.DedupWindow = d } }

// WithRetention sets how long timelines, failures and message records are kept (default
// DefaultRetention).
func WithRetention(d time.Duration) Option { return func(s *Settings) { s.Retention = d } }

// NewSettings applies opts to the defaults. A non-positive duration keeps its default.
func NewSettings(opts ...Option) Settings {
	s := Settings{DedupWindow: DefaultDedupWindow, Retention: DefaultRetention}
	for _, o := range opts {
		o(&s)
	}
	if s.DedupWindow <= 0 {
		s.DedupWindow = DefaultDedupWindow
	}
	if s.Retention <= 0 {
		s.Retention = DefaultRetention
	}
	return s
}

// TTL is the TTLAttribute value for an item that may be deleted after t: epoch seconds.
func TTL(t time.Time) int64 { return t.Unix() }

// Expired reports whether an item with TTL value ttl counts as absent at now. DynamoDB deletes
// such items days late (emulators never), so every read applies this itself.
func Expired(ttl int64, now time.Time) bool { return ttl <= now.Unix() }
