package render

import (
	"strconv"
	"strings"
)

// Thousands writes n with comma separators: 1,234,567.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Plural writes n and the word that agrees with it: "1 failure", "1,234 failures".
func Plural(n int, one, many string) string { return Thousands(n) + " " + PluralWord(n, one, many) }

// PluralWord is one when n is 1, else many.
func PluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// plural is Plural, as the thread views call it.
func plural(n int, one, many string) string { return Plural(n, one, many) }
