package main_test

import (
	"encoding/json"
	"fmt"
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

func buildBootstrap(tb testing.TB) (bin, root string) {
	tb.Helper()
	return lambdatest.BuildBootstrap(tb, ".", filepath.Join(testenv.ModuleRoot(tb), "config", "ssmnotify.yaml"))
}

// TestBootstrapUnderRuntimeAPI runs the real digest binary the way Lambda does, with every local
// part: dynalite, aws-ses-v2-local, the local Slack server and a Secrets Manager stand-in, and
// the shipped config (digest to #ops-alerts and platform-email, 24 hours, 08:00 London).
func TestBootstrapUnderRuntimeAPI(t *testing.T) {
	bin, root := buildBootstrap(t)
	ddb := dynamotest.Start(t)
	table := ddb.NewTable(t)
	ses := testenv.SESLocal(t)
	slack := slacktest.NewServer(t)
	sm := testenv.SecretsManager(t, `{"bot_token":"`+slack.Token+`"}`)

	// Failures in the windows of two scheduled days. The function reads the wall clock to tell
	// expired items, so they are written with now = the wall clock (their TTL runs from it).
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
	store := dynamo.New(ddb.Client, table)
	for day := range 2 {
		for i := range 5 {
			at := ev.Time.Add(time.Duration(day)*24*time.Hour - time.Duration(i+1)*time.Hour)
			n := statetest.Invocation(fmt.Sprintf("cmd-%d-%d", day, i/2), fmt.Sprintf("i-%d", i), payload.StatusFailed, at)
			if _, err := store.Observe(t.Context(), n, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	nextDay := []byte(strings.Replace(string(raw), ev.Time.Format(time.RFC3339), ev.Time.Add(24*time.Hour).Format(time.RFC3339), 1))

	rt := lambdatest.NewRuntime(t)
	proc := rt.Start(t, bin, root,
		appenv.TableName+"="+table,
		appenv.DynamoDBEndpoint+"="+ddb.Server.URL,
		appenv.SESEndpoint+"="+ses.URL,
		appenv.SlackAPIURL+"="+slack.APIURL,
		appenv.SlackSecretARN+"=arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	)
	invoke := func(event []byte) lambdatest.Result {
		t.Helper()
		res, err := rt.Invoke(t.Context(), event, 20*time.Second)
		if err != nil {
			t.Fatalf("%v\nfunction output:\n%s", err, proc.Output())
		}
		return res
	}

	t.Run("scheduled event: one digest to Slack and email, once", func(t *testing.T) {
		for i := range 2 {
			res := invoke(raw)
			if res.Error != nil {
				t.Fatalf("invoke %d: error %+v\n%s", i, res.Error, proc.Output())
			}
			if i == 0 && !strings.Contains(string(res.Response), `"failures":5`) {
				t.Errorf("response %s: want 5 failures", res.Response)
			}
		}
		msgs := slack.Messages("#ops-alerts")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "3 failed commands, 5 failed instances") {
			t.Errorf("Slack has %d messages (%+v), want one digest of 3 failed commands, 5 failed instances", len(msgs), msgs)
		}
		emails := testenv.ReadSES(t, ses.URL).Emails
		if len(emails) != 1 || !strings.Contains(emails[0].Subject, "Run Command digest") {
			t.Errorf("SES has %+v, want one digest", emails)
		}
	})

	t.Run("transient Slack failure: error response, then the retry sends Slack only", func(t *testing.T) {
		slack.Inject(slacktest.MethodPostMessage, 1, slacktest.ServerError())
		res := invoke(nextDay)
		if res.Error == nil || !strings.Contains(res.Error.ErrorMessage, "ops-slack") {
			t.Fatalf("want an error response naming the Slack destination, got %+v", res)
		}
		if strings.Contains(res.Error.ErrorMessage, slack.Token) {
			t.Error("the error response carries the Slack token")
		}
		emails := len(testenv.ReadSES(t, ses.URL).Emails)
		if res := invoke(nextDay); res.Error != nil {
			t.Fatalf("retry: %+v", res.Error)
		}
		if n := len(slack.Messages("#ops-alerts")); n != 2 {
			t.Errorf("Slack has %d messages, want 2", n)
		}
		if n := len(testenv.ReadSES(t, ses.URL).Emails); n != emails || n != 2 {
			t.Errorf("emails %d → %d, want 2 and no resend", emails, n)
		}
	})

	t.Run("logs are JSON with the request ID; no secret", func(t *testing.T) {
		out := proc.Output()
		if strings.Contains(out, slack.Token) {
			t.Error("the Slack token reached the log")
		}
		lines := 0
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, `"msg":"digest"`) && !strings.Contains(line, `"message":"digest"`) {
				continue
			}
			lines++
			if !strings.Contains(line, `"requestId":"`) || !strings.Contains(line, `"destination":"`) || !strings.Contains(line, `"outcome":"`) {
				t.Errorf("digest line without request ID, destination or outcome: %s", line)
			}
		}
		if lines == 0 {
			t.Errorf("no digest lines in the log:\n%s", out)
		}
		if !strings.Contains(out, `"CloudWatchMetrics"`) {
			t.Error("no EMF metrics in the log")
		}
	})
	t.Logf("cold start (process start to first /next): %s", rt.FirstNext().Sub(proc.Started))
}

func TestBootstrapInitErrorWithoutDigestBlock(t *testing.T) {
	bin, root := buildBootstrap(t)
	cfg := filepath.Join(t.TempDir(), "no-digest.yaml")
	if err := os.WriteFile(cfg, []byte("destinations:\n  - name: a\n    slack:\n      channel: \"#a\"\nroutes:\n  - name: r\n    to: [a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := lambdatest.NewRuntime(t)
	proc := rt.Start(t, bin, root, appenv.ConfigPath+"="+cfg, appenv.TableName+"=t")
	e, err := rt.WaitInitError(t.Context())
	if err != nil {
		t.Fatalf("%v\n%s", err, proc.Output())
	}
	if e.ErrorType != "ConfigError" || !strings.Contains(e.ErrorMessage, "no digest block") {
		t.Errorf("init error %+v: want the missing digest block", e)
	}
	select {
	case <-proc.Exited:
	case <-time.After(10 * time.Second):
		t.Error("the function kept running after its init failed")
	}
}
