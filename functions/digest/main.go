// Command digest is the ssmnotify digest Lambda function: started on a schedule (EventBridge
// Scheduler, or an EventBridge rule), it summarises the Run Command failures of the window that
// ends at the scheduled time and sends the summary to the config's digest destinations once.
//
// main only reads the environment, loads the AWS config and the routing config once at init,
// builds the adapters (internal/setup, shared with the router and the CLI) and starts the
// handler; everything else is in internal/digest, which the CLI and the tests run too. A bad
// config, or one without a digest block, fails the init with the reason.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/lambdainit"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
)

func main() {
	log := lambdacontext.NewLogger()
	env := setup.Getenv(os.Getenv)

	set, err := rules.Load(setup.ConfigPath(env))
	if err != nil {
		lambdainit.Fail("ConfigError", err)
	}
	if set.Digest() == nil {
		lambdainit.Fail("ConfigError", errors.New(set.File()+": no digest block: the digest function has nothing to do"))
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		lambdainit.Fail("AWSConfigError", err)
	}
	store, err := setup.Store(awsCfg, env)
	if err != nil {
		lambdainit.Fail("ConfigError", err)
	}
	// The same transports, secret and endpoints as the router's (one wiring for both).
	d := setup.Deliverer(awsCfg, env, log)
	h := &digest.Handler{
		Rules:   set,
		Store:   store,
		Send:    &digest.Delivery{Transport: d},
		Now:     time.Now,
		Logger:  log,
		Metrics: os.Stdout,
	}
	lambda.Start(h.Handle)
}
