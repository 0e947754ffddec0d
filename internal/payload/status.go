package payload

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Status is a Run Command status in its canonical spelling.
type Status string

// The five statuses SNS sends for Run Command, in their API spelling.
const (
	StatusInProgress Status = "InProgress"
	StatusSuccess    Status = "Success"
	StatusFailed     Status = "Failed"
	StatusTimedOut   Status = "TimedOut"
	StatusCancelled  Status = "Cancelled"
)

// Statuses that exist in the API or as detailed statuses but are not sent by SNS. A message with
// one of them is decoded and marked non-standard.
const (
	StatusPending           Status = "Pending"
	StatusDelayed           Status = "Delayed"
	StatusCancelling        Status = "Cancelling"
	StatusDeliveryTimedOut  Status = "DeliveryTimedOut"
	StatusExecutionTimedOut Status = "ExecutionTimedOut"
	StatusUndeliverable     Status = "Undeliverable"
	StatusTerminated        Status = "Terminated"
	StatusInvalidPlatform   Status = "InvalidPlatform"
	StatusAccessDenied      Status = "AccessDenied"
	StatusIncomplete        Status = "Incomplete"
	StatusRateExceeded      Status = "RateExceeded"
	StatusNoInstancesInTag  Status = "NoInstancesInTag"
)

// StandardStatuses are the statuses SNS sends, in lifecycle order.
var StandardStatuses = []Status{StatusInProgress, StatusSuccess, StatusFailed, StatusTimedOut, StatusCancelled}

// statusByKey maps a folded spelling (lower case, letters only) to the canonical status.
var statusByKey = map[string]Status{
	"inprogress":        StatusInProgress,
	"success":           StatusSuccess,
	"succeeded":         StatusSuccess,
	"failed":            StatusFailed,
	"timedout":          StatusTimedOut,
	"cancelled":         StatusCancelled,
	"canceled":          StatusCancelled,
	"pending":           StatusPending,
	"delayed":           StatusDelayed,
	"cancelling":        StatusCancelling,
	"canceling":         StatusCancelling,
	"deliverytimedout":  StatusDeliveryTimedOut,
	"executiontimedout": StatusExecutionTimedOut,
	"undeliverable":     StatusUndeliverable,
	"terminated":        StatusTerminated,
	"invalidplatform":   StatusInvalidPlatform,
	"accessdenied":      StatusAccessDenied,
	"incomplete":        StatusIncomplete,
	"rateexceeded":      StatusRateExceeded,
	"noinstancesintag":  StatusNoInstancesInTag,
}

// ParseStatus maps any spelling of a status — API enum ("TimedOut"), console words ("Timed Out"),
// British or American ("Cancelled", "Canceled"), any case — to its canonical form. standard
// reports whether it is one of the five SNS sends. An unknown status is kept as it came (trimmed),
// non-standard; ok is false only for an empty string.
func ParseStatus(raw string) (s Status, standard, ok bool) {
	var buf [32]byte
	key := foldStatus(buf[:0], raw)
	if len(key) == 0 {
		return "", false, false
	}
	// The string(key) conversion in a map index does not allocate.
	if s, found := statusByKey[string(key)]; found {
		return s, s.Standard(), true
	}
	return Status(strings.TrimSpace(raw)), false, true
}

// foldStatus appends raw to b lower-cased and without separators, so "Timed Out", "timed_out" and
// "TIMEDOUT" fold alike.
func foldStatus(b []byte, raw string) []byte {
	for _, r := range raw {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		case r == ' ' || r == '_' || r == '-' || unicode.IsSpace(r):
		default:
			// Anything else (digits, punctuation, non-ASCII) makes it an unknown status: keep the
			// character so it cannot fold onto a known one.
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	}
	return b
}

// Standard reports whether s is one of the five statuses SNS sends.
func (s Status) Standard() bool {
	switch s {
	case StatusInProgress, StatusSuccess, StatusFailed, StatusTimedOut, StatusCancelled:
		return true
	}
	return false
}

// Terminal reports whether no further status can follow s. Besides Success, Failed, TimedOut and
// Cancelled, the detailed statuses that end an invocation are terminal.
func (s Status) Terminal() bool {
	switch s {
	case StatusSuccess:
		return true
	}
	return s.Failure()
}

// Failure reports whether s means the command or invocation did not succeed: Failed, TimedOut,
// Cancelled, and the detailed statuses that end in failure.
func (s Status) Failure() bool {
	switch s {
	case StatusFailed, StatusTimedOut, StatusCancelled,
		StatusDeliveryTimedOut, StatusExecutionTimedOut, StatusUndeliverable, StatusTerminated,
		StatusInvalidPlatform, StatusAccessDenied, StatusIncomplete, StatusRateExceeded,
		StatusNoInstancesInTag:
		return true
	}
	return false
}

// Words is the status as the console writes it ("Timed Out", "In Progress"), for humans.
func (s Status) Words() string {
	switch s {
	case StatusInProgress:
		return "In Progress"
	case StatusTimedOut:
		return "Timed Out"
	case StatusCancelled:
		return "Canceled"
	case StatusDeliveryTimedOut:
		return "Delivery Timed Out"
	case StatusExecutionTimedOut:
		return "Execution Timed Out"
	case StatusInvalidPlatform:
		return "Invalid Platform"
	case StatusAccessDenied:
		return "Access Denied"
	case StatusRateExceeded:
		return "Rate Exceeded"
	case StatusNoInstancesInTag:
		return "No Instances In Tag"
	}
	return string(s)
}
