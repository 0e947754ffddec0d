package deliver_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

// secretsOf hands out fixed Slack credentials.
type secretsOf struct{ s slack.Secret }

func (f secretsOf) Get(context.Context) (slack.Secret, error) { return f.s, nil }

// TestLiveEnrichesFailures is the wiring of issue 10 end to end: a route that asks for
// enrichment gets the invocation's detail — looked up with the real SSM client against the local
// SSM server — in the Slack message it sends.
func TestLiveEnrichesFailures(t *testing.T) {
	raw, err := os.ReadFile("../../events/sns-invocation-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	ns := payload.Decode(raw).Notifications()
	n := ns[0]
	set, err := rules.Parse([]byte(`
destinations:
  - name: ops
    slack: {channel: "#ops", mode: webhook}
defaults:
  enrich: true
routes:
  - name: all
    to: [ops]
`), "enrich.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := slacktest.NewServer(t)
	ssmSrv := ssmtest.New(t)
	inv := ssmtest.Recorded(t, "failed")
	inv.CommandId, inv.InstanceId = n.CommandID, n.InstanceID
	inv.StandardErrorContent = "E: <!channel> disk full on /var\n"
	ssmSrv.AddInvocation(inv)

	live := &deliver.Live{
		Slack: &slack.Clients{
			Secrets: secretsOf{slack.Secret{Webhooks: map[string]string{"ops": srv.WebhookURL("ops")}}},
			Options: []slack.Option{slack.WithAPIURL(srv.APIURL)},
		},
		Enricher: &enrich.Enricher{SSM: ssmSrv.SSM(), Region: n.Region},
	}
	d := set.Decide(&n, n.EventTime)
	if len(d.Deliveries) != 1 {
		t.Fatalf("decision %+v", d)
	}
	if err := live.Deliver(t.Context(), d.Deliveries[0], &n); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages("ops")
	if len(msgs) != 1 {
		t.Fatalf("%d webhook messages", len(msgs))
	}
	body := msgs[0].Text + string(msgs[0].Blocks) + string(msgs[0].Attachments)
	if ssmSrv.Calls("GetCommandInvocation") != 1 {
		t.Errorf("GetCommandInvocation calls: %d", ssmSrv.Calls("GetCommandInvocation"))
	}
	if !strings.Contains(body, "disk full") || strings.Contains(body, "<!channel>") || strings.Contains(body, `\u003c!channel\u003e`) {
		t.Errorf("the alert lacks the escaped stderr tail:\n%s", body)
	}
}
