// Package deadletter keeps what the router could not deliver — bad input and permanent delivery
// failures — with its reason and a replayable event: on an SQS queue in AWS (the same queue that
// is the router's asynchronous on-failure destination), in a folder locally. internal/redrive
// reads such a queue back.
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ssmnotify/ssmnotify/internal/router"
)

// MaxMessageBytes is SQS's message size limit (256 KiB).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
const MaxMessageBytes = 256 * 1024

// SendMessageAPI is the one SQS call parking needs.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Queue parks records on an SQS queue.
type Queue struct {
	Client SendMessageAPI
	URL    string
}

var _ router.Parker = (*Queue)(nil)

// Park sends p as one message; the code and destination are also message attributes, so an
// operator can tell records apart in the console without opening them.
func (q *Queue) Park(ctx context.Context, p router.Parked) error {
	body, err := encode(p)
	if err != nil {
		return err
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"ssmnotify-code": {DataType: aws.String("String"), StringValue: aws.String(p.Code)},
	}
	if p.Destination != "" {
		attrs["ssmnotify-destination"] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(p.Destination)}
	}
	if _, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(string(body)), MessageAttributes: attrs}); err != nil {
		return fmt.Errorf("park on the dead-letter queue: %w", err)
	}
	return nil
}

// encode marshals p, dropping the event if the whole would not fit in one SQS message (the
// reason and identity are still kept, and say so).
func encode(p router.Parked) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode parked record: %w", err)
	}
	if len(body) <= MaxMessageBytes {
		return body, nil
	}
	p.Reason += fmt.Sprintf(" (event of %d bytes too large to keep)", len(p.Event))
	p.Event = nil
	return json.Marshal(p)
}

// Dir parks records as JSON files in a folder, for local runs and the demo.
type Dir struct {
	Path string

	mu sync.Mutex
	n  int
}

var _ router.Parker = (*Dir)(nil)

// Park writes p to Path/NNN-code.json.
func (d *Dir) Park(_ context.Context, p router.Parked) error {
	body, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode parked record: %w", err)
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return fmt.Errorf("park: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// A record already in the folder (another run's) is never replaced: the next number is taken.
	for range 100000 {
		d.n++
		name := fmt.Sprintf("%03d-%s.json", d.n, strings.ReplaceAll(p.Code, "_", "-"))
		f, err := os.OpenFile(filepath.Join(d.Path, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("park: %w", err)
		}
		_, err = f.Write(append(body, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("park: %w", err)
		}
		return nil
	}
	return fmt.Errorf("park: no free file name in %s", d.Path)
}

// Memory keeps parked records in memory, for tests.
type Memory struct {
	mu     sync.Mutex
	Parked []router.Parked
	// Err, when set, is returned by Park (to test a failing dead-letter queue).
	Err error
}

var _ router.Parker = (*Memory)(nil)

// Park records p.
func (m *Memory) Park(_ context.Context, p router.Parked) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	m.Parked = append(m.Parked, p)
	return nil
}

// All returns a copy of what was parked.
func (m *Memory) All() []router.Parked {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]router.Parked(nil), m.Parked...)
}
