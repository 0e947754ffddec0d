package payload_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// samples lists every sample event: the shipped ones under events/ (and events/bad/) and the
// decoder's own edge cases under testdata/.
func samples(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pattern := range []string{"../../events/*.json", "../../events/bad/*.json", "testdata/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		tb.Fatalf("found only %d sample events; is the working directory the package folder?", len(files))
	}
	return files
}

// goldenName maps a sample path to its golden file: events/bad/x.json → bad-x.golden.json.
func goldenName(path string) string {
	rel := filepath.ToSlash(path)
	rel = strings.TrimPrefix(rel, "../../events/")
	rel = strings.TrimPrefix(rel, "testdata/")
	if strings.HasPrefix(path, "testdata/") {
		rel = "testdata-" + rel
	}
	rel = strings.ReplaceAll(rel, "/", "-")
	return filepath.Join("testdata", "golden", strings.TrimSuffix(rel, ".json")+".golden.json")
}

type goldenErr struct {
	Index     int    `json:"index"`
	Source    string `json:"source,omitempty"`
	MessageID string `json:"messageId,omitempty"`
	Code      string `json:"code"`
	Error     string `json:"error"`
}

type golden struct {
	Notifications []payload.Notification `json:"notifications"`
	Errors        []goldenErr            `json:"errors"`
}

// TestDecodeGolden decodes every sample and compares the normalized result with its golden file.
// Run `go test ./internal/payload -update` after an intended change and review the diff.
func TestDecodeGolden(t *testing.T) {
	for _, path := range samples(t) {
		t.Run(strings.TrimPrefix(filepath.ToSlash(path), "../../"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ns, errs := decode(raw)
			g := golden{Notifications: ns, Errors: []goldenErr{}}
			if g.Notifications == nil {
				g.Notifications = []payload.Notification{}
			}
			for _, e := range errs {
				g.Errors = append(g.Errors, goldenErr{e.Index, string(e.Source), e.MessageID, e.Code, e.Error()})
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			gp := goldenName(path)
			if *update {
				if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gp, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded %s differs from %s (run with -update and review):\n got: %s\nwant: %s", path, gp, got, want)
			}
		})
	}
}

// TestShippedSamples checks what the events/ folder promises: every good sample decodes without
// error, every file in bad/ yields at least one error, and the five statuses appear for both kinds.
func TestShippedSamples(t *testing.T) {
	seen := map[payload.Kind]map[payload.Status]bool{payload.KindCommand: {}, payload.KindInvocation: {}}
	good, _ := filepath.Glob("../../events/*.json")
	for _, path := range good {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ns, errs := decode(raw)
		if strings.HasPrefix(filepath.Base(path), "scheduled-digest") {
			if len(errs) != 1 || errs[0].Code != payload.CodeUnsupportedEvent {
				t.Errorf("%s: the digest's event must be refused by the router's decoder, got %v", path, errs)
			}
			continue
		}
		if len(errs) != 0 || len(ns) == 0 {
			t.Errorf("%s: got %d notifications and errors %v", path, len(ns), errs)
		}
		for _, n := range ns {
			seen[n.Kind][n.Status] = true
		}
	}
	for kind, statuses := range seen {
		for _, s := range payload.StandardStatuses {
			if !statuses[s] {
				t.Errorf("no sample event for a %s notification with status %s", kind, s)
			}
		}
	}
	bad, _ := filepath.Glob("../../events/bad/*.json")
	if len(bad) < 5 {
		t.Fatalf("only %d bad samples", len(bad))
	}
	for _, path := range bad {
		raw, _ := os.ReadFile(path)
		if _, errs := decode(raw); len(errs) == 0 {
			t.Errorf("%s: decoded without error", path)
		}
	}
}

// decode is payload.Decode split into notifications and errors, which is what most tests check.
func decode(raw []byte) ([]payload.Notification, []*payload.RecordError) {
	recs := payload.Decode(raw)
	return recs.Notifications(), recs.Errors()
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func mustDecodeOne(tb testing.TB, raw []byte) payload.Notification {
	tb.Helper()
	ns, errs := decode(raw)
	if len(errs) != 0 || len(ns) != 1 {
		tb.Fatalf("want one notification, got %d and errors %v", len(ns), errs)
	}
	return ns[0]
}

func TestDecodeFields(t *testing.T) {
	ts := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, n payload.Notification)
	}{
		{"summary has instance list, S3 output, region and account from TopicArn", "../../events/sns-command-failed.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindCommand || len(n.InstanceIDs) != 3 || n.InstanceID != "" {
				t.Errorf("kind %s, instanceIds %v, instanceId %q", n.Kind, n.InstanceIDs, n.InstanceID)
			}
			if n.Region != "us-east-1" || n.Account != "111122223333" {
				t.Errorf("region %q account %q", n.Region, n.Account)
			}
			if n.OutputS3BucketName != "ops-ssm-output" || n.OutputS3KeyPrefix != "runcommand" {
				t.Errorf("S3 %q %q", n.OutputS3BucketName, n.OutputS3KeyPrefix)
			}
			if !n.EventTime.Equal(ts("2026-05-04T10:03:12.204Z")) || n.ExpiresAfter.IsZero() || !n.ExpiresAfter.Equal(ts("2026-05-04T11:10:00.5Z")) {
				t.Errorf("times %v %v", n.EventTime, n.ExpiresAfter)
			}
		}},
		{"tag-targeted summary keeps an empty, non-nil instance list", "../../events/sns-command-tag-targeted.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindCommand || n.InstanceIDs == nil || len(n.InstanceIDs) != 0 || n.OutputS3BucketName != "" {
				t.Errorf("kind %s instanceIds %#v bucket %q", n.Kind, n.InstanceIDs, n.OutputS3BucketName)
			}
			b, _ := json.Marshal(n)
			if !bytes.Contains(b, []byte(`"instanceIds":[]`)) {
				t.Errorf("JSON lacks instanceIds []: %s", b)
			}
		}},
		{"invocation names one instance and no instance list", "../../events/sns-invocation-failed.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindInvocation || n.InstanceID != "i-0ddd3333eeee4444f" || n.InstanceIDs != nil || n.Target() != n.InstanceID {
				t.Errorf("kind %s instance %q ids %v", n.Kind, n.InstanceID, n.InstanceIDs)
			}
			b, _ := json.Marshal(n)
			if bytes.Contains(b, []byte(`instanceIds`)) {
				t.Errorf("invocation JSON has instanceIds: %s", b)
			}
		}},
		{"PascalCase summary reads like camelCase", "../../events/sns-pascalcase.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindCommand || n.CommandID != "7a6b5c4d-8888-4a1b-9c2d-7890abcdef01" || n.DocumentName != "AWS-ConfigureAWSPackage" || n.Status != payload.StatusFailed {
				t.Errorf("%+v", n)
			}
			if !slices.Equal(n.InstanceIDs, []string{"i-0eee5555ffff6666a"}) || n.ExpiresAfter.IsZero() || n.OutputS3KeyPrefix != "packages" {
				t.Errorf("ids %v expires %v prefix %q", n.InstanceIDs, n.ExpiresAfter, n.OutputS3KeyPrefix)
			}
		}},
		{"PascalCase invocation", "testdata/sns-pascalcase-invocation.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindInvocation || n.InstanceID != "i-0eee5555ffff6666a" {
				t.Errorf("%+v", n)
			}
		}},
		{"missing eventTime falls back to the SNS Timestamp; absent Subject is fine", "testdata/sns-no-eventtime-no-subject.json", func(t *testing.T, n payload.Notification) {
			if !n.EventTime.Equal(ts("2026-05-04T10:15:43.051Z")) {
				t.Errorf("eventTime %v", n.EventTime)
			}
		}},
		{"EventBridge command: instances from resources, region and account from the event", "../../events/eventbridge-command.json", func(t *testing.T, n payload.Notification) {
			if n.Source != payload.SourceEventBridge || n.Kind != payload.KindCommand || len(n.InstanceIDs) != 2 || n.Account != "111122223333" || n.Region != "us-east-1" {
				t.Errorf("%+v", n)
			}
			if !n.EventTime.Equal(ts("2026-05-04T15:31:07Z")) || n.ExpiresAfter.IsZero() {
				t.Errorf("times %v %v", n.EventTime, n.ExpiresAfter)
			}
		}},
		{"EventBridge parameters as a JSON string", "testdata/eventbridge-parameters-string.json", func(t *testing.T, n payload.Notification) {
			if n.Status != payload.StatusCancelled || n.CommandID == "" {
				t.Errorf("%+v", n)
			}
		}},
		{"EventBridge invocation", "../../events/eventbridge-invocation.json", func(t *testing.T, n payload.Notification) {
			if n.Kind != payload.KindInvocation || n.InstanceID != "i-0fedcba9876543210" {
				t.Errorf("%+v", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustDecodeOne(t, mustRead(t, tc.file)))
		})
	}
}

func TestDecodeSQS(t *testing.T) {
	recs := payload.Decode(mustRead(t, "../../events/sqs-batch.json"))
	ns, errs := recs.Notifications(), recs.Errors()
	if len(errs) != 0 || len(ns) != 3 {
		t.Fatalf("got %d notifications, errors %v", len(ns), errs)
	}
	// Envelope: the notification's message ID is SNS's (duplicates share it); the record ID is
	// SQS's (batchItemFailures name it).
	if ns[0].MessageID == recs[0].ID || !strings.HasPrefix(recs[0].ID, "059f36b4") || ns[0].TopicARN == "" {
		t.Errorf("envelope record: messageId %q recordId %q topic %q", ns[0].MessageID, recs[0].ID, ns[0].TopicARN)
	}
	// Raw delivery: no envelope, region and account from the queue ARN.
	if ns[1].MessageID != recs[1].ID || ns[1].Region != "us-east-1" || ns[1].Account != "111122223333" || ns[1].Status != payload.StatusSuccess {
		t.Errorf("raw record: %+v", ns[1])
	}
	// The third is a redelivery of events/sns-invocation-failed.json: same SNS MessageId.
	orig := mustDecodeOne(t, mustRead(t, "../../events/sns-invocation-failed.json"))
	if ns[2].MessageID != orig.MessageID || recs[2].Index != 2 {
		t.Errorf("redelivery messageId %q, want %q", ns[2].MessageID, orig.MessageID)
	}
}

func TestStatusSpellings(t *testing.T) {
	ns, errs := decode(mustRead(t, "testdata/sns-status-spellings.json"))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []struct {
		status      payload.Status
		nonStandard bool
	}{
		{payload.StatusInProgress, false}, {payload.StatusTimedOut, false}, {payload.StatusCancelled, false},
		{payload.StatusSuccess, false}, {payload.StatusFailed, false},
		{payload.StatusDelayed, true}, {payload.StatusUndeliverable, true}, {payload.StatusDeliveryTimedOut, true},
		{"Exploded", true},
	}
	if len(ns) != len(want) {
		t.Fatalf("got %d notifications", len(ns))
	}
	for i, w := range want {
		if ns[i].Status != w.status || ns[i].NonStandard != w.nonStandard {
			t.Errorf("%q: got %q nonStandard=%v, want %q nonStandard=%v", ns[i].StatusRaw, ns[i].Status, ns[i].NonStandard, w.status, w.nonStandard)
		}
		if ns[i].EventTime.Nanosecond() != 123456700 {
			t.Errorf("%q: seven fractional digits read as %v", ns[i].StatusRaw, ns[i].EventTime)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		raw      string
		want     payload.Status
		standard bool
		ok       bool
	}{
		{"InProgress", payload.StatusInProgress, true, true},
		{"In Progress", payload.StatusInProgress, true, true},
		{"in_progress", payload.StatusInProgress, true, true},
		{"Success", payload.StatusSuccess, true, true},
		{"Failed", payload.StatusFailed, true, true},
		{"TimedOut", payload.StatusTimedOut, true, true},
		{"Timed Out", payload.StatusTimedOut, true, true},
		{"Cancelled", payload.StatusCancelled, true, true},
		{"Canceled", payload.StatusCancelled, true, true},
		{"CANCELED", payload.StatusCancelled, true, true},
		{"Pending", payload.StatusPending, false, true},
		{"Cancelling", payload.StatusCancelling, false, true},
		{"Canceling", payload.StatusCancelling, false, true},
		{"Execution Timed Out", payload.StatusExecutionTimedOut, false, true},
		{"Access Denied", payload.StatusAccessDenied, false, true},
		{"No Instances In Tag", payload.StatusNoInstancesInTag, false, true},
		{"  Succeeded  ", payload.StatusSuccess, true, true},
		{"Failed2", "Failed2", false, true},
		{"Fäiled", "Fäiled", false, true},
		{"", "", false, false},
		{"   ", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, standard, ok := payload.ParseStatus(tc.raw)
			if got != tc.want || standard != tc.standard || ok != tc.ok {
				t.Errorf("ParseStatus(%q) = %q, %v, %v; want %q, %v, %v", tc.raw, got, standard, ok, tc.want, tc.standard, tc.ok)
			}
		})
	}
}

func TestStatusClasses(t *testing.T) {
	for _, s := range []payload.Status{payload.StatusSuccess, payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled, payload.StatusUndeliverable, payload.StatusExecutionTimedOut} {
		if !s.Terminal() {
			t.Errorf("%s should be terminal", s)
		}
	}
	for _, s := range []payload.Status{payload.StatusInProgress, payload.StatusPending, payload.StatusDelayed, payload.StatusCancelling, "Exploded"} {
		if s.Terminal() || s.Failure() {
			t.Errorf("%s should be neither terminal nor a failure", s)
		}
	}
	if payload.StatusSuccess.Failure() || !payload.StatusTimedOut.Failure() {
		t.Error("Success is not a failure; TimedOut is")
	}
	if payload.StatusTimedOut.Words() != "Timed Out" || payload.StatusCancelled.Words() != "Canceled" {
		t.Error("Words should use the console's spelling")
	}
}

func TestBadInput(t *testing.T) {
	big := `{"Records":[{"EventSource":"aws:sns","Sns":{"Type":"Notification","MessageId":"big-1","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"{\"commandId\":\"c\",\"status\":\"Failed\",\"documentName\":\"` +
		strings.Repeat("x", payload.MaxMessageBytes) + `\",\"eventTime\":\"2026-05-04T10:00:00Z\"}"}}]}`
	tests := []struct {
		name      string
		raw       string
		file      string
		wantGood  int
		wantCodes []string
		wantIn    []string // substrings each error message must contain, in order of errors
	}{
		{name: "empty input", raw: "", wantCodes: []string{payload.CodeNotJSON}},
		{name: "truncated JSON", file: "../../events/bad/not-json.json", wantCodes: []string{payload.CodeNotJSON}, wantIn: []string{"not valid JSON"}},
		{name: "JSON array", file: "testdata/not-an-object.json", wantCodes: []string{payload.CodeNotJSON}},
		{name: "bare Run Command message", file: "testdata/bare-run-command-message.json", wantCodes: []string{payload.CodeUnsupportedEvent}, wantIn: []string{"bare Run Command message"}},
		{name: "SNS console test message", file: "../../events/bad/sns-console-test-message.json", wantCodes: []string{payload.CodeNotRunCommand}, wantIn: []string{"plain text"}},
		{name: "subscription confirmation", file: "../../events/bad/subscription-confirmation.json", wantCodes: []string{payload.CodeNotRunCommand}, wantIn: []string{"SubscriptionConfirmation"}},
		{name: "unsubscribe confirmation", file: "testdata/unsubscribe-confirmation.json", wantCodes: []string{payload.CodeNotRunCommand}},
		{name: "CloudWatch alarm", file: "../../events/bad/cloudwatch-alarm.json", wantCodes: []string{payload.CodeNotRunCommand}, wantIn: []string{"CloudWatch alarm"}},
		{name: "missing commandId", file: "../../events/bad/missing-command-id.json", wantCodes: []string{payload.CodeMissingField}, wantIn: []string{"no commandId"}},
		{name: "bad eventTime", file: "../../events/bad/bad-event-time.json", wantCodes: []string{payload.CodeBadTime}, wantIn: []string{"eventTime"}},
		{name: "one bad record among good ones", file: "../../events/bad/mixed-batch.json", wantGood: 2, wantCodes: []string{payload.CodeNotJSON}, wantIn: []string{"record 1 (sns message"}},
		{name: "a record of the wrong shape among good ones", file: "testdata/sns-wrong-shape-record.json", wantGood: 2, wantCodes: []string{payload.CodeNotRunCommand}, wantIn: []string{"record 1 (sns message"}},
		{name: "bad SQS bodies", file: "testdata/sqs-bad-bodies.json", wantCodes: []string{payload.CodeNotJSON, payload.CodeNotRunCommand, payload.CodeUnsupportedEvent}, wantIn: []string{"record 0 (sqs message", "record 1 (sqs message", "record 2 (message k-1)"}},
		{name: "EventBridge from another source", file: "testdata/eventbridge-wrong-source.json", wantCodes: []string{payload.CodeUnsupportedEvent}, wantIn: []string{"aws.ec2"}},
		{name: "scheduled event sent to the router", file: "../../events/bad/scheduled-event-to-router.json", wantCodes: []string{payload.CodeUnsupportedEvent}, wantIn: []string{"Scheduled Event"}},
		{name: "message over 256 KiB", raw: big, wantCodes: []string{payload.CodeTooLarge}, wantIn: []string{"record 0 (sns message big-1)"}},
		{name: "empty batch", file: "testdata/empty-records.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			if tc.file != "" {
				raw = mustRead(t, tc.file)
			}
			ns, errs := decode(raw)
			if len(ns) != tc.wantGood {
				t.Errorf("got %d good notifications, want %d", len(ns), tc.wantGood)
			}
			var codes []string
			for _, e := range errs {
				codes = append(codes, e.Code)
				var re *payload.RecordError
				if !errors.As(error(e), &re) || e.Reason == "" {
					t.Errorf("error without a reason: %#v", e)
				}
			}
			if !slices.Equal(codes, tc.wantCodes) {
				t.Errorf("codes %v, want %v (errors: %v)", codes, tc.wantCodes, errs)
			}
			for i, sub := range tc.wantIn {
				if i < len(errs) && !strings.Contains(errs[i].Error(), sub) {
					t.Errorf("error %d %q does not contain %q", i, errs[i].Error(), sub)
				}
			}
			for _, e := range errs {
				if len(e.Error()) > 400 {
					t.Errorf("error message is %d bytes long: it must name the problem, not quote the input", len(e.Error()))
				}
			}
		})
	}
}

func TestRecordEvent(t *testing.T) {
	raw := mustRead(t, "../../events/bad/mixed-batch.json")
	recs := payload.Decode(raw)
	ns, errs := decode(recs[2].Event())
	if len(errs) != 0 || len(ns) != 1 || ns[0].InstanceID != "i-0ddd3333eeee4444f" {
		t.Fatalf("record 2 alone decodes to %v, %v", ns, errs)
	}
	_, errs = decode(recs[1].Event())
	if len(errs) != 1 || errs[0].Index != 0 {
		t.Errorf("the bad record alone: %v", errs)
	}
	eb := mustRead(t, "../../events/eventbridge-command.json")
	if !bytes.Equal(payload.Decode(eb)[0].Event(), eb) {
		t.Error("an EventBridge event is kept whole")
	}
}

// TestRecords checks what each record carries for the steps after decoding: its source, its IDs
// for a partial batch response, and its own event, which replays to the same record.
func TestRecords(t *testing.T) {
	recs := payload.Decode(mustRead(t, "../../events/sqs-batch.json"))
	if len(recs) != 3 || recs.Source() != payload.SourceSQS {
		t.Fatalf("%d records from %q", len(recs), recs.Source())
	}
	for i, r := range recs {
		if r.Index != i || r.Source != payload.SourceSQS || r.Notification == nil || r.Err != nil || r.Render != nil {
			t.Errorf("record %d: %+v", i, r)
		}
		if want := fmt.Sprintf("059f36b4-0000-4000-8000-0000000000%d", 14+i); r.ID != want || r.ReceiptHandle != "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a0000"+want[len(want)-2:] {
			t.Errorf("record %d: ID %q receipt handle %q", i, r.ID, r.ReceiptHandle)
		}
		var ev struct {
			Records []json.RawMessage
		}
		if err := json.Unmarshal(r.Event(), &ev); err != nil || len(ev.Records) != 1 || !strings.Contains(string(ev.Records[0]), r.ID) {
			t.Errorf("record %d's event is not a one-record event: %v %s", i, err, r.Event())
		}
		again := payload.Decode(r.Event())
		if len(again) != 1 || again[0].ID != r.ID || again[0].Notification == nil || !reflect.DeepEqual(*again[0].Notification, *r.Notification) {
			t.Errorf("record %d replays as %+v", i, again)
		}
	}

	// A batch that is not in Lambda's plain shape (another key, another spelling, white space)
	// splits the slow way, to the same events.
	twice := strings.Replace(string(mustRead(t, "../../events/sqs-batch.json")), `"Records"`, `"records"`, 1)
	twice = strings.TrimSuffix(strings.TrimSpace(twice), "}") + `, "extra": {"Records": []} }`
	for i, r := range payload.Decode([]byte(twice)) {
		if !bytes.Equal(r.Event(), recs[i].Event()) {
			t.Errorf("record %d of an unusual batch: %s", i, r.Event())
		}
	}

	sns := mustRead(t, "../../events/sns-invocation-failed.json")
	one := payload.Decode(sns)
	if len(one) != 1 || one[0].Source != payload.SourceSNS || one[0].ID != one[0].Notification.MessageID || !bytes.Equal(one[0].Event(), sns) {
		t.Errorf("one SNS record: %+v, its event is the input: %v", one, bytes.Equal(one[0].Event(), sns))
	}

	bad := payload.Decode(mustRead(t, "testdata/sqs-bad-bodies.json"))
	if bad.Source() != payload.SourceSQS || bad[1].Source != payload.SourceSQS || bad[2].Source != "" || bad[2].ID != "k-1" {
		t.Errorf("an SQS batch of bad records is still an SQS batch (its response names them): %+v", bad)
	}
	unreadable := payload.Decode([]byte(`{"Records": [`))
	if len(unreadable) != 1 || unreadable[0].Err == nil || unreadable[0].Source != "" || string(unreadable[0].Event()) != `{"Records": [` {
		t.Errorf("unreadable input: %+v", unreadable)
	}
}

// TestRenderRequests checks that the render queue's requests are told from notifications by
// their typed key, record by record, and handed over undecoded.
func TestRenderRequests(t *testing.T) {
	recs := payload.Decode(mustRead(t, "testdata/sqs-render-requests.json"))
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	var req struct{ CommandID, Destination, Channel string }
	if r := recs[0]; r.Render == nil || r.Notification != nil || r.Err != nil || r.ID != "render-0" || r.Source != payload.SourceSQS || json.Unmarshal(r.Render, &req) != nil || req.Channel != "#ops" {
		t.Errorf("render request: %+v (%+v)", r, req)
	}
	if r := recs[1]; r.Notification == nil || r.Notification.Status != payload.StatusSuccess {
		t.Errorf("the notification in the same batch: %+v", r)
	}
	// A body whose key holds no request is not one: it is bad input, named.
	if r := recs[2]; r.Err == nil || r.Render != nil || r.Err.Code != payload.CodeNotRunCommand {
		t.Errorf("empty render request: %+v", r)
	}
	// The key inside a notification's text is just text.
	sneaky := mustRead(t, "../../events/sns-invocation-failed.json")
	sneaky = bytes.Replace(sneaky, []byte(`AWS-RunPatchBaseline`), []byte(`ssmnotifyRender`), 1)
	if r := payload.Decode(sneaky); len(r) != 1 || r[0].Notification == nil || r[0].Notification.DocumentName != "ssmnotifyRender" {
		t.Errorf("a document named after the key: %+v", r)
	}
}
