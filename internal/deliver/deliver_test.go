package deliver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

// message is a fixed Message, as a digest or an alert would render.
type message struct {
	text     string
	emailErr error
}

func (m message) Name() []string { return []string{"test"} }
func (m message) Slack() render.SlackMessage {
	return render.SlackMessage{Text: m.text}
}
func (m message) Email() (render.EmailMessage, error) {
	return render.EmailMessage{Subject: m.text, HTML: "<p>" + m.text + "</p>", Text: m.text}, m.emailErr
}

// TestSendClassifies runs the one delivery path against the local Slack: a message reaches the
// bot channel or the webhook its destination names, and every failure comes back with the one
// classification — permanent when retrying cannot help, retryable when it can.
func TestSendClassifies(t *testing.T) {
	srv := slacktest.NewServer(t)
	live := &deliver.Live{Slack: &slack.Clients{
		Secrets: secretsOf{slack.Secret{BotToken: srv.Token, Webhooks: map[string]string{"hook": srv.WebhookURL("hook")}}},
		Options: []slack.Option{slack.WithAPIURL(srv.APIURL)},
	}}
	bot := &rules.Destination{Name: "bot", Type: rules.DestinationSlack, Slack: &rules.SlackDestination{Channel: "#ops"}}
	hook := &rules.Destination{Name: "hook", Type: rules.DestinationSlack, Slack: &rules.SlackDestination{Mode: rules.SlackWebhook}}
	mail := &rules.Destination{Name: "mail", Type: rules.DestinationEmail, Email: &rules.EmailDestination{From: "a@example.com", To: []string{"b@example.com"}}}
	none := &rules.Destination{Name: "pager", Type: "pager"}

	if err := deliver.Send(t.Context(), live, bot, message{text: "to the bot"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver.Send(t.Context(), live, hook, message{text: "to the webhook"}); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages("#ops"); len(m) != 1 || m[0].Text != "to the bot" {
		t.Errorf("#ops holds %+v", m)
	}
	if m := srv.Messages("hook"); len(m) != 1 || m[0].Text != "to the webhook" {
		t.Errorf("the webhook got %+v", m)
	}

	srv.Inject(slacktest.MethodPostMessage, 1, slacktest.ServerError())
	for _, c := range []struct {
		name string
		dest *rules.Destination
		m    deliver.Message
		want notify.Class
		says string
	}{
		{"Slack answers 500", bot, message{text: "x"}, notify.ClassRetryable, "chat.postMessage"},
		{"no SES sender", mail, message{text: "x"}, notify.ClassPermanent, "no SES sender configured"},
		{"the email cannot be rendered", mail, message{text: "x", emailErr: errors.New("boom")}, notify.ClassPermanent, "render email for mail"},
		{"no transport for the type", none, message{text: "x"}, notify.ClassPermanent, `destination type "pager" has no transport`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := deliver.Send(t.Context(), live, c.dest, c.m)
			if notify.ClassOf(err) != c.want || !strings.Contains(fmtErr(err), c.says) {
				t.Errorf("error %v (%s), want %s saying %q", err, notify.ClassOf(err), c.want, c.says)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
