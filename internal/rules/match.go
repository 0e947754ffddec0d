package rules

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The match block of a route or a silence. The compiled matcher and its matching are in
// decide.go.

type rawMatch struct {
	line int
	// empty is true when the block has no content at all ("match: {}" or "match:"), which a
	// silence refuses.
	empty                                                 bool
	documents, instances, accounts, regions, status, kind list
}

var matchKeys = []string{"document", "instance", "status", "kind", "account", "region"}

func (r *reader) match(n *yaml.Node, what string) *rawMatch {
	m := &rawMatch{line: n.Line, empty: len(resolve(n).Content) == 0}
	f := r.fields(n, what, matchKeys...)
	m.documents = r.optList(f, "document", what+" document")
	m.instances = r.optList(f, "instance", what+" instance")
	m.accounts = r.optList(f, "account", what+" account")
	m.regions = r.optList(f, "region", what+" region")
	m.status = r.optList(f, "status", what+" status")
	m.kind = r.optList(f, "kind", what+" kind")
	return m
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

func (c *compiler) match(raw *rawMatch, what string) matcher {
	var m matcher
	globs := func(l list, key string, check func(string) bool, hint string) []*glob {
		if l == nil {
			return nil
		}
		out := []*glob{} // restrictive even when every pattern is bad, so the matcher never widens
		for _, p := range l {
			g, err := compileGlob(strings.TrimSpace(p.value))
			if err != nil {
				c.errorf(p.line, "%s %s: bad pattern %s: %v", what, key, q(p.value), err)
				continue
			}
			if check != nil && g.kind == globExact && !check(g.lit) {
				c.errorf(p.line, "%s %s: %s %s", what, key, q(p.value), hint)
				continue
			}
			out = append(out, g)
		}
		return out
	}
	m.documents = globs(raw.documents, "document", nil, "")
	m.instances = globs(raw.instances, "instance", nil, "")
	m.accounts = globs(raw.accounts, "account", accountRE.MatchString, "is not a 12-digit account ID")
	m.regions = globs(raw.regions, "region", regionRE.MatchString, "is not a region name such as us-east-1")
	if raw.status != nil {
		m.statuses, _ = c.statusSet(raw.status, what+" status")
		m.hasStatus = true
	}
	if raw.kind != nil {
		m.kinds = c.kinds(raw.kind, what+" kind")
	}
	return m
}

func (m *matcher) empty() bool {
	return m.kinds == 0 && !m.hasStatus && m.accounts == nil && m.regions == nil &&
		m.documents == nil && m.instances == nil
}
