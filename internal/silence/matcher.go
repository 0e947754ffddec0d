package silence

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Field is a notification field a matcher can test.
type Field string

// The fields, named as in the config's match blocks and in `ssmnotify route`.
const (
	FieldDocument    Field = "document"
	FieldInstance    Field = "instance"
	FieldCommand     Field = "command"
	FieldAccount     Field = "account"
	FieldRegion      Field = "region"
	FieldStatus      Field = "status"
	FieldKind        Field = "kind"
	FieldRoute       Field = "route"
	FieldDestination Field = "destination"
)

// Fields lists every field, in the order help text shows them.
var Fields = []Field{FieldDocument, FieldInstance, FieldCommand, FieldAccount, FieldRegion, FieldStatus, FieldKind, FieldRoute, FieldDestination}

// Op is a matcher's operator.
type Op string

// Operators, as Alertmanager spells them.
const (
	Equal    Op = "="
	NotEqual Op = "!="
	Regexp   Op = "=~"
	NotRegex Op = "!~"
)

// Matcher tests one field. Build it with NewMatcher or ParseMatcher (or decode it from JSON),
// which check the field and compile the expression; the zero value matches nothing useful.
type Matcher struct {
	Name  Field
	Op    Op
	Value string
	re    *regexp.Regexp
}

// NewMatcher checks name and op and compiles a regular expression, anchored at both ends as in
// Alertmanager (status=~'Failed|TimedOut' matches "Failed", not "NotFailedYet").
func NewMatcher(name Field, op Op, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if err := m.check(); err != nil {
		return Matcher{}, err
	}
	if op == Regexp || op == NotRegex {
		m.re = regexp.MustCompile("^(?:" + value + ")$") // check compiled it already
	}
	return m, nil
}

// check validates the matcher, naming it as written.
func (m Matcher) check() error {
	if !slices.Contains(Fields, m.Name) {
		reason := fmt.Sprintf("unknown field %q (fields: %s)", m.Name, fieldList())
		if s := suggest(string(m.Name)); s != "" {
			reason += "; did you mean " + s + "?"
		}
		return &Error{Arg: m.String(), Reason: reason}
	}
	switch m.Op {
	case Equal, NotEqual:
	case Regexp, NotRegex:
		if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return &Error{Arg: m.String(), Reason: "bad regular expression (RE2 syntax): " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
		}
	default:
		return &Error{Arg: m.String(), Reason: fmt.Sprintf("unknown operator %q (use =, !=, =~ or !~)", m.Op)}
	}
	return nil
}

func fieldList() string {
	s := make([]string, len(Fields))
	for i, f := range Fields {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// suggest returns a field that name is probably a misspelling of, or "".
func suggest(name string) string {
	name = strings.ToLower(name)
	aliases := map[string]Field{
		"doc": FieldDocument, "documentname": FieldDocument, "document_name": FieldDocument,
		"instance_id": FieldInstance, "instanceid": FieldInstance, "target": FieldInstance,
		"command_id": FieldCommand, "commandid": FieldCommand, "account_id": FieldAccount,
		"alertname": FieldDocument, "state": FieldStatus, "dest": FieldDestination, "channel": FieldDestination,
	}
	if f, ok := aliases[name]; ok {
		return string(f)
	}
	for _, f := range Fields {
		if strings.EqualFold(string(f), name) || (len(name) >= 3 && (strings.HasPrefix(string(f), name) || strings.HasPrefix(name, string(f)))) {
			return string(f)
		}
	}
	return ""
}

// Matches reports whether v satisfies the matcher.
func (m *Matcher) Matches(v string) bool {
	switch m.Op {
	case Equal:
		return v == m.Value
	case NotEqual:
		return v != m.Value
	case Regexp:
		return m.re != nil && m.re.MatchString(v)
	case NotRegex:
		return m.re != nil && !m.re.MatchString(v)
	}
	return false
}

// String is the matcher as amtool prints it: name, operator, double-quoted value.
func (m Matcher) String() string { return string(m.Name) + string(m.Op) + strconv.Quote(m.Value) }

// ParseMatcher reads one command-line matcher the way amtool does: name=value, name!=value,
// name=~regexp or name!~regexp; the value may be quoted with '…' or "…" (when the shell left the
// quotes in). A bare word with no operator means document=word, as a bare word means alertname in
// amtool.
func ParseMatcher(arg string) (Matcher, error) {
	s := strings.TrimSpace(arg)
	i := strings.IndexAny(s, "=!~")
	if i < 0 {
		if s == "" {
			return Matcher{}, &Error{Arg: strconv.Quote(arg), Reason: "empty matcher"}
		}
		return NewMatcher(FieldDocument, Equal, unquote(s))
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op Op
	for _, o := range []Op{NotEqual, Regexp, NotRegex, Equal} {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" || name == "" {
		return Matcher{}, &Error{Arg: arg, Reason: "not a matcher: write name=value, name!=value, name=~regexp or name!~regexp"}
	}
	m, err := NewMatcher(Field(name), op, unquote(strings.TrimSpace(rest[len(op):])))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Arg = arg // name the argument as the user wrote it
		}
		return Matcher{}, err
	}
	return m, nil
}

func unquote(v string) string {
	if len(v) >= 2 {
		switch {
		case v[0] == '"' && v[len(v)-1] == '"':
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
		case v[0] == '\'' && v[len(v)-1] == '\'':
			return v[1 : len(v)-1]
		}
	}
	return v
}

// Matchers is a silence's matcher list; every one must match.
type Matchers []Matcher

// String is the list as amtool prints it: {a="1", b=~"x|y"}.
func (ms Matchers) String() string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// Equal reports whether two lists hold the same matchers in any order.
func (ms Matchers) Equal(o Matchers) bool {
	if len(ms) != len(o) {
		return false
	}
	key := func(m Matcher) string { return m.String() }
	a, b := make([]string, len(ms)), make([]string, len(o))
	for i := range ms {
		a[i], b[i] = key(ms[i]), key(o[i])
	}
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// jsonMatcher is Alertmanager's JSON form of a matcher.
type jsonMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual *bool  `json:"isEqual,omitempty"`
}

// MarshalJSON writes Alertmanager's form: name, value, isRegex, isEqual.
func (m Matcher) MarshalJSON() ([]byte, error) {
	eq := m.Op == Equal || m.Op == Regexp
	return json.Marshal(jsonMatcher{Name: string(m.Name), Value: m.Value, IsRegex: m.Op == Regexp || m.Op == NotRegex, IsEqual: &eq})
}

// UnmarshalJSON reads Alertmanager's form (isEqual defaults to true) and checks the matcher.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	var j jsonMatcher
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	eq := j.IsEqual == nil || *j.IsEqual
	op := map[[2]bool]Op{{false, true}: Equal, {false, false}: NotEqual, {true, true}: Regexp, {true, false}: NotRegex}[[2]bool{j.IsRegex, eq}]
	got, err := NewMatcher(Field(j.Name), op, j.Value)
	if err != nil {
		return err
	}
	*m = got
	return nil
}

// NewID returns a random silence ID (a version 4 UUID, like Alertmanager's).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func sortSilences(list []Silence) {
	slices.SortStableFunc(list, func(a, b Silence) int {
		if c := a.Starts.Compare(b.Starts); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
