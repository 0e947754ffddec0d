package rules

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The digest section: when the failure digest runs, what window it covers and where it goes.

type rawDigest struct {
	line                             int
	schedule, timeZone, window, topN *scalar
	to                               list
	sendWhenClear                    bool
}

var digestKeys = []string{"schedule", "time_zone", "window", "to", "send_when_clear", "top_n"}

func (r *reader) digest(n *yaml.Node) *rawDigest {
	f := r.fields(n, "digest", digestKeys...)
	if f == nil {
		return nil
	}
	d := &rawDigest{line: n.Line}
	d.schedule = r.optStr(f, "schedule", "digest schedule")
	d.timeZone = r.optStr(f, "time_zone", "digest time_zone")
	d.window = r.optStr(f, "window", "digest window")
	d.to = r.optList(f, "to", "digest to")
	if v, ok := f["send_when_clear"]; ok {
		d.sendWhenClear = r.boolean(v, "digest send_when_clear")
	}
	d.topN = r.optStr(f, "top_n", "digest top_n")
	return d
}

func (c *compiler) digest(raw *rawDigest) {
	if raw == nil {
		return
	}
	dg := &DigestConfig{Window: 24 * time.Hour, TopN: 10}
	switch s := raw.schedule; {
	case s == nil:
		c.errorf(raw.line, "digest needs a schedule, e.g. cron(0 8 * * ? *)")
	case s.ok:
		if err := validateCron(s.value); err != nil {
			c.errorf(s.line, "digest: %v", err)
		}
		dg.Schedule = s.value
	}
	if raw.timeZone != nil {
		if loc := c.location(*raw.timeZone, "digest time_zone"); loc != nil {
			dg.Location, dg.TimeZone = loc, loc.String()
		}
	} else {
		c.errorf(raw.line, "digest needs a time_zone (an IANA name such as Europe/London, or UTC)")
	}
	if w := raw.window; w != nil && w.ok {
		dur, err := parseWindow(w.value)
		if err != nil {
			c.errorf(w.line, "digest window %s: %v", q(w.value), err)
		}
		dg.Window = dur
	}
	if raw.to != nil {
		dg.Destinations = c.destinationRefs(raw.to, "digest to")
	} else {
		c.errorf(raw.line, "digest needs to: the destinations it is sent to")
	}
	dg.SendWhenClear = raw.sendWhenClear
	if t := raw.topN; t != nil && t.ok {
		k, err := strconv.Atoi(t.value)
		if err != nil || k < 1 || k > 100 {
			c.errorf(t.line, "digest top_n must be a whole number from 1 to 100")
		}
		dg.TopN = k
	}
	c.set.digest = dg
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
