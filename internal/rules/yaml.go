package rules

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/problem"
)

// Parsing reads the YAML into raw section structs (raw*, one file per section) and checks the
// file's shape only: known keys, mappings, lists and single values, booleans, entry names, each
// value's line. Compiling (compile.go) then checks that required keys are given and what every
// value means, and resolves names. Both report to one problem.List, so that a file with
// problems of both kinds lists them all in one pass; on one line, shape problems come first.

// scalar is one value as written, with its line. A single value (reader.str) is trimmed; an
// entry of a list (reader.list) is kept as written, as the messages quote it.
type scalar struct {
	value string
	line  int
	// ok is false when the key is present but its value could not be read (already reported);
	// compiling skips it, but knows that the key was given.
	ok bool
}

// list is a value or a list of values. nil means the key is absent; a present key reads as a
// non-nil list, empty when none of its entries could be read.
type list []scalar

// toggle is a boolean and its line.
type toggle struct {
	on   bool
	line int
}

// reader walks the yaml.Node tree by hand, instead of decoding into structs, so that it can
// report every problem with its line rather than stop at the first.
type reader struct {
	problems *problem.List
}

func (r *reader) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.problems.At(line, format, args...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses the YAML and returns its top-level mapping, or nil after reporting why not.
func (r *reader) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.errorf(nil, "the file is empty")
			return nil
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			r.problems.At(line, "YAML syntax: %s", m[2])
		} else {
			r.errorf(nil, "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.errorf(&extra, "the file holds more than one YAML document; put everything in one")
	}
	if len(doc.Content) == 0 {
		r.errorf(nil, "the file is empty")
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		r.errorf(root, "the top level must be a mapping with keys such as destinations and routes")
		return nil
	}
	return root
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// scanSecrets reports every line that looks like it holds a Slack token or webhook URL, whether
// in a value, a key or a comment. It works on the raw lines, so the line is exact and it runs
// even when the YAML does not parse.
func (r *reader) scanSecrets(data []byte) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		switch secretKind(string(line)) {
		case "token":
			r.problems.At(i+1, "this looks like a Slack token; secrets never go in the config: put the bot token in the Secrets Manager secret as \"bot_token\" (see docs/config.md, Secrets)")
		case "webhook":
			r.problems.At(i+1, "this looks like a Slack incoming-webhook URL; secrets never go in the config: put it in the Secrets Manager secret under \"webhooks\", keyed by the destination's name (see docs/config.md, Secrets)")
		}
	}
}

// fields reads a mapping, reporting a non-mapping, duplicate keys and unknown keys (named, with
// their line). A null value (a key with nothing after it) reads as an empty mapping. Merge keys
// ("<<: *anchor") are honoured; explicit keys win over merged ones.
func (r *reader) fields(n *yaml.Node, what string, known ...string) map[string]*yaml.Node {
	n = resolve(n)
	out := map[string]*yaml.Node{}
	if n == nil || isNull(n) {
		return out
	}
	if n.Kind != yaml.MappingNode {
		r.errorf(n, "%s must be a mapping of keys (%s)", what, strings.Join(known, ", "))
		return nil
	}
	keyLine := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			r.errorf(k, "%s: keys must be plain words", what)
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			merges = append(merges, resolve(v))
			continue
		}
		if first, dup := keyLine[k.Value]; dup {
			r.errorf(k, "%s: duplicate key %q (first at line %d)", what, k.Value, first)
			continue
		}
		keyLine[k.Value] = k.Line
		if what == "top level" && strings.HasPrefix(k.Value, "x-") {
			continue // a place for YAML anchors, as in Compose files
		}
		if !contains(known, k.Value) {
			if secretKind(k.Value) != "" {
				continue // already reported by scanSecrets, and must not be repeated
			}
			r.errorf(k, "%s: unknown key %q%s; known keys: %s", what, k.Value, problem.DidYouMean(k.Value, known), strings.Join(known, ", "))
			continue
		}
		out[k.Value] = v
	}
	for _, m := range merges {
		var srcs []*yaml.Node
		if m.Kind == yaml.SequenceNode {
			for _, c := range m.Content {
				srcs = append(srcs, resolve(c))
			}
		} else {
			srcs = []*yaml.Node{m}
		}
		for _, src := range srcs {
			for k, v := range r.fields(src, what, known...) {
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// str reads a non-empty single value. The scalar carries n's own line (an alias's, not its
// anchor's), where a later problem with the value is reported.
func (r *reader) str(n *yaml.Node, what string) scalar {
	s := scalar{line: n.Line}
	v := resolve(n)
	if v.Kind != yaml.ScalarNode || isNull(v) {
		r.errorf(v, "%s must be a single value", what)
		return s
	}
	if s.value = strings.TrimSpace(v.Value); s.value == "" {
		r.errorf(v, "%s must not be empty", what)
		return s
	}
	s.ok = true
	return s
}

// optStr reads the single value under key, or returns nil when key is absent.
func (r *reader) optStr(f map[string]*yaml.Node, key, what string) *scalar {
	n, ok := f[key]
	if !ok {
		return nil
	}
	s := r.str(n, what)
	return &s
}

// boolean reads true or false.
func (r *reader) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	r.errorf(n, "%s must be true or false, not %s", what, q(n.Value))
	return false
}

// list reads one value or a sequence of values, each with its line. It reports an empty list.
func (r *reader) list(n *yaml.Node, what string) list {
	n = resolve(n)
	out := list{}
	switch {
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode || isNull(c) || strings.TrimSpace(c.Value) == "" {
				r.errorf(c, "%s: each entry must be a single non-empty value", what)
				continue
			}
			out = append(out, scalar{value: c.Value, line: c.Line, ok: true})
		}
		if len(n.Content) == 0 {
			r.errorf(n, "%s must not be an empty list", what)
		}
		return out
	case n.Kind == yaml.ScalarNode && !isNull(n) && strings.TrimSpace(n.Value) != "":
		return append(out, scalar{value: n.Value, line: n.Line, ok: true})
	}
	r.errorf(n, "%s must be a value or a list of values", what)
	return out
}

// optList reads the list under key, or returns nil when key is absent.
func (r *reader) optList(f map[string]*yaml.Node, key, what string) list {
	if n, ok := f[key]; ok {
		return r.list(n, what)
	}
	return nil
}

// items reads a sequence of mappings (the destinations, routes, … lists).
func (r *reader) items(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.errorf(n, "%s must be a list (each entry starting with \"- \")", what)
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, resolve(c))
	}
	return out
}

// emptySection reports whether a section's value is null or an empty list.
func emptySection(n *yaml.Node) bool {
	rn := resolve(n)
	return isNull(rn) || (rn.Kind == yaml.SequenceNode && len(rn.Content) == 0)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// label names an entry for messages before its fields are read: `route "x"`, or just `route`
// when it has no usable name.
func label(item *yaml.Node, what string) string {
	if item.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(item.Content); i += 2 {
			if k, v := item.Content[i], resolve(item.Content[i+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
				return what + " " + q(v.Value)
			}
		}
	}
	return what
}

// entry is what every named entry of a section (destination, route, silence, mute window)
// starts with.
type entry struct {
	name string
	// named is false when the name is missing, malformed or taken (reported): the entry is
	// checked but not defined, so nothing can refer to it.
	named bool
	// what names the entry in messages: `route "x"`.
	what string
	line int
}

// readEntry reads an entry's name: it keys the secret's webhooks, appears in metrics and file
// names, so it is limited to letters, digits, '.', '_' and '-'. seen holds the names taken so
// far, with their lines.
func (r *reader) readEntry(f map[string]*yaml.Node, item *yaml.Node, what string, seen map[string]int) entry {
	e := entry{line: item.Line}
	e.name, e.named = r.name(f, item, what, seen)
	e.what = what + " " + strconv.Quote(e.name)
	return e
}

func (r *reader) name(f map[string]*yaml.Node, item *yaml.Node, what string, seen map[string]int) (string, bool) {
	n, ok := f["name"]
	if !ok {
		r.errorf(item, "%s has no name", what)
		return "", false
	}
	s := r.str(n, what+" name")
	if !s.ok {
		return "", false
	}
	if !nameRE.MatchString(s.value) {
		r.errorf(n, "%s name %s: use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)", what, q(s.value))
		return "", false
	}
	if first, dup := seen[s.value]; dup {
		r.errorf(n, "duplicate %s name %q (first at line %d)", what, s.value, first)
		return "", false
	}
	seen[s.value] = n.Line
	return s.value, true
}
