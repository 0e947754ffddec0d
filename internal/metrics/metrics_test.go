package metrics_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/metrics"
)

func TestFlushWritesEMF(t *testing.T) {
	r := metrics.New("router")
	r.Add("Received", 3)
	r.Add("Stale", 1)
	r.Add("Delivered", 2, metrics.Dimension{Name: "DestinationType", Value: "slack"})
	r.Add("Delivered", 1, metrics.Dimension{Name: "DestinationType", Value: "email"})
	var buf bytes.Buffer
	if err := r.Flush(&buf, time.UnixMilli(1777888800000)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 EMF lines (no dimension, email, slack), got %d:\n%s", len(lines), buf.String())
	}
	var first struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function string
		Received float64
		Stale    float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	cw := first.AWS.CloudWatchMetrics
	if first.AWS.Timestamp != 1777888800000 || len(cw) != 1 || cw[0].Namespace != "ssmnotify" || first.Function != "router" || first.Received != 3 || first.Stale != 1 || len(cw[0].Metrics) != 2 {
		t.Errorf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[2], `"DestinationType":"slack"`) || !strings.Contains(lines[2], `"Delivered":2`) || !strings.Contains(lines[2], `["Function","DestinationType"]`) {
		t.Errorf("slack line: %s", lines[2])
	}
	buf.Reset()
	if err := r.Flush(&buf, time.Now()); err != nil || buf.Len() != 0 {
		t.Errorf("second flush wrote %q, err %v", buf.String(), err)
	}
}
