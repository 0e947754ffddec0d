package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// cronField describes one of the six fields of an EventBridge cron expression.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
type cronField struct {
	name     string
	min, max int
	names    map[string]int // month and day-of-week names
	question bool           // '?' allowed (day-of-month and day-of-week)
	lw       bool           // day-of-month: 'L', 'W' and "LW"
	lHash    bool           // day-of-week: "5L" and "MON#2"
}

var cronFields = [6]cronField{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, question: true, lw: true},
	{name: "month", min: 1, max: 12, names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}},
	{name: "day-of-week", min: 1, max: 7, question: true, lHash: true, names: map[string]int{
		"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}},
	{name: "year", min: 1970, max: 2199},
}

// validateCron checks an EventBridge cron expression "cron(M H DoM Mon DoW Y)": six fields, each
// within its range, and exactly one of day-of-month and day-of-week given as '?' (EventBridge
// refuses both or neither).
func validateCron(expr string) error {
	inner, ok := strings.CutPrefix(strings.TrimSpace(expr), "cron(")
	if ok {
		inner, ok = strings.CutSuffix(inner, ")")
	}
	if !ok {
		return fmt.Errorf("schedule %q: want an EventBridge cron expression such as cron(0 8 * * ? *)", expr)
	}
	fields := strings.Fields(inner)
	if len(fields) != 6 {
		return fmt.Errorf("schedule %q: want 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].check(f); err != nil {
			return fmt.Errorf("schedule %q: %s: %v", expr, cronFields[i].name, err)
		}
	}
	if (fields[2] == "?") == (fields[4] == "?") {
		return fmt.Errorf("schedule %q: exactly one of day-of-month and day-of-week must be '?'", expr)
	}
	return nil
}

func (c cronField) check(f string) error {
	if f == "?" {
		if !c.question {
			return fmt.Errorf("'?' is allowed only in day-of-month and day-of-week")
		}
		return nil
	}
	for _, part := range strings.Split(f, ",") {
		if err := c.checkPart(part); err != nil {
			return err
		}
	}
	return nil
}

func (c cronField) checkPart(p string) error {
	if p == "" {
		return fmt.Errorf("empty list element")
	}
	up := strings.ToUpper(p)
	if c.lw && (up == "L" || up == "LW") {
		return nil
	}
	if c.lw && strings.HasSuffix(up, "W") {
		return c.checkValue(up[:len(up)-1])
	}
	if c.lHash {
		if up == "L" {
			return nil
		}
		if v, ok := strings.CutSuffix(up, "L"); ok {
			return c.checkValue(v)
		}
		if d, n, ok := strings.Cut(up, "#"); ok {
			if err := c.checkValue(d); err != nil {
				return err
			}
			if k, err := strconv.Atoi(n); err != nil || k < 1 || k > 5 {
				return fmt.Errorf("%q: the week after '#' must be 1 to 5", p)
			}
			return nil
		}
	}
	rng, step, hasStep := strings.Cut(up, "/")
	if hasStep {
		if k, err := strconv.Atoi(step); err != nil || k < 1 {
			return fmt.Errorf("%q: the increment after '/' must be a positive number", p)
		}
	}
	if rng == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	if err := c.checkValue(lo); err != nil {
		return err
	}
	if isRange {
		return c.checkValue(hi)
	}
	return nil
}

func (c cronField) checkValue(v string) error {
	if n, ok := c.names[v]; ok && n > 0 {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	if n < c.min || n > c.max {
		return fmt.Errorf("%d is out of range %d-%d", n, c.min, c.max)
	}
	return nil
}
