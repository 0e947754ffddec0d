package render

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The email bodies are built by hand rather than with html/template. html/template (through
// text/template) calls reflect.Value.MethodByName, and a binary that does so keeps every
// exported method of every reachable type: with the AWS SDK linked in that was most of the
// router's 49 MB. The escapers below reproduce, byte for byte, what html/template does in each
// context the email templates used; template_oracle_test.go keeps the old templates and checks
// the two against each other on the golden corpora and under fuzzing.

// filterFailsafe is what html/template writes instead of a value that is unsafe in its context.
const filterFailsafe = "ZgotmplZ"

// htmlEscapes maps each byte html/template's HTML escaper replaces (in text, RCDATA such as
// <title>, and quoted attribute values) to its replacement. Every such byte is ASCII, so a byte
// loop is exact: no byte of a multi-byte UTF-8 sequence is below 0x80, and invalid UTF-8 passes
// through unchanged, as it does in html/template.
var htmlEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// WriteHTML appends s escaped for HTML text, RCDATA or a quoted attribute value, as
// html/template's htmlEscaper, rcdataEscaper and attrEscaper do for a plain string.
func WriteHTML(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) >= len(htmlEscapes) || htmlEscapes[c] == "" {
			continue
		}
		b.WriteString(s[written:i])
		b.WriteString(htmlEscapes[c])
		written = i + 1
	}
	b.WriteString(s[written:])
}

// WriteURLAttr appends u as html/template writes a value that is a whole URL in a quoted
// attribute (href="{{.}}"): a URL whose scheme is not http, https or mailto becomes
// "#ZgotmplZ"; the URL is then normalized (bytes a URL may not hold are percent-encoded, valid
// escapes are kept) and escaped for the attribute.
func WriteURLAttr(b *strings.Builder, u string) {
	if !isSafeURL(u) {
		u = "#" + filterFailsafe
	}
	WriteHTML(b, normalizeURL(u))
}

// isSafeURL is html/template's: true for a relative URL or one whose scheme is http, https or
// mailto.
func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

// normalizeURL is html/template's URL normalizer: it percent-encodes (lower-case hex) every byte
// that is neither unreserved nor reserved in RFC 3986, except '%' that starts a valid escape.
// Single quotes and parentheses are encoded too.
func normalizeURL(s string) string {
	const hex = "0123456789abcdef"
	var b []byte
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s)+16)
		}
		b = append(b, s[written:i]...)
		b = append(b, '%', hex[c>>4], hex[c&0xf])
		written = i + 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[written:]...))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// writeCSSValueAttr appends s as html/template writes a value that is a CSS property value in a
// quoted style attribute (style="color:{{.}}"): the CSS value filter, then attribute escaping.
func writeCSSValueAttr(b *strings.Builder, s string) {
	WriteHTML(b, cssValueFilter(s))
}

// cssValueFilter is html/template's: it decodes CSS escapes and returns the result, or
// "ZgotmplZ" when the value could break out of its declaration (quotes, brackets, semicolons,
// comments, "expression" or "mozbinding").
func cssValueFilter(s string) string {
	b := decodeCSS([]byte(s))
	id := make([]byte, 0, 64)
	for i, c := range b {
		switch c {
		case 0, '"', '\'', '(', ')', '/', ';', '@', '[', '\\', ']', '`', '{', '}', '<', '>':
			return filterFailsafe
		case '-':
			// "--" would allow <!-- or -->.
			if i != 0 && b[i-1] == '-' {
				return filterFailsafe
			}
		default:
			if c < utf8.RuneSelf && isCSSNmchar(rune(c)) {
				id = append(id, c)
			}
		}
	}
	id = bytes.ToLower(id)
	if bytes.Contains(id, []byte("expression")) || bytes.Contains(id, []byte("mozbinding")) {
		return filterFailsafe
	}
	return string(b)
}

// isCSSNmchar reports whether r is a CSS3 nmchar (ignoring escapes).
func isCSSNmchar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' ||
		0x80 <= r && r <= 0xd7ff || 0xe000 <= r && r <= 0xfffd || 0x10000 <= r && r <= 0x10ffff
}

// decodeCSS decodes CSS3 escapes ("\41 ", "\\"), as html/template does before filtering.
func decodeCSS(s []byte) []byte {
	if bytes.IndexByte(s, '\\') == -1 {
		return s
	}
	b := make([]byte, 0, len(s))
	for len(s) != 0 {
		i := bytes.IndexByte(s, '\\')
		if i == -1 {
			i = len(s)
		}
		b, s = append(b, s[:i]...), s[i:]
		if len(s) < 2 {
			break
		}
		if isHex(s[1]) {
			// unicode ::= '\' [0-9a-fA-F]{1,6} wc?
			j := 2
			for j < len(s) && j < 7 && isHex(s[j]) {
				j++
			}
			r := hexDecode(s[1:j])
			if r > unicode.MaxRune {
				r, j = r/16, j-1
			}
			b, s = utf8.AppendRune(b, r), skipCSSSpace(s[j:])
		} else {
			// `\\` decodes to `\` and `\"` to `"`.
			_, n := utf8.DecodeRune(s[1:])
			b, s = append(b, s[1:1+n]...), s[1+n:]
		}
	}
	return b
}

// hexDecode decodes up to six hex digits, all of which isHex accepts.
func hexDecode(s []byte) rune {
	n := rune(0)
	for _, c := range s {
		n <<= 4
		switch {
		case '0' <= c && c <= '9':
			n |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			n |= rune(c-'a') + 10
		default:
			n |= rune(c-'A') + 10
		}
	}
	return n
}

// skipCSSSpace skips the one optional white-space character after a CSS hex escape (CRLF
// counts as one).
func skipCSSSpace(c []byte) []byte {
	if len(c) == 0 {
		return c
	}
	switch c[0] {
	case '\t', '\n', '\f', ' ':
		return c[1:]
	case '\r':
		if len(c) >= 2 && c[1] == '\n' {
			return c[2:]
		}
		return c[1:]
	}
	return c
}
