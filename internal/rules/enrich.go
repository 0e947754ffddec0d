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

// rawEnrich is an enrich value as read: false, true, or a mapping.
type rawEnrich struct {
	line int
	// off is true for "enrich: false", and for a value that is neither a boolean nor a
	// mapping (reported).
	off bool
	// block is true for a mapping, whose keys follow.
	block                              bool
	on                                 list
	maxInstances, timeout, outputLines *scalar
	nameTag                            *bool
}

func (r *reader) enrich(n *yaml.Node, what string) *rawEnrich {
	n = resolve(n)
	e := &rawEnrich{line: n.Line}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		e.off = !r.boolean(n, what)
		return e
	}
	if n.Kind != yaml.MappingNode {
		r.errorf(n, "%s must be true, false, or a mapping of keys (%s)", what, strings.Join(enrichKeys, ", "))
		e.off = true
		return e
	}
	f := r.fields(n, what, enrichKeys...)
	e.block = true
	e.on = r.optList(f, "on", what+" on")
	e.maxInstances = r.optStr(f, "max_instances", what+" max_instances")
	e.timeout = r.optStr(f, "timeout", what+" timeout")
	e.outputLines = r.optStr(f, "output_lines", what+" output_lines")
	if v, ok := f["name_tag"]; ok {
		b := r.boolean(v, what+" name_tag")
		e.nameTag = &b
	}
	return e
}

// enrich compiles an enrich value: off (nil), the built-in settings or base's (true), or a
// block whose missing keys come from base (the defaults' block) or the built-in settings.
func (c *compiler) enrich(raw *rawEnrich, base *Enrich, what string) *Enrich {
	if raw.off {
		return nil
	}
	e := defaultEnrich()
	if base != nil {
		e = *base
	}
	e.Line = raw.line
	if !raw.block {
		return &e
	}
	if raw.on != nil {
		e.on, e.On = c.statusSet(raw.on, what+" on")
	}
	if raw.maxInstances != nil {
		e.MaxInstances = c.intIn(*raw.maxInstances, what+" max_instances", 1, MaxEnrichInstances, e.MaxInstances)
	}
	if s := raw.timeout; s != nil && s.ok {
		t, err := time.ParseDuration(s.value)
		switch {
		case err != nil:
			c.errorf(s.line, "%s timeout %s: want a duration such as 1s or 800ms", what, q(s.value))
		case t < MinEnrichTimeout || t > MaxEnrichTimeout:
			c.errorf(s.line, "%s timeout %s: must be from %s to %s (the alert waits this long at most)", what, q(s.value), MinEnrichTimeout, MaxEnrichTimeout)
		default:
			e.Timeout = t
		}
	}
	if raw.outputLines != nil {
		e.OutputLines = c.intIn(*raw.outputLines, what+" output_lines", 0, MaxEnrichOutputLines, e.OutputLines)
	}
	if raw.nameTag != nil {
		e.NameTag = *raw.nameTag
	}
	return &e
}

// intIn reads a whole number from lo to hi, or reports it and returns def.
func (c *compiler) intIn(s scalar, what string, lo, hi, def int) int {
	if !s.ok {
		return def
	}
	k, err := strconv.Atoi(s.value)
	if err != nil || k < lo || k > hi {
		c.errorf(s.line, "%s must be a whole number from %d to %d, not %s", what, lo, hi, q(s.value))
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
