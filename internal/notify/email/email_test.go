package email_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

func sesClient(endpoint string, timeout time.Duration) *ses.Client {
	return ses.New(ses.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   &http.Client{Timeout: timeout},
	})
}

func rendered(t *testing.T) render.EmailMessage {
	t.Helper()
	req := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	n := &payload.Notification{Kind: payload.KindCommand, CommandID: "1a2b3c4d-1111-4a2b-9c3d-0123456789ab",
		DocumentName: "AWS-RunPatchBaseline <ünïcødé>", InstanceIDs: []string{"i-1", "i-2", "i-3"}, Status: payload.StatusFailed,
		Region: "us-east-1", Account: "123456789012", RequestedDateTime: req, EventTime: req.Add(3 * time.Minute)}
	m, err := render.Email(n, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSendToSESLocal sends through the real SDK to aws-ses-v2-local and reads the message back.
func TestSendToSESLocal(t *testing.T) {
	srv := testenv.SESLocal(t)
	s := email.New(sesClient(srv.URL, 10*time.Second), email.WithFrom("ssmnotify@example.com"))
	msg := rendered(t)
	id, err := s.Send(t.Context(), email.Envelope{To: []string{"oncall@example.com"}, Cc: []string{"team@example.com"}}, msg)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Error("no message ID")
	}
	resp, err := http.Get(srv.URL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			From    string `json:"from"`
			Subject string `json:"subject"`
			Body    struct {
				Text string `json:"text"`
				HTML string `json:"html"`
			} `json:"body"`
			Destination struct {
				To []string `json:"to"`
				Cc []string `json:"cc"`
			} `json:"destination"`
		} `json:"emails"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &store); err != nil {
		t.Fatalf("store: %v\n%s", err, raw)
	}
	if len(store.Emails) != 1 {
		t.Fatalf("%d emails in the store, want 1:\n%s", len(store.Emails), raw)
	}
	got := store.Emails[0]
	if got.Subject != msg.Subject {
		t.Errorf("subject %q, want %q", got.Subject, msg.Subject)
	}
	if got.Body.Text != msg.Text {
		t.Errorf("text differs:\n%s\nwant\n%s", got.Body.Text, msg.Text)
	}
	if got.Body.HTML != msg.HTML {
		t.Errorf("html differs:\n%s", got.Body.HTML)
	}
	if got.From != "ssmnotify@example.com" || fmt.Sprint(got.Destination.To) != "[oncall@example.com]" || fmt.Sprint(got.Destination.Cc) != "[team@example.com]" {
		t.Errorf("from %q to %v cc %v", got.From, got.Destination.To, got.Destination.Cc)
	}
}

// sesFake speaks the SES query protocol: it answers the queued responses in order, then success.
type sesFake struct {
	mu       sync.Mutex
	queue    []func(http.ResponseWriter, *http.Request)
	requests atomic.Int32
}

func sesError(status int, code, message string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>8f2f6a4c-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>`, code, message)
	}
}

func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func (f *sesFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "SendEmail" {
		http.Error(w, "unexpected action "+form.Get("Action"), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var next func(http.ResponseWriter, *http.Request)
	if len(f.queue) > 0 {
		next, f.queue = f.queue[0], f.queue[1:]
	}
	f.mu.Unlock()
	if next != nil {
		next(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <SendEmailResult><MessageId>0100018f-test-message-id</MessageId></SendEmailResult>
  <ResponseMetadata><RequestId>8f2f6a4c-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</SendEmailResponse>`)
}

// TestErrorClasses shows, for each SES failure, the outcome and the number of requests made.
func TestErrorClasses(t *testing.T) {
	throttle := sesError(400, "Throttling", "Maximum sending rate exceeded.")
	tests := []struct {
		name      string
		queue     []func(http.ResponseWriter, *http.Request)
		deadline  time.Duration
		want      string // "sent", "retryable", "permanent"
		maybeSent bool
		requests  int32
		waits     string
	}{
		{name: "ok", want: "sent", requests: 1, waits: "[]"},
		{name: "throttled once: backed off, sent", queue: q(throttle), deadline: 30 * time.Second, want: "sent", requests: 2, waits: "[500ms]"},
		{name: "throttled throughout: bounded backoff, then retryable", queue: q(throttle, throttle, throttle, throttle), deadline: 30 * time.Second, want: "retryable", requests: 3, waits: "[500ms 1s]"},
		{name: "throttled, backoff does not fit: retryable at once", queue: q(throttle), deadline: 2 * time.Second, want: "retryable", requests: 1, waits: "[]"},
		{name: "daily quota: retryable, no backoff", queue: q(sesError(400, "Throttling", "Daily message quota exceeded.")), deadline: 30 * time.Second, want: "retryable", requests: 1, waits: "[]"},
		{name: "MessageRejected: permanent", queue: q(sesError(400, "MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: ssmnotify@example.com")), want: "permanent", requests: 1, waits: "[]"},
		{name: "MailFromDomainNotVerified: permanent", queue: q(sesError(400, "MailFromDomainNotVerifiedException", "mail from domain not verified")), want: "permanent", requests: 1, waits: "[]"},
		{name: "ConfigurationSetDoesNotExist: permanent", queue: q(sesError(400, "ConfigurationSetDoesNotExist", "no such set")), want: "permanent", requests: 1, waits: "[]"},
		{name: "500 InternalFailure: retryable, not resent", queue: q(sesError(500, "InternalFailure", "internal")), want: "retryable", maybeSent: true, requests: 1, waits: "[]"},
		{name: "503 ServiceUnavailable: retryable, not resent", queue: q(sesError(503, "ServiceUnavailable", "unavailable")), want: "retryable", maybeSent: true, requests: 1, waits: "[]"},
		{name: "timeout: retryable, not resent", queue: q(hang), want: "retryable", maybeSent: true, requests: 1, waits: "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &sesFake{queue: tc.queue}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			now := time.Now()
			var waits []time.Duration
			s := email.New(sesClient(srv.URL, 300*time.Millisecond), email.WithFrom("ssmnotify@example.com"),
				email.WithLogger(slog.New(slog.DiscardHandler)),
				email.WithClock(func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
					waits = append(waits, d)
					return nil
				}))
			ctx := t.Context()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, now.Add(tc.deadline))
				defer cancel()
			}
			_, err := s.Send(ctx, email.Envelope{To: []string{"oncall@example.com"}}, rendered(t))
			switch tc.want {
			case "sent":
				if err != nil {
					t.Fatalf("want sent, got %v", err)
				}
			case "retryable":
				if !notify.IsRetryable(err) {
					t.Fatalf("want retryable, got %v", err)
				}
			case "permanent":
				if !notify.IsPermanent(err) {
					t.Fatalf("want permanent, got %v", err)
				}
			}
			var ne *notify.Error
			if got := errors.As(err, &ne) && ne.MaybeSent; got != tc.maybeSent {
				t.Errorf("MaybeSent = %v, want %v", got, tc.maybeSent)
			}
			if got := fake.requests.Load(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if got := fmt.Sprint(waits); got != tc.waits {
				t.Errorf("waits %s, want %s", got, tc.waits)
			}
			t.Logf("outcome: %v; requests: %d; waits: %v", err, fake.requests.Load(), waits)
		})
	}
}

func q(fs ...func(http.ResponseWriter, *http.Request)) []func(http.ResponseWriter, *http.Request) {
	return fs
}

func TestNoRecipient(t *testing.T) {
	s := email.New(sesClient("http://127.0.0.1:1", time.Second))
	_, err := s.Send(t.Context(), email.Envelope{To: []string{"a@example.com"}}, render.EmailMessage{})
	if !notify.IsPermanent(err) {
		t.Errorf("no sender: %v, want permanent", err)
	}
}
