package router_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

const enrichedEmailConfig = `
destinations:
  - name: team-email
    email: {to: team@example.com, from: ssmnotify@example.com}
routes:
  - name: failures
    notify_on: [AnyFailure]
    to: [team-email]
    enrich: true
`

// Issue #16: the one email of a command's outcome says why it failed, with the same facts as
// its Slack message, looked up through the real SDK client against the local SSM server: the
// most common reason, and per failed instance the step, detailed status, exit code and last
// stderr line, hostile output escaped in the HTML.
func TestCommandEmailSaysWhy(t *testing.T) {
	l := dynamotest.Start(t)
	store, _ := l.NewStore(t)
	sesSrv := testenv.SESLocal(t)
	sender := email.New(ses.New(ses.Options{Region: "us-east-1", BaseEndpoint: aws.String(sesSrv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: &http.Client{Timeout: 10 * time.Second}}))
	ssmSrv := ssmtest.New(t)

	cmd := "a16a16a1-1111-4222-8333-944455556666"
	ids := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"}
	for i, id := range ids {
		inv := ssmtest.RecordedListed(t, "patch-linux-failed")
		inv.CommandId, inv.InstanceId = cmd, id
		if i == 2 {
			// Hostile output: markup that must stay text in the HTML body.
			for p := range inv.CommandPlugins {
				if inv.CommandPlugins[p].Name == "PatchLinux" {
					inv.CommandPlugins[p].Output = "\n----------ERROR-------\nE: <script>alert(1)</script><a href=\"https://evil.example\">x</a> & disk full\n"
				}
			}
		}
		ssmSrv.AddListed(inv)
	}

	f := newFleetWith(t, store, 1, enrichedEmailConfig)
	set, err := rules.Parse([]byte(enrichedEmailConfig), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	detail := thread.EnrichedDetail(&enrich.Enricher{SSM: ssmSrv.SSM(), Region: ssmtest.Region}, set)
	for i, h := range f.handlers {
		h.Deliver = &sesDeliverer{sender: sender}
		h.Emails = &thread.Emails{Store: store, Schedule: f.sched, Now: f.clk.now, Token: fmt.Sprintf("env-%d", i), Detail: detail,
			Send: func(ctx context.Context, dest *rules.Destination, msg render.EmailMessage) error {
				_, err := sender.Send(ctx, email.Envelope{From: dest.Email.From, To: dest.Email.To}, msg)
				return err
			}}
	}
	var bodies []string
	for i, id := range ids {
		bodies = append(bodies, snsEnvelope(id, invocation(cmd, "AWS-RunPatchBaseline", id, "Failed", time.Duration(i+1)*time.Second)))
	}
	bodies = append(bodies, snsEnvelope("summary", summary(cmd, "AWS-RunPatchBaseline", "Failed", time.Minute, "", ids...)))
	f.run(sqsBatches(bodies, 10), time.Second)

	var sent []testenv.SESEmail
	for _, e := range testenv.ReadSES(t, sesSrv.URL).Emails {
		if strings.Contains(e.To, "team@example.com") {
			sent = append(sent, e)
		}
	}
	if len(sent) == 0 {
		t.Fatal("no email to team-email")
	}
	last := sent[len(sent)-1]
	if last.Text == "" || last.HTML == "" {
		t.Fatalf("the local SES store read no bodies: %+v", last)
	}
	for body, text := range map[string]string{"text": last.Text, "html": last.HTML} {
		for _, want := range []string{
			"2 of 3: exit 100 in PatchLinux — E: Unable to locate package",
			"Failed, exit code 100, in step PatchLinux (skipped: PatchWindows, PatchMacOS) — E: Unable to locate package",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s body lacks %q:\n%s", body, want, text)
			}
		}
	}
	if !strings.Contains(last.Text, "E: <script>alert(1)</script>") {
		t.Errorf("the text body lacks the hostile instance's stderr line:\n%s", last.Text)
	}
	for _, bad := range []string{"<script", `<a href="https://evil.example"`} {
		if strings.Contains(last.HTML, bad) {
			t.Errorf("the HTML body carries %q unescaped:\n%s", bad, last.HTML)
		}
	}
	if !strings.Contains(last.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the HTML body lacks the escaped stderr line:\n%s", last.HTML)
	}
	if n := ssmSrv.Calls(ssmtest.ListCommandInvocations); n == 0 || n > len(sent)*3 {
		t.Errorf("%d ListCommandInvocations calls for %d emails", n, len(sent))
	}
}
