// Package redrive replays what the dead-letter queue holds into the router function once the
// cause is fixed (`ssmnotify redrive`). It lives apart from internal/deadletter so the router's
// binary does not carry the Lambda client.
package redrive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// QueueAPI is what redrive needs of SQS.
type QueueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// InvokeAPI is what redrive needs of Lambda.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Redrive replays what a dead-letter queue holds into the router function, once the cause is
// fixed. Without Apply it only lists what it would replay (the messages stay on the queue). With
// Apply it invokes the router synchronously with each message's event and deletes the message
// only when the router took it without asking for a retry.
type Redrive struct {
	Queue    QueueAPI
	QueueURL string
	Lambda   InvokeAPI
	Function string
	Apply    bool
	// Max bounds how many messages are handled (default 100).
	Max int
	Out io.Writer
}

// Summary counts what a redrive did.
type Summary struct {
	Seen, Replayed, Failed, Unreadable int
}

// Run handles up to Max messages and reports each on Out.
func (r *Redrive) Run(ctx context.Context) (Summary, error) {
	var s Summary
	max := r.Max
	if max <= 0 {
		max = 100
	}
	seen := map[string]bool{}
	// A listing must not hide messages from the router's own retries for long.
	visibility := int32(30)
	if !r.Apply {
		visibility = 5
	}
	for s.Seen < max {
		n := int32(min(10, max-s.Seen))
		out, err := r.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.QueueURL), MaxNumberOfMessages: n, WaitTimeSeconds: 1, VisibilityTimeout: visibility,
		})
		if err != nil {
			return s, fmt.Errorf("receive from %s: %w", r.QueueURL, err)
		}
		fresh := 0
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				continue
			}
			seen[id] = true
			fresh++
			s.Seen++
			ev, origin, err := ReplayEvent([]byte(aws.ToString(m.Body)), id)
			if err != nil {
				s.Unreadable++
				fmt.Fprintf(r.Out, "%s: cannot replay: %v\n", id, err)
				continue
			}
			if !r.Apply {
				fmt.Fprintf(r.Out, "%s: would replay (%s), %d bytes\n", id, origin, len(ev))
				continue
			}
			if err := r.invoke(ctx, ev); err != nil {
				s.Failed++
				fmt.Fprintf(r.Out, "%s: replay failed, kept on the queue: %v\n", id, err)
				continue
			}
			if _, err := r.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				// Replayed but not deleted: a second redrive replays it again, which the router's
				// claims make harmless.
				fmt.Fprintf(r.Out, "%s: replayed, but deleting it failed: %v\n", id, err)
			}
			s.Replayed++
			fmt.Fprintf(r.Out, "%s: replayed (%s) and deleted\n", id, origin)
		}
		if fresh == 0 {
			break
		}
	}
	return s, nil
}

// invoke runs the router on ev and says whether it asked for anything to be retried.
func (r *Redrive) invoke(ctx context.Context, ev []byte) error {
	out, err := r.Lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(r.Function), Payload: ev, InvocationType: lambdatypes.InvocationTypeRequestResponse,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", r.Function, err)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("router error: %s", clip(string(out.Payload), 300))
	}
	var resp struct {
		BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
	}
	if json.Unmarshal(out.Payload, &resp) == nil && len(resp.BatchItemFailures) > 0 {
		return fmt.Errorf("router asked to retry %d record(s)", len(resp.BatchItemFailures))
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ReplayEvent finds the Lambda event to replay in a dead-letter message body, whichever way it got
// there: a record the router parked (its "event"), a Lambda asynchronous on-failure record after
// the retries ran out (its "requestPayload"), or a message an SQS buffer queue gave up on (an SNS
// envelope or raw Run Command JSON, replayed as a one-record SQS event).
func ReplayEvent(body []byte, messageID string) (json.RawMessage, string, error) {
	var probe struct {
		Code           string          `json:"code"`
		Event          json.RawMessage `json:"event"`
		EventText      string          `json:"eventText"`
		RequestPayload json.RawMessage `json:"requestPayload"`
		RequestContext *struct {
			Condition string `json:"condition"`
		} `json:"requestContext"`
		ResponsePayload json.RawMessage `json:"responsePayload"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, "", fmt.Errorf("message %s is not JSON", messageID)
	}
	switch {
	case len(probe.Event) > 0 && string(probe.Event) != "null":
		return probe.Event, "parked by the router: " + probe.Code, nil
	case probe.EventText != "":
		return json.RawMessage(probe.EventText), "parked by the router (not JSON): " + probe.Code, nil
	case probe.Code != "":
		return nil, "", fmt.Errorf("message %s was parked without its event (it was too large to keep)", messageID)
	case len(probe.RequestPayload) > 0 && probe.RequestContext != nil:
		if at, ok := digestRun(probe.RequestPayload); ok {
			return nil, "", fmt.Errorf("message %s is a failed digest run (scheduled %s), which the router cannot replay: invoke the digest function with its requestPayload, then delete the message", messageID, at)
		}
		return probe.RequestPayload, "Lambda on-failure record: " + probe.RequestContext.Condition, nil
	}
	if at, ok := digestRun(body); ok {
		return nil, "", fmt.Errorf("message %s is a digest invocation EventBridge Scheduler could not make (scheduled %s): invoke the digest function with the message body, then delete the message", messageID, at)
	}
	// A buffer queue's own dead letter: the body is what SNS put on the queue.
	ev, err := json.Marshal(map[string]any{"Records": []map[string]any{{
		"messageId": messageID, "eventSource": "aws:sqs", "body": string(body),
	}}})
	if err != nil {
		return nil, "", err
	}
	return ev, "buffer queue dead letter", nil
}

// digestRun reports whether ev is the digest's scheduled event (which the dead-letter queue also
// keeps: the digest's on-failure destination and its schedule's dead-letter queue), and its
// scheduled time. Replayed into the router it would only be parked again as unsupported.
func digestRun(ev []byte) (string, bool) {
	var probe struct {
		DetailType string `json:"detail-type"`
		Time       string `json:"time"`
	}
	if json.Unmarshal(ev, &probe) != nil || probe.DetailType != "Scheduled Event" {
		return "", false
	}
	return probe.Time, true
}
