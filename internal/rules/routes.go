package rules

import (
	"go.yaml.in/yaml/v3"
)

// The defaults and routes sections: the ordered routes, and what a route inherits when it does
// not say.

type rawDefaults struct {
	notifyOn, notifyFor, to, muteWindows list
	enrich                               *rawEnrich
}

type rawRoute struct {
	entry
	match                                *rawMatch
	notifyOn, notifyFor, to, muteWindows list
	cont                                 bool
	enrich                               *rawEnrich
}

var (
	defaultsKeys = []string{"notify_on", "notify_for", "to", "mute_windows", "enrich"}
	routeKeys    = []string{"name", "match", "notify_on", "notify_for", "to", "continue", "mute_windows", "enrich"}
)

func (r *reader) defaults(n *yaml.Node) *rawDefaults {
	f := r.fields(n, "defaults", defaultsKeys...)
	d := &rawDefaults{
		notifyOn:    r.optList(f, "notify_on", "defaults notify_on"),
		notifyFor:   r.optList(f, "notify_for", "defaults notify_for"),
		to:          r.optList(f, "to", "defaults to"),
		muteWindows: r.optList(f, "mute_windows", "defaults mute_windows"),
	}
	if v, ok := f["enrich"]; ok {
		d.enrich = r.enrich(v, "defaults enrich")
	}
	return d
}

func (r *reader) routes(n *yaml.Node) []rawRoute {
	if emptySection(n) {
		r.errorf(n, "routes is empty: add at least one route")
	}
	var out []rawRoute
	seen := map[string]int{}
	for _, item := range r.items(n, "routes") {
		f := r.fields(item, label(item, "route"), routeKeys...)
		if f == nil {
			continue
		}
		rt := rawRoute{entry: r.readEntry(f, item, "route", seen)}
		what := rt.what
		if v, has := f["match"]; has {
			rt.match = r.match(v, what+" match")
		}
		rt.notifyOn = r.optList(f, "notify_on", what+" notify_on")
		rt.notifyFor = r.optList(f, "notify_for", what+" notify_for")
		rt.to = r.optList(f, "to", what+" to")
		if v, has := f["continue"]; has {
			rt.cont = r.boolean(v, what+" continue")
		}
		if v, has := f["mute_windows"]; has {
			// An empty list says "none", overriding the defaults'.
			rt.muteWindows = list{}
			if rv := resolve(v); rv.Kind != yaml.SequenceNode || len(rv.Content) > 0 {
				rt.muteWindows = r.list(v, what+" mute_windows")
			}
		}
		if v, has := f["enrich"]; has {
			rt.enrich = r.enrich(v, what+" enrich")
		}
		out = append(out, rt)
	}
	return out
}

// routeDefaults is what a route inherits when it does not say.
type routeDefaults struct {
	notifyOn  statusSet
	notifyFor kindSet
	to        []*Destination
	mutes     []*MuteWindow
	enrich    *Enrich
}

func (c *compiler) defaults(raw *rawDefaults) routeDefaults {
	def := routeDefaults{notifyOn: statusSet{all: true}, notifyFor: kindAll}
	if raw == nil {
		return def
	}
	if raw.notifyOn != nil {
		def.notifyOn, _ = c.statusSet(raw.notifyOn, "defaults notify_on")
	}
	if raw.notifyFor != nil {
		def.notifyFor = c.kinds(raw.notifyFor, "defaults notify_for")
	}
	if raw.to != nil {
		def.to = c.destinationRefs(raw.to, "defaults to")
	}
	if raw.muteWindows != nil {
		def.mutes = c.windowRefs(raw.muteWindows, "defaults mute_windows")
	}
	if raw.enrich != nil {
		def.enrich = c.enrich(raw.enrich, nil, "defaults enrich")
	}
	return def
}

func (c *compiler) routes(raw []rawRoute, def routeDefaults) {
	for _, rr := range raw {
		what := rr.what
		r := &Route{Name: rr.name, Line: rr.line, notifyOn: def.notifyOn, notifyFor: def.notifyFor, To: def.to, MuteWindows: def.mutes, Enrich: def.enrich}
		if rr.match != nil {
			r.match = c.match(rr.match, what+" match")
		}
		if rr.notifyOn != nil {
			r.notifyOn, _ = c.statusSet(rr.notifyOn, what+" notify_on")
		}
		if rr.notifyFor != nil {
			r.notifyFor = c.kinds(rr.notifyFor, what+" notify_for")
		}
		if rr.to != nil {
			r.To = c.destinationRefs(rr.to, what+" to")
		} else if len(def.to) == 0 {
			c.errorf(rr.line, "%s has no destinations: set to here or in defaults", what)
		}
		r.Continue = rr.cont
		if rr.muteWindows != nil {
			r.MuteWindows = c.windowRefs(rr.muteWindows, what+" mute_windows")
		}
		if rr.enrich != nil {
			r.Enrich = c.enrich(rr.enrich, def.enrich, what+" enrich")
		}
		if rr.named {
			c.set.routes = append(c.set.routes, r)
		}
	}
}
