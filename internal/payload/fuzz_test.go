package payload_test

import (
	"bytes"
	"os"
	"reflect"
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
		recs := payload.Decode(raw)
		ns, errs := recs.Notifications(), recs.Errors()
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
		// Every record is exactly one thing, and its own event replays to that same thing.
		for i := range recs {
			r := &recs[i]
			if r.Index != i {
				t.Fatalf("record %d has index %d", i, r.Index)
			}
			set := 0
			for _, ok := range []bool{r.Notification != nil, r.Render != nil, r.Err != nil} {
				if ok {
					set++
				}
			}
			if set != 1 {
				t.Fatalf("record %d is %d things: %+v", i, set, r)
			}
			again := payload.Decode(r.Event())
			if len(again) != 1 {
				t.Fatalf("record %d's event decodes to %d records: %q", i, len(again), r.Event())
			}
			a := &again[0]
			switch {
			case r.Notification != nil:
				if a.Notification == nil || !reflect.DeepEqual(*a.Notification, *r.Notification) {
					t.Fatalf("record %d replays as %+v, was %+v", i, a, r.Notification)
				}
			case r.Render != nil:
				if !bytes.Equal(a.Render, r.Render) {
					t.Fatalf("render request %d replays as %+v", i, a)
				}
			case a.Err == nil || a.Err.Code != r.Err.Code:
				t.Fatalf("bad record %d (%v) replays as %+v", i, r.Err, a)
			}
			if a.Source != r.Source || a.ID != r.ID {
				t.Fatalf("record %d replays from %s %q, was %s %q", i, a.Source, a.ID, r.Source, r.ID)
			}
		}
	})
}
