// Package payload turns whatever reaches the router — an SNS event, an SQS batch of SNS envelopes
// or raw messages, or an EventBridge status-change event — into normalized Run Command
// notifications.
//
// It is pure: no AWS SDK, no logging, no clock. Every other package works on Notification.
package payload

import (
	"encoding/json"
	"strings"
	"time"
)

// Source is the kind of Lambda event a notification arrived in.
type Source string

// Sources the decoder understands.
const (
	SourceSNS         Source = "sns"
	SourceSQS         Source = "sqs"
	SourceEventBridge Source = "eventbridge"
)

// Kind says whether a notification is about a whole command (SSM NotificationType "Command") or
// one instance's copy of it (NotificationType "Invocation").
type Kind string

// Kinds of notification.
const (
	KindCommand    Kind = "command"
	KindInvocation Kind = "invocation"
)

// Notification is one Run Command status change, normalized from any of the shapes that reach us.
// The JSON names are those printed by `ssmnotify decode`.
type Notification struct {
	Source    Source `json:"source"`
	MessageID string `json:"messageId"`
	Kind      Kind   `json:"kind"`

	CommandID    string `json:"commandId"`
	DocumentName string `json:"documentName"`
	// InstanceID is set for invocations only.
	InstanceID string `json:"instanceId,omitempty"`
	// InstanceIDs is set for command summaries only; it is empty (not nil) when the command was
	// targeted by tags.
	InstanceIDs []string `json:"instanceIds,omitempty"`

	// Status is canonical (see ParseStatus); StatusRaw is the spelling that arrived.
	Status    Status `json:"status"`
	StatusRaw string `json:"statusRaw"`
	// NonStandard marks a status outside the five that SNS sends (Pending, Delayed, a detailed
	// status such as Undeliverable, or one we have never seen).
	NonStandard bool `json:"nonStandard,omitempty"`

	// Times are UTC; RequestedDateTime and ExpiresAfter are zero when the message has none.
	EventTime         time.Time `json:"eventTime"`
	RequestedDateTime time.Time `json:"requestedDateTime,omitzero"`
	ExpiresAfter      time.Time `json:"expiresAfter,omitzero"`

	OutputS3BucketName string `json:"outputS3BucketName"`
	OutputS3KeyPrefix  string `json:"outputS3KeyPrefix"`

	Region   string `json:"region"`
	Account  string `json:"account"`
	TopicARN string `json:"topicArn"`
}

// Target is what a status belongs to: the instance for an invocation, or "" for the whole command.
// (command ID, target) identifies one status timeline.
func (n *Notification) Target() string {
	if n.Kind == KindInvocation {
		return n.InstanceID
	}
	return ""
}

// ShortCommandID is the first block of the command ID, enough for a human to tell commands apart
// in a subject line.
func (n *Notification) ShortCommandID() string {
	if i := strings.IndexByte(n.CommandID, '-'); i > 0 {
		return n.CommandID[:i]
	}
	if len(n.CommandID) > 8 {
		return n.CommandID[:8]
	}
	return n.CommandID
}

// MarshalJSON writes instanceIds for every command summary — as [] when the command was targeted
// by tags — and never for an invocation.
func (n Notification) MarshalJSON() ([]byte, error) {
	type plain Notification
	out := struct {
		plain
		InstanceIDs *[]string `json:"instanceIds,omitempty"`
	}{plain: plain(n)}
	if n.Kind == KindCommand {
		ids := n.InstanceIDs
		if ids == nil {
			ids = []string{}
		}
		out.InstanceIDs = &ids
	}
	return json.Marshal(out)
}
