// Package email delivers rendered emails with Amazon SES (SendEmail, HTML and text bodies) and
// classifies every failure with the shared classes of package notify.
//
// SES throttling ("Throttling", "Maximum sending rate exceeded") means the message was not
// accepted, so it is retried with a bounded backoff as long as the wait fits before the
// context's deadline, then returned as retryable. A 5xx or a timeout may follow an accepted
// message and is never resent within the call. A rejected message or an unverified sender is
// permanent. The SDK's own retries are switched off for the call so that this policy is the
// only one.
package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// API is the one SES method the sender calls, with the SDK's signature.
type API interface {
	SendEmail(ctx context.Context, in *ses.SendEmailInput, optFns ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

var _ API = (*ses.Client)(nil)

// Defaults for the options.
const (
	// DefaultAttempts bounds the requests made for one email while SES throttles.
	DefaultAttempts = 3
	// DefaultBackoff is the first wait after throttling; each further wait doubles it. SES
	// counts its sending rate per second, so waits of about a second let the next try in.
	DefaultBackoff = 500 * time.Millisecond
	// DefaultSafetyMargin is kept free before the deadline after a backoff wait.
	DefaultSafetyMargin = 2 * time.Second
	// DefaultMaxWait bounds the total backoff when the context has no deadline.
	DefaultMaxWait = 10 * time.Second
)

// Sender sends email through SES.
type Sender struct {
	api      API
	from     string
	attempts int
	backoff  time.Duration
	margin   time.Duration
	maxWait  time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
}

// Option configures a Sender.
type Option func(*Sender)

// WithFrom sets the sender used when an Envelope names none: a verified SES identity.
func WithFrom(addr string) Option { return func(s *Sender) { s.from = addr } }

// WithClock replaces the clock and the wait (tests make waits instant).
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(s *Sender) { s.now, s.sleep = now, sleep }
}

// WithLogger sets the logger for backoff waits.
func WithLogger(l *slog.Logger) Option { return func(s *Sender) { s.log = l } }

// New returns a Sender over an SES client.
func New(api API, opts ...Option) *Sender {
	s := &Sender{
		api: api, attempts: DefaultAttempts, backoff: DefaultBackoff, margin: DefaultSafetyMargin,
		maxWait: DefaultMaxWait, now: time.Now, sleep: notify.Sleep, log: slog.Default(),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Envelope says who sends and who receives.
type Envelope struct {
	// From is a verified SES identity; empty means the Sender's default.
	From string
	To   []string
	Cc   []string
}

// Send sends msg and returns the SES message ID.
func (s *Sender) Send(ctx context.Context, env Envelope, msg render.EmailMessage) (string, error) {
	from := env.From
	if from == "" {
		from = s.from
	}
	op := "ses SendEmail to " + strings.Join(env.To, ",")
	if from == "" || len(env.To)+len(env.Cc) == 0 {
		return "", notify.Permanent(op, errors.New("no sender or no recipient configured"))
	}
	utf8 := aws.String("UTF-8")
	in := &ses.SendEmailInput{
		Source:      aws.String(from),
		Destination: &types.Destination{ToAddresses: env.To, CcAddresses: env.Cc},
		Message: &types.Message{
			// The renderer already made the subject one line; SES encodes non-ASCII text.
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: utf8},
			Body: &types.Body{
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: utf8},
				Text: &types.Content{Data: aws.String(msg.Text), Charset: utf8},
			},
		},
	}
	noSDKRetry := func(o *ses.Options) { o.Retryer = aws.NopRetryer{} }
	wait := s.backoff
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		out, err := s.api.SendEmail(ctx, in, noSDKRetry)
		if err == nil {
			return aws.ToString(out.MessageId), nil
		}
		if !throttled(err) {
			return "", classify(op, err)
		}
		if attempt >= s.attempts {
			return "", notify.Retryable(op, fmt.Errorf("throttled %d times: %w", attempt, err))
		}
		if !notify.Fits(ctx, s.now(), wait, s.margin, s.maxWait-waited) {
			return "", notify.Retryable(op, fmt.Errorf("throttled, backoff %s does not fit before the deadline: %w", wait, err))
		}
		s.log.InfoContext(ctx, "ses throttled; backing off", "op", op, "attempt", attempt, "wait", wait.String())
		if serr := s.sleep(ctx, wait); serr != nil {
			return "", notify.Retryable(op, fmt.Errorf("throttled, backoff interrupted: %w", err))
		}
		waited += wait
		wait *= 2
	}
}

// throttled reports whether SES refused the message for its sending rate — not for the daily
// quota, which no wait within a call can fix.
func throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled":
		return !strings.Contains(strings.ToLower(ae.ErrorMessage()), "daily")
	}
	return false
}

// permanentCodes are SES error codes no retry fixes: the message or the sender is refused, or
// the configuration or credentials are wrong.
var permanentCodes = map[string]bool{
	"MessageRejected": true, "MailFromDomainNotVerifiedException": true,
	"FromEmailAddressNotVerifiedException": true, "ConfigurationSetDoesNotExist": true,
	"ConfigurationSetSendingPausedException": true, "AccountSendingPausedException": true,
	"InvalidParameterValue": true, "InvalidParameterCombination": true, "ValidationError": true,
	"MissingParameter": true, "AccessDenied": true, "AccessDeniedException": true,
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "UnrecognizedClientException": true,
	"MissingAuthenticationToken": true, "OptInRequired": true, "NotAuthorized": true,
}

func classify(op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case permanentCodes[code]:
			return notify.Permanent(op, err)
		case code == "Throttling" || code == "ThrottlingException":
			return notify.Retryable(op, err) // the daily quota: later, not now
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			switch status := re.HTTPStatusCode(); {
			case status >= 500:
				return notify.RetryableMaybeSent(op, err)
			case status >= 400:
				return notify.Permanent(op, err)
			}
		}
		if ae.ErrorFault() == smithy.FaultClient {
			return notify.Permanent(op, err)
		}
		return notify.RetryableMaybeSent(op, err)
	}
	if notify.IsTimeout(err) {
		return notify.RetryableMaybeSent(op, err)
	}
	return notify.RetryableMaybeSent(op, err)
}
