package payload_test

import (
	"bytes"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// BenchmarkDecode measures one SNS record (the design's path), one SQS record carrying an SNS
// envelope, and a batch of ten SNS records per record. Goal: under 20 µs and 40 allocations per
// SNS record on a 2-core machine.
func BenchmarkDecode(b *testing.B) {
	sns := mustRead(b, "../../events/sns-command-failed.json")
	sqs := mustRead(b, "../../events/sqs-batch.json")
	eb := mustRead(b, "../../events/eventbridge-command.json")
	// Ten copies of the invocation record in one event.
	one := mustRead(b, "../../events/sns-invocation-failed.json")
	rec := bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(one), []byte(`{`+"\n"+`  "Records": [`)), []byte("]\n}"))
	rec = bytes.TrimSuffix(bytes.TrimSpace(rec), []byte("]"))
	batch := []byte(`{"Records":[` + string(bytes.Repeat(append(append([]byte{}, rec...), ','), 9)) + string(rec) + `]}`)
	if recs := payload.Decode(batch); len(recs.Notifications()) != 10 || len(recs.Errors()) != 0 {
		b.Fatalf("batch decoded to %d notifications, errors %v", len(recs.Notifications()), recs.Errors())
	}

	for _, bc := range []struct {
		name    string
		raw     []byte
		records int
	}{
		{"sns-record", sns, 1},
		{"sns-batch-of-10", batch, 10},
		{"sqs-batch-of-3", sqs, 3},
		{"eventbridge", eb, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.raw)))
			for b.Loop() {
				recs := payload.Decode(bc.raw)
				if len(recs) != bc.records {
					b.Fatal("decode failed")
				}
				for i := range recs {
					if recs[i].Notification == nil {
						b.Fatal("decode failed")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.records), "ns/record")
		})
	}
}
