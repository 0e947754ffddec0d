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
	if ns, errs := payload.Decode(batch); len(ns) != 10 || len(errs) != 0 {
		b.Fatalf("batch decoded to %d notifications, errors %v", len(ns), errs)
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
				ns, errs := payload.Decode(bc.raw)
				if len(ns) != bc.records || errs != nil {
					b.Fatal("decode failed")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.records), "ns/record")
		})
	}
}
