// Package secrets reads the Slack credentials from AWS Secrets Manager: one secret holding the
// bot token and the incoming-webhook URLs by destination name, fetched once per cold start and
// cached. The values never reach a print, a log line or an error.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/notify"
)

// API is the one Secrets Manager method the loader calls, with the SDK's signature.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Slack are the Slack credentials. The secret's JSON is
//
//	{"bot_token": "xoxb-…", "webhooks": {"ops-alerts": "https://hooks.slack.com/services/…"}}
//
// Either part may be absent, not both.
type Slack struct {
	BotToken string `json:"bot_token"`
	// Webhooks maps a destination name to its incoming-webhook URL.
	Webhooks map[string]string `json:"webhooks"`
}

// String lists what is configured without the values.
func (s Slack) String() string {
	names := make([]string, 0, len(s.Webhooks))
	for n := range s.Webhooks {
		names = append(names, n)
	}
	sort.Strings(names)
	tok := "absent"
	if s.BotToken != "" {
		tok = "REDACTED"
	}
	return "secrets.Slack{bot_token: " + tok + ", webhooks: [" + strings.Join(names, " ") + "] (URLs REDACTED)}"
}

// GoString keeps %#v from printing the values.
func (s Slack) GoString() string { return s.String() }

// LogValue keeps slog from printing the values.
func (s Slack) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Webhook returns the URL of the named destination's webhook.
func (s Slack) Webhook(name string) (string, bool) {
	u, ok := s.Webhooks[name]
	return u, ok
}

// ParseSlack parses and checks the secret's JSON. Its errors name fields and destinations,
// never values.
func ParseSlack(raw []byte) (Slack, error) {
	var s Slack
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		// json errors can quote a fragment of the input: report only where it went wrong.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Slack{}, fmt.Errorf("slack secret is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return Slack{}, fmt.Errorf("slack secret: field %q must be a %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return Slack{}, fmt.Errorf("slack secret: %s (expected bot_token and webhooks)", strings.TrimPrefix(err.Error(), "json: "))
		}
		return Slack{}, errors.New("slack secret is not a JSON object")
	}
	if s.BotToken == "" && len(s.Webhooks) == 0 {
		return Slack{}, errors.New("slack secret has neither bot_token nor webhooks")
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xox") {
		return Slack{}, errors.New("slack secret: bot_token is not a Slack token (xoxb-…)")
	}
	for name, u := range s.Webhooks {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return Slack{}, fmt.Errorf("slack secret: webhook %q is not an http(s) URL", name)
		}
	}
	return s, nil
}

// SlackLoader fetches the Slack secret once and caches it for the life of the process (one
// Lambda execution environment). A failed fetch is not cached: the next Get tries again.
type SlackLoader struct {
	api API
	arn string

	mu     sync.Mutex
	cached *Slack
}

// NewSlackLoader returns a loader for the secret arn.
func NewSlackLoader(api API, arn string) *SlackLoader {
	return &SlackLoader{api: api, arn: arn}
}

// Get returns the Slack credentials, fetching them on the first call. Errors are classified:
// throttling and outages are retryable; a missing secret, a denied read or a malformed value is
// permanent until someone fixes the configuration.
func (l *SlackLoader) Get(ctx context.Context) (Slack, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cached != nil {
		return *l.cached, nil
	}
	op := "secretsmanager GetSecretValue " + l.arn
	out, err := l.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &l.arn})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure",
				"InvalidParameterException", "InvalidRequestException":
				return Slack{}, notify.Permanent(op, err)
			}
		}
		return Slack{}, notify.Retryable(op, err)
	}
	var raw []byte
	switch {
	case out.SecretString != nil:
		raw = []byte(*out.SecretString)
	case out.SecretBinary != nil:
		raw = out.SecretBinary
	}
	s, err := ParseSlack(raw)
	if err != nil {
		return Slack{}, notify.Permanent(op, err)
	}
	l.cached = &s
	return s, nil
}
