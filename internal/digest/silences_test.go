package digest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/digest/view"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

func addSilence(t *testing.T, st silence.Store, starts, ends time.Time, matchers ...string) silence.Silence {
	t.Helper()
	s := statetest.NewSilence(t, time.Hour, matchers...)
	s.Starts, s.Ends = starts, ends
	got, err := st.Add(t.Context(), s, starts)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDigestSilences: the digest names the active silences and what each held back in the
// window, those ending within a day, and — once, in the window of its end — a silence that
// ended without holding anything back.
func TestDigestSilences(t *testing.T) {
	store := memory.New()
	set := config(t, "24h", false)
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	fail := func(doc, inst string, h int) {
		n := statetest.Invocation("c-"+inst, inst, payload.StatusFailed, day.Add(time.Duration(h)*time.Hour))
		n.DocumentName = doc
		observe(t, store, n)
	}
	// The window is [4 May 07:00, 5 May 07:00) UTC.
	patch := addSilence(t, store, day.Add(18*time.Hour), day.Add(36*time.Hour), "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	unused := addSilence(t, store, day.Add(8*time.Hour), day.Add(9*time.Hour), "document=AWS-UpdateSSMAgent")
	long := addSilence(t, store, day.Add(8*time.Hour), day.Add(6*24*time.Hour), "instance=i-quiet")
	addSilence(t, store, day.Add(-48*time.Hour), day.Add(-47*time.Hour), "document=Old") // ended before the window
	fail("AWS-RunPatchBaseline", "i-1", 20)
	fail("AWS-RunPatchBaseline", "i-2", 21)
	fail("AWS-RunPatchBaseline", "i-3", 22)
	fail("AWS-RunPatchBaseline", "i-4", 10) // before the silence started
	fail("AWS-RunShellScript", "i-5", 20)

	send := &fakeSender{}
	h := &digest.Handler{Rules: set, Store: store, Send: send, Silences: store, Now: func() time.Time { return scheduled.Add(time.Minute) }}
	rep, err := h.Run(t.Context(), event("aws.scheduler", scheduled))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != 5 {
		t.Errorf("silenced failures must still be counted: total %d, want 5", rep.Summary.Total)
	}
	got := map[string]tally.Silence{}
	for _, s := range rep.Summary.Silences {
		got[s.ID] = s
	}
	if len(got) != 3 {
		t.Fatalf("silences in the digest: %+v, want the patch, unused and long ones", rep.Summary.Silences)
	}
	if s := got[patch.ID]; s.Kind != tally.SilenceExpiring || s.HeldBack != 3 {
		t.Errorf("patch silence: %+v, want expiring, held back 3", s)
	}
	if s := got[unused.ID]; s.Kind != tally.SilenceUnused {
		t.Errorf("unused silence: %+v", s)
	}
	if s := got[long.ID]; s.Kind != tally.SilenceActive || s.HeldBack != 0 {
		t.Errorf("long silence: %+v", s)
	}

	msg := view.Slack(rep.Summary, view.Options{})
	text := string(mustJSON(t, msg.Blocks))
	for _, want := range []string{"*Silences*", "Silenced by alice: patch night", "held back 3 failures in this window", "(within a day)", "Ended without holding anything back"} {
		if !strings.Contains(text, want) {
			t.Errorf("Slack digest lacks %q:\n%s", want, text)
		}
	}
	email, err := view.Email(rep.Summary, view.Options{})
	if err != nil || !strings.Contains(email.Text, "held back 3 failures") || !strings.Contains(email.HTML, "patch night") {
		t.Errorf("email digest lacks the silences: %v\n%s", err, email.Text)
	}

	// The next day's digest does not mention the unused silence again.
	next := scheduled.Add(24 * time.Hour)
	h.Now = func() time.Time { return next.Add(time.Minute) }
	rep, err = h.Run(t.Context(), event("aws.scheduler", next))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Summary.Silences {
		if s.ID == unused.ID {
			t.Errorf("the unused silence was mentioned twice: %+v", s)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
