package render

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/failure"
)

// This file adds enrichment's facts to a command's evolving message (thread.go renders the
// message itself from the roll-up): the parent's most common reason, and per instance in a
// failure reply the step, detailed status, exit code and last stderr line.

// maxReplyDetailLines caps the instances described in one reply; the rest are listed only.
const maxReplyDetailLines = 20

// maxParentInstanceLines caps the instances a parent describes when their failures share no
// most common reason.
const maxParentInstanceLines = 3

// ParentWithDetail adds to a parent message the most common reason ("41 of 50: exit 100 in
// PatchLinux — E: Unable to locate package") and, when the roll-up has no per-instance results
// (only command summaries are subscribed), the counts and failed instances enrichment found.
// A nil or empty d returns msg unchanged.
func ParentWithDetail(msg SlackMessage, v CommandView, d *failure.Detail) SlackMessage {
	if d == nil || len(msg.Attachments) == 0 {
		return msg
	}
	var lines []string
	if d.Unavailable != nil {
		lines = append(lines, ":warning: _"+plainMrkdwn(strings.ReplaceAll(ReasonText(d.Unavailable), "_", " "), maxReasonRunes)+"_")
	}
	total := v.Targets
	if total == 0 {
		total = commandTotal(d)
	}
	reason := MostCommonReason(allFailures(d), total)
	if reason != "" {
		lines = append(lines, "*Most common:* "+plainMrkdwn(reason, maxReasonRunes))
	}
	switch {
	case reason == "" && len(v.Counts) > 0 && len(d.Invocations) > 0:
		// No pattern (one or a few failures): say each one's reason in the parent itself.
		shown := d.Invocations[:min(len(d.Invocations), maxParentInstanceLines)]
		ids := make([]string, len(shown))
		for i := range shown {
			ids[i] = shown[i].InstanceID
		}
		lines = append(lines, instanceLines(v, shown, ids)...)
	case len(v.Counts) == 0 && len(d.Invocations) > 0:
		if note := noteText(d); note != "" {
			lines = append(lines, "*"+plainMrkdwn(note, maxReasonRunes)+"*")
		}
		ids := make([]string, 0, len(d.Invocations))
		for i := range d.Invocations {
			ids = append(ids, d.Invocations[i].InstanceID)
		}
		lines = append(lines, "*Failed instances:* "+listInstances(ids, max(len(ids), d.Total)))
		lines = append(lines, instanceLines(v, d.Invocations, ids)...)
	}
	if len(lines) == 0 {
		return msg
	}
	att := msg.Attachments[0]
	blocks := append([]slack.Block{MrkdwnSection(FitMrkdwn(strings.Join(lines, "\n"), MaxSectionText, TruncatedMarker))}, att.Blocks.BlockSet...)
	att.Blocks.BlockSet = CapBlocks(blocks)
	msg.Attachments = append([]slack.Attachment{att}, msg.Attachments[1:]...)
	return msg
}

// ReplyMention is the mention a failure reply carries: none when every instance in it is
// "patched, reported failure".
func ReplyMention(mention string, instances []string, d *failure.Detail) string {
	if d == nil || mention == "" {
		return mention
	}
	byID := invocationsByID(d)
	for _, id := range instances {
		inv, ok := byID[id]
		if !ok || !inv.PatchedButReported() {
			return mention
		}
	}
	return ""
}

// ReplyWithDetail adds one line per instance of a failure reply: "`i-0abc`: *Failed*, exit code
// 100, in step PatchLinux — E: Unable to locate package".
func ReplyWithDetail(msg SlackMessage, v CommandView, instances []string, d *failure.Detail) SlackMessage {
	if d == nil {
		return msg
	}
	var lines []string
	if d.Unavailable != nil {
		lines = append(lines, ":warning: _"+plainMrkdwn(strings.ReplaceAll(ReasonText(d.Unavailable), "_", " "), maxReasonRunes)+"_")
	}
	all := allFailures(d)
	lines = append(lines, instanceLines(v, all, instances)...)
	if len(lines) == 0 {
		return msg
	}
	section := MrkdwnSection(FitMrkdwn(strings.Join(lines, "\n"), MaxSectionText, TruncatedMarker))
	if len(msg.Blocks) == 0 {
		msg.Blocks = []slack.Block{section}
		return msg
	}
	// After the lead, before the tally context.
	blocks := append(append(append([]slack.Block{}, msg.Blocks[:1]...), section), msg.Blocks[1:]...)
	msg.Blocks = CapBlocks(blocks)
	return msg
}

// instanceLines describes the instances of ids that invs has facts about.
func instanceLines(v CommandView, invs []failure.Invocation, ids []string) []string {
	byID := make(map[string]*failure.Invocation, len(invs))
	for i := range invs {
		byID[invs[i].InstanceID] = &invs[i]
	}
	var lines []string
	described := 0
	for _, id := range ids {
		inv, ok := byID[id]
		if !ok {
			continue
		}
		if described == maxReplyDetailLines {
			lines = append(lines, "_… detail of "+strconv.Itoa(len(ids)-described)+" more in the console_")
			break
		}
		described++
		lines = append(lines, instanceLine(v, inv))
	}
	return lines
}

// instanceLine is one instance's line in a reply or parent.
func instanceLine(v CommandView, inv *failure.Invocation) string {
	var b strings.Builder
	if u := InvocationURL(v.Region, v.CommandID, inv.InstanceID); u != "" && ValidRegion(v.Region) {
		b.WriteString(Link(u, inv.InstanceID))
	} else {
		b.WriteString(Code(inv.InstanceID, maxIDRunes))
	}
	if inv.InstanceName != "" {
		b.WriteString(" (" + plainMrkdwn(inv.InstanceName, maxNameRunes) + ")")
	}
	facts := factsText(inv)
	if len(facts) > 0 {
		b.WriteString(": *" + plainMrkdwn(strings.ReplaceAll(facts[0], "*", ""), 60) + "*")
		if len(facts) > 1 {
			b.WriteString(", " + plainMrkdwn(strings.Join(facts[1:], ", "), maxReasonRunes))
		}
	}
	if inv.PatchedButReported() {
		b.WriteString(" — _" + PatchedReportedFailure + "_")
	} else if last := lastLine(inv.Output); last != "" {
		b.WriteString(" — " + plainMrkdwn(last, 200))
	}
	if inv.Unavailable != nil {
		b.WriteString(" — _details unavailable: " + plainMrkdwn(strings.ReplaceAll(ReasonText(inv.Unavailable), "_", " "), maxReasonRunes) + "_")
	}
	return b.String()
}

// instanceFactsText is an instance's line without its ID, in plain text, as instanceLine words it
// for Slack: "Failed, exit code 100, in step PatchLinux — E: Unable to locate package".
func instanceFactsText(inv *failure.Invocation) string {
	s := strings.Join(factsText(inv), ", ")
	tail := ""
	if inv.PatchedButReported() {
		tail = PatchedReportedFailure
	} else {
		tail = lastLine(inv.Output)
	}
	if tail != "" {
		if s != "" {
			s += " — "
		}
		s += tail
	}
	if inv.Unavailable != nil {
		if s != "" {
			s += " — "
		}
		s += "details unavailable: " + ReasonText(inv.Unavailable)
	}
	return s
}

func invocationsByID(d *failure.Detail) map[string]*failure.Invocation {
	all := allFailures(d)
	m := make(map[string]*failure.Invocation, len(all))
	for i := range all {
		m[all[i].InstanceID] = &all[i]
	}
	return m
}
