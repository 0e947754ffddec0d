package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
)

// awsReady loads the AWS config and makes sure it has a region and credentials, so that a
// command that needs AWS fails first, with what to set, rather than after doing half its work
// (a redrive that reports "0 messages" before the credential error reads as an empty queue).
func awsReady(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("AWS config: %w", err)
	}
	if cfg.Region == "" {
		return cfg, errors.New("no AWS region: set AWS_REGION (or a region in ~/.aws/config for AWS_PROFILE)")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if cfg.Credentials == nil {
		return cfg, errors.New("no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for a local endpoint)")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, fmt.Errorf("no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for a local endpoint): %w", err)
	}
	return cfg, nil
}

// preflightInvoke checks what `invoke --store dynamodb` and `--deliver live` need before the
// run starts: AWS credentials and region, the table's name, and the Slack secret when the config
// has a Slack destination. Every missing setting is named at once.
func preflightInvoke(f *invokeFlags, getenv setup.Getenv) error {
	if f.store != "memory" && f.store != "dynamodb" {
		return fmt.Errorf("--store %q: want memory or dynamodb", f.store)
	}
	if f.deliverMode != "preview" && f.deliverMode != "live" {
		return fmt.Errorf("--deliver %q: want preview or live", f.deliverMode)
	}
	if f.store == "memory" && f.deliverMode == "preview" {
		return nil
	}
	var missing []string
	if f.store == "dynamodb" && getenv(appenv.TableName) == "" {
		missing = append(missing, appenv.TableName+" (the state table's name; with "+appenv.DynamoDBEndpoint+" on loopback it is created when missing)")
	}
	if f.deliverMode == "live" {
		set := rules.Default()
		if f.config != "" {
			var err error
			if set, err = rules.Load(f.config); err != nil {
				return err
			}
		}
		slack := false
		for _, d := range set.Destinations() {
			slack = slack || d.Type == rules.DestinationSlack
		}
		if slack && getenv(appenv.SlackSecretARN) == "" {
			missing = append(missing, appenv.SlackSecretARN+" (the Secrets Manager secret with the Slack bot token and webhook URLs; the config has Slack destinations)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("set %s", strings.Join(missing, "; and "))
	}
	if _, err := awsReady(context.Background()); err != nil {
		return err
	}
	return nil
}

// loopback reports whether endpoint is an http(s) URL on this machine.
func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// ensureLocalTable creates the state table when it is missing and the endpoint is a local
// DynamoDB (dynalite, DynamoDB Local) on loopback. A table in AWS is the CDK app's: never
// created here.
func ensureLocalTable(ctx context.Context, cfg aws.Config, getenv setup.Getenv, stdout io.Writer) error {
	endpoint, table := getenv(appenv.DynamoDBEndpoint), getenv(appenv.TableName)
	if !loopback(endpoint) {
		return nil
	}
	client := dynamo.NewClient(cfg, endpoint)
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *dbtypes.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &notFound):
		return fmt.Errorf("local DynamoDB at %s: %w", endpoint, err)
	}
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		return fmt.Errorf("local DynamoDB at %s: %w", endpoint, err)
	}
	fmt.Fprintf(stdout, "created the state table %s at %s\n", table, endpoint)
	return nil
}
