// Package problem collects what is wrong with a user's input so that one pass reports all of it,
// each problem with where it is ("file:line: message") and, for a misspelt name, a "did you mean".
// The routing config (internal/rules) and the CDK app's context settings (infra/cdk) use it, so
// both speak to the user the same way.
package problem

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong (or, as a warning, probably unintended) in an input.
type Problem struct {
	// File names the input: a file name, or for an input that is not a file what the user
	// calls it (the CDK app uses "context KEY").
	File    string
	Line    int // 0 when the problem is about the input as a whole
	Message string
}

// String writes "file:line: message", the form editors and CI annotate, or "file: message"
// without a line.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// Error lists every problem found in one input, in line order, so that the user fixes the input
// in one pass.
type Error struct {
	File     string
	Problems []Problem
}

// Error writes one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// List collects problems instead of stopping at the first. The zero List, with File set, is
// ready to use.
type List struct {
	File     string
	problems []Problem
}

// At records a problem at line of the List's file (0: the file as a whole).
func (l *List) At(line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: l.File, Line: line, Message: fmt.Sprintf(format, args...)})
}

// Add records a problem that names its own place.
func (l *List) Add(p Problem) { l.problems = append(l.problems, p) }

// Len is the number of problems recorded.
func (l *List) Len() int { return len(l.problems) }

// Sorted returns the problems in line order; problems on one line keep the order they were
// found in.
func (l *List) Sorted() []Problem {
	out := slices.Clone(l.problems)
	slices.SortStableFunc(out, func(a, b Problem) int { return a.Line - b.Line })
	return out
}

// Err returns nil when nothing was recorded, or an *Error listing every problem in line order.
func (l *List) Err() error {
	if len(l.problems) == 0 {
		return nil
	}
	return &Error{File: l.File, Problems: l.Sorted()}
}

// Nearest returns the entry of known that s is most likely a misspelling of: the closest within
// two edits, ignoring case (the first of equals, in known's order), or "" when none is that
// close.
func Nearest(s string, known []string) string {
	best, bestD := "", 3
	ls := strings.ToLower(s)
	for _, k := range known {
		if d := editDistance(ls, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// DidYouMean returns " (did you mean X?)" when s is a likely misspelling of X in known, or "".
func DidYouMean(s string, known []string) string {
	if best := Nearest(s, known); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
