package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/lambdatest"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// lambdaError is the document Lambda (and the emulator) answers when a function fails.
type lambdaError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// TestBootstrapUnderRIE runs the real digest binary under the AWS Lambda Runtime Interface
// Emulator (the tool go.mod pins), invoked through its HTTP endpoint as `sam local invoke` does:
// the schedule's event, then a Run Command notification sent to the digest by mistake.
func TestBootstrapUnderRIE(t *testing.T) {
	bin, root := buildBootstrap(t)
	ddb := dynamotest.Start(t)
	table := ddb.NewTable(t)
	ses := testenv.SESLocal(t)
	slack := slacktest.NewServer(t)
	sm := testenv.SecretsManager(t, `{"bot_token":"`+slack.Token+`"}`)
	// One failure an hour before the scheduled time, in the digest's window. Written with now =
	// the wall clock, which the function reads to tell expired items.
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "scheduled-digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	n := statetest.Invocation("cmd-rie", "i-0rie", payload.StatusFailed, ev.Time.Add(-time.Hour))
	if _, err := dynamo.New(ddb.Client, table).Observe(t.Context(), n, time.Now()); err != nil {
		t.Fatal(err)
	}
	rie := lambdatest.StartRIE(t, bin, root,
		appenv.TableName+"="+table,
		appenv.DynamoDBEndpoint+"="+ddb.Server.URL,
		appenv.SESEndpoint+"="+ses.URL,
		appenv.SlackAPIURL+"="+slack.APIURL,
		appenv.SlackSecretARN+"=arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
	)
	invoke := func(t *testing.T, event string) (int, lambdaError, []byte) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", event))
		if err != nil {
			t.Fatal(err)
		}
		status, body, err := rie.Invoke(t.Context(), raw)
		if err != nil {
			t.Fatalf("%v\n%s", err, rie.Output())
		}
		var e lambdaError
		_ = json.Unmarshal(body, &e)
		return status, e, body
	}

	t.Run("good event", func(t *testing.T) {
		status, e, body := invoke(t, "scheduled-digest.json")
		if status != http.StatusOK || e.ErrorType != "" {
			t.Fatalf("status %d, body %s\n%s", status, body, rie.Output())
		}
		if n := len(slack.Messages("#ops-alerts")); n != 1 {
			t.Errorf("Slack has %d digests, want 1", n)
		}
		if n := len(testenv.ReadSES(t, ses.URL).Emails); n != 1 {
			t.Errorf("SES has %d emails, want 1", n)
		}
	})

	t.Run("bad event", func(t *testing.T) {
		status, e, body := invoke(t, "sns-command-failed.json")
		if status != http.StatusOK || e.ErrorType == "" || e.ErrorMessage == "" {
			t.Errorf("status %d, body %s: want an error response saying this is not the schedule's event", status, body)
		}
		if n := len(slack.Messages("#ops-alerts")); n != 1 {
			t.Errorf("a bad event sent a digest (%d in Slack)", n)
		}
	})
}

// TestBootstrapInitErrorUnderRIE: a config without a digest block fails the init, and the
// emulator answers the invocation with that init error.
func TestBootstrapInitErrorUnderRIE(t *testing.T) {
	bin, root := buildBootstrap(t)
	cfg := filepath.Join(t.TempDir(), "no-digest.yaml")
	if err := os.WriteFile(cfg, []byte("destinations:\n  - name: a\n    slack:\n      channel: \"#a\"\nroutes:\n  - name: r\n    to: [a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rie := lambdatest.StartRIE(t, bin, root, appenv.ConfigPath+"="+cfg, appenv.TableName+"=t")
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "scheduled-digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := rie.Invoke(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var e lambdaError
	if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadGateway || e.ErrorType != "ConfigError" || !strings.Contains(e.ErrorMessage, "no digest block") {
		t.Errorf("status %d, body %s: want the init error\n%s", status, body, rie.Output())
	}
}
