package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

const enrichBase = `destinations:
  - {name: ops, slack: {channel: "#ops"}}
`

func TestEnrichParse(t *testing.T) {
	builtIn := defaultEnrich()
	tests := []struct {
		name string
		text string
		// want maps route name to its settings; a nil value means not enriched.
		want map[string]*Enrich
	}{
		{"absent: not enriched", enrichBase + "routes: [{name: r, to: ops}]\n", map[string]*Enrich{"r": nil}},
		{"true: built-in settings", enrichBase + "routes: [{name: r, to: ops, enrich: true}]\n", map[string]*Enrich{"r": &builtIn}},
		{"defaults block inherited, overridden per key, switched off", enrichBase + `defaults:
  enrich:
    on: [Failed, TimedOut]
    max_instances: 3
    timeout: 800ms
    output_lines: 0
    name_tag: true
routes:
  - {name: inherits, to: ops, match: {document: A}}
  - {name: narrows, to: ops, match: {document: B}, enrich: {max_instances: 1}}
  - {name: off, to: ops, match: {document: C}, enrich: false}
  - {name: again, to: ops, enrich: true}
`, map[string]*Enrich{
			"inherits": {On: []string{"Failed", "TimedOut"}, MaxInstances: 3, Timeout: 800 * time.Millisecond, OutputLines: 0, NameTag: true},
			"narrows":  {On: []string{"Failed", "TimedOut"}, MaxInstances: 1, Timeout: 800 * time.Millisecond, OutputLines: 0, NameTag: true},
			"off":      nil,
			"again":    {On: []string{"Failed", "TimedOut"}, MaxInstances: 3, Timeout: 800 * time.Millisecond, OutputLines: 0, NameTag: true},
		}},
		{"route block over built-in", enrichBase + "routes:\n  - name: r\n    to: ops\n    enrich: {on: All, output_lines: 50}\n",
			map[string]*Enrich{"r": {On: []string{"All"}, MaxInstances: 5, Timeout: time.Second, OutputLines: 50}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.text), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range s.Routes() {
				want, ok := tc.want[r.Name]
				if !ok {
					t.Fatalf("unexpected route %s", r.Name)
				}
				got := r.Enrich
				if (got == nil) != (want == nil) {
					t.Fatalf("route %s: enrich = %+v, want %+v", r.Name, got, want)
				}
				if got == nil {
					continue
				}
				if strings.Join(got.On, ",") != strings.Join(want.On, ",") || got.MaxInstances != want.MaxInstances ||
					got.Timeout != want.Timeout || got.OutputLines != want.OutputLines || got.NameTag != want.NameTag {
					t.Errorf("route %s: enrich = %+v, want %+v", r.Name, *got, *want)
				}
			}
		})
	}
}

func TestEnrichApplies(t *testing.T) {
	s, err := Parse([]byte(enrichBase+`routes:
  - {name: failures, to: ops, match: {document: A}, enrich: true}
  - {name: timeouts, to: ops, match: {document: B}, enrich: {on: ExecutionTimedOut}}
  - {name: plain, to: ops}
`), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc    string
		status payload.Status
		want   bool
	}{
		{"A", payload.StatusFailed, true},
		{"A", payload.StatusUndeliverable, true},
		{"A", payload.StatusSuccess, false},
		{"A", payload.StatusInProgress, false},
		{"B", payload.StatusExecutionTimedOut, true},
		{"B", payload.StatusFailed, false},
		{"C", payload.StatusFailed, false},
	}
	for _, tc := range tests {
		t.Run(tc.doc+"/"+string(tc.status), func(t *testing.T) {
			d := s.Decide(note(tc.status, doc(tc.doc)), monday)
			if len(d.Deliveries) != 1 {
				t.Fatalf("deliveries: %s", summary(d))
			}
			if got := d.Deliveries[0].Enrich.Applies(tc.status); got != tc.want {
				t.Errorf("Applies = %v, want %v", got, tc.want)
			}
		})
	}
	if lookups, names := s.Enrichment(); !lookups || names {
		t.Errorf("Enrichment() = %v, %v; want true, false", lookups, names)
	}
	// Issue #16: the shipped config enriches failures by default (it used to leave enrich
	// commented out, so on-call rarely saw why), on every route, without Name tags.
	if lookups, names := Default().Enrichment(); !lookups || names {
		t.Errorf("shipped config: Enrichment() = %v, %v; want true, false", lookups, names)
	}
	for _, r := range Default().Routes() {
		if !r.Enrich.Applies(payload.StatusFailed) || !r.Enrich.Applies(payload.StatusTimedOut) {
			t.Errorf("shipped route %q does not enrich failures", r.Name)
		}
	}
}

func TestEnrichProblems(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"bad values", enrichBase + `routes:
  - name: r
    to: ops
    enrich:
      on: [Faild]
      max_instances: 50
      timeout: 10s
      output_lines: -1
      name_tag: maybe
`, []string{
			`7: route "r" enrich on: unknown status "Faild" (did you mean Failed?)`,
			`8: route "r" enrich max_instances must be a whole number from 1 to 10, not "50"`,
			`9: route "r" enrich timeout "10s": must be from 100ms to 5s`,
			`10: route "r" enrich output_lines must be a whole number from 0 to 100, not "-1"`,
			`11: route "r" enrich name_tag must be true or false, not "maybe"`,
		}},
		{"unknown key and bad duration", enrichBase + "defaults:\n  enrich: {max_instance: 2, timeout: soon}\nroutes: [{name: r, to: ops}]\n",
			[]string{`4: defaults enrich: unknown key "max_instance" (did you mean max_instances?)`, `4: defaults enrich timeout "soon": want a duration`}},
		{"not a mapping", enrichBase + "routes: [{name: r, to: ops, enrich: [a]}]\n",
			[]string{`3: route "r" enrich must be true, false, or a mapping`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "c.yaml")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), "c.yaml:"+w) {
					t.Errorf("no problem %q in:\n%v", w, err)
				}
			}
		})
	}
}
