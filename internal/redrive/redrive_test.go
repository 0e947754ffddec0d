package redrive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ssmnotify/ssmnotify/internal/deadletter"
	"github.com/ssmnotify/ssmnotify/internal/redrive"
	"github.com/ssmnotify/ssmnotify/internal/router"
)

// fakeQueue is an in-memory SQS queue: messages stay until deleted.
type fakeQueue struct {
	msgs    []sqstypes.Message
	sent    []string
	deleted []string
}

func (q *fakeQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	id := "m-" + string(rune('a'+len(q.msgs)))
	q.sent = append(q.sent, *in.MessageBody)
	q.msgs = append(q.msgs, sqstypes.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: in.MessageBody})
	return &sqs.SendMessageOutput{MessageId: aws.String(id)}, nil
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	n := min(int(in.MaxNumberOfMessages), len(q.msgs))
	return &sqs.ReceiveMessageOutput{Messages: append([]sqstypes.Message(nil), q.msgs[:n]...)}, nil
}

func (q *fakeQueue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	for i, m := range q.msgs {
		if *m.ReceiptHandle == *in.ReceiptHandle {
			q.deleted = append(q.deleted, *m.MessageId)
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			break
		}
	}
	return &sqs.DeleteMessageOutput{}, nil
}

type fakeLambda struct {
	payloads [][]byte
	answer   func(payload []byte) *lambda.InvokeOutput
}

func (l *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.payloads = append(l.payloads, in.Payload)
	return l.answer(in.Payload), nil
}

func TestParkThenRedrive(t *testing.T) {
	q := &fakeQueue{}
	park := &deadletter.Queue{Client: q, URL: "https://sqs.us-east-1.amazonaws.com/111122223333/dlq"}
	ev := json.RawMessage(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m1"}}]}`)
	if err := park.Park(t.Context(), router.Parked{Code: router.CodePermanent, Reason: "channel_not_found", Destination: "ops-slack", Event: ev, ParkedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A Lambda on-failure record (retries exhausted) and a buffer queue's dead letter too.
	q.msgs = append(q.msgs,
		sqstypes.Message{MessageId: aws.String("m-onfailure"), ReceiptHandle: aws.String("rh-2"), Body: aws.String(`{"version":"1.0","requestContext":{"condition":"RetriesExhausted","approximateInvokeCount":3},"requestPayload":{"Records":[]},"responsePayload":{"errorMessage":"x"}}`)},
		sqstypes.Message{MessageId: aws.String("m-buffer"), ReceiptHandle: aws.String("rh-3"), Body: aws.String(`{"Type":"Notification","MessageId":"sns-1","Message":"{}"}`)},
	)

	var out bytes.Buffer
	lam := &fakeLambda{answer: func(p []byte) *lambda.InvokeOutput { return &lambda.InvokeOutput{Payload: []byte("null")} }}
	dry := &redrive.Redrive{Queue: q, QueueURL: park.URL, Lambda: lam, Function: "router", Out: &out}
	s, err := dry.Run(t.Context())
	if err != nil || s.Seen != 3 || len(lam.payloads) != 0 || len(q.deleted) != 0 {
		t.Fatalf("dry run: %+v %v, invoked %d, deleted %v\n%s", s, err, len(lam.payloads), q.deleted, out.String())
	}
	if !strings.Contains(out.String(), "would replay (parked by the router: permanent_delivery_failure)") || !strings.Contains(out.String(), "Lambda on-failure record: RetriesExhausted") || !strings.Contains(out.String(), "buffer queue dead letter") {
		t.Errorf("dry run output:\n%s", out.String())
	}

	// Apply: the router fails the buffered one (asks for a retry): it stays; the others go.
	lam.answer = func(p []byte) *lambda.InvokeOutput {
		if strings.Contains(string(p), "aws:sqs") {
			return &lambda.InvokeOutput{Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"m-buffer"}]}`)}
		}
		return &lambda.InvokeOutput{Payload: []byte("null")}
	}
	out.Reset()
	apply := &redrive.Redrive{Queue: q, QueueURL: park.URL, Lambda: lam, Function: "router", Apply: true, Out: &out}
	s, err = apply.Run(t.Context())
	if err != nil || s.Replayed != 2 || s.Failed != 1 || len(q.msgs) != 1 || *q.msgs[0].MessageId != "m-buffer" {
		t.Fatalf("apply: %+v %v, left %d\n%s", s, err, len(q.msgs), out.String())
	}
	if string(lam.payloads[0]) != string(ev) {
		t.Errorf("replayed %s, want the parked event", lam.payloads[0])
	}
}

func TestOversizedParkKeepsReason(t *testing.T) {
	q := &fakeQueue{}
	park := &deadletter.Queue{Client: q, URL: "u"}
	big := json.RawMessage(`"` + strings.Repeat("x", deadletter.MaxMessageBytes) + `"`)
	if err := park.Park(t.Context(), router.Parked{Code: router.CodeBadInput, Reason: "r", Event: big}); err != nil {
		t.Fatal(err)
	}
	if len(q.sent[0]) > deadletter.MaxMessageBytes || !strings.Contains(q.sent[0], "too large to keep") {
		t.Errorf("sent %d bytes", len(q.sent[0]))
	}
}

// TestDigestFailuresAreNotReplayedIntoTheRouter: the dead-letter queue also keeps failed digest
// runs (Lambda's on-failure record, or Scheduler's dead letter, which is the event itself).
// Redrive names them and leaves them on the queue rather than replaying them into the router.
func TestDigestFailuresAreNotReplayedIntoTheRouter(t *testing.T) {
	event := `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-05-05T07:00:00Z","detail":{}}`
	for name, body := range map[string]string{
		"Lambda on-failure record": `{"version":"1.0","requestContext":{"condition":"RetriesExhausted","functionArn":"arn:aws:lambda:eu-west-1:111122223333:function:SSMNotify-DigestFunction:$LATEST"},"requestPayload":` + event + `}`,
		"Scheduler dead letter":    event,
	} {
		t.Run(name, func(t *testing.T) {
			ev, _, err := redrive.ReplayEvent([]byte(body), "m-1")
			if err == nil || ev != nil {
				t.Fatalf("ReplayEvent = %s, %v; want an error naming the digest run", ev, err)
			}
			for _, w := range []string{"m-1", "digest", "2026-05-05T07:00:00Z"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
