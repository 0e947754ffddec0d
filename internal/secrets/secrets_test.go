package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/secrets"
)

const (
	token = "xoxb-1111-2222-SECRETTOKEN"
	hook  = "https://hooks.slack.com/services/T000/B000/SECRETHOOK"
)

// fakeAPI is a hand-written Secrets Manager: a function field per call.
type fakeAPI struct {
	calls int
	get   func() (*secretsmanager.GetSecretValueOutput, error)
}

func (f *fakeAPI) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	return f.get()
}

func value(s string) func() (*secretsmanager.GetSecretValueOutput, error) {
	return func() (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s)}, nil
	}
}

func TestLoaderCachesAfterFirstSuccess(t *testing.T) {
	fail := true
	api := &fakeAPI{}
	api.get = func() (*secretsmanager.GetSecretValueOutput, error) {
		if fail {
			fail = false
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
		}
		return value(`{"bot_token":"` + token + `","webhooks":{"ops-alerts":"` + hook + `"}}`)()
	}
	l := secrets.NewSlackLoader(api, "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack")
	if _, err := l.Get(t.Context()); !notify.IsRetryable(err) {
		t.Fatalf("first Get: %v, want retryable", err)
	}
	for range 3 {
		s, err := l.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.BotToken != token {
			t.Errorf("token not loaded")
		}
		if u, ok := s.Webhook("ops-alerts"); !ok || u != hook {
			t.Errorf("webhook not loaded")
		}
	}
	if api.calls != 2 {
		t.Errorf("%d GetSecretValue calls, want 2 (one failure, then cached)", api.calls)
	}
}

func TestParseAndClassify(t *testing.T) {
	tests := []struct {
		name      string
		get       func() (*secretsmanager.GetSecretValueOutput, error)
		permanent bool
		wantErr   string
	}{
		{"webhooks only", value(`{"webhooks":{"a":"` + hook + `"}}`), false, ""},
		{"bot token only", value(`{"bot_token":"` + token + `"}`), false, ""},
		{"empty", value(`{}`), true, "neither bot_token nor webhooks"},
		{"not JSON", value(`bot_token=` + token), true, "not valid JSON"},
		{"wrong type", value(`{"bot_token":["` + token + `"]}`), true, `field "bot_token"`},
		{"unknown field", value(`{"token":"` + token + `"}`), true, "unknown field"},
		{"not a token", value(`{"bot_token":"SECRETTOKEN"}`), true, "not a Slack token"},
		{"webhook not a URL", value(`{"webhooks":{"ops":"SECRETHOOK"}}`), true, `webhook "ops"`},
		{"not found", func() (*secretsmanager.GetSecretValueOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no such secret"}
		}, true, "ResourceNotFoundException"},
		{"access denied", func() (*secretsmanager.GetSecretValueOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}
		}, true, "AccessDeniedException"},
		{"outage", func() (*secretsmanager.GetSecretValueOutput, error) {
			return nil, errors.New("connection reset")
		}, false, "connection reset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secrets.NewSlackLoader(&fakeAPI{get: tc.get}, "arn:slack").Get(t.Context())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v", notify.IsPermanent(err), tc.permanent)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	s, err := secrets.ParseSlack([]byte(`{"bot_token":"` + token + `","webhooks":{"ops-alerts":"` + hook + `","b":"` + hook + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("loaded", "slack", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("loaded", "slack", s)
	out := fmt.Sprintf("%v %+v %#v %s", s, s, s, s) + logs.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("a secret was printed:\n%s", out)
	}
	if !strings.Contains(out, "ops-alerts") {
		t.Errorf("destination names should still show:\n%s", out)
	}
}
