package rules

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong (or, as a warning, probably unintended) in a config file.
type Problem struct {
	File    string
	Line    int // 0 when the problem is about the file as a whole
	Message string
}

// String writes "file:line: message", the form editors and CI annotate.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// ConfigError lists every problem found in a config file, in line order. Parse returns all of
// them at once so a user fixes the file in one pass.
type ConfigError struct {
	File     string
	Problems []Problem
}

// Error writes one problem per line.
func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}

// q quotes a value from the file for a message. A value that looks like a secret is never
// repeated (it has its own problem telling the user to move it), and a long value is cut so a
// message stays one readable line.
func q(s string) string {
	if secretKind(s) != "" {
		return "(value redacted: it looks like a secret)"
	}
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// secretKind says whether s contains something that must live in the Secrets Manager secret
// rather than in the config: a Slack token or an incoming-webhook URL.
func secretKind(s string) string {
	ls := strings.ToLower(s)
	if strings.Contains(ls, "hooks.slack.com") {
		return "webhook"
	}
	for i := strings.Index(ls, "xox"); i >= 0; {
		// Slack tokens: xoxb- (bot), xoxp- (user), xoxa-, xoxe-, xoxr-, xoxs-, xoxo-.
		if i+4 < len(ls) && ls[i+3] >= 'a' && ls[i+3] <= 'z' && ls[i+4] == '-' {
			return "token"
		}
		next := strings.Index(ls[i+3:], "xox")
		if next < 0 {
			break
		}
		i += 3 + next
	}
	if strings.Contains(ls, "xapp-") {
		return "token"
	}
	return ""
}

// suggest returns " (did you mean X?)" when one of known is within two edits of s.
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

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
