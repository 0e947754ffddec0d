// Package metrics counts what the functions do and writes the counts as CloudWatch Embedded
// Metric Format (EMF) log lines: CloudWatch turns each line into metrics with no API call and no
// extra permission, and the numbers stay readable in the log.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every ssmnotify metric.
const Namespace = "ssmnotify"

// Dimension is one metric dimension (name and value), e.g. DestinationType=slack.
type Dimension struct{ Name, Value string }

type key struct {
	metric string
	dim    Dimension // zero for a metric without a dimension beyond the function's
}

// Recorder accumulates counts during one invocation. It is safe for concurrent use.
type Recorder struct {
	function string
	mu       sync.Mutex
	counts   map[key]float64
}

// New returns a Recorder whose metrics carry the dimension Function=function.
func New(function string) *Recorder {
	return &Recorder{function: function, counts: map[key]float64{}}
}

// Add adds v to metric, optionally under one extra dimension.
func (r *Recorder) Add(metric string, v float64, dim ...Dimension) {
	k := key{metric: metric}
	if len(dim) > 0 {
		k.dim = dim[0]
	}
	r.mu.Lock()
	r.counts[k] += v
	r.mu.Unlock()
}

// Flush writes the counts as EMF lines — one per dimension set — and resets them. Nothing is
// written when nothing was counted.
func (r *Recorder) Flush(w io.Writer, now time.Time) error {
	r.mu.Lock()
	counts := r.counts
	r.counts = map[key]float64{}
	r.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	groups := map[Dimension]map[string]float64{}
	for k, v := range counts {
		g := groups[k.dim]
		if g == nil {
			g = map[string]float64{}
			groups[k.dim] = g
		}
		g[k.metric] += v
	}
	dims := make([]Dimension, 0, len(groups))
	for d := range groups {
		dims = append(dims, d)
	}
	sort.Slice(dims, func(i, j int) bool {
		if dims[i].Name != dims[j].Name {
			return dims[i].Name < dims[j].Name
		}
		return dims[i].Value < dims[j].Value
	})
	for _, d := range dims {
		line := map[string]any{"Function": r.function}
		dimNames := []string{"Function"}
		if d.Name != "" {
			line[d.Name] = d.Value
			dimNames = append(dimNames, d.Name)
		}
		names := make([]string, 0, len(groups[d]))
		for m := range groups[d] {
			names = append(names, m)
		}
		sort.Strings(names)
		defs := make([]map[string]string, 0, len(names))
		for _, m := range names {
			line[m] = groups[d][m]
			defs = append(defs, map[string]string{"Name": m, "Unit": "Count"})
		}
		line["_aws"] = map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  Namespace,
				"Dimensions": [][]string{dimNames},
				"Metrics":    defs,
			}},
		}
		b, err := json.Marshal(line)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}
