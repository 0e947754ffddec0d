package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// glob is a compiled shell-style pattern: '*' matches any run of characters (including '/', so
// "*" matches a shared document's ARN too, unlike path.Match), '?' one character, '[a-z]' and
// '[!0-9]' one character of a class, and '\' escapes the next character. Patterns are compiled
// once at Parse, and the common shapes (exact, "*", "prefix*", "*suffix", "*infix*") take a fast
// path that is a single string comparison.
type glob struct {
	src  string
	kind globKind
	lit  string // the literal for the fast-path kinds
	segs []segment
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

// segment is the part of a general pattern between two stars.
type segment []element

type element struct {
	op     elemOp
	r      rune // opLiteral
	ranges []runeRange
	negate bool
}

type elemOp uint8

const (
	opLiteral elemOp = iota
	opAnyRune
	opClass
)

type runeRange struct{ lo, hi rune }

var errEmptyGlob = errors.New("empty pattern")

// compileGlob parses pattern, reporting a malformed class or a trailing escape.
func compileGlob(pattern string) (*glob, error) {
	if pattern == "" {
		return nil, errEmptyGlob
	}
	g := &glob{src: pattern}
	var (
		segs    []segment
		cur     segment
		starred bool // the pattern has at least one star
	)
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch c {
		case '*':
			segs = append(segs, cur)
			cur = nil
			starred = true
			i++
		case '?':
			cur = append(cur, element{op: opAnyRune})
			i++
		case '[':
			el, n, err := compileClass(pattern[i:])
			if err != nil {
				return nil, err
			}
			cur = append(cur, el)
			i += n
		case '\\':
			if i+1 >= len(pattern) {
				return nil, fmt.Errorf("pattern ends with an escape '\\'")
			}
			r, size := utf8.DecodeRuneInString(pattern[i+1:])
			cur = append(cur, element{op: opLiteral, r: r})
			i += 1 + size
		default:
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, fmt.Errorf("pattern is not valid UTF-8")
			}
			cur = append(cur, element{op: opLiteral, r: r})
			i += size
		}
	}
	segs = append(segs, cur)
	g.segs = segs
	g.classify(starred)
	return g, nil
}

// classify picks a fast path when every segment is plain text.
func (g *glob) classify(starred bool) {
	g.kind = globGeneral
	lits := make([]string, len(g.segs))
	for i, s := range g.segs {
		lit, ok := s.literal()
		if !ok {
			return
		}
		lits[i] = lit
	}
	switch {
	case !starred:
		g.kind, g.lit = globExact, lits[0]
	case len(lits) == 2 && lits[0] == "" && lits[1] == "":
		g.kind = globAny
	case len(lits) == 2 && lits[1] == "":
		g.kind, g.lit = globPrefix, lits[0]
	case len(lits) == 2 && lits[0] == "":
		g.kind, g.lit = globSuffix, lits[1]
	case len(lits) == 3 && lits[0] == "" && lits[2] == "":
		g.kind, g.lit = globContains, lits[1]
	case allEmpty(lits):
		g.kind = globAny // "**" and the like
	}
}

func allEmpty(ss []string) bool {
	for _, s := range ss {
		if s != "" {
			return false
		}
	}
	return true
}

func (s segment) literal() (string, bool) {
	var b strings.Builder
	for _, e := range s {
		if e.op != opLiteral {
			return "", false
		}
		b.WriteRune(e.r)
	}
	return b.String(), true
}

// compileClass parses a bracket expression at the start of p and returns its length.
func compileClass(p string) (element, int, error) {
	el := element{op: opClass}
	i := 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		el.negate = true
		i++
	}
	first := true
	for {
		if i >= len(p) {
			return el, 0, fmt.Errorf("unterminated character class %q", p)
		}
		if p[i] == ']' && !first {
			i++
			break
		}
		first = false
		lo, n, err := classRune(p[i:])
		if err != nil {
			return el, 0, err
		}
		i += n
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi, n, err = classRune(p[i+1:])
			if err != nil {
				return el, 0, err
			}
			i += 1 + n
			if hi < lo {
				return el, 0, fmt.Errorf("character range %c-%c is backwards", lo, hi)
			}
		}
		el.ranges = append(el.ranges, runeRange{lo, hi})
	}
	return el, i, nil
}

func classRune(p string) (rune, int, error) {
	if p[0] == '\\' {
		if len(p) < 2 {
			return 0, 0, fmt.Errorf("pattern ends with an escape '\\'")
		}
		r, size := utf8.DecodeRuneInString(p[1:])
		return r, 1 + size, nil
	}
	r, size := utf8.DecodeRuneInString(p)
	return r, size, nil
}

// String returns the pattern as written.
func (g *glob) String() string { return g.src }

// match reports whether s matches the whole pattern. It does not allocate.
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
	segs := g.segs
	if len(segs) == 1 {
		end, ok := segs[0].matchAt(s, 0)
		return ok && end == len(s)
	}
	// The first segment is anchored at the start and the last at the end; a middle segment is
	// taken at its leftmost match, which is always safe because the star before the next
	// segment can absorb whatever the leftmost choice leaves.
	end, ok := segs[0].matchAt(s, 0)
	if !ok {
		return false
	}
	pos := end
	last := segs[len(segs)-1]
	for _, seg := range segs[1 : len(segs)-1] {
		if len(seg) == 0 {
			continue
		}
		found := false
		for i := pos; i <= len(s); {
			if e, ok := seg.matchAt(s, i); ok {
				pos, found = e, true
				break
			}
			if i == len(s) {
				break
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if !found {
			return false
		}
	}
	// The last segment must match a suffix that starts at or after pos. Its length in runes is
	// fixed, so try the one start that ends exactly at len(s).
	n := len(last)
	start := len(s)
	for k := 0; k < n; k++ {
		if start <= pos {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start < pos {
		return false
	}
	e, ok := last.matchAt(s, start)
	return ok && e == len(s)
}

// matchAt matches the segment at s[i:] and returns the end of the match.
func (seg segment) matchAt(s string, i int) (int, bool) {
	for _, e := range seg {
		if i >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch e.op {
		case opLiteral:
			if r != e.r {
				return 0, false
			}
		case opClass:
			in := false
			for _, rr := range e.ranges {
				if rr.lo <= r && r <= rr.hi {
					in = true
					break
				}
			}
			if in == e.negate {
				return 0, false
			}
		}
		i += size
	}
	return i, true
}
