// Package tally aggregates the failures of a digest window as they are read, in bounded memory:
// totals by status, failures by document, by instance and by command, and the per-document
// counts of the previous window for comparison. It is pure (no I/O, no clock) so the renderer
// can take its Summary and tests can check it against a brute-force count.
//
// Memory is bounded by MaxKeys: each table counts at most that many distinct names exactly.
// Names first seen after a table is full are not kept; their failures are added to the table's
// Uncounted total, which the digest states, so a reader knows the top lists may miss a name
// that only appeared late in the window. Totals and counts by status are always exact.
package tally

import (
	"cmp"
	"slices"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/state"
)

// DefaultMaxKeys is the default cap on distinct names per table. 10,000 documents, instances and
// commands take a few megabytes, well inside the digest function's memory, however many
// failures the window holds.
const DefaultMaxKeys = 10000

// counts is a name → count map that stops admitting new names at max.
type counts struct {
	m         map[string]int
	max       int
	uncounted int
}

func newCounts(max int) counts { return counts{m: make(map[string]int), max: max} }

func (c *counts) add(name string) {
	if n, ok := c.m[name]; ok {
		c.m[name] = n + 1
		return
	}
	if len(c.m) >= c.max {
		c.uncounted++
		return
	}
	c.m[name] = 1
}

// Counter accumulates failures. Add is its state.FailureIndex callback. A Counter is not safe
// for concurrent use (Failures calls fn sequentially).
type Counter struct {
	docsOnly     bool
	max          int
	total        int
	commandLevel int
	first, last  time.Time
	statuses     counts
	documents    counts
	instances    counts
	commands     map[string]*Command
	cmdUncounted int
}

// New returns a Counter for the digest's window that keeps at most maxKeys distinct names per
// table (DefaultMaxKeys when maxKeys <= 0).
func New(maxKeys int) *Counter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Counter{
		max: maxKeys, statuses: newCounts(maxKeys), documents: newCounts(maxKeys),
		instances: newCounts(maxKeys), commands: make(map[string]*Command),
	}
}

// NewPrevious returns a Counter for the previous window: it keeps only the total, the statuses
// and the per-document counts, which is all the comparison shows.
func NewPrevious(maxKeys int) *Counter {
	c := New(maxKeys)
	c.docsOnly = true
	return c
}

// Add counts one failure. It never fails; its signature is the one state.FailureIndex takes.
func (c *Counter) Add(f state.Failure) error {
	c.total++
	if c.first.IsZero() || f.EventTime.Before(c.first) {
		c.first = f.EventTime
	}
	if f.EventTime.After(c.last) {
		c.last = f.EventTime
	}
	c.statuses.add(string(f.Status))
	c.documents.add(f.DocumentName)
	if f.InstanceID == "" {
		c.commandLevel++
	}
	if c.docsOnly {
		return nil
	}
	if f.InstanceID != "" {
		c.instances.add(f.InstanceID)
	}
	if cmd := c.commands[f.CommandID]; cmd != nil {
		cmd.Failures++
		if f.EventTime.Before(cmd.First) {
			cmd.First = f.EventTime
		}
		if f.EventTime.After(cmd.Last) {
			cmd.Last = f.EventTime
		}
		if cmd.DocumentName == "" {
			cmd.DocumentName = f.DocumentName
		}
		if cmd.Region == "" {
			cmd.Region = f.Region
		}
		return nil
	}
	if len(c.commands) >= c.max {
		c.cmdUncounted++
		return nil
	}
	c.commands[f.CommandID] = &Command{
		CommandID: f.CommandID, DocumentName: f.DocumentName, Region: f.Region, Account: f.Account,
		First: f.EventTime, Last: f.EventTime, Failures: 1,
	}
	return nil
}

// Total is the number of failures counted so far.
func (c *Counter) Total() int { return c.total }

// Summary is what a digest shows about one window. Its strings come from the failure index and
// are untrusted: renderers escape them.
type Summary struct {
	// From and To bound the window: [From, To).
	From, To time.Time
	// Total is the number of failures in the window: command-summary and invocation entries of
	// the failure index alike.
	Total int
	// FirstFailure and LastFailure are the earliest and latest event times seen (zero when
	// Total is 0).
	FirstFailure, LastFailure time.Time
	// ByStatus is every failure status seen, by count (highest first), then name.
	ByStatus []Count
	// Documents are the failures by document; Count.Previous is set from the previous window.
	Documents Table
	// Instances are the invocation failures by instance.
	Instances Table
	// CommandLevel is the number of failures reported for a whole command rather than one
	// instance (command-summary notifications); they are not in Instances.
	CommandLevel int
	// Commands are the failed commands.
	Commands Commands
	// FailedCommands is the number of distinct commands with a failure in the window (exact up
	// to MaxKeys commands; Commands.Uncounted says how many failures were past that), and
	// FailedInstances the number of failed invocations (instance-level entries). A command whose
	// 60 instances failed is 1 failed command and 60 failed instances, never "61 failures".
	FailedCommands, FailedInstances int
	// Previous is the window of the same length just before, nil when it was not read.
	Previous *Previous
	// MaxKeys is the cap on distinct names per table that this summary was counted with.
	MaxKeys int
}

// Clear reports whether the window had no failures.
func (s *Summary) Clear() bool { return s.Total == 0 }

// Count is one name's failures.
type Count struct {
	Name  string
	Count int
	// Previous is the name's count in the previous window (documents only), valid when
	// PreviousKnown: it is unknown when the previous window had more distinct names than were
	// counted and this one was not among them.
	Previous      int
	PreviousKnown bool
}

// Change is Count - Previous.
func (c Count) Change() int { return c.Count - c.Previous }

// Table is a top-N list of a counted dimension.
type Table struct {
	// Top are the names with the most failures, highest first, then by name; at most N.
	Top []Count
	// Distinct is the number of names counted (at most MaxKeys).
	Distinct int
	// NotShown is the number of failures of counted names that are not in Top.
	NotShown int
	// Uncounted is the number of failures whose name was not counted because MaxKeys names
	// already were. Zero unless the cap was reached.
	Uncounted int
}

// More is the number of counted names not in Top.
func (t Table) More() int { return t.Distinct - len(t.Top) }

// Command is one failed command.
type Command struct {
	CommandID    string
	DocumentName string
	Region       string
	Account      string
	// First and Last are the earliest and latest failure event times of the command in the
	// window.
	First, Last time.Time
	// Failures counts the command's failure entries in the window (its instances that failed,
	// and its command-level failure if one was reported).
	Failures int
}

// Commands is the list of failed commands.
type Commands struct {
	// Top are the commands with the most failures, then the earliest first failure, then by
	// ID; at most N.
	Top []Command
	// Distinct is the number of failed commands counted (at most MaxKeys).
	Distinct int
	// Uncounted is the number of failures of commands that were not counted because MaxKeys
	// commands already were.
	Uncounted int
}

// More is the number of counted commands not in Top.
func (c Commands) More() int { return c.Distinct - len(c.Top) }

// Previous is the previous window's totals.
type Previous struct {
	From, To time.Time
	Total    int
	// FailedInstances is the previous window's invocation failures, as in Summary.
	FailedInstances int
	// ByStatus is the previous window's failures by status, as in Summary.
	ByStatus []Count
}

// Summary returns what c counted for the window [from, to), with tables of at most topN names
// (all when topN <= 0). prev, when not nil, counted the previous window: each document's
// previous count and the previous total are filled in from it.
func (c *Counter) Summary(from, to time.Time, topN int, prev *Counter) *Summary {
	s := &Summary{
		From: from, To: to, Total: c.total, FirstFailure: c.first, LastFailure: c.last,
		ByStatus:     top(c.statuses.m, 0),
		CommandLevel: c.commandLevel, MaxKeys: c.max,
		Documents: table(c.documents, topN),
		Instances: table(c.instances, topN),
	}
	if prev != nil {
		s.Previous = &Previous{From: from.Add(-to.Sub(from)), To: from, Total: prev.total, FailedInstances: prev.total - prev.commandLevel, ByStatus: top(prev.statuses.m, 0)}
		for i := range s.Documents.Top {
			d := &s.Documents.Top[i]
			n, ok := prev.documents.m[d.Name]
			d.Previous = n
			d.PreviousKnown = ok || prev.documents.uncounted == 0
		}
	}
	s.FailedCommands, s.FailedInstances = len(c.commands), c.total-c.commandLevel
	s.Commands.Distinct = len(c.commands)
	s.Commands.Uncounted = c.cmdUncounted
	cmds := make([]Command, 0, len(c.commands))
	for _, cmd := range c.commands {
		cmds = append(cmds, *cmd)
	}
	slices.SortFunc(cmds, func(a, b Command) int {
		if d := cmp.Compare(b.Failures, a.Failures); d != 0 {
			return d
		}
		if d := a.First.Compare(b.First); d != 0 {
			return d
		}
		return cmp.Compare(a.CommandID, b.CommandID)
	})
	if topN > 0 && len(cmds) > topN {
		cmds = cmds[:topN]
	}
	s.Commands.Top = slices.Clip(cmds)
	return s
}

func table(c counts, topN int) Table {
	t := Table{Top: top(c.m, topN), Distinct: len(c.m), Uncounted: c.uncounted}
	shown := 0
	for _, e := range t.Top {
		shown += e.Count
	}
	all := 0
	for _, n := range c.m {
		all += n
	}
	t.NotShown = all - shown
	return t
}

// top returns the n names with the highest counts (all when n <= 0), highest first, ties by
// name, so the order never depends on map iteration.
func top(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for name, k := range m {
		out = append(out, Count{Name: name, Count: k})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if d := cmp.Compare(b.Count, a.Count); d != 0 {
			return d
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return slices.Clip(out)
}
