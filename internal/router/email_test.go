package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

const emailConfig = `
destinations:
  - name: fleet
    slack:
      channel: "#fleet"
      mentions: {Failed: "<!here>"}
  - name: team-email
    email: {to: team@example.com, from: ssmnotify@example.com, subject_prefix: "[ssm]"}
  - name: raw-email
    email: {to: raw@example.com, from: ssmnotify@example.com, group: none}
routes:
  - name: failures
    notify_on: [AnyFailure]
    to: [fleet, team-email, raw-email]
`

// emailFleet is a fleet whose handlers also send one email per command outcome through a local
// SES.
func emailFleet(t *testing.T) (*fleet, string) {
	t.Helper()
	l := dynamotest.Start(t)
	store, _ := l.NewStore(t)
	sesSrv := testenv.SESLocal(t)
	sender := email.New(ses.New(ses.Options{Region: "us-east-1", BaseEndpoint: aws.String(sesSrv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: &http.Client{Timeout: 10 * time.Second}}))
	f := newFleetWith(t, store, 2, emailConfig)
	for i, h := range f.handlers {
		h.Deliver = &sesDeliverer{sender: sender}
		h.Emails = &thread.Emails{Store: store, Schedule: f.sched, Now: f.clk.now, Token: fmt.Sprintf("env-%d", i),
			Send: func(ctx context.Context, dest *rules.Destination, msg render.EmailMessage) error {
				_, err := sender.Send(ctx, email.Envelope{From: dest.Email.From, To: dest.Email.To}, msg)
				return err
			}}
	}
	return f, sesSrv.URL
}

// sesDeliverer sends per-notification emails (group: none) through SES.
type sesDeliverer struct{ sender *email.Sender }

func (d *sesDeliverer) Deliver(ctx context.Context, dl rules.Delivery, n *payload.Notification) error {
	if dl.Destination.Email == nil {
		return nil
	}
	msg, err := render.Email(n, render.Options{SubjectPrefix: dl.Destination.Email.SubjectPrefix})
	if err != nil {
		return err
	}
	_, err = d.sender.Send(ctx, email.Envelope{From: dl.Destination.Email.From, To: dl.Destination.Email.To}, msg)
	return err
}

// sesEmail is one message aws-ses-v2-local keeps.
type sesEmail struct {
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
	} `json:"body"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
}

// sesSent returns the emails the local SES holds for the address to, in sending order.
func sesSent(t *testing.T, url, to string) []sesEmail {
	t.Helper()
	resp, err := http.Get(url + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []sesEmail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []sesEmail
	for _, e := range store.Emails {
		if slices.Contains(e.Destination.To, to) {
			out = append(out, e)
		}
	}
	return out
}

func emailsTo(t *testing.T, url, to string) []string {
	t.Helper()
	var subjects []string
	for _, e := range sesSent(t, url, to) {
		subjects = append(subjects, e.Subject)
	}
	return subjects
}

// Finding 8: 60 failed instances and their summary are one email listing the 60 (not 61) to a
// destination that groups by command (the default), and one per notification with group: none.
// A redelivery of everything sends nothing more.
func TestOneEmailPerCommandOutcome(t *testing.T) {
	f, sesURL := emailFleet(t)
	cmd := "e8e8e8e8-1111-4222-8333-944455556666"
	bodies, failedIDs := fleetCommand(cmd, 60, 60, 0, rand.New(rand.NewPCG(8, 8)))
	bodies = append(bodies, snsEnvelope("summary", summary(cmd, "AWS-RunPatchBaseline", "Failed", 2*time.Minute, "", failedIDs...)))
	f.run(sqsBatches(bodies, 10), time.Second)
	team := emailsTo(t, sesURL, "team@example.com")
	if len(team) < 1 || len(team) > 3 {
		t.Errorf("%d emails to team-email, want 1 to 3: %q", len(team), team)
	}
	if raw := emailsTo(t, sesURL, "raw@example.com"); len(raw) != 61 {
		t.Errorf("%d emails to raw-email (group: none), want 61", len(raw))
	}
	var body string
	if sent := sesSent(t, sesURL, "team@example.com"); len(sent) > 0 {
		body = sent[len(sent)-1].Body.Text
	}
	for _, id := range failedIDs {
		if !strings.Contains(body, id) {
			t.Errorf("the last email to team-email does not list %s", id)
			break
		}
	}
	if !strings.Contains(body, "Failed on 60 of 60") {
		t.Errorf("last email:\n%s", body)
	}
	f.run(sqsBatches(bodies, 10), time.Second) // redelivered
	if again := emailsTo(t, sesURL, "team@example.com"); len(again) != len(team) {
		t.Errorf("a redelivery sent %d more emails", len(again)-len(team))
	}
}

// Finding 8: when only invocation notifications are subscribed, the email goes out once they
// stop changing for the quiet period; a later change sends a follow-up, never a duplicate.
func TestEmailAfterQuietPeriodThenFollowUp(t *testing.T) {
	f, sesURL := emailFleet(t)
	cmd := "f8f8f8f8-1111-4222-8333-944455556666"
	inv := func(inst, status string, at time.Duration) string {
		return snsEnvelope(inst+status, invocation(cmd, "AWS-RunShellScript", inst, status, at))
	}
	f.run(sqsBatches([]string{inv("i-0aaaaaaaaaaaaaaa1", "Failed", time.Second), inv("i-0aaaaaaaaaaaaaaa2", "TimedOut", 2*time.Second)}, 1), time.Second)
	first := emailsTo(t, sesURL, "team@example.com")
	if len(first) != 1 || !strings.Contains(first[0], "[ssm]") || strings.Contains(first[0], "update") {
		t.Fatalf("after the quiet period: %q, want one email", first)
	}
	// The clock passed the quiet period while the render queue drained; a third instance fails.
	f.clk.advance(10 * time.Minute)
	f.run(sqsBatches([]string{inv("i-0aaaaaaaaaaaaaaa3", "Failed", 10*time.Minute)}, 1), time.Second)
	f.run(sqsBatches([]string{inv("i-0aaaaaaaaaaaaaaa3", "Failed", 10*time.Minute)}, 1), time.Second) // redelivered
	all := emailsTo(t, sesURL, "team@example.com")
	if len(all) != 2 || !strings.HasSuffix(all[1], "— update") {
		t.Errorf("emails %q: want the first and one follow-up", all)
	}
}
