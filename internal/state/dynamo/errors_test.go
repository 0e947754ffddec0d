package dynamo_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ssmnotify/ssmnotify/internal/fault"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

// TestErrors runs the store against a server that answers every request with one DynamoDB
// error: throttling and 5xx are retried MaxAttempts times by the SDK and then reported as
// retryable; a missing table is reported at once and is not retryable. Every one of them is an
// infrastructure fault: the record is retried and counted, never parked as bad input.
func TestErrors(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		code      string
		attempts  int
		retryable bool
	}{
		{"throttled", 400, "ProvisionedThroughputExceededException", dynamo.MaxAttempts, true},
		{"request limit", 400, "ThrottlingException", dynamo.MaxAttempts, true},
		{"server error", 500, "InternalServerError", dynamo.MaxAttempts, true},
		{"unavailable", 503, "ServiceUnavailable", dynamo.MaxAttempts, true},
		{"no table", 400, "ResourceNotFoundException", 1, false},
		{"access denied", 400, "AccessDeniedException", 1, false},
		{"validation", 400, "ValidationException", 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("X-Amzn-Errortype", tc.code)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#` + tc.code + `","message":"nope"}`))
			}))
			defer srv.Close()
			client := dynamodb.NewFromConfig(dynamo.LocalConfig(), func(o *dynamodb.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				// The production client's bound, without the backoff waits.
				o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
					so.MaxAttempts = dynamo.MaxAttempts
					so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
					so.RateLimiter = ratelimit.None
				})
			})
			s := dynamo.New(client, "t")
			now := statetest.Base
			ops := map[string]func() error{
				"observe": func() error {
					_, err := s.Observe(t.Context(), statetest.Invocation("c", "i-1", payload.StatusFailed, now), now)
					return err
				},
				"claim": func() error {
					_, err := s.Claim(t.Context(), state.NotificationClaim("c", "", payload.StatusFailed, "d"), now, now.Add(time.Minute))
					return err
				},
				"failures": func() error {
					_, err := s.Failures(t.Context(), now, now.Add(time.Hour), now, func(state.Failure) error { return nil })
					return err
				},
				"rollup": func() error { _, err := s.Rollup(t.Context(), "c", now); return err },
			}
			for name, op := range ops {
				requests.Store(0)
				err := op()
				if err == nil {
					t.Fatalf("%s: no error", name)
				}
				if got := state.IsRetryable(err); got != tc.retryable {
					t.Errorf("%s: retryable %v, want %v (%v)", name, got, tc.retryable, err)
				}
				if errors.Is(err, state.ErrNotHeld) || errors.Is(err, state.ErrInvalid) {
					t.Errorf("%s: misclassified: %v", name, err)
				}
				if got := fault.Of(err); got != fault.Infrastructure {
					t.Errorf("%s: class %v, want infrastructure (%v)", name, got, err)
				}
				if !tc.retryable && !errors.Is(err, state.ErrRefused) {
					t.Errorf("%s: not marked refused: %v", name, err)
				}
				if got := int(requests.Load()); got != tc.attempts {
					t.Errorf("%s: %d attempts, want %d", name, got, tc.attempts)
				}
			}
		})
	}
}
