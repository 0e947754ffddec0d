package statetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/silence"
)

// SilenceFactory returns an empty silence store for one test.
type SilenceFactory func(t *testing.T) silence.Store

// RunSilences runs the silence store contract against stores from newStore.
func RunSilences(t *testing.T, newStore SilenceFactory) {
	t.Run("AddAndRead", func(t *testing.T) { testSilenceAdd(t, newStore(t)) })
	t.Run("Invalid", func(t *testing.T) { testSilenceInvalid(t, newStore(t)) })
	t.Run("Expire", func(t *testing.T) { testSilenceExpire(t, newStore(t)) })
	t.Run("Edit", func(t *testing.T) { testSilenceEdit(t, newStore(t)) })
	t.Run("ConcurrentAdds", func(t *testing.T) { testSilenceConcurrent(t, newStore(t), 20) })
	t.Run("TTL", func(t *testing.T) { testSilenceTTL(t, newStore(t)) })
	t.Run("MarkMatched", func(t *testing.T) { testSilenceMatched(t, newStore(t)) })
}

// NewSilence is a valid silence from Base for d, with matchers written as on the command line.
func NewSilence(tb testing.TB, d time.Duration, matchers ...string) silence.Silence {
	tb.Helper()
	s := silence.Silence{Starts: Base, Ends: Base.Add(d), Author: "alice", Comment: "patch night"}
	for _, a := range matchers {
		m, err := silence.ParseMatcher(a)
		if err != nil {
			tb.Fatal(err)
		}
		s.Matchers = append(s.Matchers, m)
	}
	return s
}

func mustAdd(t *testing.T, st silence.Store, s silence.Silence, now time.Time) silence.Silence {
	t.Helper()
	got, err := st.Add(t.Context(), s, now)
	if err != nil {
		t.Fatalf("add %s: %v", s.Matchers, err)
	}
	return got
}

func mustList(t *testing.T, st silence.Store, now time.Time) map[string]silence.Silence {
	t.Helper()
	list, err := st.Silences(t.Context(), now)
	if err != nil {
		t.Fatalf("silences: %v", err)
	}
	out := map[string]silence.Silence{}
	for _, s := range list {
		out[s.ID] = s
	}
	if len(out) != len(list) {
		t.Fatalf("duplicate IDs in %v", list)
	}
	return out
}

func testSilenceAdd(t *testing.T, st silence.Store) {
	in := NewSilence(t, 4*time.Hour, "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	got := mustAdd(t, st, in, Base)
	if got.ID == "" || !got.Created.Equal(Base) {
		t.Fatalf("added %+v: no ID or created time", got)
	}
	list := mustList(t, st, Base)
	back, ok := list[got.ID]
	if !ok || len(list) != 1 {
		t.Fatalf("read %v, want just %s", list, got.ID)
	}
	if !back.Matchers.Equal(in.Matchers) || !back.Starts.Equal(in.Starts) || !back.Ends.Equal(in.Ends) || back.Author != "alice" || back.Comment != "patch night" {
		t.Fatalf("read back %+v, stored %+v", back, in)
	}
	n := Invocation("c-1", "i-1", payload.StatusTimedOut, Base)
	n.DocumentName = "AWS-RunPatchBaseline"
	if !back.Matches(silence.Target{N: n}) {
		t.Error("the stored regexp matcher no longer matches")
	}
	// A pending silence is stored and read, but not active yet.
	p := in
	p.Starts, p.Ends = Base.Add(time.Hour), Base.Add(2*time.Hour)
	pend := mustAdd(t, st, p, Base)
	if s := mustList(t, st, Base)[pend.ID]; s.StateAt(Base) != silence.Pending || silence.Find([]silence.Silence{s}, silence.Target{N: n}, Base) != nil {
		t.Errorf("pending silence %+v is not pending at %s", s, Base)
	}
}

func testSilenceInvalid(t *testing.T, st silence.Store) {
	bad := NewSilence(t, time.Hour, "document=X")
	bad.Comment = ""
	if _, err := st.Add(t.Context(), bad, Base); !errors.Is(err, silence.ErrInvalid) {
		t.Errorf("empty comment: %v, want ErrInvalid", err)
	}
	cfg := NewSilence(t, time.Hour, "document=X")
	cfg.Source = silence.SourceConfig
	if _, err := st.Add(t.Context(), cfg, Base); !errors.Is(err, silence.ErrReadOnly) {
		t.Errorf("config silence: %v, want ErrReadOnly", err)
	}
	if list := mustList(t, st, Base); len(list) != 0 {
		t.Errorf("refused silences were stored: %v", list)
	}
	if _, err := st.Expire(t.Context(), "no-such-id", Base); !errors.Is(err, silence.ErrNotFound) {
		t.Errorf("expire unknown: %v, want ErrNotFound", err)
	}
}

func testSilenceExpire(t *testing.T, st silence.Store) {
	s := mustAdd(t, st, NewSilence(t, 4*time.Hour, "document=X"), Base)
	at := Base.Add(time.Hour)
	got, err := st.Expire(t.Context(), s.ID, at)
	if err != nil || !got.Ends.Equal(at) {
		t.Fatalf("expire: %+v, %v", got, err)
	}
	again, err := st.Expire(t.Context(), s.ID, at.Add(time.Minute))
	if err != nil || !again.Ends.Equal(at) {
		t.Fatalf("expire again (idempotent): %+v, %v", again, err)
	}
	if back := mustList(t, st, at.Add(time.Minute))[s.ID]; back.StateAt(at) != silence.Expired || !back.Ends.Equal(at) {
		t.Fatalf("after expiry: %+v", back)
	}
	// A pending silence expired never starts.
	p := NewSilence(t, time.Hour, "document=Y")
	p.Starts, p.Ends = Base.Add(2*time.Hour), Base.Add(3*time.Hour)
	ps := mustAdd(t, st, p, Base)
	if got, err := st.Expire(t.Context(), ps.ID, Base); err != nil || got.StateAt(Base.Add(2*time.Hour)) != silence.Expired {
		t.Fatalf("expire pending: %+v, %v", got, err)
	}
}

func testSilenceEdit(t *testing.T, st silence.Store) {
	orig := mustAdd(t, st, NewSilence(t, 4*time.Hour, "document=X"), Base)
	at := Base.Add(time.Hour)

	// A longer end and a new comment: the same silence.
	longer := orig
	longer.Ends, longer.Comment = Base.Add(6*time.Hour), "patch night, part two"
	same, err := st.Edit(t.Context(), longer, at)
	if err != nil || same.ID != orig.ID || !same.Ends.Equal(longer.Ends) {
		t.Fatalf("edit in place: %+v, %v", same, err)
	}

	// Different matchers: a new silence; the old one expires and is kept.
	wider := same
	m, _ := silence.ParseMatcher("document=~'X|Y'")
	wider.Matchers = silence.Matchers{m}
	repl, err := st.Edit(t.Context(), wider, at)
	if err != nil {
		t.Fatal(err)
	}
	if repl.ID == orig.ID {
		t.Fatalf("editing the matchers kept the ID %s", orig.ID)
	}
	list := mustList(t, st, at)
	if len(list) != 2 {
		t.Fatalf("want the old and the new silence, got %v", list)
	}
	if old := list[orig.ID]; old.StateAt(at) != silence.Expired {
		t.Errorf("old silence %+v is %s, want expired", old, old.StateAt(at))
	}
	if nw := list[repl.ID]; nw.StateAt(at) != silence.Active || !nw.Matchers.Equal(wider.Matchers) {
		t.Errorf("new silence %+v", nw)
	}
	if _, err := st.Edit(t.Context(), list[orig.ID], at); err == nil {
		t.Error("editing an expired silence succeeded")
	}
}

func testSilenceConcurrent(t *testing.T, st silence.Store, n int) {
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := st.Add(t.Context(), NewSilence(t, time.Hour, "document=X", "instance=i-"+string(rune('a'+i))), Base)
			ids[i], errs[i] = s.ID, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	list := mustList(t, st, Base)
	for _, id := range ids {
		if _, ok := list[id]; !ok {
			t.Errorf("silence %s was added but is not stored", id)
		}
	}
	if len(list) != n {
		t.Errorf("%d concurrent adds stored %d silences", n, len(list))
	}
}

func testSilenceTTL(t *testing.T, st silence.Store) {
	s := mustAdd(t, st, NewSilence(t, time.Hour, "document=X"), Base)
	end := Base.Add(time.Hour)
	if _, ok := mustList(t, st, end.Add(silence.Retention-time.Second))[s.ID]; !ok {
		t.Fatal("an expired silence was dropped before its 5 days of retention")
	}
	gone := end.Add(silence.Retention)
	if list := mustList(t, st, gone); len(list) != 0 {
		t.Fatalf("at end + 5 days the TTL has passed, yet read %v", list)
	}
	if _, err := st.Expire(t.Context(), s.ID, gone); !errors.Is(err, silence.ErrNotFound) {
		t.Errorf("expire past TTL: %v, want ErrNotFound", err)
	}
	if err := st.MarkMatched(t.Context(), s.ID, gone); err != nil {
		t.Errorf("mark past TTL: %v", err)
	}
	// Expiring early moves the TTL earlier too.
	e := mustAdd(t, st, NewSilence(t, 48*time.Hour, "document=Y"), Base)
	if _, err := st.Expire(t.Context(), e.ID, Base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustList(t, st, Base.Add(time.Hour+silence.Retention))[e.ID]; ok {
		t.Error("an early-expired silence outlived expiry + 5 days")
	}
}

func testSilenceMatched(t *testing.T, st silence.Store) {
	s := mustAdd(t, st, NewSilence(t, 4*time.Hour, "document=X"), Base)
	first := Base.Add(10 * time.Minute)
	for _, at := range []time.Time{first, first.Add(time.Minute)} {
		if err := st.MarkMatched(t.Context(), s.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustList(t, st, first)[s.ID]; !got.Matched.Equal(first) {
		t.Errorf("matched at %s, want the first mark %s", got.Matched, first)
	}
	// Expiring keeps the mark.
	if _, err := st.Expire(t.Context(), s.ID, first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := mustList(t, st, first.Add(time.Hour))[s.ID]; !got.Matched.Equal(first) {
		t.Errorf("expiry lost the match mark: %+v", got)
	}
}
