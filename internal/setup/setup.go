// Package setup builds the router's AWS-backed dependencies from the environment — the same way
// for the Lambda function and for `ssmnotify invoke --store dynamodb --deliver live` — so the two
// can never be wired differently. Environment variable names are internal/appenv's.
package setup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ec2tags"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/secrets"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// Getenv reads one environment variable (os.Getenv, or a map in tests).
type Getenv func(string) string

// ConfigPath is the routing config: $SSMNOTIFY_CONFIG_PATH, else config/ssmnotify.yaml in the
// Lambda task root (the folder of the bootstrap binary).
func ConfigPath(env Getenv) string {
	if p := env(appenv.ConfigPath); p != "" {
		return p
	}
	root := env("LAMBDA_TASK_ROOT")
	if root == "" {
		if exe, err := os.Executable(); err == nil {
			root = filepath.Dir(exe)
		}
	}
	return filepath.Join(root, "config", "ssmnotify.yaml")
}

// Store is the DynamoDB state store named by $SSMNOTIFY_TABLE_NAME, at $DYNAMODB_ENDPOINT when set.
func Store(cfg aws.Config, env Getenv) (*dynamo.Store, error) {
	table := env(appenv.TableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", appenv.TableName)
	}
	return dynamo.New(dynamo.NewClient(cfg, env(appenv.DynamoDBEndpoint)), table), nil
}

// Deliverer sends for real: Slack with the secret named by $SSMNOTIFY_SLACK_SECRET_ARN (fetched
// once, on first use), SES at $SES_ENDPOINT when set.
func Deliverer(cfg aws.Config, env Getenv, log *slog.Logger) *deliver.Live {
	clients := &slack.Clients{Options: []slack.Option{slack.WithLogger(log)}, MissingSecret: appenv.SlackSecretARN}
	if arn := env(appenv.SlackSecretARN); arn != "" {
		clients.Secrets = secrets.NewSlackLoader(secretsmanager.NewFromConfig(cfg), arn)
	}
	if u := env(appenv.SlackAPIURL); u != "" {
		clients.Options = append(clients.Options, slack.WithAPIURL(u))
	}
	live := &deliver.Live{Slack: clients}
	live.Email = email.New(ses.NewFromConfig(cfg, func(o *ses.Options) {
		if ep := env(appenv.SESEndpoint); ep != "" {
			o.BaseEndpoint = &ep
		}
	}), email.WithLogger(log))
	return live
}

// Enricher looks up failed invocations (ssm:GetCommandInvocation, and ec2:DescribeTags for
// Name tags) when some route of set asks for it; nil otherwise.
func Enricher(cfg aws.Config, set *rules.Set) *enrich.Enricher {
	lookups, names := set.Enrichment()
	if !lookups {
		return nil
	}
	e := &enrich.Enricher{SSM: ssm.NewFromConfig(cfg), Region: cfg.Region}
	if names {
		e.EC2 = ec2tags.New(cfg)
	}
	return e
}

// EndpointSSM is the AWS SDK's own variable for a service-specific SSM endpoint: set it to a
// local SSM (internal/enrich/ssmtest) to enrich without AWS.
const EndpointSSM = "AWS_ENDPOINT_URL_SSM"

// CLIEnricher is the enrichment the CLI's invoke, preview and replay use: exactly the Lambda's
// (Enricher) when SSM is reachable — $AWS_ENDPOINT_URL_SSM names an endpoint, or AWS
// credentials resolve — and otherwise one that marks every enriched alert "detail unavailable
// (no AWS access)" instead of silently rendering without it. nil when no route enriches.
func CLIEnricher(ctx context.Context, env Getenv, set *rules.Set) *enrich.Enricher {
	if lookups, _ := set.Enrichment(); !lookups {
		return nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return &enrich.Enricher{NoAccess: true}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, credErr := cfg.Credentials.Retrieve(ctx)
	switch {
	case env(EndpointSSM) != "":
		if credErr != nil {
			// A local endpoint needs a signature, not a real identity.
			cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
	case credErr != nil || cfg.Region == "":
		return &enrich.Enricher{NoAccess: true}
	}
	return Enricher(cfg, set)
}

// Parker parks on the queue named by $SSMNOTIFY_DLQ_URL. Without one, parking fails, so the
// router treats the record as retryable and Lambda's retries and on-failure destination keep it:
// nothing is lost either way.
func Parker(cfg aws.Config, env Getenv, log *slog.Logger) router.Parker {
	u := env(appenv.DeadLetterQueueURL)
	if u == "" {
		log.Warn("no dead-letter queue configured; undeliverable records will fail the invocation", "env", appenv.DeadLetterQueueURL)
		return noQueue{}
	}
	return &deadletter.Queue{Client: sqs.NewFromConfig(cfg), URL: u}
}

// Threads keeps one evolving message per command for bot-mode Slack destinations. It needs the
// render queue ($SSMNOTIFY_RENDER_QUEUE_URL) for the trailing renders that make the message end
// exact; without it nil is returned and every notification is posted on its own.
func Threads(cfg aws.Config, env Getenv, store state.Store, live *deliver.Live, now func() time.Time, log *slog.Logger) *thread.Threads {
	u := env(appenv.RenderQueueURL)
	if u == "" {
		log.Warn("no render queue configured: Slack bot destinations get one message per notification", "env", appenv.RenderQueueURL)
		return nil
	}
	return &thread.Threads{
		Store:    store,
		Schedule: &thread.SQSScheduler{Client: sqs.NewFromConfig(cfg), URL: u, Now: now},
		Now:      now,
		Token:    token(),
		Slack:    func(ctx context.Context) (thread.Poster, error) { return live.Bot(ctx) },
	}
}

// Emails sends one email per command outcome to email destinations that group by command (the
// default). Like Threads it needs the render queue, for the quiet-period check; without it nil
// is returned and every notification is emailed on its own.
func Emails(cfg aws.Config, env Getenv, store state.Store, live *deliver.Live, now func() time.Time) *thread.Emails {
	u := env(appenv.RenderQueueURL)
	if u == "" {
		return nil
	}
	return &thread.Emails{
		Store:    store,
		Schedule: &thread.SQSScheduler{Client: sqs.NewFromConfig(cfg), URL: u, Now: now},
		Now:      now,
		Token:    token(),
		Send:     SendEmail(live),
	}
}

// SendEmail sends a command's rendered email to an email destination through live (SES).
func SendEmail(live *deliver.Live) func(context.Context, *rules.Destination, render.EmailMessage) error {
	return func(ctx context.Context, dest *rules.Destination, msg render.EmailMessage) error {
		return live.SendEmail(ctx, dest, []string{dest.Name, "command"}, msg)
	}
}

// token identifies this execution environment as a render-lease holder.
func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type noQueue struct{}

func (noQueue) Park(context.Context, router.Parked) error {
	return errors.New("no dead-letter queue configured (" + appenv.DeadLetterQueueURL + ")")
}
