package payload_test

import (
	"os"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// FuzzDecode feeds the decoder arbitrary bytes, seeded from every sample event. It must never
// panic, and whatever it returns must be usable downstream: every notification names a command,
// a status, a kind and a time; every error names its reason.
func FuzzDecode(f *testing.F) {
	for _, path := range samples(f) {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ns, errs := payload.Decode(raw)
		for _, n := range ns {
			if n.CommandID == "" || n.Status == "" || n.EventTime.IsZero() {
				t.Fatalf("incomplete notification: %+v", n)
			}
			switch n.Kind {
			case payload.KindCommand:
				if n.InstanceIDs == nil || n.InstanceID != "" {
					t.Fatalf("command with instance fields %#v %q", n.InstanceIDs, n.InstanceID)
				}
			case payload.KindInvocation:
				if n.InstanceID == "" {
					t.Fatalf("invocation without instance: %+v", n)
				}
			default:
				t.Fatalf("kind %q", n.Kind)
			}
			if n.EventTime.Location() != n.EventTime.UTC().Location() {
				t.Fatalf("eventTime not in UTC: %v", n.EventTime)
			}
			if _, err := n.MarshalJSON(); err != nil {
				t.Fatalf("marshal: %v", err)
			}
		}
		for _, e := range errs {
			if e == nil || e.Reason == "" || e.Code == "" || e.Error() == "" {
				t.Fatalf("error without code or reason: %#v", e)
			}
		}
	})
}
