package rules

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// glob is a compiled pattern in the config's dialect, which is path.Match's with two
// differences: '*' and '?' match '/' too (so "*" matches a shared document's ARN), and a class
// may be negated with '!' as well as '^'. As in path.Match, '?' matches one character, '[a-z]'
// one character of a class, and '\' escapes the next character; unlike it, a class may start
// with ']' or hold a bare '-' ("[]-]"), as the config has always allowed.
//
// compileGlob writes the pattern in path.Match's syntax once, with '/' replaced by
// slashStandIn; match replaces '/' in the name the same way. The common shapes (exact, "*",
// "prefix*", "*suffix", "*infix*") take a fast path of one string comparison.
type glob struct {
	src  string
	kind globKind
	lit  string // the literal of the fast-path kinds
	pm   string // globGeneral: the pattern for path.Match
}

type globKind uint8

const (
	globExact globKind = iota
	globAny
	globPrefix
	globSuffix
	globContains
	globGeneral
)

// slashStandIn stands in for '/' where path.Match sees it, because its '*' and '?' never match
// '/'. It is a Unicode noncharacter, which no SSM name (document, instance, account, region)
// can hold.
const slashStandIn = '\uFFFF'

var errEmptyGlob = errors.New("empty pattern")

// compileGlob checks pattern, reporting a malformed class or a trailing escape, and compiles it.
func compileGlob(pattern string) (*glob, error) {
	if pattern == "" {
		return nil, errEmptyGlob
	}
	var (
		pm      strings.Builder
		lit     strings.Builder // the literal text since the last '*'
		parts   []string        // the literal texts between stars, when literal
		literal = true          // no '?' and no class: only text and stars
	)
	text := func(r rune) {
		lit.WriteRune(r)
		switch r {
		case '/':
			r = slashStandIn
		case '*', '?', '[', ']', '\\':
			pm.WriteByte('\\')
		}
		pm.WriteRune(r)
	}
	for i := 0; i < len(pattern); {
		switch pattern[i] {
		case '*':
			pm.WriteByte('*')
			parts = append(parts, lit.String())
			lit.Reset()
			i++
		case '?':
			pm.WriteByte('?')
			literal = false
			i++
		case '[':
			n, err := writeClass(&pm, pattern[i:])
			if err != nil {
				return nil, err
			}
			literal = false
			i += n
		case '\\':
			if i+1 >= len(pattern) {
				return nil, errors.New("pattern ends with an escape '\\'")
			}
			r, size := utf8.DecodeRuneInString(pattern[i+1:])
			text(r)
			i += 1 + size
		default:
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, errors.New("pattern is not valid UTF-8")
			}
			text(r)
			i += size
		}
	}
	g := &glob{src: pattern, kind: globGeneral, pm: pm.String()}
	if literal {
		g.classify(append(parts, lit.String()))
	}
	return g, nil
}

// classify picks the fast path for a pattern of plain text and stars.
func (g *glob) classify(parts []string) {
	switch {
	case len(parts) == 1:
		g.kind, g.lit = globExact, parts[0]
	case strings.Join(parts, "") == "":
		g.kind = globAny // "*", "**", …
	case len(parts) == 2 && parts[1] == "":
		g.kind, g.lit = globPrefix, parts[0]
	case len(parts) == 2 && parts[0] == "":
		g.kind, g.lit = globSuffix, parts[1]
	case len(parts) == 3 && parts[0] == "" && parts[2] == "":
		g.kind, g.lit = globContains, parts[1]
	}
}

// writeClass reads the bracket expression at the start of p, writes it to pm in path.Match's
// syntax (every character escaped, so ']' and '-' need no special place), and returns its
// length in p.
func writeClass(pm *strings.Builder, p string) (int, error) {
	type runeRange struct{ lo, hi rune }
	var (
		ranges []runeRange
		negate bool
		slash  bool // the class holds '/'
	)
	i := 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	for first := true; ; first = false {
		if i >= len(p) {
			return 0, fmt.Errorf("unterminated character class %q", p)
		}
		if p[i] == ']' && !first {
			i++
			break
		}
		lo, n, err := classRune(p[i:])
		if err != nil {
			return 0, err
		}
		i += n
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi, n, err = classRune(p[i+1:])
			if err != nil {
				return 0, err
			}
			i += 1 + n
			if hi < lo {
				return 0, fmt.Errorf("character range %c-%c is backwards", lo, hi)
			}
		}
		slash = slash || (lo <= '/' && '/' <= hi)
		if lo < slashStandIn && slashStandIn < hi {
			// Keep the stand-in out of a range that spans it, so that it matches only where
			// '/' would.
			ranges = append(ranges, runeRange{lo, slashStandIn - 1}, runeRange{slashStandIn + 1, hi})
			continue
		}
		ranges = append(ranges, runeRange{lo, hi})
	}
	if slash {
		ranges = append(ranges, runeRange{slashStandIn, slashStandIn})
	}
	pm.WriteByte('[')
	if negate {
		pm.WriteByte('^')
	}
	for _, r := range ranges {
		pm.WriteByte('\\')
		pm.WriteRune(r.lo)
		if r.hi != r.lo {
			pm.WriteString(`-\`)
			pm.WriteRune(r.hi)
		}
	}
	pm.WriteByte(']')
	return i, nil
}

func classRune(p string) (rune, int, error) {
	if p[0] == '\\' {
		if len(p) < 2 {
			return 0, 0, errors.New("pattern ends with an escape '\\'")
		}
		r, size := utf8.DecodeRuneInString(p[1:])
		return r, 1 + size, nil
	}
	r, size := utf8.DecodeRuneInString(p)
	return r, size, nil
}

// String returns the pattern as written.
func (g *glob) String() string { return g.src }

// match reports whether s matches the whole pattern. Only a general pattern meeting a name that
// holds '/' (a shared document's ARN) allocates.
func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	}
	return g.matchGeneral(s)
}

// matchGeneral matches with path.Match; it is apart from match so that match stays small.
func (g *glob) matchGeneral(s string) bool {
	if strings.IndexByte(s, '/') >= 0 {
		s = strings.ReplaceAll(s, "/", string(slashStandIn))
	}
	ok, _ := path.Match(g.pm, s) // compileGlob wrote a well-formed pattern
	return ok
}
