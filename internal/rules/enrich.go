package rules

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Enrich is a route's enrichment settings: for which statuses the router looks up the failed
// invocations with ssm:GetCommandInvocation (detailed status, exit code, output tail) before
// it renders the alert, and how far it may go. It is read-only after Parse.
type Enrich struct {
	// On lists the statuses to enrich, as written (e.g. ["AnyFailure"]).
	On []string
	// MaxInstances caps the invocations looked up for one command summary.
	MaxInstances int
	// Timeout is the budget for all lookups of one notification: the alert is never held
	// longer than this, whatever SSM does.
	Timeout time.Duration
	// OutputLines is how many of the last lines of output to show; 0 shows none (the detailed
	// status and exit code only).
	OutputLines int
	// NameTag also reads each instance's Name tag (ec2:DescribeTags), to show "web-03" beside
	// "i-0a1b…".
	NameTag bool
	// Line is where the block starts in the file.
	Line int

	on statusSet
}

// Enrichment defaults and bounds. The bounds keep one notification's lookups small enough to
// finish well inside the router's Lambda timeout and SSM's request rates.
const (
	DefaultEnrichMaxInstances = 5
	DefaultEnrichTimeout      = time.Second
	DefaultEnrichOutputLines  = 20
	MaxEnrichInstances        = 10
	MinEnrichTimeout          = 100 * time.Millisecond
	MaxEnrichTimeout          = 5 * time.Second
	MaxEnrichOutputLines      = 100
)

// Applies reports whether notifications of status s are enriched. A nil *Enrich applies to
// nothing.
func (e *Enrich) Applies(s payload.Status) bool {
	return e != nil && e.on.contains(s)
}

// defaultEnrich is what `enrich: true`, or a block that leaves fields out, starts from.
func defaultEnrich() Enrich {
	return Enrich{
		On:           []string{"AnyFailure"},
		MaxInstances: DefaultEnrichMaxInstances,
		Timeout:      DefaultEnrichTimeout,
		OutputLines:  DefaultEnrichOutputLines,
		on:           statusSet{anyFailure: true},
	}
}

var enrichKeys = []string{"on", "max_instances", "timeout", "output_lines", "name_tag"}

// enrich reads an enrich value: false (off), true (the built-in settings, or base's), or a
// mapping whose missing keys come from base (the defaults' block) or the built-in settings.
// It returns nil for off.
func (d *decoder) enrich(n *yaml.Node, base *Enrich, what string) *Enrich {
	n = resolve(n)
	start := defaultEnrich()
	if base != nil {
		start = *base
	}
	start.Line = n.Line
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if d.boolean(n, what) {
			return &start
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be true, false, or a mapping of keys (%s)", what, strings.Join(enrichKeys, ", "))
		return nil
	}
	f := d.fields(n, what, enrichKeys...)
	e := start
	if v, ok := f["on"]; ok {
		e.on, e.On = d.statusSet(v, what+" on")
	}
	if v, ok := f["max_instances"]; ok {
		e.MaxInstances = d.intIn(v, what+" max_instances", 1, MaxEnrichInstances, e.MaxInstances)
	}
	if v, ok := f["timeout"]; ok {
		if s, ok := d.str(v, what+" timeout"); ok {
			t, err := time.ParseDuration(s)
			switch {
			case err != nil:
				d.errorf(v, "%s timeout %s: want a duration such as 1s or 800ms", what, q(s))
			case t < MinEnrichTimeout || t > MaxEnrichTimeout:
				d.errorf(v, "%s timeout %s: must be from %s to %s (the alert waits this long at most)", what, q(s), MinEnrichTimeout, MaxEnrichTimeout)
			default:
				e.Timeout = t
			}
		}
	}
	if v, ok := f["output_lines"]; ok {
		e.OutputLines = d.intIn(v, what+" output_lines", 0, MaxEnrichOutputLines, e.OutputLines)
	}
	if v, ok := f["name_tag"]; ok {
		e.NameTag = d.boolean(v, what+" name_tag")
	}
	return &e
}

// intIn reads a whole number from lo to hi, or reports it and returns def.
func (d *decoder) intIn(n *yaml.Node, what string, lo, hi, def int) int {
	s, ok := d.str(n, what)
	if !ok {
		return def
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < lo || k > hi {
		d.errorf(n, "%s must be a whole number from %d to %d, not %s", what, lo, hi, q(s))
		return def
	}
	return k
}

// Enrichment reports what the routes' enrich settings need: lookups at all
// (ssm:GetCommandInvocation) and Name tags (ec2:DescribeTags). The CDK app grants exactly that.
func (s *Set) Enrichment() (lookups, nameTags bool) {
	for _, r := range s.routes {
		if r.Enrich != nil {
			lookups = true
			nameTags = nameTags || r.Enrich.NameTag
		}
	}
	return lookups, nameTags
}
