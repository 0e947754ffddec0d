package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/redrive"
)

// runRedrive replays the dead-letter queue into the deployed router: a dry run by default,
// --apply to replay and delete what the router accepted.
func runRedrive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	queue := fs.String("queue", os.Getenv(appenv.DeadLetterQueueURL), "dead-letter queue URL (the stack's DeadLetterQueueUrl output; default $"+appenv.DeadLetterQueueURL+")")
	function := fs.String("function", "", "router function name or ARN (the stack's RouterFunctionName output)")
	apply := fs.Bool("apply", false, "replay and delete; without it, only list what would be replayed")
	max := fs.Int("max", 100, "handle at most this many messages")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify redrive --queue URL --function NAME [--apply] [--max N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *queue == "" || (*apply && *function == "") {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	cfg, err := awsReady(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify redrive: %v\n", err)
		return 1
	}
	r := &redrive.Redrive{
		Queue: sqs.NewFromConfig(cfg), QueueURL: *queue,
		Lambda: lambda.NewFromConfig(cfg), Function: *function,
		Apply: *apply, Max: *max, Out: stdout,
	}
	s, err := r.Run(ctx)
	if err != nil && s.Seen == 0 {
		// Nothing was read: a summary of "0 messages" would read as an empty queue.
		fmt.Fprintf(stderr, "ssmnotify redrive: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d messages: %d replayed, %d failed, %d unreadable", s.Seen, s.Replayed, s.Failed, s.Unreadable)
	if !*apply {
		fmt.Fprint(stdout, " (dry run: nothing replayed or deleted; add --apply)")
	}
	fmt.Fprintln(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify redrive: %v\n", err)
		return 1
	}
	if s.Failed > 0 || s.Unreadable > 0 {
		return 1
	}
	return 0
}
