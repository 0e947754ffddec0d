package rules

import (
	"fmt"
	"os"
	_ "time/tzdata" // zones must resolve the same on a laptop and on provided.al2023, which may lack zoneinfo

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/problem"
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
//
// It works in two steps that report to one list: reading the YAML into the raw sections (the
// reader, checking shape), then compiling them into the Set (the compiler, checking meaning and
// resolving names). Each section's raw struct, reading and compiling live in its own file.
func Parse(data []byte, filename string) (*Set, error) {
	problems := &problem.List{File: filename}
	r := &reader{problems: problems}
	r.scanSecrets(data)
	root := r.document(data)
	if root == nil {
		return nil, problems.Err()
	}
	raw := r.config(root)
	set := compile(raw, problems)
	if problems.Len() > 0 {
		return nil, problems.Err()
	}
	set.file = filename
	set.warnings = warnings(set, filename)
	return set, nil
}

// rawConfig is the file's sections as read.
type rawConfig struct {
	destinations []rawDestination
	muteWindows  []rawMuteWindow
	defaults     *rawDefaults
	routes       []rawRoute
	silences     []rawSilence
	digest       *rawDigest
}

// topKeys are the keys of the file's top level.
var topKeys = []string{"destinations", "defaults", "routes", "silences", "mute_windows", "digest"}

func (r *reader) config(root *yaml.Node) rawConfig {
	top := r.fields(root, "top level", topKeys...)
	var raw rawConfig
	if n, ok := top["destinations"]; ok {
		if emptySection(n) {
			r.errorf(n, "destinations is empty: define at least one Slack or email destination")
		}
		raw.destinations = r.destinations(n)
	} else {
		r.errorf(root, "no destinations: define at least one under destinations (see docs/config.md)")
	}
	if n, ok := top["mute_windows"]; ok {
		raw.muteWindows = r.muteWindows(n)
	}
	if n, ok := top["defaults"]; ok {
		raw.defaults = r.defaults(n)
	}
	if n, ok := top["routes"]; ok {
		raw.routes = r.routes(n)
	} else {
		r.errorf(root, "no routes: add a routes list (see docs/config.md)")
	}
	if n, ok := top["silences"]; ok {
		raw.silences = r.silences(n)
	}
	if n, ok := top["digest"]; ok {
		raw.digest = r.digest(n)
	}
	return raw
}

// compile builds the Set section by section, each after the sections it refers to.
func compile(raw rawConfig, problems *problem.List) *Set {
	c := &compiler{problems: problems, set: &Set{destByName: map[string]*Destination{}}, windows: map[string]*MuteWindow{}}
	c.destinations(raw.destinations)
	c.muteWindows(raw.muteWindows)
	def := c.defaults(raw.defaults)
	c.routes(raw.routes, def)
	c.silences(raw.silences)
	c.digest(raw.digest)
	return c.set
}

// warnings finds what is valid but probably unintended.
func warnings(s *Set, file string) []Problem {
	out := problem.List{File: file}
	for i, r := range s.routes {
		if r.match.empty() && !r.Continue && i+1 < len(s.routes) {
			next := s.routes[i+1]
			out.At(next.Line, "route %q and every route after it are never reached: route %q above matches everything and does not continue", next.Name, r.Name)
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
			out.At(x.line, "destination %q is not used by any route or the digest", x.Name)
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
			out.At(w.Line, "mute window %q is not used by any route (list it in a route's or the defaults' mute_windows)", w.Name)
		}
	}
	return out.Sorted()
}
