package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// MuteWindow is a recurring period, in wall-clock time of a named zone, during which the routes
// that name it hold back chosen statuses (by default InProgress and Success: quiet nights that
// still page for failures).
type MuteWindow struct {
	Name     string
	TimeZone string
	Location *time.Location
	// Days are the days a window starts on; empty in the file means every day.
	Days []time.Weekday
	// Hours are the daily ranges; empty in the file means the whole day.
	Hours []HourRange
	// Statuses are those held back, as written (AnyFailure and All included).
	Statuses []string
	Line     int

	days  [7]bool
	holds statusSet
}

// HourRange is a daily range of wall-clock minutes since midnight, Start inclusive, End
// exclusive. End <= Start means the range runs past midnight into the next day; it belongs to
// the day it starts on, so "fri 22:00-07:00" covers Friday night until Saturday 07:00.
type HourRange struct {
	Start, End int
}

// String writes the range as "HH:MM-HH:MM".
func (h HourRange) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.Start/60, h.Start%60, h.End/60, h.End%60)
}

// Active reports whether now falls inside the window. It works on the wall clock of the window's
// zone, so a window keeps its local hours across daylight-saving changes: "22:00-07:00" in
// America/New_York is nine hours long on most nights, eight on the night clocks go forward and
// ten on the night they go back.
func (w *MuteWindow) Active(now time.Time) bool {
	t := now.In(w.Location)
	wd := t.Weekday()
	if len(w.Hours) == 0 {
		return w.days[wd]
	}
	h, m, _ := t.Clock()
	mins := h*60 + m
	prev := (wd + 6) % 7
	for _, r := range w.Hours {
		if r.Start < r.End {
			if w.days[wd] && r.Start <= mins && mins < r.End {
				return true
			}
			continue
		}
		if (w.days[wd] && mins >= r.Start) || (w.days[prev] && mins < r.End) {
			return true
		}
	}
	return false
}

// Holds reports whether the window holds back status s at now.
func (w *MuteWindow) Holds(s payload.Status, now time.Time) bool {
	return w.holds.contains(s) && w.Active(now)
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseDays reads "mon", "Monday" or a range "mon-fri" (a range may wrap: "fri-mon").
func parseDays(spec string) ([]time.Weekday, error) {
	lo, hi, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(spec)), "-")
	a, ok := weekdays[strings.TrimSpace(lo)]
	if !ok {
		return nil, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)", spec)
	}
	if !isRange {
		return []time.Weekday{a}, nil
	}
	b, ok := weekdays[strings.TrimSpace(hi)]
	if !ok {
		return nil, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)", spec)
	}
	var out []time.Weekday
	for d := a; ; d = (d + 1) % 7 {
		out = append(out, d)
		if d == b {
			break
		}
	}
	return out, nil
}

// parseHours reads "22:00-07:00". "24:00" is allowed as an end.
func parseHours(spec string) (HourRange, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return HourRange{}, fmt.Errorf("hours %q: want a range such as 22:00-07:00", spec)
	}
	start, err := parseClock(a, false)
	if err != nil {
		return HourRange{}, fmt.Errorf("hours %q: %v", spec, err)
	}
	end, err := parseClock(b, true)
	if err != nil {
		return HourRange{}, fmt.Errorf("hours %q: %v", spec, err)
	}
	if start == end {
		return HourRange{}, fmt.Errorf("hours %q: start and end are equal; for the whole day leave hours out or write 00:00-24:00", spec)
	}
	return HourRange{start, end}, nil
}

func parseClock(s string, isEnd bool) (int, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(mm) != 2 || len(hh) < 1 || len(hh) > 2 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && (m != 0 || !isEnd)) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 23:59, or 24:00 as an end)", s)
	}
	return h*60 + m, nil
}

// The mute_windows section.

type rawMuteWindow struct {
	entry
	timeZone              *scalar
	days, hours, statuses list
}

var muteWindowKeys = []string{"name", "time_zone", "days", "hours", "statuses"}

func (r *reader) muteWindows(n *yaml.Node) []rawMuteWindow {
	var out []rawMuteWindow
	seen := map[string]int{}
	for _, item := range r.items(n, "mute_windows") {
		f := r.fields(item, label(item, "mute window"), muteWindowKeys...)
		if f == nil {
			continue
		}
		w := rawMuteWindow{entry: r.readEntry(f, item, "mute window", seen)}
		w.timeZone = r.optStr(f, "time_zone", w.what+" time_zone")
		w.days = r.optList(f, "days", w.what+" days")
		w.hours = r.optList(f, "hours", w.what+" hours")
		w.statuses = r.optList(f, "statuses", w.what+" statuses")
		out = append(out, w)
	}
	return out
}

func (c *compiler) muteWindows(raw []rawMuteWindow) {
	for _, rw := range raw {
		w := &MuteWindow{Name: rw.name, Line: rw.line}
		if rw.timeZone != nil {
			if loc := c.location(*rw.timeZone, rw.what+" time_zone"); loc != nil {
				w.Location, w.TimeZone = loc, loc.String()
			}
		} else {
			c.errorf(rw.line, "%s needs a time_zone (an IANA name such as Europe/London, or UTC)", rw.what)
		}
		if rw.days != nil {
			for _, v := range rw.days {
				ds, err := parseDays(v.value)
				if err != nil {
					c.errorf(v.line, "%s: %v", rw.what, err)
					continue
				}
				for _, day := range ds {
					w.days[day] = true
				}
			}
		} else {
			w.days = [7]bool{true, true, true, true, true, true, true}
		}
		for day, on := range w.days {
			if on {
				w.Days = append(w.Days, time.Weekday(day))
			}
		}
		for _, v := range rw.hours {
			h, err := parseHours(v.value)
			if err != nil {
				c.errorf(v.line, "%s: %v", rw.what, err)
				continue
			}
			w.Hours = append(w.Hours, h)
		}
		if rw.statuses != nil {
			w.holds, w.Statuses = c.statusSet(rw.statuses, rw.what+" statuses")
		} else {
			// Quiet by default, never silent about failures: failures are held only when a
			// window names them.
			w.holds = statusSet{list: []payload.Status{payload.StatusInProgress, payload.StatusSuccess}}
			w.Statuses = []string{string(payload.StatusInProgress), string(payload.StatusSuccess)}
		}
		if rw.named {
			c.set.muteWindows = append(c.set.muteWindows, w)
			c.windows[rw.name] = w
		}
	}
}
