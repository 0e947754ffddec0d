// Package failure holds the facts enrichment learns about why a Run Command failed — per
// instance the step that failed, its detailed status, exit code, the end of its output, where
// the full output is, the instance's patch state — and the reasons a lookup could not say.
// It holds no prose: internal/enrich fills these types from SSM, and internal/render words them
// for Slack, email and thread replies. It is pure (no AWS SDK, no I/O), so both sides can import
// it without render depending on enrich.
//
// Every string in it is untrusted: output is whatever the command printed, a Name tag whatever
// someone typed, an error code whatever an endpoint answered. Renderers escape them.
package failure

import "time"

// Detail is what was learned about one notification's failure.
type Detail struct {
	// Unavailable is why nothing could be learned; nil when something was.
	Unavailable *Reason
	// Invocations are the instances to show: the one instance of an invocation notification,
	// or the failed instances of a command summary, in the order looked up.
	Invocations []Invocation
	// Others are the command's other failed invocations listed but not shown (beyond
	// max_instances): they count toward the most common reason and paging, nothing more.
	Others []Invocation
	// Command is the command's counts from ListCommands, for a command summary; nil otherwise.
	Command *Counts
	// Total is how many instances failed, for a command summary (at least the failures listed;
	// Invocations shows the first max_instances of them).
	Total int
	// Patch reports that the command is a patch run (AWS-RunPatchBaseline or
	// AWS-RunPatchBaselineAssociation), so that renderers show the patch card.
	Patch bool
}

// Counts are a command's invocation counts as ListCommands reports them.
type Counts struct {
	Targets, Completed, Errors, DeliveryTimedOut int
}

// Invocation is one instance's invocation of the command.
type Invocation struct {
	InstanceID string
	// InstanceName is the instance's Name tag, or "".
	InstanceName string
	// Step is the step (plugin) that failed, e.g. "PatchLinux" or "aws:runShellScript"; Steps
	// is how many steps the document had (1 for single-step documents).
	Step  string
	Steps int
	// Skipped are the steps that did not run because their precondition was not met (e.g.
	// PatchWindows on Linux).
	Skipped []string
	// Status is the detailed status as SSM spells it: "Failed", "ExecutionTimedOut",
	// "DeliveryTimedOut", "Undeliverable", "Terminated", "AccessDenied", "InvalidPlatform", …
	Status string
	// ResponseCode is the step's exit code, or nil when it did not run (SSM reports -1).
	ResponseCode *int
	// Stream names the output kept: "stderr", or "stdout" when stderr was empty; "" for none.
	Stream string
	// Output is the last lines of Stream, as the command printed them.
	Output string
	// EarlierCut reports that Output is only the last lines of what SSM returned.
	EarlierCut bool
	// CappedBySSM reports that SSM returned only the first part of the stream, so the real end
	// may be missing (the full output is where S3Bucket or LogGroup say).
	CappedBySSM bool
	// S3Bucket and S3Prefix locate the command's output in S3 (the key prefix before the
	// command ID); LogGroup names its CloudWatch Logs group. Empty when not sent there.
	S3Bucket, S3Prefix string
	LogGroup           string
	// Unavailable is why this instance could not be read; nil when it was.
	Unavailable *Reason
	// Patch is the instance's patch state after the run (DescribeInstancePatchStates), for
	// patch documents; nil otherwise or when unknown.
	Patch *Patch
}

// Patch is an instance's patch state as DescribeInstancePatchStates reports it.
type Patch struct {
	// Operation is "Scan" or "Install".
	Operation                                 string
	Installed, Failed, Missing, PendingReboot int
	// OperationEnd is when the last patch operation ended.
	OperationEnd time.Time
}

// Compliant reports that nothing failed to install and nothing is missing.
func (p *Patch) Compliant() bool { return p != nil && p.Failed == 0 && p.Missing == 0 }

// PatchedButReported reports the agent's known false alarm: the invocation says it failed, yet
// the instance's patch state after the run is compliant (typically exit 1 after a successful
// reboot). Such an instance does not page.
func (inv *Invocation) PatchedButReported() bool {
	return inv.Patch.Compliant() && inv.Patch.Operation == "Install" && inv.Status != "" && inv.Status != "Success"
}

// Code names why a lookup could not say.
type Code string

// Reasons a lookup could not say.
const (
	// Budget: no answer within the time budget (Reason.Budget).
	Budget Code = "budget"
	// Cancelled: the caller gave up (the alert's own deadline).
	Cancelled Code = "cancelled"
	// Throttled: SSM throttled the request, also when retried once (Reason.API).
	Throttled Code = "throttled"
	// NotFound: SSM has no such invocation, also after waiting for it to appear.
	NotFound Code = "not_found"
	// Denied: the caller may not make the call (Reason.API, Reason.Action).
	Denied Code = "denied"
	// APIError: SSM answered another error (Reason.API).
	APIError Code = "api_error"
	// RequestFailed: the request did not reach SSM or its answer could not be read.
	RequestFailed Code = "request_failed"
	// NoCommandID: the notification names no command.
	NoCommandID Code = "no_command_id"
	// OtherRegion: the command ran in Reason.Where; this reader reads only Reason.Here.
	OtherRegion Code = "other_region"
	// OtherAccount: the command ran in account Reason.Where.
	OtherAccount Code = "other_account"
	// NoInstance: an invocation notification that names no instance.
	NoInstance Code = "no_instance"
	// TagTargeted: a command summary that names no instance and whose failures could not be
	// listed.
	TagTargeted Code = "tag_targeted"
	// NoAccess: no AWS credentials or endpoint (the CLI without AWS access).
	NoAccess Code = "no_access"
)

// Reason is why a lookup could not say, as facts.
type Reason struct {
	Code Code
	// Budget is the time budget that ran out (Code Budget).
	Budget time.Duration
	// API is the AWS error code (Throttled, Denied, APIError).
	API string
	// Action is the IAM action that was denied, e.g. "ssm:ListCommandInvocations".
	Action string
	// Where and Here are the command's region or account and this reader's (OtherRegion,
	// OtherAccount).
	Where, Here string
}
