package payload

import (
	"bytes"
	"encoding/json"
	"sync"
)

// Record is one record of a Lambda event, decoded once: a Run Command notification, a scheduled
// render request, or the reason it is neither. It carries everything later steps need — its
// source and IDs for the response, and its own replayable event for parking — so nothing
// downstream reads the raw event again.
type Record struct {
	// Index is the record's position in the event (0 for an event that is not a batch).
	Index int
	// Source is the kind of event the record came in: SNS, SQS (the render queue's requests
	// included) or EventBridge; "" when the event itself was unreadable.
	Source Source
	// ID is the record's own ID: the SQS messageId (which batchItemFailures name), the SNS
	// MessageId, or the EventBridge id.
	ID string
	// ReceiptHandle is the SQS receipt handle (SQS records only).
	ReceiptHandle string

	// Exactly one of Notification, Render and Err is set.

	// Notification is the decoded Run Command notification.
	Notification *Notification
	// Render is a scheduled render request from the render queue: the JSON object under the SQS
	// body's "ssmnotifyRender" key, for internal/thread to read.
	Render json.RawMessage
	// Err says why the record is neither.
	Err *RecordError

	// note holds what Notification points to, so that a decoded event is one allocation.
	note Notification
	// raw is the record's own JSON within a batch (inBatch), or else the whole event as it
	// arrived (one record, an EventBridge event, or unreadable input). It is a slice of the
	// decoded input, not a copy. In a batch of several that decoded in one piece, batch finds
	// the record's JSON instead, when it is first needed.
	raw     []byte
	inBatch bool
	batch   *batch
}

// Event returns a Lambda event that holds only this record, as it arrived, so that the record can
// be parked and replayed on its own: the input itself when it was not a batch of several (or
// could not be read at all, in which case it may not be JSON).
func (r *Record) Event() []byte {
	own := r.raw
	if r.batch != nil {
		if own = r.batch.record(r.Index); own == nil {
			// Cannot happen (the bytes decoded to this many records); keeping the whole event
			// replays the others too, which their claims make harmless, and loses nothing.
			return r.batch.raw
		}
	} else if !r.inBatch {
		return own
	}
	const head, tail = `{"Records":[`, `]}`
	b := make([]byte, 0, len(head)+len(own)+len(tail))
	b = append(b, head...)
	b = append(b, own...)
	return append(b, tail...)
}

// batch is an event of several records that decoded in one piece. Where each record's JSON lies
// in it is found only when a record's event is first asked for (to park it): most records are
// delivered, and decoding does not pay for what only parking uses.
type batch struct {
	raw   []byte
	n     int
	once  sync.Once
	spans [][]byte
}

func (b *batch) record(i int) []byte {
	b.once.Do(func() {
		if b.spans = recordSpans(b.raw, b.n); b.spans != nil {
			return
		}
		recs, _ := splitRecords(b.raw)
		if len(recs) != b.n {
			return
		}
		b.spans = make([][]byte, len(recs))
		for i, r := range recs {
			b.spans[i] = r
		}
	})
	if i < 0 || i >= len(b.spans) {
		return nil
	}
	return b.spans[i]
}

// Records is a decoded Lambda event, record by record, in the event's order.
type Records []Record

// Source is the kind of event the records came in (that of the first record that knows it).
func (rs Records) Source() Source {
	for i := range rs {
		if rs[i].Source != "" {
			return rs[i].Source
		}
	}
	return ""
}

// Notifications returns the decoded notifications, in record order.
func (rs Records) Notifications() []Notification {
	var out []Notification
	for i := range rs {
		if n := rs[i].Notification; n != nil {
			out = append(out, *n)
		}
	}
	return out
}

// Errors returns the records that could not be decoded, in record order (nil when there are
// none).
func (rs Records) Errors() []*RecordError {
	var out []*RecordError
	for i := range rs {
		if e := rs[i].Err; e != nil {
			out = append(out, e)
		}
	}
	return out
}

// recordSpans returns the JSON of each of the n elements of Records in raw, an event that
// json.Unmarshal decoded, without decoding it again. It only walks the plain shape Lambda sends,
// {"Records":[{…},…]}, and returns nil for anything else (other keys, another spelling), for
// which splitRecords does the slower work.
func recordSpans(raw []byte, n int) [][]byte {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil
	}
	i = skipSpace(raw, i+1)
	const key = `"Records"`
	if !bytes.HasPrefix(raw[i:], []byte(key)) {
		return nil
	}
	i = skipSpace(raw, i+len(key))
	if i >= len(raw) || raw[i] != ':' {
		return nil
	}
	i = skipSpace(raw, i+1)
	if i >= len(raw) || raw[i] != '[' {
		return nil
	}
	spans := make([][]byte, 0, n)
	for {
		i = skipSpace(raw, i+1) // past '[' or ','
		end := objectEnd(raw, i)
		if end < 0 {
			return nil
		}
		spans = append(spans, raw[i:end])
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ',' {
			break
		}
	}
	if i >= len(raw) || raw[i] != ']' || len(spans) != n {
		return nil
	}
	if i = skipSpace(raw, i+1); i >= len(raw) || raw[i] != '}' || skipSpace(raw, i+1) != len(raw) {
		return nil
	}
	return spans
}

// objectEnd returns the index just past the JSON object that starts at raw[i], or -1. The input
// is known to be valid JSON, so only strings (which may hold braces) need care; their closing
// quote is found with bytes.IndexByte, which skips the long runs of text at memory speed.
func objectEnd(raw []byte, i int) int {
	if i >= len(raw) || raw[i] != '{' {
		return -1
	}
	depth := 0
	for i < len(raw) {
		switch raw[i] {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(raw[j:], '"')
				if k < 0 {
					return -1
				}
				j += k
				// The quote is escaped when an odd number of backslashes precede it.
				bs := 0
				for p := j - 1; p > i && raw[p] == '\\'; p-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			i = j
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t') {
		i++
	}
	return i
}
