package rules

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// The silences section: config silences, each with a reason and an end. (Ad-hoc silences set
// from the command line live in their own store, not here.)

type rawSilence struct {
	entry
	reason, starts, until *scalar
	match                 *rawMatch
}

var silenceKeys = []string{"name", "reason", "starts", "until", "match"}

func (r *reader) silences(n *yaml.Node) []rawSilence {
	var out []rawSilence
	seen := map[string]int{}
	for _, item := range r.items(n, "silences") {
		f := r.fields(item, label(item, "silence"), silenceKeys...)
		if f == nil {
			continue
		}
		s := rawSilence{entry: r.readEntry(f, item, "silence", seen)}
		what := s.what
		s.reason = r.optStr(f, "reason", what+" reason")
		s.until = r.optStr(f, "until", what+" until")
		s.starts = r.optStr(f, "starts", what+" starts")
		if v, has := f["match"]; has {
			s.match = r.match(v, what+" match")
		}
		out = append(out, s)
	}
	return out
}

func (c *compiler) silences(raw []rawSilence) {
	for _, rs := range raw {
		what := rs.what
		sl := &Silence{Name: rs.name, Line: rs.line}
		switch {
		case rs.reason == nil:
			c.errorf(rs.line, "%s needs a reason, so whoever wonders where their alerts went finds out", what)
		case rs.reason.ok:
			sl.Reason = rs.reason.value
		}
		if rs.until != nil {
			sl.Until, _ = c.timestamp(*rs.until, what+" until")
		} else {
			c.errorf(rs.line, "%s needs until (an RFC 3339 time such as 2026-05-04T12:00:00Z): a silence always ends", what)
		}
		if rs.starts != nil {
			if t, ok := c.timestamp(*rs.starts, what+" starts"); ok {
				sl.Starts = t
				if !sl.Until.IsZero() && !t.Before(sl.Until) {
					c.errorf(rs.starts.line, "%s: starts must be before until", what)
				}
			}
		}
		if rs.match != nil {
			sl.match = c.match(rs.match, what+" match")
			if sl.match.empty() && rs.match.empty {
				c.errorf(rs.match.line, "%s: match is empty; to silence everything say so, e.g. document: \"*\"", what)
			}
		} else {
			c.errorf(rs.line, "%s needs a match (to silence everything: match: {document: \"*\"})", what)
		}
		if !sl.Until.IsZero() {
			sl.reason = "silenced by " + rs.name + " until " + sl.Until.UTC().Format(time.RFC3339)
			if sl.Reason != "" {
				sl.reason += ": " + sl.Reason
			}
		}
		if rs.named {
			c.set.silences = append(c.set.silences, sl)
		}
	}
}
