// Command router is the ssmnotify router Lambda function: it receives Run Command notifications
// (SNS, SQS buffer or EventBridge) and delivers them to Slack and email exactly once.
//
// main only reads the environment, loads the AWS config and the routing config once at init,
// builds the adapters (internal/setup) and starts the handler; everything else is in
// internal/router, which the CLI and the tests run too. A bad config fails the init with the
// config's own message, naming file and line.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ssmnotify/ssmnotify/internal/lambdainit"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

func main() {
	log := lambdacontext.NewLogger()
	env := setup.Getenv(os.Getenv)

	set, err := rules.Load(setup.ConfigPath(env))
	if err != nil {
		lambdainit.Fail("ConfigError", err)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		lambdainit.Fail("AWSConfigError", err)
	}
	store, err := setup.Store(awsCfg, env)
	if err != nil {
		lambdainit.Fail("ConfigError", err)
	}
	live := setup.Deliverer(awsCfg, env, log)
	live.Enricher = setup.Enricher(awsCfg, set)
	h := &router.Handler{
		Rules:   set,
		Store:   store,
		Deliver: live,
		Park:    setup.Parker(awsCfg, env, log),
		Threads: setup.Threads(awsCfg, env, store, live, time.Now, log),
		Emails:  setup.Emails(awsCfg, env, store, live, time.Now),
		// Ad-hoc silences (`ssmnotify silence`) live in the same table.
		Silences: store,
		Now:      time.Now,
		Logger:   log,
		Metrics:  os.Stdout,
	}
	// The Slack message and the email of a command say why it failed from the same lookup.
	detail := thread.EnrichedDetail(live.Enricher, set)
	if h.Threads != nil {
		h.Threads.Detail = detail
	}
	if h.Emails != nil {
		h.Emails.Detail = detail
	}
	lambda.Start(h.Handle)
}
