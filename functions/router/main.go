// Command router is the ssmnotify router Lambda function: it receives Run Command notifications
// (SNS, SQS buffer or EventBridge) and delivers them to Slack and email exactly once.
//
// main only reads the environment, loads the AWS config and the routing config once at init,
// builds the adapters and starts the handler; everything else is in internal/router, which the
// CLI and the tests run too. A bad config fails the init with the config's own message.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/lambdainit"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/secrets"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
)

func main() {
	log := lambdacontext.NewLogger()
	ctx := context.Background()

	set, err := rules.Load(configPath())
	if err != nil {
		lambdainit.Fail("ConfigError", err)
	}
	table := os.Getenv(appenv.TableName)
	if table == "" {
		lambdainit.Fail("ConfigError", fmt.Errorf("%s is not set", appenv.TableName))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		lambdainit.Fail("AWSConfigError", err)
	}

	ddb := dynamo.NewClient(awsCfg, os.Getenv(appenv.DynamoDBEndpoint))
	live := &deliver.Live{SlackOptions: []slack.Option{slack.WithLogger(log)}}
	if arn := os.Getenv(appenv.SlackSecretARN); arn != "" {
		live.Secrets = secrets.NewSlackLoader(secretsmanager.NewFromConfig(awsCfg), arn)
	}
	if u := os.Getenv(appenv.SlackAPIURL); u != "" {
		live.SlackOptions = append(live.SlackOptions, slack.WithAPIURL(u))
	}
	live.Email = email.New(ses.NewFromConfig(awsCfg, func(o *ses.Options) {
		if ep := os.Getenv(appenv.SESEndpoint); ep != "" {
			o.BaseEndpoint = &ep
		}
	}), email.WithLogger(log))

	var park router.Parker = &deadletter.Queue{Client: sqs.NewFromConfig(awsCfg), URL: os.Getenv(appenv.DeadLetterQueueURL)}
	if os.Getenv(appenv.DeadLetterQueueURL) == "" {
		// Without a queue, what cannot be delivered fails the invocation, so Lambda's own retries
		// and on-failure destination keep it: still nothing is lost.
		log.Warn("no dead-letter queue configured; undeliverable records will fail the invocation", "env", appenv.DeadLetterQueueURL)
		park = failingParker{}
	}

	h := &router.Handler{
		Rules:   set,
		Store:   dynamo.New(ddb, table),
		Deliver: live,
		Park:    park,
		Now:     time.Now,
		Logger:  log,
		Metrics: os.Stdout,
	}
	lambda.Start(h.Handle)
}

// configPath is the routing config shipped beside the bootstrap binary, unless overridden.
func configPath() string {
	if p := os.Getenv(appenv.ConfigPath); p != "" {
		return p
	}
	root := os.Getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		if exe, err := os.Executable(); err == nil {
			root = filepath.Dir(exe)
		}
	}
	return filepath.Join(root, "config", "ssmnotify.yaml")
}
