package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/lambdatest"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

func buildBootstrap(tb testing.TB) (bin, root string) {
	tb.Helper()
	return lambdatest.BuildBootstrap(tb, ".", filepath.Join(testenv.ModuleRoot(tb), "config", "ssmnotify.yaml"))
}

// TestBootstrapUnderRuntimeAPI runs the real router binary the way Lambda does, with every local
// part: dynalite, aws-ses-v2-local, the local Slack server and a Secrets Manager stand-in.
func TestBootstrapUnderRuntimeAPI(t *testing.T) {
	bin, root := buildBootstrap(t)
	ddb := dynamotest.Start(t)
	table := ddb.NewTable(t)
	ses := testenv.SESLocal(t)
	slack := slacktest.NewServer(t)
	sm := testenv.SecretsManager(t, `{"bot_token":"`+slack.Token+`"}`)
	// The shipped config enriches failures: a local SSM with the failed patch run's answer.
	ssmSrv := ssmtest.New(t)
	patch := ssmtest.RecordedListed(t, "patch-linux-failed")
	patch.CommandId, patch.InstanceId = "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", "i-0ddd3333eeee4444f"
	ssmSrv.AddListed(patch)

	rt := lambdatest.NewRuntime(t)
	proc := rt.Start(t, bin, root,
		appenv.TableName+"="+table,
		appenv.DynamoDBEndpoint+"="+ddb.Server.URL,
		appenv.SESEndpoint+"="+ses.URL,
		appenv.SlackAPIURL+"="+slack.APIURL,
		appenv.SlackSecretARN+"=arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm,
		"AWS_ENDPOINT_URL_SSM="+ssmSrv.URL(),
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	)
	invoke := func(event string) lambdatest.Result {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", event))
		if err != nil {
			t.Fatal(err)
		}
		res, err := rt.Invoke(t.Context(), raw, 10*time.Second)
		if err != nil {
			t.Fatalf("%v\nfunction output:\n%s", err, proc.Output())
		}
		return res
	}

	t.Run("good event: Slack and email, once", func(t *testing.T) {
		res := invoke("sns-invocation-failed.json")
		if res.Error != nil {
			t.Fatalf("error %+v\n%s", res.Error, proc.Output())
		}
		if n := len(slack.Messages("#ops-alerts")); n != 1 {
			t.Errorf("Slack has %d messages, want 1", n)
		}
		if n := len(testenv.ReadSES(t, ses.URL).Emails); n != 1 {
			t.Errorf("SES has %d emails, want 1", n)
		}
		// Enrichment is on by default: the deployed wiring asks the local SSM for the failed step.
		if msgs := slack.Messages("#ops-alerts"); len(msgs) == 1 && !strings.Contains(string(msgs[0].Attachments), "in step PatchLinux") {
			t.Errorf("the Slack message lacks the failed step:\n%s", msgs[0].Attachments)
		}
		// The same event again (SNS redelivery): nothing new is sent.
		if res := invoke("sns-invocation-failed.json"); res.Error != nil {
			t.Fatalf("redelivery: %+v", res.Error)
		}
		if len(slack.Messages("#ops-alerts")) != 1 || len(testenv.ReadSES(t, ses.URL).Emails) != 1 {
			t.Error("a redelivery was sent again")
		}
	})

	t.Run("transient Slack failure: error response, then the retry sends Slack only", func(t *testing.T) {
		slack.Inject("chat.postMessage", 1, slacktest.ServerError())
		res := invoke("sns-command-failed.json")
		if res.Error == nil || !strings.Contains(res.Error.ErrorMessage, "ops-slack") {
			t.Fatalf("want an error response naming the Slack delivery, got %+v", res)
		}
		if strings.Contains(res.Error.ErrorMessage, slack.Token) {
			t.Error("the error response carries the Slack token")
		}
		emails := len(testenv.ReadSES(t, ses.URL).Emails)
		if res := invoke("sns-command-failed.json"); res.Error != nil {
			t.Fatalf("retry: %+v", res.Error)
		}
		if n := len(slack.Messages("#ops-alerts")); n != 2 {
			t.Errorf("Slack has %d messages, want 2", n)
		}
		if n := len(testenv.ReadSES(t, ses.URL).Emails); n != emails {
			t.Errorf("the retry resent the email (%d → %d)", emails, n)
		}
	})

	t.Run("logs are JSON with the request ID; no secret", func(t *testing.T) {
		out := proc.Output()
		if strings.Contains(out, slack.Token) {
			t.Error("the Slack token reached the log")
		}
		var decisions int
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, `"message":"notification"`) {
				continue
			}
			decisions++
			if !strings.Contains(line, `"requestId":"`) || !strings.Contains(line, `"command_id":"`) {
				t.Errorf("decision line without request or command ID: %s", line)
			}
		}
		if decisions == 0 {
			t.Errorf("no decision lines in the log:\n%s", out)
		}
		if !strings.Contains(out, `"CloudWatchMetrics"`) {
			t.Error("no EMF metrics in the log")
		}
	})

	t.Logf("cold start (process start to first /next): %s", rt.FirstNext().Sub(proc.Started))
}

func TestBootstrapInitErrorOnBadConfig(t *testing.T) {
	bin, root := buildBootstrap(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("routes:\n  - name: x\n    continu: true\n    to: [nowhere]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := lambdatest.NewRuntime(t)
	proc := rt.Start(t, bin, root, appenv.ConfigPath+"="+bad, appenv.TableName+"=t")
	e, err := rt.WaitInitError(t.Context())
	if err != nil {
		t.Fatalf("%v\n%s", err, proc.Output())
	}
	if e.ErrorType != "ConfigError" || !strings.Contains(e.ErrorMessage, "bad.yaml:3") || !strings.Contains(e.ErrorMessage, "continu") {
		t.Errorf("init error %+v: want the config's problem with its line", e)
	}
	select {
	case <-proc.Exited:
	case <-time.After(10 * time.Second):
		t.Error("the function kept running after its init failed")
	}
}
