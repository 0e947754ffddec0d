package thread

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Envelope is the body of a scheduled render message. payload.Decode recognises it by its key
// (payload.RenderKey) and hands the request over to ParseRequest.
type Envelope struct {
	Render *Request `json:"ssmnotifyRender"`
}

// ParseRequest reads a scheduled render request (the object under the body's key); ok is false
// when it is not one that names a command and a channel.
func ParseRequest(b []byte) (Request, bool) {
	var r Request
	if json.Unmarshal(b, &r) != nil || r.CommandID == "" || r.Channel == "" {
		return Request{}, false
	}
	return r, true
}

// SendMessageAPI is the one SQS call the scheduler makes.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSScheduler schedules renders as SQS messages with DelaySeconds on the render queue, which
// the router consumes. SQS delays up to 15 minutes, far more than a render ever waits.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html
type SQSScheduler struct {
	Client SendMessageAPI
	URL    string
	Now    func() time.Time
}

// Schedule sends r to be delivered at (or just after) at.
func (s *SQSScheduler) Schedule(ctx context.Context, r Request, at time.Time) error {
	body, err := json.Marshal(Envelope{Render: &r})
	if err != nil {
		return err
	}
	delay := int32(math.Ceil(at.Sub(s.Now()).Seconds()))
	delay = max(0, min(delay, 900))
	if _, err := s.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.URL), MessageBody: aws.String(string(body)), DelaySeconds: delay}); err != nil {
		return fmt.Errorf("send render message: %w", err)
	}
	return nil
}

// Memory is an in-process scheduler for tests and local runs: the caller takes due renders out
// with Due and hands them to the router.
type Memory struct {
	mu      sync.Mutex
	pending []scheduled
	// Count is how many renders were scheduled in all.
	Count int
}

type scheduled struct {
	r  Request
	at time.Time
}

// Schedule records r as due at at.
func (m *Memory) Schedule(_ context.Context, r Request, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, scheduled{r, at})
	m.Count++
	return nil
}

// Due removes and returns the renders due at now, earliest first.
func (m *Memory) Due(now time.Time) []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	sort.SliceStable(m.pending, func(i, j int) bool { return m.pending[i].at.Before(m.pending[j].at) })
	var due []Request
	i := 0
	for ; i < len(m.pending) && !m.pending[i].at.After(now); i++ {
		due = append(due, m.pending[i].r)
	}
	m.pending = m.pending[i:]
	return due
}

// Next is when the earliest pending render is due, and whether there is one.
func (m *Memory) Next() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) == 0 {
		return time.Time{}, false
	}
	next := m.pending[0].at
	for _, p := range m.pending[1:] {
		if p.at.Before(next) {
			next = p.at
		}
	}
	return next, true
}

// Event wraps renders as an SQS event, as the render queue delivers them to the router.
func Event(rs []Request) []byte {
	type record struct {
		MessageID   string `json:"messageId"`
		Body        string `json:"body"`
		EventSource string `json:"eventSource"`
	}
	recs := make([]record, len(rs))
	for i := range rs {
		body, _ := json.Marshal(Envelope{Render: &rs[i]})
		recs[i] = record{MessageID: fmt.Sprintf("render-%d", i), Body: string(body), EventSource: "aws:sqs"}
	}
	out, _ := json.Marshal(map[string]any{"Records": recs})
	return out
}
