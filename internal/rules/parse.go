package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones must resolve the same on a laptop and on provided.al2023, which may lack zoneinfo

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Load reads and parses the config file at path.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path)
}

// Parse validates and compiles a config file. filename is used in messages only. On any problem
// the error is a *ConfigError listing every problem found, each with its line.
func Parse(data []byte, filename string) (*Set, error) {
	d := &decoder{file: filename}
	d.scanSecrets(data)
	root := d.document(data)
	if root == nil {
		return nil, d.err()
	}
	set := d.set(root)
	if len(d.problems) > 0 {
		return nil, d.err()
	}
	set.file = filename
	set.warnings = warnings(set, filename)
	return set, nil
}

// decoder walks the yaml.Node tree by hand, instead of decoding into structs, so that it can
// report every problem with its line rather than stop at the first.
type decoder struct {
	file     string
	problems []Problem
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	sortProblems(d.problems)
	return &ConfigError{File: d.file, Problems: d.problems}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses the YAML and returns its top-level mapping, or nil after reporting why not.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(nil, "the file is empty")
			return nil
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			d.problems = append(d.problems, Problem{File: d.file, Line: line, Message: "YAML syntax: " + m[2]})
		} else {
			d.errorf(nil, "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, "the file holds more than one YAML document; put everything in one")
	}
	if len(doc.Content) == 0 {
		d.errorf(nil, "the file is empty")
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "the top level must be a mapping with keys such as destinations and routes")
		return nil
	}
	return root
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// scanSecrets reports every line that looks like it holds a Slack token or webhook URL, whether
// in a value, a key or a comment. It works on the raw lines, so the line is exact and it runs
// even when the YAML does not parse.
func (d *decoder) scanSecrets(data []byte) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		n := &yaml.Node{Line: i + 1}
		switch secretKind(string(line)) {
		case "token":
			d.errorf(n, "this looks like a Slack token; secrets never go in the config: put the bot token in the Secrets Manager secret as \"bot_token\" (see docs/config.md, Secrets)")
		case "webhook":
			d.errorf(n, "this looks like a Slack incoming-webhook URL; secrets never go in the config: put it in the Secrets Manager secret under \"webhooks\", keyed by the destination's name (see docs/config.md, Secrets)")
		}
	}
}

// fields reads a mapping, reporting a non-mapping, duplicate keys and unknown keys (named, with
// their line). A null value (a key with nothing after it) reads as an empty mapping. Merge keys
// ("<<: *anchor") are honoured; explicit keys win over merged ones.
func (d *decoder) fields(n *yaml.Node, what string, known ...string) map[string]*yaml.Node {
	n = resolve(n)
	out := map[string]*yaml.Node{}
	if n == nil || isNull(n) {
		return out
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping of keys (%s)", what, strings.Join(known, ", "))
		return nil
	}
	keyLine := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be plain words", what)
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			merges = append(merges, resolve(v))
			continue
		}
		if first, dup := keyLine[k.Value]; dup {
			d.errorf(k, "%s: duplicate key %q (first at line %d)", what, k.Value, first)
			continue
		}
		keyLine[k.Value] = k.Line
		if what == "top level" && strings.HasPrefix(k.Value, "x-") {
			continue // a place for YAML anchors, as in Compose files
		}
		if !contains(known, k.Value) {
			if secretKind(k.Value) != "" {
				continue // already reported by scanSecrets, and must not be repeated
			}
			d.errorf(k, "%s: unknown key %q%s; known keys: %s", what, k.Value, suggest(k.Value, known), strings.Join(known, ", "))
			continue
		}
		out[k.Value] = v
	}
	for _, m := range merges {
		var srcs []*yaml.Node
		if m.Kind == yaml.SequenceNode {
			for _, c := range m.Content {
				srcs = append(srcs, resolve(c))
			}
		} else {
			srcs = []*yaml.Node{m}
		}
		for _, src := range srcs {
			for k, v := range d.fields(src, what, known...) {
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// str reads a non-empty scalar.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, "%s must be a single value", what)
		return "", false
	}
	v := strings.TrimSpace(n.Value)
	if v == "" {
		d.errorf(n, "%s must not be empty", what)
		return "", false
	}
	return v, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	d.errorf(n, "%s must be true or false, not %s", what, q(n.Value))
	return false
}

// list reads one value or a sequence of values, each a node so that its line can be reported.
// It reports an empty list.
func (d *decoder) list(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	switch {
	case n.Kind == yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode || isNull(c) || strings.TrimSpace(c.Value) == "" {
				d.errorf(c, "%s: each entry must be a single non-empty value", what)
				continue
			}
			out = append(out, c)
		}
		if len(n.Content) == 0 {
			d.errorf(n, "%s must not be an empty list", what)
		}
		return out
	case n.Kind == yaml.ScalarNode && !isNull(n) && strings.TrimSpace(n.Value) != "":
		return []*yaml.Node{n}
	}
	d.errorf(n, "%s must be a value or a list of values", what)
	return nil
}

// items reads a sequence of mappings (the destinations, routes, … lists).
func (d *decoder) items(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list (each entry starting with \"- \")", what)
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, resolve(c))
	}
	return out
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// label names an entry for messages before its fields are read: `route "x"`, or just `route`
// when it has no usable name.
func label(item *yaml.Node, what string) string {
	if item.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(item.Content); i += 2 {
			if k, v := item.Content[i], resolve(item.Content[i+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
				return what + " " + q(v.Value)
			}
		}
	}
	return what
}

// name reads an entry's name: it keys the secret's webhooks, appears in metrics and file names,
// so it is limited to letters, digits, '.', '_' and '-'.
func (d *decoder) name(f map[string]*yaml.Node, entry *yaml.Node, what string, seen map[string]int) (string, bool) {
	n, ok := f["name"]
	if !ok {
		d.errorf(entry, "%s has no name", what)
		return "", false
	}
	v, ok := d.str(n, what+" name")
	if !ok {
		return "", false
	}
	if !nameRE.MatchString(v) {
		d.errorf(n, "%s name %s: use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)", what, q(v))
		return "", false
	}
	if first, dup := seen[v]; dup {
		d.errorf(n, "duplicate %s name %q (first at line %d)", what, v, first)
		return "", false
	}
	seen[v] = n.Line
	return v, true
}

func (d *decoder) location(n *yaml.Node, what string) *time.Location {
	v, ok := d.str(n, what)
	if !ok {
		return nil
	}
	if v == "Local" {
		d.errorf(n, "%s: \"Local\" depends on the machine; name the zone, e.g. Europe/London or UTC", what)
		return nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		d.errorf(n, "%s: unknown time zone %s; use an IANA name such as Europe/London, America/New_York or UTC", what, q(v))
		return nil
	}
	return loc
}

// topKeys are the keys of the file's top level.
var topKeys = []string{"destinations", "defaults", "routes", "silences", "mute_windows", "digest", "silence_channel"}

func (d *decoder) set(root *yaml.Node) *Set {
	top := d.fields(root, "top level", topKeys...)
	s := &Set{destByName: map[string]*Destination{}}
	if n, ok := top["destinations"]; ok {
		if rn := resolve(n); isNull(rn) || (rn.Kind == yaml.SequenceNode && len(rn.Content) == 0) {
			d.errorf(n, "destinations is empty: define at least one Slack or email destination")
		}
		d.destinations(n, s)
	} else {
		d.errorf(root, "no destinations: define at least one under destinations (see docs/config.md)")
	}
	windows := map[string]*MuteWindow{}
	if n, ok := top["mute_windows"]; ok {
		d.muteWindows(n, s, windows)
	}
	def := routeDefaults{notifyOn: statusSet{all: true}, notifyFor: kindAll}
	if n, ok := top["defaults"]; ok {
		d.defaults(n, s, windows, &def)
	}
	n, ok := top["routes"]
	if !ok {
		d.errorf(root, "no routes: add a routes list (see docs/config.md)")
	} else {
		d.routes(n, s, windows, def)
	}
	if n, ok := top["silences"]; ok {
		d.silences(n, s)
	}
	if n, ok := top["digest"]; ok {
		d.digest(n, s)
	}
	if n, ok := top["silence_channel"]; ok {
		d.silenceChannelKey(n, s)
	}
	return s
}

var (
	destinationKeys = []string{"name", "slack", "email"}
	slackKeys       = []string{"channel", "mode", "mentions", "broadcast_terminal"}
	emailKeys       = []string{"to", "cc", "from", "subject_prefix"}

	// channelRE accepts "#name" (Slack's rules: lower case, digits, '-', '_', at most 80) or a
	// conversation ID.
	channelRE = regexp.MustCompile(`^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{6,})$`)
	// mentionRE is one Slack mention: special mentions, a user group, or a user, with an
	// optional label.
	mentionRE = regexp.MustCompile(`^<(!here|!channel|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(\|[^<>|\s]+)?>$`)
)

func (d *decoder) destinations(n *yaml.Node, s *Set) {
	seen := map[string]int{}
	for _, item := range d.items(n, "destinations") {
		f := d.fields(item, label(item, "destination"), destinationKeys...)
		if f == nil {
			continue
		}
		name, ok := d.name(f, item, "destination", seen)
		what := "destination " + strconv.Quote(name)
		if !ok {
			what = "destination"
		}
		dest := &Destination{Name: name, line: item.Line}
		sn, hasSlack := f["slack"]
		en, hasEmail := f["email"]
		switch {
		case hasSlack && hasEmail:
			d.errorf(item, "%s: has both slack and email; make two destinations", what)
		case hasSlack:
			dest.Type, dest.Slack = DestinationSlack, d.slack(sn, what)
		case hasEmail:
			dest.Type, dest.Email = DestinationEmail, d.email(en, what)
		default:
			d.errorf(item, "%s: needs a slack or an email block", what)
		}
		if ok {
			s.destinations = append(s.destinations, dest)
			s.destByName[name] = dest
		}
	}
}

func (d *decoder) slack(n *yaml.Node, what string) *SlackDestination {
	f := d.fields(n, what+" slack", slackKeys...)
	sd := &SlackDestination{Mode: SlackBot, Mentions: map[payload.Status]string{}}
	if f == nil {
		return sd
	}
	if m, ok := f["mode"]; ok {
		if v, ok := d.str(m, what+" mode"); ok {
			switch SlackMode(strings.ToLower(v)) {
			case SlackBot:
				sd.Mode = SlackBot
			case SlackWebhook:
				sd.Mode = SlackWebhook
			default:
				d.errorf(m, "%s: mode %s: want bot or webhook", what, q(v))
			}
		}
	}
	if c, ok := f["channel"]; ok {
		if v, ok := d.str(c, what+" channel"); ok {
			if channelRE.MatchString(v) {
				sd.Channel = v
			} else {
				d.errorf(c, "%s: channel %s: want \"#name\" (lower case, digits, '-', '_') or a channel ID such as C0123ABCD", what, q(v))
			}
		}
	} else if sd.Mode == SlackBot {
		d.errorf(n, "%s: a bot-mode Slack destination needs a channel", what)
	}
	if b, ok := f["broadcast_terminal"]; ok {
		sd.BroadcastTerminal = d.boolean(b, what+" broadcast_terminal")
		if sd.BroadcastTerminal && sd.Mode == SlackWebhook {
			d.errorf(b, "%s: broadcast_terminal needs threads, which webhooks do not have; use mode: bot", what)
		}
	}
	if m, ok := f["mentions"]; ok {
		d.mentions(resolve(m), sd, what)
	}
	return sd
}

// mentions reads a mapping from status (any spelling, or AnyFailure) to mention text.
func (d *decoder) mentions(m *yaml.Node, sd *SlackDestination, what string) {
	if m.Kind != yaml.MappingNode {
		d.errorf(m, "%s: mentions must map statuses to mentions, e.g. Failed: \"<!here>\"", what)
		return
	}
	var anyFailure string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		text, ok := d.str(v, what+" mention")
		if !ok {
			continue
		}
		valid := true
		for _, tok := range strings.Fields(text) {
			if !mentionRE.MatchString(tok) {
				d.errorf(v, "%s: mention %s is not Slack mention syntax: use <!here>, <!channel>, <!subteam^ID> or <@USERID>, separated by spaces", what, q(text))
				valid = false
				break
			}
		}
		if !valid {
			continue
		}
		text = strings.Join(strings.Fields(text), " ")
		if isAnyFailure(k.Value) {
			anyFailure = text
			continue
		}
		st, ok := d.status(k, what+" mentions")
		if !ok {
			continue
		}
		if _, dup := sd.Mentions[st]; dup {
			d.errorf(k, "%s: mentions: %s is given twice", what, st)
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

// knownFailures are the statuses AnyFailure expands to where a concrete list is needed.
var knownFailures = []payload.Status{
	payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled,
	payload.StatusDeliveryTimedOut, payload.StatusExecutionTimedOut, payload.StatusUndeliverable,
	payload.StatusTerminated, payload.StatusInvalidPlatform, payload.StatusAccessDenied,
	payload.StatusIncomplete, payload.StatusRateExceeded, payload.StatusNoInstancesInTag,
}

func (d *decoder) email(n *yaml.Node, what string) *EmailDestination {
	f := d.fields(n, what+" email", emailKeys...)
	ed := &EmailDestination{}
	if f == nil {
		return ed
	}
	addrs := func(key string) []string {
		v, ok := f[key]
		if !ok {
			return nil
		}
		var out []string
		for _, a := range d.list(v, what+" "+key) {
			if addr, ok := d.address(a, what+" "+key); ok {
				out = append(out, addr)
			}
		}
		return out
	}
	ed.To = addrs("to")
	if _, ok := f["to"]; !ok {
		d.errorf(n, "%s: email needs at least one address in to", what)
	}
	ed.Cc = addrs("cc")
	if v, ok := f["from"]; ok {
		ed.From, _ = d.address(v, what+" from")
	} else {
		d.errorf(n, "%s: email needs from (an SES-verified identity)", what)
	}
	if v, ok := f["subject_prefix"]; ok {
		if p, ok := d.str(v, what+" subject_prefix"); ok {
			if strings.ContainsAny(p, "\r\n") {
				d.errorf(v, "%s: subject_prefix must be one line", what)
			}
			ed.SubjectPrefix = p
		}
	}
	return ed
}

func (d *decoder) address(n *yaml.Node, what string) (string, bool) {
	v, ok := d.str(n, what)
	if !ok {
		return "", false
	}
	if _, err := mail.ParseAddress(v); err != nil {
		d.errorf(n, "%s: %s is not an email address", what, q(v))
		return "", false
	}
	return v, true
}

var muteWindowKeys = []string{"name", "time_zone", "days", "hours", "statuses"}

func (d *decoder) muteWindows(n *yaml.Node, s *Set, byName map[string]*MuteWindow) {
	seen := map[string]int{}
	for _, item := range d.items(n, "mute_windows") {
		f := d.fields(item, label(item, "mute window"), muteWindowKeys...)
		if f == nil {
			continue
		}
		name, ok := d.name(f, item, "mute window", seen)
		what := "mute window " + strconv.Quote(name)
		w := &MuteWindow{Name: name, Line: item.Line}
		if z, has := f["time_zone"]; has {
			if loc := d.location(z, what+" time_zone"); loc != nil {
				w.Location, w.TimeZone = loc, loc.String()
			}
		} else {
			d.errorf(item, "%s needs a time_zone (an IANA name such as Europe/London, or UTC)", what)
		}
		if days, has := f["days"]; has {
			for _, v := range d.list(days, what+" days") {
				ds, err := parseDays(v.Value)
				if err != nil {
					d.errorf(v, "%s: %v", what, err)
					continue
				}
				for _, day := range ds {
					w.days[day] = true
				}
			}
		} else {
			w.days = [7]bool{true, true, true, true, true, true, true}
		}
		for day, on := range w.days {
			if on {
				w.Days = append(w.Days, time.Weekday(day))
			}
		}
		if hours, has := f["hours"]; has {
			for _, v := range d.list(hours, what+" hours") {
				h, err := parseHours(v.Value)
				if err != nil {
					d.errorf(v, "%s: %v", what, err)
					continue
				}
				w.Hours = append(w.Hours, h)
			}
		}
		if st, has := f["statuses"]; has {
			w.holds, w.Statuses = d.statusSet(st, what+" statuses")
		} else {
			// Quiet by default, never silent about failures: failures are held only when a
			// window names them.
			w.holds = statusSet{list: []payload.Status{payload.StatusInProgress, payload.StatusSuccess}}
			w.Statuses = []string{string(payload.StatusInProgress), string(payload.StatusSuccess)}
		}
		if ok {
			s.muteWindows = append(s.muteWindows, w)
			byName[name] = w
		}
	}
}

// routeDefaults is what a route inherits when it does not say.
type routeDefaults struct {
	notifyOn  statusSet
	notifyFor kindSet
	to        []*Destination
	mutes     []*MuteWindow
	enrich    *Enrich
}

var defaultsKeys = []string{"notify_on", "notify_for", "to", "mute_windows", "enrich"}

func (d *decoder) defaults(n *yaml.Node, s *Set, windows map[string]*MuteWindow, def *routeDefaults) {
	f := d.fields(n, "defaults", defaultsKeys...)
	if v, ok := f["notify_on"]; ok {
		def.notifyOn, _ = d.statusSet(v, "defaults notify_on")
	}
	if v, ok := f["notify_for"]; ok {
		def.notifyFor = d.kinds(v, "defaults notify_for")
	}
	if v, ok := f["to"]; ok {
		def.to = d.destinationRefs(v, s, "defaults to")
	}
	if v, ok := f["mute_windows"]; ok {
		def.mutes = d.windowRefs(v, windows, "defaults mute_windows")
	}
	if v, ok := f["enrich"]; ok {
		def.enrich = d.enrich(v, nil, "defaults enrich")
	}
}

var (
	routeKeys = []string{"name", "match", "notify_on", "notify_for", "to", "continue", "mute_windows", "enrich"}
	matchKeys = []string{"document", "instance", "status", "kind", "account", "region"}
)

func (d *decoder) routes(n *yaml.Node, s *Set, windows map[string]*MuteWindow, def routeDefaults) {
	seen := map[string]int{}
	if rn := resolve(n); isNull(rn) || (rn.Kind == yaml.SequenceNode && len(rn.Content) == 0) {
		d.errorf(n, "routes is empty: add at least one route")
	}
	items := d.items(n, "routes")
	for _, item := range items {
		f := d.fields(item, label(item, "route"), routeKeys...)
		if f == nil {
			continue
		}
		name, ok := d.name(f, item, "route", seen)
		what := "route " + strconv.Quote(name)
		r := &Route{Name: name, Line: item.Line, notifyOn: def.notifyOn, notifyFor: def.notifyFor, To: def.to, MuteWindows: def.mutes, Enrich: def.enrich}
		if v, has := f["match"]; has {
			r.match = d.matcher(v, what+" match")
		}
		if v, has := f["notify_on"]; has {
			r.notifyOn, _ = d.statusSet(v, what+" notify_on")
		}
		if v, has := f["notify_for"]; has {
			r.notifyFor = d.kinds(v, what+" notify_for")
		}
		if v, has := f["to"]; has {
			r.To = d.destinationRefs(v, s, what+" to")
		} else if len(def.to) == 0 {
			d.errorf(item, "%s has no destinations: set to here or in defaults", what)
		}
		if v, has := f["continue"]; has {
			r.Continue = d.boolean(v, what+" continue")
		}
		if v, has := f["mute_windows"]; has {
			r.MuteWindows = nil
			if rv := resolve(v); rv.Kind != yaml.SequenceNode || len(rv.Content) > 0 {
				r.MuteWindows = d.windowRefs(v, windows, what+" mute_windows")
			}
		}
		if v, has := f["enrich"]; has {
			r.Enrich = d.enrich(v, def.enrich, what+" enrich")
		}
		if ok {
			s.routes = append(s.routes, r)
		}
	}
}

var silenceKeys = []string{"name", "reason", "starts", "until", "match"}

func (d *decoder) silences(n *yaml.Node, s *Set) {
	seen := map[string]int{}
	for _, item := range d.items(n, "silences") {
		f := d.fields(item, label(item, "silence"), silenceKeys...)
		if f == nil {
			continue
		}
		name, ok := d.name(f, item, "silence", seen)
		what := "silence " + strconv.Quote(name)
		sl := &Silence{Name: name, Line: item.Line}
		if v, has := f["reason"]; has {
			sl.Reason, _ = d.str(v, what+" reason")
		} else {
			d.errorf(item, "%s needs a reason, so whoever wonders where their alerts went finds out", what)
		}
		if v, has := f["until"]; has {
			sl.Until, _ = d.timestamp(v, what+" until")
		} else {
			d.errorf(item, "%s needs until (an RFC 3339 time such as 2026-05-04T12:00:00Z): a silence always ends", what)
		}
		if v, has := f["starts"]; has {
			if t, ok := d.timestamp(v, what+" starts"); ok {
				sl.Starts = t
				if !sl.Until.IsZero() && !t.Before(sl.Until) {
					d.errorf(v, "%s: starts must be before until", what)
				}
			}
		}
		if v, has := f["match"]; has {
			sl.match = d.matcher(v, what+" match")
			if sl.match.empty() && len(resolve(v).Content) == 0 {
				d.errorf(v, "%s: match is empty; to silence everything say so, e.g. document: \"*\"", what)
			}
		} else {
			d.errorf(item, "%s needs a match (to silence everything: match: {document: \"*\"})", what)
		}
		if !sl.Until.IsZero() {
			sl.reason = "silenced by " + name + " until " + sl.Until.UTC().Format(time.RFC3339)
			if sl.Reason != "" {
				sl.reason += ": " + sl.Reason
			}
		}
		if ok {
			s.silences = append(s.silences, sl)
		}
	}
}

func (d *decoder) timestamp(n *yaml.Node, what string) (time.Time, bool) {
	v, ok := d.str(n, what)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		d.errorf(n, "%s: %s is not an RFC 3339 time with a zone, such as 2026-05-04T12:00:00Z", what, q(v))
		return time.Time{}, false
	}
	return t, true
}

var digestKeys = []string{"schedule", "time_zone", "window", "to", "send_when_clear", "top_n"}

func (d *decoder) digest(n *yaml.Node, s *Set) {
	f := d.fields(n, "digest", digestKeys...)
	if f == nil {
		return
	}
	dg := &DigestConfig{Window: 24 * time.Hour, TopN: 10}
	if v, ok := f["schedule"]; ok {
		if sched, ok := d.str(v, "digest schedule"); ok {
			if err := validateCron(sched); err != nil {
				d.errorf(v, "digest: %v", err)
			}
			dg.Schedule = sched
		}
	} else {
		d.errorf(n, "digest needs a schedule, e.g. cron(0 8 * * ? *)")
	}
	if v, ok := f["time_zone"]; ok {
		if loc := d.location(v, "digest time_zone"); loc != nil {
			dg.Location, dg.TimeZone = loc, loc.String()
		}
	} else {
		d.errorf(n, "digest needs a time_zone (an IANA name such as Europe/London, or UTC)")
	}
	if v, ok := f["window"]; ok {
		if w, ok := d.str(v, "digest window"); ok {
			dur, err := parseWindow(w)
			if err != nil {
				d.errorf(v, "digest window %s: %v", q(w), err)
			}
			dg.Window = dur
		}
	}
	if v, ok := f["to"]; ok {
		dg.Destinations = d.destinationRefs(v, s, "digest to")
	} else {
		d.errorf(n, "digest needs to: the destinations it is sent to")
	}
	if v, ok := f["send_when_clear"]; ok {
		dg.SendWhenClear = d.boolean(v, "digest send_when_clear")
	}
	if v, ok := f["top_n"]; ok {
		if t, ok := d.str(v, "digest top_n"); ok {
			k, err := strconv.Atoi(t)
			if err != nil || k < 1 || k > 100 {
				d.errorf(v, "digest top_n must be a whole number from 1 to 100")
			}
			dg.TopN = k
		}
	}
	s.digest = dg
}

// parseWindow reads a Go duration ("24h", "90m") or whole days ("7d").
func parseWindow(s string) (time.Duration, error) {
	var dur time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		k, err := strconv.Atoi(days)
		if err != nil {
			return 0, errors.New("want a duration such as 24h or 7d")
		}
		dur = time.Duration(k) * 24 * time.Hour
	} else {
		var err error
		if dur, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("want a duration such as 24h or 7d")
		}
	}
	if dur <= 0 {
		return 0, errors.New("must be positive")
	}
	if dur > 31*24*time.Hour {
		return 0, errors.New("must be at most 31d")
	}
	return dur, nil
}

func (d *decoder) matcher(n *yaml.Node, what string) matcher {
	var m matcher
	f := d.fields(n, what, matchKeys...)
	globs := func(key string, check func(string) bool, hint string) []*glob {
		v, ok := f[key]
		if !ok {
			return nil
		}
		var out []*glob
		for _, p := range d.list(v, what+" "+key) {
			g, err := compileGlob(strings.TrimSpace(p.Value))
			if err != nil {
				d.errorf(p, "%s %s: bad pattern %s: %v", what, key, q(p.Value), err)
				continue
			}
			if check != nil && g.kind == globExact && !check(g.lit) {
				d.errorf(p, "%s %s: %s %s", what, key, q(p.Value), hint)
				continue
			}
			out = append(out, g)
		}
		if out == nil {
			// Keep the field restrictive even when every pattern was bad, so that the
			// compiled matcher never widens; Parse fails anyway.
			out = []*glob{}
		}
		return out
	}
	m.documents = globs("document", nil, "")
	m.instances = globs("instance", nil, "")
	m.accounts = globs("account", accountRE.MatchString, "is not a 12-digit account ID")
	m.regions = globs("region", regionRE.MatchString, "is not a region name such as us-east-1")
	if v, ok := f["status"]; ok {
		m.statuses, _ = d.statusSet(v, what+" status")
		m.hasStatus = true
	}
	if v, ok := f["kind"]; ok {
		m.kinds = d.kinds(v, what+" kind")
	}
	return m
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

func (m *matcher) empty() bool {
	return m.kinds == 0 && !m.hasStatus && m.accounts == nil && m.regions == nil &&
		m.documents == nil && m.instances == nil
}

func isAnyFailure(s string) bool {
	switch strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(s)) {
	case "anyfailure":
		return true
	}
	return false
}

// statusSet reads statuses (any spelling payload.ParseStatus knows), All, or AnyFailure. A name
// payload does not know is refused: a typo must not silently match nothing.
func (d *decoder) statusSet(n *yaml.Node, what string) (statusSet, []string) {
	var (
		set   statusSet
		names []string
	)
	for _, v := range d.list(n, what) {
		raw := strings.TrimSpace(v.Value)
		switch {
		case strings.EqualFold(raw, "all"):
			set.all = true
			names = append(names, "All")
		case isAnyFailure(raw):
			set.anyFailure = true
			names = append(names, "AnyFailure")
		default:
			st, ok := d.status(v, what)
			if !ok {
				continue
			}
			set.list = append(set.list, st)
			names = append(names, string(st))
		}
	}
	return set, names
}

// statusNames are offered as suggestions for a misspelt status.
var statusNames = []string{
	"All", "AnyFailure", "InProgress", "Success", "Failed", "TimedOut", "Cancelled",
	"Pending", "Delayed", "Cancelling", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable",
	"Terminated", "InvalidPlatform", "AccessDenied", "Incomplete", "RateExceeded", "NoInstancesInTag",
}

func (d *decoder) status(v *yaml.Node, what string) (payload.Status, bool) {
	st, _, ok := payload.ParseStatus(v.Value)
	if !ok || !knownStatus(st) {
		d.errorf(v, "%s: unknown status %s%s; use InProgress, Success, Failed, TimedOut, Cancelled, AnyFailure, All, or a detailed status such as Undeliverable", what, q(v.Value), suggest(v.Value, statusNames))
		return "", false
	}
	return st, true
}

func knownStatus(s payload.Status) bool {
	switch s {
	case payload.StatusPending, payload.StatusDelayed, payload.StatusCancelling:
		return true
	}
	return s.Standard() || s.Failure()
}

func (d *decoder) kinds(n *yaml.Node, what string) kindSet {
	var k kindSet
	for _, v := range d.list(n, what) {
		switch strings.ToLower(strings.TrimSpace(v.Value)) {
		case "command":
			k |= kindCommand
		case "invocation":
			k |= kindInvocation
		case "all":
			k |= kindAll
		default:
			d.errorf(v, "%s: unknown kind %s; use command (one message per command) or invocation (one per instance)", what, q(v.Value))
		}
	}
	if k == 0 {
		k = kindAll // only after a reported problem; keeps the matcher from meaning "any"
	}
	return k
}

func (d *decoder) destinationRefs(n *yaml.Node, s *Set, what string) []*Destination {
	var out []*Destination
	for _, v := range d.list(n, what) {
		name := strings.TrimSpace(v.Value)
		dest := s.destByName[name]
		if dest == nil {
			known := make([]string, 0, len(s.destinations))
			for _, x := range s.destinations {
				known = append(known, x.Name)
			}
			d.errorf(v, "%s: undefined destination %s%s", what, q(name), suggest(name, known))
			continue
		}
		if contains(destNames(out), name) {
			d.errorf(v, "%s: destination %q is listed twice", what, name)
			continue
		}
		out = append(out, dest)
	}
	return out
}

func destNames(ds []*Destination) []string {
	out := make([]string, len(ds))
	for i, x := range ds {
		out[i] = x.Name
	}
	return out
}

func (d *decoder) windowRefs(n *yaml.Node, windows map[string]*MuteWindow, what string) []*MuteWindow {
	var out []*MuteWindow
	for _, v := range d.list(n, what) {
		name := strings.TrimSpace(v.Value)
		w := windows[name]
		if w == nil {
			known := make([]string, 0, len(windows))
			for k := range windows {
				known = append(known, k)
			}
			d.errorf(v, "%s: undefined mute window %s%s", what, q(name), suggest(name, known))
			continue
		}
		out = append(out, w)
	}
	return out
}

// warnings finds what is valid but probably unintended.
func warnings(s *Set, file string) []Problem {
	var out []Problem
	for i, r := range s.routes {
		if r.match.empty() && !r.Continue && i+1 < len(s.routes) {
			next := s.routes[i+1]
			out = append(out, Problem{File: file, Line: next.Line, Message: fmt.Sprintf(
				"route %q and every route after it are never reached: route %q above matches everything and does not continue", next.Name, r.Name)})
			break
		}
	}
	used := map[*Destination]bool{}
	for _, r := range s.routes {
		for _, x := range r.To {
			used[x] = true
		}
	}
	if s.digest != nil {
		for _, x := range s.digest.Destinations {
			used[x] = true
		}
	}
	for _, x := range s.destinations {
		if !used[x] {
			out = append(out, Problem{File: file, Line: x.line, Message: fmt.Sprintf("destination %q is not used by any route or the digest", x.Name)})
		}
	}
	usedW := map[*MuteWindow]bool{}
	for _, r := range s.routes {
		for _, w := range r.MuteWindows {
			usedW[w] = true
		}
	}
	for _, w := range s.muteWindows {
		if !usedW[w] {
			out = append(out, Problem{File: file, Line: w.Line, Message: fmt.Sprintf("mute window %q is not used by any route (list it in a route's or the defaults' mute_windows)", w.Name)})
		}
	}
	sortProblems(out)
	return out
}
