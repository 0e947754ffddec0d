package rules

import (
	"net/mail"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// The destinations section: named Slack channels and email recipient lists.

type rawDestination struct {
	entry
	slack *rawSlack // at most one of slack and email is read
	email *rawEmail
	both  bool // both were given, and neither is read
}

type rawSlack struct {
	line      int
	unread    bool // not a mapping (reported): nothing more to check
	mode      *scalar
	channel   *scalar
	broadcast *toggle
	mentions  []rawMention
}

// rawMention is one "status: mention" pair whose mention text could be read.
type rawMention struct {
	status scalar
	text   scalar
}

type rawEmail struct {
	line          int
	unread        bool // not a mapping (reported): nothing more to check
	to, cc        list
	from          *scalar
	subjectPrefix *scalar
	group         *scalar
}

var (
	destinationKeys = []string{"name", "slack", "email"}
	slackKeys       = []string{"channel", "mode", "mentions", "broadcast_terminal"}
	emailKeys       = []string{"to", "cc", "from", "subject_prefix", "group"}
)

func (r *reader) destinations(n *yaml.Node) []rawDestination {
	var out []rawDestination
	seen := map[string]int{}
	for _, item := range r.items(n, "destinations") {
		f := r.fields(item, label(item, "destination"), destinationKeys...)
		if f == nil {
			continue
		}
		d := rawDestination{entry: r.readEntry(f, item, "destination", seen)}
		if !d.named {
			d.what = "destination"
		}
		sn, hasSlack := f["slack"]
		en, hasEmail := f["email"]
		switch {
		case hasSlack && hasEmail:
			d.both = true
		case hasSlack:
			d.slack = r.slack(sn, d.what)
		case hasEmail:
			d.email = r.email(en, d.what)
		}
		out = append(out, d)
	}
	return out
}

func (r *reader) slack(n *yaml.Node, what string) *rawSlack {
	f := r.fields(n, what+" slack", slackKeys...)
	if f == nil {
		return &rawSlack{unread: true}
	}
	s := &rawSlack{line: n.Line}
	s.mode = r.optStr(f, "mode", what+" mode")
	s.channel = r.optStr(f, "channel", what+" channel")
	if b, ok := f["broadcast_terminal"]; ok {
		s.broadcast = &toggle{on: r.boolean(b, what+" broadcast_terminal"), line: b.Line}
	}
	if m, ok := f["mentions"]; ok {
		s.mentions = r.mentions(resolve(m), what)
	}
	return s
}

// mentions reads a mapping from status (any spelling, or AnyFailure) to mention text.
func (r *reader) mentions(m *yaml.Node, what string) []rawMention {
	if m.Kind != yaml.MappingNode {
		r.errorf(m, "%s: mentions must map statuses to mentions, e.g. Failed: \"<!here>\"", what)
		return nil
	}
	var out []rawMention
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		text := r.str(v, what+" mention")
		if !text.ok {
			continue
		}
		out = append(out, rawMention{status: scalar{value: k.Value, line: k.Line, ok: true}, text: text})
	}
	return out
}

func (r *reader) email(n *yaml.Node, what string) *rawEmail {
	f := r.fields(n, what+" email", emailKeys...)
	if f == nil {
		return &rawEmail{unread: true}
	}
	e := &rawEmail{line: n.Line}
	e.to = r.optList(f, "to", what+" to")
	e.cc = r.optList(f, "cc", what+" cc")
	e.from = r.optStr(f, "from", what+" from")
	e.subjectPrefix = r.optStr(f, "subject_prefix", what+" subject_prefix")
	e.group = r.optStr(f, "group", what+" group")
	return e
}

var (
	// channelRE accepts "#name" (Slack's rules: lower case, digits, '-', '_', at most 80) or a
	// conversation ID.
	channelRE = regexp.MustCompile(`^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{6,})$`)
	// mentionRE is one Slack mention: special mentions, a user group, or a user, with an
	// optional label.
	mentionRE = regexp.MustCompile(`^<(!here|!channel|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(\|[^<>|\s]+)?>$`)
)

func (c *compiler) destinations(raw []rawDestination) {
	for _, d := range raw {
		dest := &Destination{Name: d.name, line: d.line}
		switch {
		case d.both:
			c.errorf(d.line, "%s: has both slack and email; make two destinations", d.what)
		case d.slack != nil:
			dest.Type, dest.Slack = DestinationSlack, c.slack(d.slack, d.what)
		case d.email != nil:
			dest.Type, dest.Email = DestinationEmail, c.email(d.email, d.what)
		default:
			c.errorf(d.line, "%s: needs a slack or an email block", d.what)
		}
		if d.named {
			c.set.destinations = append(c.set.destinations, dest)
			c.set.destByName[d.name] = dest
		}
	}
}

func (c *compiler) slack(raw *rawSlack, what string) *SlackDestination {
	sd := &SlackDestination{Mode: SlackBot, Mentions: map[payload.Status]string{}}
	if raw.unread {
		return sd
	}
	if m := raw.mode; m != nil && m.ok {
		switch SlackMode(strings.ToLower(m.value)) {
		case SlackBot:
			sd.Mode = SlackBot
		case SlackWebhook:
			sd.Mode = SlackWebhook
		default:
			c.errorf(m.line, "%s: mode %s: want bot or webhook", what, q(m.value))
		}
	}
	switch ch := raw.channel; {
	case ch == nil:
		if sd.Mode == SlackBot {
			c.errorf(raw.line, "%s: a bot-mode Slack destination needs a channel", what)
		}
	case !ch.ok:
	case channelRE.MatchString(ch.value):
		sd.Channel = ch.value
	default:
		c.errorf(ch.line, "%s: channel %s: want \"#name\" (lower case, digits, '-', '_') or a channel ID such as C0123ABCD", what, q(ch.value))
	}
	if b := raw.broadcast; b != nil {
		sd.BroadcastTerminal = b.on
		if b.on && sd.Mode == SlackWebhook {
			c.errorf(b.line, "%s: broadcast_terminal needs threads, which webhooks do not have; use mode: bot", what)
		}
	}
	c.mentions(raw.mentions, sd, what)
	return sd
}

func (c *compiler) mentions(raw []rawMention, sd *SlackDestination, what string) {
	var anyFailure string
	for _, m := range raw {
		text := m.text.value
		valid := true
		for _, tok := range strings.Fields(text) {
			if !mentionRE.MatchString(tok) {
				c.errorf(m.text.line, "%s: mention %s is not Slack mention syntax: use <!here>, <!channel>, <!subteam^ID> or <@USERID>, separated by spaces", what, q(text))
				valid = false
				break
			}
		}
		if !valid {
			continue
		}
		text = strings.Join(strings.Fields(text), " ")
		if isAnyFailure(m.status.value) {
			anyFailure = text
			continue
		}
		st, ok := c.status(m.status, what+" mentions")
		if !ok {
			continue
		}
		if _, dup := sd.Mentions[st]; dup {
			c.errorf(m.status.line, "%s: mentions: %s is given twice", what, st)
			continue
		}
		sd.Mentions[st] = text
	}
	if anyFailure != "" {
		// An explicit status wins over AnyFailure.
		for _, st := range knownFailures {
			if _, set := sd.Mentions[st]; !set {
				sd.Mentions[st] = anyFailure
			}
		}
	}
}

func (c *compiler) email(raw *rawEmail, what string) *EmailDestination {
	ed := &EmailDestination{}
	if raw.unread {
		return ed
	}
	addrs := func(l list, key string) []string {
		var out []string
		for _, a := range l {
			if addr, ok := c.address(a, what+" "+key); ok {
				out = append(out, addr)
			}
		}
		return out
	}
	ed.To = addrs(raw.to, "to")
	if raw.to == nil {
		c.errorf(raw.line, "%s: email needs at least one address in to", what)
	}
	ed.Cc = addrs(raw.cc, "cc")
	if raw.from != nil {
		ed.From, _ = c.address(*raw.from, what+" from")
	} else {
		c.errorf(raw.line, "%s: email needs from (an SES-verified identity)", what)
	}
	if p := raw.subjectPrefix; p != nil && p.ok {
		if strings.ContainsAny(p.value, "\r\n") {
			c.errorf(p.line, "%s: subject_prefix must be one line", what)
		}
		ed.SubjectPrefix = p.value
	}
	if g := raw.group; g != nil && g.ok {
		switch EmailGroup(g.value) {
		case GroupCommand, GroupNone:
			ed.Group = EmailGroup(g.value)
		default:
			c.errorf(g.line, "%s: group must be command (one email per command outcome, the default) or none (one per notification), not %s", what, q(g.value))
		}
	}
	return ed
}

// address checks one address with net/mail and returns it trimmed, as written.
func (c *compiler) address(s scalar, what string) (string, bool) {
	if !s.ok {
		return "", false
	}
	v := strings.TrimSpace(s.value)
	if _, err := mail.ParseAddress(v); err != nil {
		c.errorf(s.line, "%s: %s is not an email address", what, q(v))
		return "", false
	}
	return v, true
}
