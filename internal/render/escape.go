package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncation markers. They are visible on purpose: a reader must know that something was cut.
const (
	// Ellipsis ends a short value (a header, a field) that was cut.
	Ellipsis = "…"
	// TruncatedMarker ends a longer text (a section) that was cut.
	TruncatedMarker = "… (truncated)"
)

// EscapeMrkdwn escapes the three characters Slack reserves in message text — &, < and > — so
// that an untrusted string can never become a mention (<!channel>, <@U123>), a link
// (<https://evil.example|click>) or an entity. Pre-escaped input ("&amp;") is escaped again and
// so shows as typed. See https://docs.slack.dev/messaging/formatting-message-text#escaping.
func EscapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	writeEscaped(&b, s)
	return b.String()
}

func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
}

// escapedRunes is how many runes r takes once escaped for Slack.
func escapedRunes(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

// EscapeMrkdwnMax escapes s for Slack (see EscapeMrkdwn) and cuts it so that the result, marker
// included, is at most max runes. It cuts the raw string before escaping, so a cut never lands
// inside an entity such as "&amp;", and never inside a UTF-8 sequence. Control characters become
// spaces when oneLine is set (a header, a field), so an untrusted value cannot break the layout.
func EscapeMrkdwnMax(s string, max int, marker string, oneLine bool) string {
	if max <= 0 {
		return ""
	}
	// Fast path: short, nothing to escape or replace.
	if len(s) <= max && !strings.ContainsAny(s, "&<>") && (!oneLine || !hasControl(s)) {
		return s
	}
	total := 0
	for _, r := range s {
		total += escapedRunes(r)
	}
	limit := max
	cut := total > max
	if cut {
		limit = max - utf8.RuneCountInString(marker)
		if limit < 0 {
			// The marker alone does not fit: cut without one.
			limit, marker = max, ""
		}
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max) + len(marker))
	n := 0
	for _, r := range s {
		w := escapedRunes(r)
		if n+w > limit {
			break
		}
		n += w
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case oneLine && isControl(r):
			b.WriteByte(' ')
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	if cut {
		b.WriteString(marker)
	}
	return b.String()
}

// FitMrkdwn cuts already-escaped Slack text (trusted markup around escaped values) to at most
// max runes, marker included. It backs off so that the cut never splits an entity (&amp;), a
// link or mention (<…>) or a UTF-8 sequence, and closes an open code span.
func FitMrkdwn(s string, max int, marker string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	limit := max - utf8.RuneCountInString(marker)
	if limit < 0 {
		limit, marker = max, ""
	}
	// Byte offset of the rune at index limit.
	cut, i := 0, 0
	for off := range s {
		if i == limit {
			cut = off
			break
		}
		i++
	}
	head := s[:cut]
	if amp := strings.LastIndexByte(head, '&'); amp >= 0 && !strings.Contains(head[amp:], ";") {
		head = head[:amp]
	}
	if lt := strings.LastIndexByte(head, '<'); lt >= 0 && !strings.Contains(head[lt:], ">") {
		head = head[:lt]
	}
	if strings.Count(head, "`")%2 == 1 {
		// Closing the span costs one rune: make room for it.
		if _, size := utf8.DecodeLastRuneInString(head); size > 0 && utf8.RuneCountInString(head)+1+utf8.RuneCountInString(marker) > max {
			head = head[:len(head)-size]
		}
		if strings.Count(head, "`")%2 == 1 {
			head += "`"
		}
	}
	return head + marker
}

// Code formats an untrusted value as inline code: escaped, capped at max runes, and with any
// backtick replaced by a look-alike (U+02CB) so the value cannot close the code span early.
func Code(s string, max int) string {
	if strings.IndexByte(s, '`') >= 0 {
		s = strings.ReplaceAll(s, "`", "ˋ")
	}
	if s == "" {
		return ""
	}
	return "`" + EscapeMrkdwnMax(s, max, Ellipsis, true) + "`"
}

// SingleLine makes untrusted text safe for a one-line context — an email subject (a CR or LF
// there would let the text inject mail headers) or a plain-text field: every control character,
// CR and LF included, becomes a space, and runs of spaces collapse. It cuts to max runes with
// an ellipsis when max > 0.
func SingleLine(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 || (c == ' ' && i+1 < len(s) && s[i+1] == ' ') {
			clean = false
			break
		}
	}
	if !clean {
		var b strings.Builder
		b.Grow(len(s))
		space := false
		for _, r := range s {
			if isControl(r) || unicode.IsSpace(r) {
				if space {
					continue
				}
				r, space = ' ', true
			} else {
				space = false
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	if max > 0 && len(s) > max && utf8.RuneCountInString(s) > max {
		n := 0
		for off := range s {
			if n == max-1 {
				return s[:off] + Ellipsis
			}
			n++
		}
	}
	return s
}

func hasControl(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}

// isControl reports C0 and C1 controls and the Unicode line and paragraph separators, all of
// which can break a one-line layout.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
}
