package slack

import (
	"log/slog"
	"sort"
	"strings"
)

// Secret is the Slack credentials the clients are built from (internal/secrets reads and checks
// it from Secrets Manager). The secret's JSON is
//
//	{"bot_token": "xoxb-…", "webhooks": {"ops-alerts": "https://hooks.slack.com/services/…"}}
//
// Either part may be absent, not both.
type Secret struct {
	BotToken string `json:"bot_token"`
	// Webhooks maps a destination name to its incoming-webhook URL.
	Webhooks map[string]string `json:"webhooks"`
}

// String lists what is configured without the values.
func (s Secret) String() string {
	names := make([]string, 0, len(s.Webhooks))
	for n := range s.Webhooks {
		names = append(names, n)
	}
	sort.Strings(names)
	tok := "absent"
	if s.BotToken != "" {
		tok = "REDACTED"
	}
	return "slack.Secret{bot_token: " + tok + ", webhooks: [" + strings.Join(names, " ") + "] (URLs REDACTED)}"
}

// GoString keeps %#v from printing the values.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps slog from printing the values.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Webhook returns the URL of the named destination's webhook.
func (s Secret) Webhook(name string) (string, bool) {
	u, ok := s.Webhooks[name]
	return u, ok
}
