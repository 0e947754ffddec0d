package payload

import (
	"fmt"
	"strings"
)

// Codes classify why a record could not be decoded. They are stable, short and snake_case so the
// router can use them as metric dimensions and log values.
const (
	CodeNotJSON          = "not_json"          // the event or a record's message is not JSON
	CodeUnsupportedEvent = "unsupported_event" // a Lambda event of a shape we do not route
	CodeNotRunCommand    = "not_run_command"   // JSON, but not a Run Command notification
	CodeMissingField     = "missing_field"     // a Run Command notification without a required field
	CodeBadTime          = "bad_time"          // a timestamp that is not RFC 3339
	CodeTooLarge         = "too_large"         // larger than SNS allows (256 KiB)
)

// RecordError reports one record of a Lambda event that could not be decoded. It names the record
// (its index and message ID) and the reason; it never carries the record's content beyond a short
// excerpt of an identifying field.
type RecordError struct {
	// Index is the record's position in the event (0 for an event that is not a batch).
	Index int
	// Source is the kind of event the record came in ("" when the event itself was unreadable).
	Source Source
	// MessageID is the record's own ID: the SNS MessageId, the SQS messageId or the EventBridge id.
	MessageID string
	// Code classifies the failure (Code* constants).
	Code string
	// Reason says what is wrong, for a human.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString("record ")
	fmt.Fprintf(&b, "%d", e.Index)
	if e.Source != "" || e.MessageID != "" {
		b.WriteString(" (")
		if e.Source != "" {
			b.WriteString(string(e.Source))
			if e.MessageID != "" {
				b.WriteString(" ")
			}
		}
		if e.MessageID != "" {
			b.WriteString("message ")
			b.WriteString(e.MessageID)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *RecordError) Unwrap() error { return e.Err }
