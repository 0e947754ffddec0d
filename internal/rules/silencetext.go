package rules

import "strings"

// MatchText is the silence's match block as written, one "field: a, b" per field, for showing a
// config silence next to ad-hoc ones (`ssmnotify silence query`).
func (s *Silence) MatchText() []string { return s.match.text() }

func (m *matcher) text() []string {
	var out []string
	globs := func(field string, gs []*glob) {
		if gs == nil {
			return
		}
		src := make([]string, len(gs))
		for i, g := range gs {
			src[i] = g.src
		}
		out = append(out, field+": "+strings.Join(src, ", "))
	}
	globs("document", m.documents)
	globs("instance", m.instances)
	globs("account", m.accounts)
	globs("region", m.regions)
	if m.hasStatus {
		var st []string
		switch {
		case m.statuses.all:
			st = append(st, "All")
		case m.statuses.anyFailure:
			st = append(st, "AnyFailure")
		}
		for _, x := range m.statuses.list {
			st = append(st, string(x))
		}
		out = append(out, "status: "+strings.Join(st, ", "))
	}
	switch m.kinds {
	case kindCommand:
		out = append(out, "kind: command")
	case kindInvocation:
		out = append(out, "kind: invocation")
	}
	return out
}
