// Package secrets reads the Slack credentials (slack.Secret) from AWS Secrets Manager: one
// secret holding the bot token and the incoming-webhook URLs by destination name, fetched once
// per cold start and cached. The values never reach a print, a log line or an error.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
)

// API is the one Secrets Manager method the loader calls, with the SDK's signature.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// ParseSlack parses and checks the secret's JSON. Its errors name fields and destinations,
// never values.
func ParseSlack(raw []byte) (slack.Secret, error) {
	var s slack.Secret
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		// json errors can quote a fragment of the input: report only where it went wrong.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return slack.Secret{}, fmt.Errorf("slack secret is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return slack.Secret{}, fmt.Errorf("slack secret: field %q must be a %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return slack.Secret{}, fmt.Errorf("slack secret: %s (expected bot_token and webhooks)", strings.TrimPrefix(err.Error(), "json: "))
		}
		return slack.Secret{}, errors.New("slack secret is not a JSON object")
	}
	if s.BotToken == "" && len(s.Webhooks) == 0 {
		return slack.Secret{}, errors.New("slack secret has neither bot_token nor webhooks")
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xox") {
		return slack.Secret{}, errors.New("slack secret: bot_token is not a Slack token (xoxb-…)")
	}
	for name, u := range s.Webhooks {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return slack.Secret{}, fmt.Errorf("slack secret: webhook %q is not an http(s) URL", name)
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
	cached *slack.Secret
}

// NewSlackLoader returns a loader for the secret arn.
func NewSlackLoader(api API, arn string) *SlackLoader {
	return &SlackLoader{api: api, arn: arn}
}

// Get returns the Slack credentials, fetching them on the first call. Errors are classified:
// throttling and outages are retryable; a missing secret, a denied read or a malformed value is
// permanent until someone fixes the configuration.
func (l *SlackLoader) Get(ctx context.Context) (slack.Secret, error) {
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
				return slack.Secret{}, notify.Permanent(op, err)
			}
		}
		return slack.Secret{}, notify.Retryable(op, err)
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
		return slack.Secret{}, notify.Permanent(op, err)
	}
	l.cached = &s
	return s, nil
}
