package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/lambdatest"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// lambdaError is the document Lambda (and the emulator) answers when a function fails.
type lambdaError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// TestBootstrapUnderRIE runs the real router binary under the AWS Lambda Runtime Interface
// Emulator (the tool go.mod pins) and invokes it through the emulator's HTTP endpoint, as
// `sam local invoke` does inside its container: a good event, then a bad one.
func TestBootstrapUnderRIE(t *testing.T) {
	bin, root := buildBootstrap(t)
	ddb := dynamotest.Start(t)
	table := ddb.NewTable(t)
	ses := testenv.SESLocal(t)
	slack := slacktest.NewServer(t)
	sm := testenv.SecretsManager(t, `{"bot_token":"`+slack.Token+`"}`)
	rie := lambdatest.StartRIE(t, bin, root,
		appenv.TableName+"="+table,
		appenv.DynamoDBEndpoint+"="+ddb.Server.URL,
		appenv.SESEndpoint+"="+ses.URL,
		appenv.SlackAPIURL+"="+slack.APIURL,
		appenv.SlackSecretARN+"=arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
	)
	invoke := func(t *testing.T, event string) (int, []byte) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", event))
		if err != nil {
			t.Fatal(err)
		}
		status, body, err := rie.Invoke(t.Context(), raw)
		if err != nil {
			t.Fatalf("%v\n%s", err, rie.Output())
		}
		return status, body
	}

	t.Run("good event", func(t *testing.T) {
		status, body := invoke(t, "sns-invocation-failed.json")
		var e lambdaError
		_ = json.Unmarshal(body, &e)
		if status != http.StatusOK || e.ErrorType != "" {
			t.Fatalf("status %d, body %s\n%s", status, body, rie.Output())
		}
		if n := len(slack.Messages("#ops-alerts")); n != 1 {
			t.Errorf("Slack has %d messages, want 1", n)
		}
		if n := len(testenv.ReadSES(t, ses.URL).Emails); n != 1 {
			t.Errorf("SES has %d emails, want 1", n)
		}
	})

	t.Run("bad event", func(t *testing.T) {
		// The digest's schedule sent to the router: bad input, to be parked with its reason.
		// This function has no dead-letter queue, so parking fails and the invocation fails
		// (Lambda's retries and on-failure destination keep the event): never silently dropped.
		status, body := invoke(t, "bad/scheduled-event-to-router.json")
		var e lambdaError
		if err := json.Unmarshal(body, &e); err != nil || e.ErrorType == "" || !strings.Contains(e.ErrorMessage, appenv.DeadLetterQueueURL) {
			t.Errorf("status %d, body %s: want an error response that says the record could not be parked", status, body)
		}
		if n := len(slack.Messages("#ops-alerts")); n != 1 {
			t.Errorf("a bad event sent something to Slack (%d messages)", n)
		}
	})
}

// TestBootstrapInitErrorUnderRIE: a bad config fails the init, and the emulator answers the
// invocation with the init error, naming the config's file and line.
func TestBootstrapInitErrorUnderRIE(t *testing.T) {
	bin, root := buildBootstrap(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("routes:\n  - name: x\n    continu: true\n    to: [nowhere]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rie := lambdatest.StartRIE(t, bin, root, appenv.ConfigPath+"="+bad, appenv.TableName+"=t")
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "sns-invocation-failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := rie.Invoke(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var e lambdaError
	if err := json.Unmarshal(body, &e); err != nil || status != http.StatusBadGateway || e.ErrorType != "ConfigError" || !strings.Contains(e.ErrorMessage, "bad.yaml:3") {
		t.Errorf("status %d, body %s: want the init error\n%s", status, body, rie.Output())
	}
}
