package channelview

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Slack's text arrives escaped: "&", "<" and ">" as "&amp;", "&lt;" and "&gt;", and "<…>" is a
// control sequence (link, mention, date). Rendering follows
// https://api.slack.com/reference/surfaces/formatting: the control sequences and code spans are
// cut out first and replaced by placeholders, the remaining text is unescaped once (as Slack
// shows it) and HTML-escaped, the emphasis markers are applied to that escaped text, and the
// placeholders are put back as the HTML the page builds itself. No character of the input ever
// reaches the page unescaped.

const (
	phOpen  = '\uE000' // placeholder delimiters: private-use characters, removed from input first
	phClose = '\uE001'
)

var (
	bold   = regexp.MustCompile(`(^|[\s(\[{"'>~_])\*([^*\n]*[^*\s\n])\*`)
	italic = regexp.MustCompile(`(^|[\s(\[{"'>~*])_([^_\n]*[^_\s\n])_`)
	strike = regexp.MustCompile(`(^|[\s(\[{"'>*_])~([^~\n]*[^~\s\n])~`)
	emoji  = regexp.MustCompile(`:([a-z0-9_+\-]+):`)
)

// emojis maps the shortcodes ssmnotify's messages use (and a few common ones) to characters;
// any other shortcode stays as its text, as in a Slack client without that emoji.
var emojis = map[string]string{
	"x": "❌", "white_check_mark": "✅", "warning": "⚠️", "no_entry_sign": "🚫", "alarm_clock": "⏰",
	"hourglass_flowing_sand": "⏳", "bar_chart": "📊", "mag": "🔍", "mag_right": "🔎",
	"grey_question": "❔", "page_facing_up": "📄", "rotating_light": "🚨", "heavy_check_mark": "✔️",
	"information_source": "ℹ️", "red_circle": "🔴", "large_green_circle": "🟢", "bell": "🔔",
	"no_bell": "🔕", "arrows_counterclockwise": "🔄", "link": "🔗", "clock3": "🕒",
}

// slackUnescape undoes Slack's three escapes, once: "&amp;lt;" shows as "&lt;", as in Slack.
var slackUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// textHTML renders plain text: unescaped as Slack shows it, then escaped for HTML.
func textHTML(s string, withEmoji bool) string {
	out := html.EscapeString(slackUnescape.Replace(clean(s)))
	if withEmoji {
		out = emojiHTML(out)
	}
	return out
}

// plainHTML renders a plain_text object: Slack shows its characters as they are (no entity
// decoding), with emoji shortcodes when emoji is true.
func plainHTML(s string, withEmoji bool) string {
	out := html.EscapeString(clean(s))
	if withEmoji {
		out = emojiHTML(out)
	}
	return out
}

func emojiHTML(escaped string) string {
	return emoji.ReplaceAllStringFunc(escaped, func(m string) string {
		if e, ok := emojis[m[1:len(m)-1]]; ok {
			return `<span class="emoji" title="` + m + `">` + e + `</span>`
		}
		return m
	})
}

// clean removes the placeholder delimiters, so input can never forge a placeholder.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == phOpen || r == phClose {
			return '\uFFFD'
		}
		return r
	}, s)
}

// Mrkdwn renders Slack mrkdwn text as safe HTML.
func Mrkdwn(s string) string {
	s = clean(s)
	var parts []string // rendered HTML of each placeholder
	hold := func(h string) string {
		parts = append(parts, h)
		return string(phOpen) + strconv.Itoa(len(parts)-1) + string(phClose)
	}
	var b strings.Builder
	// Code blocks (```…```), inline code (`…`) and control sequences (<…>), left to right.
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "```"):
			if j := strings.Index(s[i+3:], "```"); j >= 0 {
				b.WriteString(hold(`<pre class="code">` + textHTML(s[i+3:i+3+j], false) + `</pre>`))
				i += 3 + j + 3
				continue
			}
		case s[i] == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 && !strings.Contains(s[i+1:i+1+j], "\n") {
				b.WriteString(hold(`<code>` + textHTML(s[i+1:i+1+j], false) + `</code>`))
				i += 1 + j + 1
				continue
			}
		case s[i] == '<':
			if j := strings.IndexByte(s[i+1:], '>'); j >= 0 {
				b.WriteString(hold(control(s[i+1 : i+1+j])))
				i += 1 + j + 1
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	out := html.EscapeString(slackUnescape.Replace(b.String()))
	out = bold.ReplaceAllString(out, `$1<b>$2</b>`)
	out = italic.ReplaceAllString(out, `$1<i>$2</i>`)
	out = strike.ReplaceAllString(out, `$1<s>$2</s>`)
	out = emojiHTML(out)
	out = quotes(out)
	out = strings.ReplaceAll(out, "\n", "<br>")
	// Put the placeholders back (they may have been wrapped in emphasis, never split).
	return restore(out, parts)
}

func restore(s string, parts []string) string {
	var b strings.Builder
	for {
		i := strings.IndexRune(s, phOpen)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexRune(s[i:], phClose)
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		n, err := strconv.Atoi(s[i+len(string(phOpen)) : i+j])
		if err == nil && n >= 0 && n < len(parts) {
			b.WriteString(parts[n])
		}
		s = s[i+j+len(string(phClose)):]
	}
}

// quotes renders lines starting with "&gt; " (an escaped "> ") as a block quote.
func quotes(escaped string) string {
	lines := strings.Split(escaped, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "&gt; "); ok {
			lines[i] = `<span class="quote">` + rest + `</span>`
		}
	}
	return strings.Join(lines, "\n")
}

// control renders the inside of one "<…>" control sequence.
func control(inner string) string {
	target, label, hasLabel := strings.Cut(inner, "|")
	switch {
	case strings.HasPrefix(target, "!date^"):
		// <!date^unix^format|fallback>: Slack shows it in the reader's zone; the page shows the
		// fallback the sender wrote.
		return `<span class="date">` + textHTML(label, false) + `</span>`
	case strings.HasPrefix(target, "!subteam^"):
		name := label
		if !hasLabel {
			name = "@" + strings.TrimPrefix(target, "!subteam^")
		}
		return `<span class="mention">` + textHTML(name, false) + `</span>`
	case strings.HasPrefix(target, "!"):
		return `<span class="mention">@` + textHTML(strings.TrimPrefix(target, "!"), false) + `</span>`
	case strings.HasPrefix(target, "@"):
		name := target
		if hasLabel {
			name = "@" + label
		}
		return `<span class="mention">` + textHTML(name, false) + `</span>`
	case strings.HasPrefix(target, "#"):
		name := target
		if hasLabel {
			name = "#" + label
		}
		return `<span class="mention">` + textHTML(name, false) + `</span>`
	}
	if !hasLabel {
		label = target
	}
	href := slackUnescape.Replace(target)
	if !safeURL(href) {
		// Not a link Slack would make clickable here: show the text, inert.
		return textHTML(label, true)
	}
	return `<a href="` + html.EscapeString(href) + `" rel="noopener noreferrer">` + textHTML(label, true) + `</a>`
}

// safeURL allows only http, https and mailto links.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}
