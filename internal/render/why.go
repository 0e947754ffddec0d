package render

import (
	"strconv"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// This file words the facts of internal/failure: enrichment returns facts, the renderers say
// them. Every function returns raw text; each medium escapes it.

// ReasonText says why a lookup could not say, in a sentence fragment: "SSM did not answer
// within the 1s budget".
func ReasonText(r *failure.Reason) string {
	if r == nil {
		return ""
	}
	switch r.Code {
	case failure.Budget:
		return "SSM did not answer within the " + r.Budget.String() + " budget"
	case failure.Cancelled:
		return "the lookup was cancelled"
	case failure.Throttled:
		return "SSM throttled the request (" + r.API + "), also when asked again"
	case failure.NotFound:
		return "SSM does not list this invocation (InvocationDoesNotExist), also after waiting for it"
	case failure.Denied:
		action := r.Action
		if action == "" {
			action = "ssm:GetCommandInvocation"
		}
		return "the router may not read invocations (" + r.API + "): grant " + action
	case failure.APIError:
		return "SSM answered " + r.API
	case failure.RequestFailed:
		return "the request to SSM failed"
	case failure.NoCommandID:
		return "the notification has no command ID"
	case failure.OtherRegion:
		return "the command ran in " + r.Where + "; ssmnotify reads only " + r.Here
	case failure.OtherAccount:
		return "the command ran in account " + r.Where + "; ssmnotify reads only its own account"
	case failure.NoInstance:
		return "the notification names no instance"
	case failure.TagTargeted:
		return "the command was targeted by tags, so the notification names no instance to look up"
	case failure.NoAccess:
		return "detail unavailable (no AWS access)"
	}
	return string(r.Code)
}

// statusText is a detailed status in the console's words ("Execution Timed Out"); an unknown
// one is kept as it came.
func statusText(raw string) string {
	st, _, ok := payload.ParseStatus(raw)
	if !ok {
		return ""
	}
	return st.Words()
}

// exitText is "exit code 1", or "" when the step did not run.
func exitText(inv *failure.Invocation) string {
	if inv.ResponseCode == nil {
		return ""
	}
	return "exit code " + strconv.Itoa(*inv.ResponseCode)
}

// stepText is "in step PatchLinux" for a multi-step document, "" otherwise.
func stepText(inv *failure.Invocation) string {
	if inv.Step == "" || inv.Steps <= 1 {
		return ""
	}
	s := "in step " + inv.Step
	if len(inv.Skipped) > 0 {
		s += " (skipped: " + strings.Join(inv.Skipped, ", ") + ")"
	}
	return s
}

// factsText lists an instance's facts: "Failed, exit code 100, in step PatchLinux".
func factsText(inv *failure.Invocation) []string {
	var facts []string
	if st := statusText(inv.Status); st != "" {
		facts = append(facts, st)
	}
	if x := exitText(inv); x != "" {
		facts = append(facts, x)
	}
	if s := stepText(inv); s != "" {
		facts = append(facts, s)
	}
	return facts
}

// patchText is the patch card line of one instance: "Install: 12 installed, 0 failed,
// 3 missing, 1 pending reboot", led by "patched, reported failure" when the run reported a
// failure the patch state contradicts.
func patchText(inv *failure.Invocation) string {
	p := inv.Patch
	if p == nil {
		return ""
	}
	op := p.Operation
	if op == "" {
		op = "Patch state"
	}
	s := op + ": " + strconv.Itoa(p.Installed) + " installed, " + strconv.Itoa(p.Failed) + " failed, " +
		strconv.Itoa(p.Missing) + " missing, " + strconv.Itoa(p.PendingReboot) + " pending reboot"
	if inv.PatchedButReported() {
		s = PatchedReportedFailure + " — " + s
	}
	return s
}

// PatchedReportedFailure marks an instance whose invocation failed though its patch state after
// the run is compliant (the agent reports exit 1 after a successful reboot).
const PatchedReportedFailure = "patched, reported failure"

// outputLinkOf is the console link to an instance's full output and its label: CloudWatch Logs
// when the command sent its output there, else S3.
func outputLinkOf(n *payload.Notification, inv *failure.Invocation) (string, string) {
	if inv.LogGroup != "" {
		if u := LogsURL(n.Region, inv.LogGroup, n.CommandID+"/"+inv.InstanceID); u != "" {
			return u, "Full output in CloudWatch Logs"
		}
	}
	if inv.S3Bucket != "" {
		if u := OutputURL(n.Region, inv.S3Bucket, inv.S3Prefix, n.CommandID, inv.InstanceID); u != "" {
			return u, "Full output in S3"
		}
	}
	return "", ""
}

// outputLabel is "stderr, last 20 lines" or "stderr".
func outputLabel(inv *failure.Invocation) string {
	stream := inv.Stream
	if stream == "" {
		stream = "output"
	}
	if inv.EarlierCut {
		n := strings.Count(strings.TrimRight(inv.Output, "\n"), "\n") + 1
		if n == 1 {
			return stream + ", last line"
		}
		return stream + ", last " + strconv.Itoa(n) + " lines"
	}
	return stream
}

// noteText sums up a command summary: "Failed on 4 of 50 (1 delivery timed out). Showing 5 of
// 44 failed instances (max_instances)."
func noteText(d *failure.Detail) string {
	var parts []string
	// No errors counted (a cancelled command: SSM counts its invocations as completed) says nothing.
	if c := d.Command; c != nil && c.Targets > 0 && c.Errors+c.DeliveryTimedOut > 0 {
		s := "Failed on " + strconv.Itoa(c.Errors+c.DeliveryTimedOut) + " of " + strconv.Itoa(c.Targets)
		if c.DeliveryTimedOut > 0 {
			s += " (" + strconv.Itoa(c.DeliveryTimedOut) + " delivery timed out)"
		}
		parts = append(parts, s+".")
	}
	if shown := len(d.Invocations); d.Total > shown && shown > 0 {
		parts = append(parts, "Showing "+strconv.Itoa(shown)+" of "+strconv.Itoa(d.Total)+" failed instances (max_instances).")
	}
	return strings.Join(parts, " ")
}

// MostCommonReason is the line a command's parent message leads its failures with: "41 of 50:
// exit 100 in PatchLinux — E: Unable to locate package". It groups the instances by (step, exit
// code, last output line) and words the largest group; "" when no two instances share one. total is
// the number of instances the command targeted (0: the instances with detail).
func MostCommonReason(invs []failure.Invocation, total int) string {
	type key struct{ step, code, last string }
	count := map[key]int{}
	var order []key
	for i := range invs {
		inv := &invs[i]
		if inv.Unavailable != nil || inv.PatchedButReported() {
			continue
		}
		k := key{step: inv.Step, last: lastLine(inv.Output)}
		if inv.ResponseCode != nil {
			k.code = strconv.Itoa(*inv.ResponseCode)
		} else {
			k.code = statusText(inv.Status)
		}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	if len(order) == 0 {
		return ""
	}
	best := order[0]
	for _, k := range order[1:] {
		if count[k] > count[best] {
			best = k
		}
	}
	if count[best] < 2 {
		// One instance is not a pattern; its own line says it.
		return ""
	}
	// Counts can lag the listed failures (ListCommands is eventually consistent too).
	total = max(total, len(invs))
	s := strconv.Itoa(count[best]) + " of " + strconv.Itoa(total) + ": "
	if _, err := strconv.Atoi(best.code); err == nil {
		s += "exit " + best.code
	} else {
		s += best.code
	}
	if best.step != "" {
		s += " in " + best.step
	}
	if best.last != "" {
		s += " — " + best.last
	}
	return s
}

// lastLine is the last telling line of output, without control characters: the agent's own
// closing "failed to run commands: exit status N" says nothing the exit code does not.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n\t ")
	for {
		line := s
		i := strings.LastIndexByte(s, '\n')
		if i >= 0 {
			line = s[i+1:]
		}
		if i < 0 || !strings.HasPrefix(strings.TrimSpace(line), "failed to run commands:") {
			return strings.TrimSpace(string(sanitizeOutput(line, false)))
		}
		s = strings.TrimRight(s[:i], "\r\n\t ")
	}
}

// Pages reports whether a failure with this detail should page (carry the destination's
// mention): not when every failed instance looked up is "patched, reported failure".
func Pages(d *failure.Detail) bool {
	if d == nil || len(d.Invocations) == 0 {
		return true
	}
	for _, invs := range [][]failure.Invocation{d.Invocations, d.Others} {
		for i := range invs {
			if !invs[i].PatchedButReported() {
				return true
			}
		}
	}
	return false
}

// allFailures are the instances shown and the others counted.
func allFailures(d *failure.Detail) []failure.Invocation {
	if len(d.Others) == 0 {
		return d.Invocations
	}
	return append(append(make([]failure.Invocation, 0, len(d.Invocations)+len(d.Others)), d.Invocations...), d.Others...)
}
