package view

import (
	"strconv"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// maxSilenceLineRunes caps one silence line (comments are free text).
const maxSilenceLineRunes = 400

// digestSilenceLines words the digest's silences as raw one-line text (callers escape):
// "Silenced by alice: patch night — {document="AWS-RunPatchBaseline"}; held back 12 failures in
// this window; ends Tue 5 May 07:00 UTC (within a day)".
func digestSilenceLines(list []tally.Silence, loc *time.Location) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		line := "Silenced by " + s.Author + ": " + s.Comment + " — " + s.What + "; "
		switch s.Kind {
		case tally.SilenceUnused:
			line = "Ended without holding anything back: " + s.Author + "'s silence " + s.What + " (" + s.Comment + "), ended " + s.Ends.In(loc).Format(digestTimeLayout)
		default:
			line += "held back " + strconv.Itoa(s.HeldBack) + " " + render.PluralWord(s.HeldBack, "failure", "failures") + " in this window; ends " + s.Ends.In(loc).Format(digestTimeLayout)
			if s.Kind == tally.SilenceExpiring {
				line += " (within a day)"
			}
		}
		out = append(out, render.SingleLine(line, maxSilenceLineRunes))
	}
	return out
}
