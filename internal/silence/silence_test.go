package silence_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/silence"
)

var base = time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)

func mustMatcher(t *testing.T, arg string) silence.Matcher {
	t.Helper()
	m, err := silence.ParseMatcher(arg)
	if err != nil {
		t.Fatalf("ParseMatcher(%q): %v", arg, err)
	}
	return m
}

func TestParseMatcher(t *testing.T) {
	cases := []struct {
		arg  string
		want string
	}{
		{"document=AWS-RunPatchBaseline", `document="AWS-RunPatchBaseline"`},
		{"status=~'Failed|TimedOut'", `status=~"Failed|TimedOut"`},
		{`status=~"Failed|TimedOut"`, `status=~"Failed|TimedOut"`},
		{"status=~Failed|TimedOut", `status=~"Failed|TimedOut"`},
		{"instance!=i-0abc", `instance!="i-0abc"`},
		{"region!~eu-.*", `region!~"eu-.*"`},
		{"AWS-RunShellScript", `document="AWS-RunShellScript"`},
		{"destination = ops-slack", `destination="ops-slack"`},
		{"command=", `command=""`},
	}
	for _, c := range cases {
		t.Run(c.arg, func(t *testing.T) {
			if got := mustMatcher(t, c.arg).String(); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestParseMatcherErrors(t *testing.T) {
	cases := []struct {
		arg, want string
	}{
		{"foo=bar", `foo=bar: unknown field "foo"`},
		{"doc=bar", "did you mean document?"},
		{"status=~'(Failed'", `status=~'(Failed': bad regular expression`},
		{"=x", "not a matcher"},
		{"status~x", "not a matcher"},
		{"  ", "empty matcher"},
	}
	for _, c := range cases {
		t.Run(c.arg, func(t *testing.T) {
			_, err := silence.ParseMatcher(c.arg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if !errors.Is(err, silence.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestMatchAnchoredRegexp(t *testing.T) {
	m := mustMatcher(t, "status=~Failed|TimedOut")
	for v, want := range map[string]bool{"Failed": true, "TimedOut": true, "NotFailed": false, "Failed2": false, "": false} {
		if got := m.Matches(v); got != want {
			t.Errorf("%s matches %q = %v, want %v", m, v, got, want)
		}
	}
	n := mustMatcher(t, "status!~Failed|TimedOut")
	if n.Matches("Failed") || !n.Matches("Success") {
		t.Errorf("%s: wrong negation", n)
	}
}

func notification(doc, instance string, st payload.Status) *payload.Notification {
	return &payload.Notification{Kind: payload.KindInvocation, CommandID: "c-1", DocumentName: doc, InstanceID: instance,
		Status: st, Region: "eu-west-1", Account: "111122223333", EventTime: base}
}

func newSilence(t *testing.T, args ...string) silence.Silence {
	t.Helper()
	s := silence.Silence{ID: "s1", Starts: base, Ends: base.Add(4 * time.Hour), Author: "alice", Comment: "patch night", Created: base}
	for _, a := range args {
		s.Matchers = append(s.Matchers, mustMatcher(t, a))
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMatches(t *testing.T) {
	s := newSilence(t, "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'", "destination!=audit-email")
	cases := []struct {
		name string
		tgt  silence.Target
		want bool
	}{
		{"failed patch", silence.Target{N: notification("AWS-RunPatchBaseline", "i-1", payload.StatusFailed), Destination: "ops-slack"}, true},
		{"timed out patch", silence.Target{N: notification("AWS-RunPatchBaseline", "i-1", payload.StatusTimedOut)}, true},
		{"other document", silence.Target{N: notification("AWS-RunShellScript", "i-1", payload.StatusFailed)}, false},
		{"success", silence.Target{N: notification("AWS-RunPatchBaseline", "i-1", payload.StatusSuccess)}, false},
		{"excluded destination", silence.Target{N: notification("AWS-RunPatchBaseline", "i-1", payload.StatusFailed), Destination: "audit-email"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := s.Matches(c.tgt); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestStates(t *testing.T) {
	s := newSilence(t, "document=X")
	s.Starts = base.Add(time.Hour)
	for _, c := range []struct {
		at   time.Time
		want silence.State
	}{
		{base, silence.Pending}, {base.Add(time.Hour), silence.Active}, {base.Add(4*time.Hour - time.Nanosecond), silence.Active},
		{base.Add(4 * time.Hour), silence.Expired},
	} {
		if got := s.StateAt(c.at); got != c.want {
			t.Errorf("at %s: %s, want %s", c.at.Format(time.RFC3339Nano), got, c.want)
		}
	}
	tgt := silence.Target{N: notification("X", "i-1", payload.StatusFailed)}
	if silence.Find([]silence.Silence{s}, tgt, base) != nil {
		t.Error("a pending silence matched")
	}
	if silence.Find([]silence.Silence{s}, tgt, base.Add(2*time.Hour)) == nil {
		t.Error("an active silence did not match")
	}
}

func TestExpire(t *testing.T) {
	s := newSilence(t, "document=X")
	at := base.Add(time.Hour)
	if !s.Expire(at) || !s.Ends.Equal(at) || s.StateAt(at) != silence.Expired {
		t.Fatalf("expire active: %+v", s)
	}
	if s.Expire(at.Add(time.Hour)) || !s.Ends.Equal(at) {
		t.Fatalf("expiring again changed it: %+v", s)
	}
	p := newSilence(t, "document=X")
	p.Starts = base.Add(time.Hour)
	if !p.Expire(base) || !p.Starts.Equal(base) || !p.Ends.Equal(base) {
		t.Fatalf("expire pending: %+v", p)
	}
}

func TestValidate(t *testing.T) {
	ok := func() silence.Silence { return newSilence(t, "document=X") }
	cases := []struct {
		name    string
		edit    func(*silence.Silence)
		wantArg string
	}{
		{"no matchers", func(s *silence.Silence) { s.Matchers = nil }, "matchers"},
		{"empty comment", func(s *silence.Silence) { s.Comment = "  " }, "comment"},
		{"no author", func(s *silence.Silence) { s.Author = "" }, "author"},
		{"end before start", func(s *silence.Silence) { s.Ends = s.Starts.Add(-time.Minute) }, "ends"},
		{"over 90 days", func(s *silence.Silence) { s.Ends = s.Starts.Add(silence.MaxDuration + time.Second) }, "duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok()
			c.edit(&s)
			var e *silence.Error
			if err := s.Validate(); !errors.As(err, &e) || e.Arg != c.wantArg {
				t.Fatalf("got %v, want an error naming %s", err, c.wantArg)
			}
		})
	}
	s := ok()
	s.Ends = s.Starts.Add(silence.MaxDuration)
	if err := s.Validate(); err != nil {
		t.Errorf("exactly 90 days: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := newSilence(t, "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'", "instance!=i-1", "region!~us-.*")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"name":"status","value":"Failed|TimedOut","isRegex":true,"isEqual":true}`) {
		t.Errorf("not Alertmanager's matcher form: %s", b)
	}
	var back silence.Silence
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Matchers.Equal(s.Matchers) || !back.Ends.Equal(s.Ends) || back.Comment != s.Comment {
		t.Fatalf("round trip: %+v != %+v", back, s)
	}
	if !back.Matches(silence.Target{N: notification("AWS-RunPatchBaseline", "i-2", payload.StatusTimedOut), Destination: "x"}) {
		t.Error("decoded regexp does not match")
	}
	if err := json.Unmarshal([]byte(`{"matchers":[{"name":"status","value":"(","isRegex":true}]}`), &back); err == nil {
		t.Error("a bad regexp decoded")
	}
}

func TestSummary(t *testing.T) {
	s := newSilence(t, "document=AWS-RunPatchBaseline", "status=~'Failed|TimedOut'")
	if got, want := s.Summary(), "alice silenced AWS-RunPatchBaseline failures for 4h: patch night"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNewID(t *testing.T) {
	a, b := silence.NewID(), silence.NewID()
	if a == b || len(a) != 36 {
		t.Errorf("ids %q %q", a, b)
	}
}

// FuzzParseMatcher: any argument either parses into a matcher whose printed form parses back to
// the same matcher, or is refused with an error naming it; never a panic.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{"document=X", "status=~'Failed|TimedOut'", `instance!="i-1"`, "region!~eu-.*", "bare", "=~", "a=b=c", "status=~(", "x\x00=y", `command="\q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		m, err := silence.ParseMatcher(arg)
		if err != nil {
			if !errors.Is(err, silence.ErrInvalid) || !strings.Contains(err.Error(), strings.TrimSpace(arg)) && strings.TrimSpace(arg) != "" {
				t.Fatalf("error %q does not name %q or is not ErrInvalid", err, arg)
			}
			return
		}
		again, err := silence.ParseMatcher(m.String())
		if err != nil {
			t.Fatalf("%q parsed to %s, which does not parse: %v", arg, m, err)
		}
		if again.String() != m.String() {
			t.Fatalf("%q: %s reparsed as %s", arg, m, again)
		}
		m.Matches(arg)
	})
}
