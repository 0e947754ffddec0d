package rules

import (
	"strconv"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/problem"
)

// Problem is one thing wrong (or, as a warning, probably unintended) in a config file, written
// "file:line: message" by its String method.
type Problem = problem.Problem

// ConfigError lists every problem found in a config file, in line order. Parse returns all of
// them at once so a user fixes the file in one pass.
type ConfigError = problem.Error

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
