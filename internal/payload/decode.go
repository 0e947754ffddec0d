package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"
)

// MaxMessageBytes is the largest message SNS accepts (256 KiB); anything larger did not come from
// SNS and is refused before it is parsed.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
const MaxMessageBytes = 256 * 1024

// EventBridge detail types of Run Command status changes.
const (
	DetailTypeCommand    = "EC2 Command Status-change Notification"
	DetailTypeInvocation = "EC2 Command Invocation Status-change Notification"
)

// The structs below copy AWS's JSON names exactly (see aws-lambda-go events.SNSEvent, SQSEvent,
// CloudWatchEvent) but keep only the fields we read, so decoding allocates little.
// encoding/json matches names case-insensitively, which is how one struct reads both
// SNS's "EventSource" and SQS's "eventSource", and both spellings of the Run Command fields.

// lambdaEvent is any Lambda event we accept: a batch of records (SNS, SQS) or one EventBridge
// event.
type lambdaEvent struct {
	Records []lambdaRecord `json:"Records"`

	// EventBridge.
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	Time       string          `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// lambdaRecord is one record of an SNS event (Sns set) or an SQS event (Body set).
type lambdaRecord struct {
	EventSource string     `json:"EventSource"`
	Sns         *snsEntity `json:"Sns"`

	// SQS.
	MessageID      string  `json:"messageId"`
	ReceiptHandle  string  `json:"receiptHandle"`
	Body           *string `json:"body"`
	EventSourceARN string  `json:"eventSourceARN"`
}

// snsEntity is the SNS envelope: Records[].Sns in an SNS event, or an SQS body.
type snsEntity struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// rcMessage is the Run Command notification, camelCase or PascalCase. Plain fields (not pointers)
// keep decoding to a few allocations; InstanceIDs is nil only when the key is absent or null.
type rcMessage struct {
	CommandID          string `json:"commandId"`
	DocumentName       string `json:"documentName"`
	InstanceID         string `json:"instanceId"`
	InstanceIDs        idList `json:"instanceIds"` // non-nil when present, even as []
	RequestedDateTime  string `json:"requestedDateTime"`
	ExpiresAfter       string `json:"expiresAfter"`
	OutputS3BucketName string `json:"outputS3BucketName"`
	OutputS3KeyPrefix  string `json:"outputS3KeyPrefix"`
	Status             string `json:"status"`
	EventTime          string `json:"eventTime"`

	// Fields that identify what else was published to the topic, for a better error.
	AlarmName string `json:"AlarmName"`
}

// idList decodes a JSON array of instance IDs into a slice of exactly the right size: encoding/json
// grows the slice one append at a time, which for a fleet-wide command is most of the decoding's
// allocations. IDs with escapes or non-ASCII bytes (never seen in practice) take encoding/json's path.
type idList []string

func (l *idList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || !plainASCII(b) {
		return json.Unmarshal(b, (*[]string)(l))
	}
	// Between the brackets: zero or more "…" separated by commas and white space.
	body := bytes.TrimSpace(b[1 : len(b)-1])
	out := make([]string, 0, bytes.Count(body, []byte{'"'})/2)
	for len(body) > 0 {
		if body[0] != '"' {
			return json.Unmarshal(b, (*[]string)(l))
		}
		end := bytes.IndexByte(body[1:], '"')
		if end < 0 {
			return json.Unmarshal(b, (*[]string)(l))
		}
		out = append(out, string(body[1:1+end]))
		body = bytes.TrimSpace(body[end+2:])
		if len(body) > 0 {
			if body[0] != ',' {
				return json.Unmarshal(b, (*[]string)(l))
			}
			body = bytes.TrimSpace(body[1:])
			if len(body) == 0 { // trailing comma: not JSON
				return json.Unmarshal(b, (*[]string)(l))
			}
		}
	}
	*l = out
	return nil
}

// plainASCII reports whether b has no escapes and no bytes that encoding/json would rewrite
// (invalid UTF-8 becomes U+FFFD), so its strings can be taken verbatim.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// ebDetail is the detail of an EventBridge Run Command status-change event (kebab-case).
type ebDetail struct {
	CommandID          string `json:"command-id"`
	DocumentName       string `json:"document-name"`
	InstanceID         string `json:"instance-id"`
	RequestedDateTime  string `json:"requested-date-time"`
	ExpireAfter        string `json:"expire-after"`
	Status             string `json:"status"`
	OutputS3BucketName string `json:"output-s3bucket-name"`
	OutputS3KeyPrefix  string `json:"output-s3key-prefix"`
	// parameters (an object, or the same object as a JSON string) is not needed for routing and
	// is deliberately not decoded: either form is accepted because it is skipped.
}

// Decode turns the raw bytes of a Lambda event into its records, each a notification, a
// scheduled render request or the reason it is neither, and each with its own replayable event.
// One bad record never stops the others. A payload that is not a Lambda event at all is one
// record (index 0) with an error.
func Decode(raw []byte) Records {
	var ev lambdaEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		// One malformed record (a Message that is a number, say) fails the typed decode of the
		// whole batch. Decode record by record so it cannot take the good ones with it.
		if recs, ok := splitRecords(raw); ok {
			return decodeRawRecords(recs)
		}
		reason := "event is not a JSON object"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			reason = "event is not valid JSON (truncated?)"
		}
		return Records{{raw: raw, Err: &RecordError{Code: CodeNotJSON, Reason: reason, Err: jsonError(err)}}}
	}
	switch {
	case ev.Records != nil:
		return decodeRecords(ev.Records, raw)
	case ev.DetailType != "" || ev.Source != "":
		recs := Records{{Source: SourceEventBridge, ID: ev.ID, raw: raw}}
		rec := &recs[0]
		var err *RecordError
		if rec.note, err = decodeEventBridge(&ev); err != nil {
			rec.Err = err
		} else {
			rec.Notification = &rec.note
		}
		return recs
	}
	// A bare Run Command message (for example pasted from an SNS email) is not a Lambda event,
	// but say so precisely: it is the most common mistake with sample events.
	if looksLikeRunCommand(raw) {
		return Records{{raw: raw, Err: &RecordError{Code: CodeUnsupportedEvent, Reason: "this is a bare Run Command message, not a Lambda event: wrap it in an SNS event's Records[].Sns.Message (see events/)"}}}
	}
	return Records{{raw: raw, Err: &RecordError{Code: CodeUnsupportedEvent, Reason: "not an SNS, SQS or EventBridge Lambda event (no Records and no detail-type)"}}}
}

// splitRecords returns the raw records of an event whose Records is a JSON array.
func splitRecords(raw []byte) ([]json.RawMessage, bool) {
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if json.Unmarshal(raw, &ev) != nil || ev.Records == nil {
		return nil, false
	}
	return ev.Records, true
}

// decodeRawRecords is the slow path: each record decoded on its own, so a record of the wrong
// shape is reported with its index and the others still decode.
func decodeRawRecords(recs []json.RawMessage) Records {
	out := make(Records, 0, len(recs))
	for i, raw := range recs {
		var r lambdaRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			var id struct {
				MessageID   string `json:"messageId"`
				EventSource string `json:"eventSource"`
				Sns         struct {
					MessageID string `json:"MessageId"`
				} `json:"Sns"`
			}
			_ = json.Unmarshal(raw, &id)
			rec := Record{Index: i, ID: id.MessageID, raw: raw, inBatch: true}
			e := &RecordError{Index: i, MessageID: id.MessageID, Code: CodeNotRunCommand, Reason: "record does not have the shape of an SNS or SQS record", Err: jsonError(err)}
			switch {
			case id.Sns.MessageID != "":
				e.Source, e.MessageID = SourceSNS, id.Sns.MessageID
				rec.Source, rec.ID = SourceSNS, id.Sns.MessageID
			case id.EventSource == "aws:sqs":
				rec.Source = SourceSQS
			}
			rec.Err = e
			out = append(out, rec)
			continue
		}
		out = append(out, decodeRecords([]lambdaRecord{r}, raw)[0])
		one := &out[len(out)-1]
		one.Index, one.inBatch = i, true
		if one.Err != nil {
			one.Err.Index = i
		}
		if one.Notification != nil {
			one.Notification = &one.note // the copy's own, not the temporary's
		}
	}
	return out
}

// decodeRecords decodes the records of a batch, raw.
func decodeRecords(records []lambdaRecord, raw []byte) Records {
	out := make(Records, len(records))
	var b *batch
	if len(records) > 1 {
		b = &batch{raw: raw, n: len(records)}
	}
	for i := range records {
		r, rec := &records[i], &out[i]
		rec.Index, rec.raw, rec.batch = i, raw, b
		var err *RecordError
		switch {
		case r.Sns != nil:
			rec.Source, rec.ID = SourceSNS, r.Sns.MessageID
			rec.note, err = decodeSNS(r.Sns, SourceSNS)
		case r.Body != nil:
			rec.Source, rec.ID, rec.ReceiptHandle = SourceSQS, r.MessageID, r.ReceiptHandle
			rec.note, rec.Render, err = decodeSQSBody(r)
		default:
			rec.ID = r.MessageID
			if r.EventSource == "aws:sqs" {
				rec.Source = SourceSQS
			}
			err = &RecordError{Code: CodeUnsupportedEvent, Reason: fmt.Sprintf("record has neither Sns nor body (eventSource %q)", clip(r.EventSource))}
		}
		switch {
		case err != nil:
			err.Index = i
			if err.MessageID == "" {
				err.MessageID = r.MessageID
			}
			rec.Err = err
		case rec.Render == nil:
			rec.Notification = &rec.note
		}
	}
	return out
}

// decodeSNS decodes an SNS envelope whose Message is a Run Command notification.
func decodeSNS(e *snsEntity, src Source) (Notification, *RecordError) {
	fail := func(code, reason string, err error) (Notification, *RecordError) {
		return Notification{}, &RecordError{Source: src, MessageID: e.MessageID, Code: code, Reason: reason, Err: err}
	}
	switch e.Type {
	case "", "Notification":
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		return fail(CodeNotRunCommand, "SNS "+e.Type+" message, not a notification (confirm subscriptions in the SNS console or with the CDK app)", nil)
	default:
		return fail(CodeNotRunCommand, fmt.Sprintf("SNS message of type %q, not a notification", clip(e.Type)), nil)
	}
	if e.Message == "" {
		return fail(CodeMissingField, "SNS envelope has no Message", nil)
	}
	n, err := decodeMessage(e.Message)
	if err != nil {
		err.Source, err.MessageID = src, e.MessageID
		return Notification{}, err
	}
	n.Source = src
	n.MessageID = e.MessageID
	n.TopicARN = e.TopicArn
	n.Region, n.Account = regionAccount(e.TopicArn)
	if n.EventTime.IsZero() {
		t, terr := parseTime(e.Timestamp)
		if terr != nil || t.IsZero() {
			return fail(CodeMissingField, "message has no eventTime and the envelope no usable Timestamp", terr)
		}
		n.EventTime = t
	}
	return n, nil
}

// RenderKey is the key of an SQS body that is a scheduled render request, {"ssmnotifyRender":
// {…}}: what internal/thread sends to the render queue.
const RenderKey = "ssmnotifyRender"

// decodeSQSBody decodes an SQS record whose body is an SNS envelope, the Run Command JSON itself
// (raw message delivery), or a scheduled render request (returned undecoded, for
// internal/thread).
func decodeSQSBody(r *lambdaRecord) (Notification, json.RawMessage, *RecordError) {
	body := *r.Body
	if len(body) > MaxMessageBytes+8*1024 { // the envelope adds a few KiB around the message
		return Notification{}, nil, &RecordError{Source: SourceSQS, MessageID: r.MessageID, Code: CodeTooLarge, Reason: fmt.Sprintf("SQS body is %d bytes, larger than any SNS message", len(body))}
	}
	var env struct {
		snsEntity
		rcMessage
		Render json.RawMessage `json:"ssmnotifyRender"` // RenderKey
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return Notification{}, nil, &RecordError{Source: SourceSQS, MessageID: r.MessageID, Code: CodeNotJSON, Reason: "SQS body is not JSON", Err: jsonError(err)}
	}
	if len(env.Render) > 0 && env.Render[0] == '{' {
		return Notification{}, env.Render, nil
	}
	if env.snsEntity.Message != "" || env.snsEntity.Type != "" {
		n, err := decodeSNS(&env.snsEntity, SourceSQS)
		if err != nil {
			// The SQS messageId: it is what a partial batch response names.
			err.MessageID = r.MessageID
			return n, nil, err
		}
		return n, nil, nil
	}
	// Raw message delivery: the body is the Run Command message; region and account come from
	// the queue's ARN, the closest thing to an envelope.
	n, err := fromRC(&env.rcMessage)
	if err != nil {
		err.Source, err.MessageID = SourceSQS, r.MessageID
		return Notification{}, nil, err
	}
	n.Source = SourceSQS
	n.MessageID = r.MessageID
	n.Region, n.Account = regionAccount(r.EventSourceARN)
	if n.EventTime.IsZero() {
		return Notification{}, nil, &RecordError{Source: SourceSQS, MessageID: r.MessageID, Code: CodeMissingField, Reason: "raw Run Command message has no eventTime"}
	}
	return n, nil, nil
}

// decodeMessage decodes the SNS Message string: the Run Command notification.
func decodeMessage(msg string) (Notification, *RecordError) {
	if len(msg) > MaxMessageBytes {
		return Notification{}, &RecordError{Code: CodeTooLarge, Reason: fmt.Sprintf("message is %d bytes, over the SNS limit of %d", len(msg), MaxMessageBytes)}
	}
	var m rcMessage
	// The message is read in place: json.Unmarshal does not keep or modify its input, so the
	// string's bytes need no copy (a 1–2 KiB allocation per record otherwise).
	if err := json.Unmarshal(unsafe.Slice(unsafe.StringData(msg), len(msg)), &m); err != nil {
		if t := strings.TrimSpace(msg); len(t) > 0 && t[0] != '{' && t[0] != '[' {
			return Notification{}, &RecordError{Code: CodeNotRunCommand, Reason: "message is plain text, not a Run Command notification (an SNS console test message?)"}
		}
		return Notification{}, &RecordError{Code: CodeNotJSON, Reason: "message is not valid JSON", Err: jsonError(err)}
	}
	return fromRC(&m)
}

// fromRC validates a decoded Run Command message and normalizes it.
func fromRC(m *rcMessage) (Notification, *RecordError) {
	if m.CommandID == "" && m.Status == "" {
		reason := "JSON is not a Run Command notification (no commandId or status)"
		if m.AlarmName != "" {
			reason = "a CloudWatch alarm notification, not a Run Command notification"
		}
		return Notification{}, &RecordError{Code: CodeNotRunCommand, Reason: reason}
	}
	if m.CommandID == "" {
		return Notification{}, &RecordError{Code: CodeMissingField, Reason: "Run Command notification has no commandId"}
	}
	status, standard, ok := ParseStatus(m.Status)
	if !ok {
		return Notification{}, &RecordError{Code: CodeMissingField, Reason: "Run Command notification has no status"}
	}
	n := Notification{
		CommandID:    m.CommandID,
		DocumentName: m.DocumentName,
		Status:       status,
		StatusRaw:    m.Status,
		NonStandard:  !standard,
	}
	n.OutputS3BucketName = m.OutputS3BucketName
	n.OutputS3KeyPrefix = m.OutputS3KeyPrefix

	// The kind: a summary lists instanceIds (empty when tag-targeted) and names the expiry and
	// output location; an invocation names exactly one instanceId. The older PascalCase summary
	// has InstanceId and the summary-only fields.
	summary := m.InstanceIDs != nil || m.ExpiresAfter != "" || m.OutputS3BucketName != "" || m.OutputS3KeyPrefix != ""
	switch {
	case summary:
		n.Kind = KindCommand
		switch {
		case m.InstanceIDs != nil:
			n.InstanceIDs = []string(m.InstanceIDs)
		case m.InstanceID != "":
			n.InstanceIDs = []string{m.InstanceID}
		default:
			n.InstanceIDs = []string{}
		}
	case m.InstanceID != "":
		n.Kind = KindInvocation
		n.InstanceID = m.InstanceID
	default:
		n.Kind = KindCommand
		n.InstanceIDs = []string{}
	}

	var err error
	if n.EventTime, err = parseTime(m.EventTime); err != nil {
		return Notification{}, &RecordError{Code: CodeBadTime, Reason: "eventTime is not an RFC 3339 time", Err: err}
	}
	if n.RequestedDateTime, err = parseTime(m.RequestedDateTime); err != nil {
		return Notification{}, &RecordError{Code: CodeBadTime, Reason: "requestedDateTime is not an RFC 3339 time", Err: err}
	}
	if n.ExpiresAfter, err = parseTime(m.ExpiresAfter); err != nil {
		return Notification{}, &RecordError{Code: CodeBadTime, Reason: "expiresAfter is not an RFC 3339 time", Err: err}
	}
	return n, nil
}

// decodeEventBridge decodes an EventBridge Run Command status-change event.
func decodeEventBridge(ev *lambdaEvent) (Notification, *RecordError) {
	fail := func(code, reason string, err error) (Notification, *RecordError) {
		return Notification{}, &RecordError{Source: SourceEventBridge, MessageID: ev.ID, Code: code, Reason: reason, Err: err}
	}
	var kind Kind
	switch ev.DetailType {
	case DetailTypeCommand:
		kind = KindCommand
	case DetailTypeInvocation:
		kind = KindInvocation
	default:
		return fail(CodeUnsupportedEvent, fmt.Sprintf("EventBridge event %q from %q is not a Run Command status change", clip(ev.DetailType), clip(ev.Source)), nil)
	}
	if ev.Source != "aws.ssm" {
		return fail(CodeUnsupportedEvent, fmt.Sprintf("EventBridge event source is %q, not aws.ssm", clip(ev.Source)), nil)
	}
	if len(ev.Detail) == 0 || ev.Detail[0] != '{' {
		return fail(CodeMissingField, "EventBridge event has no detail object", nil)
	}
	var d ebDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return fail(CodeNotJSON, "EventBridge detail is not valid JSON", jsonError(err))
	}
	if d.CommandID == "" {
		return fail(CodeMissingField, "EventBridge detail has no command-id", nil)
	}
	status, standard, ok := ParseStatus(d.Status)
	if !ok {
		return fail(CodeMissingField, "EventBridge detail has no status", nil)
	}
	n := Notification{
		Source:             SourceEventBridge,
		MessageID:          ev.ID,
		Kind:               kind,
		CommandID:          d.CommandID,
		DocumentName:       d.DocumentName,
		Status:             status,
		StatusRaw:          d.Status,
		NonStandard:        !standard,
		OutputS3BucketName: d.OutputS3BucketName,
		OutputS3KeyPrefix:  d.OutputS3KeyPrefix,
		Region:             ev.Region,
		Account:            ev.Account,
	}
	if kind == KindInvocation {
		if d.InstanceID == "" {
			return fail(CodeMissingField, "EventBridge invocation detail has no instance-id", nil)
		}
		n.InstanceID = d.InstanceID
	} else {
		// The event's resources name the targeted instances by ARN.
		n.InstanceIDs = make([]string, 0, len(ev.Resources))
		for _, r := range ev.Resources {
			if i := strings.LastIndex(r, ":instance/"); i >= 0 {
				n.InstanceIDs = append(n.InstanceIDs, r[i+len(":instance/"):])
			}
		}
	}
	var err error
	// EventBridge has no eventTime in the detail: the event's time is when the status changed.
	if n.EventTime, err = parseTime(ev.Time); err != nil || n.EventTime.IsZero() {
		return fail(CodeBadTime, "EventBridge event has no usable time", err)
	}
	if n.RequestedDateTime, err = parseTime(d.RequestedDateTime); err != nil {
		return fail(CodeBadTime, "requested-date-time is not an RFC 3339 time", err)
	}
	if n.ExpiresAfter, err = parseTime(d.ExpireAfter); err != nil {
		return fail(CodeBadTime, "expire-after is not an RFC 3339 time", err)
	}
	return n, nil
}

// parseTime parses an RFC 3339 time with any number of fractional digits and returns it in UTC.
// An empty string is the zero time. Times without a zone are read as UTC, which is what SSM means.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("2006-01-02T15:04:05.999999999", s); err2 != nil {
			return time.Time{}, fmt.Errorf("%q: %w", clip(s), errors.New("want RFC 3339, like 2026-05-04T10:03:12.204Z"))
		}
	}
	return t.UTC(), nil
}

// regionAccount reads the region and account from an ARN (arn:aws:sns:REGION:ACCOUNT:NAME).
func regionAccount(arn string) (region, account string) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", ""
	}
	var parts [4]string // partition, service, region, account
	for i := range parts {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return "", ""
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	return parts[2], parts[3]
}

func looksLikeRunCommand(raw []byte) bool {
	var m rcMessage
	return json.Unmarshal(raw, &m) == nil && m.CommandID != "" && m.Status != ""
}

// jsonError shortens encoding/json's errors to what helps: the offset of a syntax error, or the
// field of a type error. It never quotes the input.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q is a JSON %s, want %s", te.Field, te.Value, te.Type)
	}
	return err
}

// clip bounds untrusted text quoted in an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
