// Package enrich learns why a Run Command failed — per instance the step that failed, its
// detailed status, exit code, the end of its output and where the full output is, the patch
// state after a patch run, and the instance's Name tag — and returns it as facts
// (internal/failure) for the renderers to word.
//
// The calls: for one instance, ssm:GetCommandInvocation; for a multi-step document (which
// answers InvalidPluginName without a step name), ssm:ListCommandInvocations with Details, which
// gives every step's status, exit code and output; for a command summary, ssm:ListCommands (the
// counts) and ssm:ListCommandInvocations filtered to failures (which instances, and why); for
// AWS-RunPatchBaseline, ssm:DescribeInstancePatchStates; for Name tags, ec2:DescribeTags.
//
// Enrichment is bounded and never blocks an alert: one notification's lookups share one time
// budget (rules.Enrich.Timeout, 1 s by default) and run in parallel where they can; a throttled
// call is asked once more and an invocation SSM does not know yet (Run Command is eventually
// consistent right after a status change) is asked again after a short wait, both only within
// the budget; whatever still fails becomes a failure.Reason. A notification delivered to several
// destinations is looked up once.
package enrich

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ec2tags"
	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// SSMAPI is the Systems Manager calls enrichment makes (satisfied by *ssm.Client). All are read
// only.
type SSMAPI interface {
	GetCommandInvocation(ctx context.Context, params *ssm.GetCommandInvocationInput, optFns ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error)
	ListCommandInvocations(ctx context.Context, params *ssm.ListCommandInvocationsInput, optFns ...func(*ssm.Options)) (*ssm.ListCommandInvocationsOutput, error)
	ListCommands(ctx context.Context, params *ssm.ListCommandsInput, optFns ...func(*ssm.Options)) (*ssm.ListCommandsOutput, error)
	DescribeInstancePatchStates(ctx context.Context, params *ssm.DescribeInstancePatchStatesInput, optFns ...func(*ssm.Options)) (*ssm.DescribeInstancePatchStatesOutput, error)
}

// EC2API is the one EC2 call enrichment makes, ec2:DescribeTags for Name tags (satisfied by
// *ec2tags.Client, which spares every binary the SDK's EC2 package: two minutes of compiling).
type EC2API interface {
	NameTags(ctx context.Context, instanceIDs []string) (map[string]string, error)
}

var (
	_ SSMAPI = (*ssm.Client)(nil)
	_ EC2API = (*ec2tags.Client)(nil)
)

// Actions are the IAM actions enrichment may call, for the CDK grant: none of them supports
// resource-level permissions, and all are read only.
var Actions = []string{
	"ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:DescribeInstancePatchStates",
}

// NameTagAction is the IAM action of Name tags.
const NameTagAction = "ec2:DescribeTags"

// Limits of what SSM returns: GetCommandInvocation gives the first 24,000 characters of stdout
// and the first 8,000 of stderr; ListCommandInvocations gives the first 2,500 of a step's
// combined output.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CommandPlugin.html
const (
	maxStdoutChars = 24000
	maxStderrChars = 8000
	maxPluginChars = 2500
)

// Cache lifetimes.
const (
	// DefaultNameTTL is how long a Name tag (or its absence) is remembered: tags rarely change,
	// and a stale name beside the instance ID misleads little.
	DefaultNameTTL = 10 * time.Minute
	// DefaultResultTTL is how long one notification's enrichment is remembered, so that its
	// other destinations (and a quick redelivery) reuse it instead of asking SSM again.
	DefaultResultTTL = time.Minute
	// slowTTL is how long an answer that missed its budget is kept.
	slowTTL = 5 * time.Second
	// maxCacheEntries bounds each cache; past it, expired entries are swept and then, if still
	// full, everything is dropped (a cold start's worth of lookups, not a leak).
	maxCacheEntries = 4096
)

// Waits between attempts, each only if it ends inside the budget: a throttled call is asked
// once more after throttleWait; an invocation SSM does not know yet is asked again after
// notFoundWait, doubling.
var (
	throttleWait = 100 * time.Millisecond
	notFoundWait = 50 * time.Millisecond
)

// Patch documents, whose failures get the patch card.
var patchDocuments = map[string]bool{"AWS-RunPatchBaseline": true, "AWS-RunPatchBaselineAssociation": true}

// Enricher looks up failed invocations. Set SSM (required) and, for Name tags, EC2; the other
// fields are optional. It is safe for concurrent use; its caches live as long as it does (a
// Lambda execution environment), so build it once at init.
type Enricher struct {
	SSM SSMAPI
	// EC2 reads Name tags; nil turns name_tag off.
	EC2 EC2API
	// Region and Account are where the clients read (the function's own). A notification from
	// another region or account is not looked up — its command is not visible here — and the
	// alert says so. Empty means do not check.
	Region, Account string
	// Now is the clock of the caches (time.Now when nil).
	Now func() time.Time
	// NameTTL and ResultTTL override DefaultNameTTL and DefaultResultTTL.
	NameTTL, ResultTTL time.Duration
	// NoAccess, when set, is returned for every notification enrichment applies to, without a
	// call: the CLI without AWS credentials or endpoint says so instead of rendering silently
	// without detail.
	NoAccess bool

	mu      sync.Mutex
	names   map[string]nameEntry
	results map[resultKey]*resultEntry
}

type nameEntry struct {
	name    string
	expires time.Time
}

type resultKey struct {
	cfg                     *rules.Enrich
	commandID, target, stat string
}

type resultEntry struct {
	done    chan struct{} // closed when detail is set
	detail  *failure.Detail
	expires time.Time
}

func (e *Enricher) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Enrich returns the facts about n's failure, or nil when cfg does not enrich n's status (or
// cfg is nil, or e is nil). It returns within cfg.Timeout of being called — sooner if ctx ends
// — whatever SSM does; lookups that did not finish become reasons. Every outcome, including a
// failure, is a Detail the alert can show: Enrich never fails the alert.
func (e *Enricher) Enrich(ctx context.Context, n *payload.Notification, cfg *rules.Enrich) *failure.Detail {
	if e == nil || n == nil || !cfg.Applies(n.Status) {
		return nil
	}
	if e.NoAccess || e.SSM == nil {
		return &failure.Detail{Unavailable: &failure.Reason{Code: failure.NoAccess}}
	}
	if r := e.foreign(n); r != nil {
		return &failure.Detail{Unavailable: r}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	key := resultKey{cfg: cfg, commandID: n.CommandID, target: n.Target(), stat: string(n.Status)}
	entry, owner := e.claim(key)
	if !owner {
		select {
		case <-entry.done:
			return entry.detail
		case <-ctx.Done():
			return &failure.Detail{Unavailable: budgetReason(ctx, cfg)}
		}
	}
	var d *failure.Detail
	if n.Kind == payload.KindInvocation {
		d = e.invocation(ctx, n, cfg)
	} else {
		d = e.command(ctx, n, cfg)
	}
	ttl := e.ResultTTL
	if ttl <= 0 {
		ttl = DefaultResultTTL
	}
	switch {
	case errors.Is(context.Cause(ctx), context.Canceled):
		// The caller gave up, not SSM: the next delivery may well get an answer.
		ttl = 0
	case hasBudgetReason(d):
		// SSM was slow: the other destinations of this batch share the answer rather than each
		// wait out a budget, and a later render asks again.
		ttl = min(ttl, slowTTL)
	}
	e.settle(entry, d, ttl)
	return d
}

func hasBudgetReason(d *failure.Detail) bool {
	if d.Unavailable != nil && d.Unavailable.Code == failure.Budget {
		return true
	}
	for i := range d.Invocations {
		if r := d.Invocations[i].Unavailable; r != nil && r.Code == failure.Budget {
			return true
		}
	}
	return false
}

// foreign says why n cannot be looked up with these clients, or nil.
func (e *Enricher) foreign(n *payload.Notification) *failure.Reason {
	switch {
	case n.CommandID == "":
		return &failure.Reason{Code: failure.NoCommandID}
	case e.Region != "" && n.Region != "" && n.Region != e.Region:
		return &failure.Reason{Code: failure.OtherRegion, Where: n.Region, Here: e.Region}
	case e.Account != "" && n.Account != "" && n.Account != e.Account:
		return &failure.Reason{Code: failure.OtherAccount, Where: n.Account, Here: e.Account}
	}
	return nil
}

// claim returns the cache entry for key and whether the caller must fill it.
func (e *Enricher) claim(key resultKey) (*resultEntry, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if ent, ok := e.results[key]; ok && (ent.detail == nil || now.Before(ent.expires)) {
		return ent, false
	}
	if e.results == nil {
		e.results = map[resultKey]*resultEntry{}
	}
	if len(e.results) >= maxCacheEntries {
		for k, ent := range e.results {
			if ent.detail != nil && !now.Before(ent.expires) {
				delete(e.results, k)
			}
		}
		if len(e.results) >= maxCacheEntries {
			clear(e.results)
		}
	}
	ent := &resultEntry{done: make(chan struct{})}
	e.results[key] = ent
	return ent, true
}

// settle stores d for the callers waiting on ent and for ttl after.
func (e *Enricher) settle(ent *resultEntry, d *failure.Detail, ttl time.Duration) {
	e.mu.Lock()
	ent.detail, ent.expires = d, e.now().Add(ttl)
	e.mu.Unlock()
	close(ent.done)
}

// budgetReason says why the budget ended: the alert's own deadline or the enrich timeout.
func budgetReason(ctx context.Context, cfg *rules.Enrich) *failure.Reason {
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return &failure.Reason{Code: failure.Cancelled}
	}
	return &failure.Reason{Code: failure.Budget, Budget: cfg.Timeout}
}

// invocation looks up the one instance of an invocation notification: its failed step, and in
// parallel its Name tag and, for a patch document, its patch state.
func (e *Enricher) invocation(ctx context.Context, n *payload.Notification, cfg *rules.Enrich) *failure.Detail {
	if n.InstanceID == "" {
		return &failure.Detail{Unavailable: &failure.Reason{Code: failure.NoInstance}}
	}
	ids := []string{n.InstanceID}
	names, patches := e.extras(ctx, n, cfg, ids)
	inv, reason := e.instance(ctx, n, cfg, n.InstanceID)
	if reason != nil {
		return &failure.Detail{Unavailable: reason, Patch: patchDocuments[n.DocumentName]}
	}
	e.decorate(ctx, &inv, names, patches)
	return &failure.Detail{Invocations: []failure.Invocation{inv}, Patch: patchDocuments[n.DocumentName]}
}

// command looks up a command summary: its counts (ListCommands) and its failed invocations with
// their steps (ListCommandInvocations filtered to failures, with Details), in parallel; then the
// Name tags and patch states of the failed instances shown.
func (e *Enricher) command(ctx context.Context, n *payload.Notification, cfg *rules.Enrich) *failure.Detail {
	var (
		wg              sync.WaitGroup
		counts          *failure.Counts
		failed          []ssmtypes.CommandInvocation
		failedErr       error
		failedCompleted bool
	)
	// The counts are a nicety: the failures carry the message, so a failed count is left out.
	wg.Go(func() { counts, _ = e.counts(ctx, n.CommandID) })
	wg.Go(func() {
		failed, failedErr = attempt(ctx, func() ([]ssmtypes.CommandInvocation, error) {
			f, complete, err := e.failures(ctx, n.CommandID, filtersFor(n.Status))
			failedCompleted = complete
			if err == nil && complete && len(f) == 0 {
				// The command says it failed but lists no failure yet: not visible yet.
				err = &smithy.GenericAPIError{Code: "InvocationDoesNotExist"}
			}
			return f, err
		})
	})
	wg.Wait()

	d := &failure.Detail{Command: counts, Patch: patchDocuments[n.DocumentName]}
	if failedErr != nil {
		d.Unavailable = reasonOf(ctx, failedErr, cfg, "ssm:ListCommandInvocations")
		return d
	}
	if len(failed) == 0 && !failedCompleted {
		d.Unavailable = budgetReason(ctx, cfg)
		return d
	}
	d.Total = len(failed)
	if counts != nil && counts.Errors+counts.DeliveryTimedOut > d.Total {
		d.Total = counts.Errors + counts.DeliveryTimedOut
	}
	ids := make([]string, len(failed))
	for i := range failed {
		ids[i] = aws.ToString(failed[i].InstanceId)
	}
	shown := min(len(failed), cfg.MaxInstances)
	names := start(cfg.NameTag && e.EC2 != nil, func() map[string]string { return e.lookupNames(ctx, ids[:shown]) })
	patches := start(patchDocuments[n.DocumentName], func() map[string]*failure.Patch { return e.patchStates(ctx, ids) })
	for i := range failed {
		inv := fromListed(&failed[i], cfg)
		e.decorate(ctx, &inv, names, patches)
		if i < shown {
			d.Invocations = append(d.Invocations, inv)
		} else {
			d.Others = append(d.Others, inv)
		}
	}
	return d
}

// later is a value computed in the background; get waits for it until ctx ends.
type later[T any] struct {
	done chan struct{}
	v    T
}

func start[T any](run bool, f func() T) *later[T] {
	l := &later[T]{done: make(chan struct{})}
	if !run {
		close(l.done)
		return l
	}
	go func() { l.v = f(); close(l.done) }()
	return l
}

func (l *later[T]) get(ctx context.Context) T {
	select {
	case <-l.done:
		return l.v
	case <-ctx.Done():
		var zero T
		return zero
	}
}

// extras starts the Name-tag and patch-state lookups of ids.
func (e *Enricher) extras(ctx context.Context, n *payload.Notification, cfg *rules.Enrich, ids []string) (*later[map[string]string], *later[map[string]*failure.Patch]) {
	names := start(cfg.NameTag && e.EC2 != nil, func() map[string]string { return e.lookupNames(ctx, ids) })
	patches := start(patchDocuments[n.DocumentName], func() map[string]*failure.Patch { return e.patchStates(ctx, ids) })
	return names, patches
}

// decorate adds the Name tag and patch state, waiting for them at most until the budget ends:
// both are niceties, and the alert goes out without them.
func (e *Enricher) decorate(ctx context.Context, inv *failure.Invocation, names *later[map[string]string], patches *later[map[string]*failure.Patch]) {
	inv.InstanceName = names.get(ctx)[inv.InstanceID]
	inv.Patch = patches.get(ctx)[inv.InstanceID]
}

// attempt runs call, asking again once after throttling and, while SSM does not know the
// invocation yet, after a short doubling wait — each time only if the wait ends inside the
// budget. The SDK's own retries are off (noRetry): they would not respect the budget.
func attempt[T any](ctx context.Context, call func() (T, error)) (T, error) {
	throttled, wait := false, notFoundWait
	for {
		out, err := call()
		if err == nil {
			return out, nil
		}
		var pause time.Duration
		switch code := apiCode(err); {
		case isThrottle(code) && !throttled:
			throttled, pause = true, throttleWait
		case code == "InvocationDoesNotExist":
			pause, wait = wait, 2*wait
		default:
			return out, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause+50*time.Millisecond {
			return out, err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return out, err
		}
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isThrottle(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException":
		return true
	}
	return false
}

// noRetry turns the SDK's retries off: attempt decides, within the budget.
func noRetry(o *ssm.Options) { o.RetryMaxAttempts = 1 }

// reasonOf turns an SDK error into a reason. It keeps the AWS error code and never the message:
// a message can echo request data, and the code says enough.
func reasonOf(ctx context.Context, err error, cfg *rules.Enrich, action string) *failure.Reason {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return budgetReason(ctx, cfg)
	}
	code := apiCode(err)
	switch {
	case code == "":
		if ctx.Err() != nil {
			return budgetReason(ctx, cfg)
		}
		return &failure.Reason{Code: failure.RequestFailed}
	case isThrottle(code):
		return &failure.Reason{Code: failure.Throttled, API: code}
	case code == "InvocationDoesNotExist":
		return &failure.Reason{Code: failure.NotFound}
	case code == "AccessDeniedException" || code == "AccessDenied" || code == "UnauthorizedOperation":
		return &failure.Reason{Code: failure.Denied, API: code, Action: action}
	}
	return &failure.Reason{Code: failure.APIError, API: code}
}

// instance looks up one instance's failed step: GetCommandInvocation, and for a multi-step
// document (InvalidPluginName) ListCommandInvocations with Details for the instance.
func (e *Enricher) instance(ctx context.Context, n *payload.Notification, cfg *rules.Enrich, id string) (failure.Invocation, *failure.Reason) {
	out, err := attempt(ctx, func() (*ssm.GetCommandInvocationOutput, error) {
		return e.SSM.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(n.CommandID), InstanceId: aws.String(id)}, noRetry)
	})
	if err == nil {
		return fromGet(out, id, cfg), nil
	}
	if apiCode(err) != "InvalidPluginName" {
		return failure.Invocation{}, reasonOf(ctx, err, cfg, "ssm:GetCommandInvocation")
	}
	list, err := attempt(ctx, func() (*ssm.ListCommandInvocationsOutput, error) {
		out, err := e.SSM.ListCommandInvocations(ctx, &ssm.ListCommandInvocationsInput{CommandId: aws.String(n.CommandID), InstanceId: aws.String(id), Details: true}, noRetry)
		if err == nil && len(out.CommandInvocations) == 0 {
			// Not visible yet: wait for it like GetCommandInvocation's InvocationDoesNotExist.
			err = &smithy.GenericAPIError{Code: "InvocationDoesNotExist"}
		}
		return out, err
	})
	if err != nil {
		return failure.Invocation{}, reasonOf(ctx, err, cfg, "ssm:ListCommandInvocations")
	}
	return fromListed(&list.CommandInvocations[0], cfg), nil
}

// counts reads the command's counts with ListCommands.
func (e *Enricher) counts(ctx context.Context, commandID string) (*failure.Counts, error) {
	out, err := attempt(ctx, func() (*ssm.ListCommandsOutput, error) {
		return e.SSM.ListCommands(ctx, &ssm.ListCommandsInput{CommandId: aws.String(commandID)}, noRetry)
	})
	if err != nil {
		return nil, err
	}
	if len(out.Commands) == 0 {
		return nil, nil
	}
	c := out.Commands[0]
	return &failure.Counts{Targets: int(c.TargetCount), Completed: int(c.CompletedCount), Errors: int(c.ErrorCount), DeliveryTimedOut: int(c.DeliveryTimedOutCount)}, nil
}

// filtersFor are the invocation statuses a command summary of status s lists: Failed (which
// includes Undeliverable, Terminated, AccessDenied, InvalidPlatform) and TimedOut (delivery and
// execution), or Cancelled for a cancelled command. Filters of one key are not OR-ed, so each is
// its own call.
func filtersFor(s payload.Status) []string {
	if s == payload.StatusCancelled {
		return []string{"Cancelled"}
	}
	return []string{"Failed", "TimedOut"}
}

// failures lists up to 50 failed invocations of a command, with their steps, one call per
// failure status, in parallel; complete reports that every call answered.
func (e *Enricher) failures(ctx context.Context, commandID string, statuses []string) ([]ssmtypes.CommandInvocation, bool, error) {
	type page struct {
		invs []ssmtypes.CommandInvocation
		err  error
	}
	pages := make([]page, len(statuses))
	var wg sync.WaitGroup
	for i, status := range statuses {
		wg.Go(func() {
			out, err := attempt(ctx, func() (*ssm.ListCommandInvocationsOutput, error) {
				return e.SSM.ListCommandInvocations(ctx, &ssm.ListCommandInvocationsInput{
					CommandId: aws.String(commandID),
					Details:   true,
					Filters:   []ssmtypes.CommandFilter{{Key: ssmtypes.CommandFilterKeyStatus, Value: aws.String(status)}},
					// A whole page: the failures beyond limit still count toward the most
					// common reason.
					MaxResults: aws.Int32(50),
				}, noRetry)
			})
			if err != nil {
				pages[i].err = err
				return
			}
			pages[i].invs = out.CommandInvocations
		})
	}
	wg.Wait()
	var all []ssmtypes.CommandInvocation
	var firstErr error
	for _, p := range pages {
		all = append(all, p.invs...)
		if p.err != nil && firstErr == nil {
			firstErr = p.err
		}
	}
	if len(all) == 0 && firstErr != nil {
		return nil, false, firstErr
	}
	return all, firstErr == nil, nil
}

// patchStates reads the patch state of ids (up to 50, the API's page) with
// DescribeInstancePatchStates; nil when it cannot.
func (e *Enricher) patchStates(ctx context.Context, ids []string) map[string]*failure.Patch {
	if len(ids) > 50 {
		ids = ids[:50]
	}
	out, err := attempt(ctx, func() (*ssm.DescribeInstancePatchStatesOutput, error) {
		return e.SSM.DescribeInstancePatchStates(ctx, &ssm.DescribeInstancePatchStatesInput{InstanceIds: ids}, noRetry)
	})
	if err != nil {
		return nil
	}
	m := make(map[string]*failure.Patch, len(out.InstancePatchStates))
	for _, s := range out.InstancePatchStates {
		p := &failure.Patch{
			Operation: string(s.Operation),
			Installed: int(s.InstalledCount), Failed: int(s.FailedCount), Missing: int(s.MissingCount),
			PendingReboot: int(aws.ToInt32(s.InstalledPendingRebootCount)),
		}
		if s.OperationEndTime != nil {
			p.OperationEnd = *s.OperationEndTime
		}
		m[aws.ToString(s.InstanceId)] = p
	}
	return m
}

// fromGet is what GetCommandInvocation says about one instance (a single-step document).
func fromGet(out *ssm.GetCommandInvocationOutput, instanceID string, cfg *rules.Enrich) failure.Invocation {
	inv := failure.Invocation{InstanceID: instanceID, Step: aws.ToString(out.PluginName), Steps: 1, Status: detailedStatus(aws.ToString(out.StatusDetails), string(out.Status))}
	if out.ResponseCode != -1 {
		code := int(out.ResponseCode)
		inv.ResponseCode = &code
	}
	stderr, stdout := aws.ToString(out.StandardErrorContent), aws.ToString(out.StandardOutputContent)
	content, stream, capAt, streamURL := stderr, "stderr", maxStderrChars, aws.ToString(out.StandardErrorUrl)
	if strings.TrimSpace(stderr) == "" {
		content, stream, capAt, streamURL = stdout, "stdout", maxStdoutChars, aws.ToString(out.StandardOutputUrl)
	}
	setOutput(&inv, content, stream, capAt, cfg)
	inv.LogGroup = logGroup(out.CloudWatchOutputConfig, aws.ToString(out.DocumentName))
	inv.S3Bucket, inv.S3Prefix, _ = s3Folder(streamURL, aws.ToString(out.CommandId))
	return inv
}

// fromListed is what ListCommandInvocations (with Details) says about one instance: the first
// step that ran and did not succeed, and the steps skipped for their preconditions.
func fromListed(ci *ssmtypes.CommandInvocation, cfg *rules.Enrich) failure.Invocation {
	inv := failure.Invocation{InstanceID: aws.ToString(ci.InstanceId), Steps: len(ci.CommandPlugins), Status: detailedStatus(aws.ToString(ci.StatusDetails), string(ci.Status))}
	var step *ssmtypes.CommandPlugin
	for i := range ci.CommandPlugins {
		p := &ci.CommandPlugins[i]
		if skipped(p) {
			inv.Skipped = append(inv.Skipped, aws.ToString(p.Name))
			continue
		}
		if step == nil && p.Status != ssmtypes.CommandPluginStatusSuccess && p.Status != ssmtypes.CommandPluginStatusPending && p.Status != ssmtypes.CommandPluginStatusInProgress {
			step = p
		}
	}
	inv.LogGroup = logGroup(ci.CloudWatchOutputConfig, aws.ToString(ci.DocumentName))
	if step == nil {
		// Nothing ran and failed (e.g. Undeliverable: the agent never got it).
		return inv
	}
	inv.Step = aws.ToString(step.Name)
	inv.Status = detailedStatus(aws.ToString(step.StatusDetails), string(step.Status))
	if step.ResponseCode != -1 {
		code := int(step.ResponseCode)
		inv.ResponseCode = &code
	}
	raw := aws.ToString(step.Output)
	stdout, stderr := splitOutput(raw)
	content, stream := stderr, "stderr"
	if strings.TrimSpace(stderr) == "" {
		content, stream = stdout, "stdout"
	}
	setOutput(&inv, content, stream, maxPluginChars, cfg)
	if !inv.CappedBySSM && strings.Contains(raw, truncatedMarker) {
		inv.CappedBySSM = true
	}
	// The renderer wants the key prefix before the command ID (it links the command's folder).
	if bucket, prefix, ok := s3Folder(aws.ToString(step.StandardErrorUrl), aws.ToString(ci.CommandId)); ok {
		inv.S3Bucket, inv.S3Prefix = bucket, prefix
	} else if bucket := aws.ToString(step.OutputS3BucketName); bucket != "" {
		prefix := aws.ToString(step.OutputS3KeyPrefix)
		if i := strings.Index(prefix, aws.ToString(ci.CommandId)); i >= 0 {
			inv.S3Bucket, inv.S3Prefix = bucket, strings.TrimSuffix(prefix[:i], "/")
		}
	}
	return inv
}

// errorMarker separates stdout from stderr in a step's Output, and truncatedMarker ends an
// Output that SSM cut (as the console and CLI show them).
const (
	errorMarker     = "----------ERROR-------"
	truncatedMarker = "---Output truncated---"
)

// splitOutput splits a step's combined Output into stdout and stderr.
func splitOutput(raw string) (stdout, stderr string) {
	raw = strings.ReplaceAll(raw, truncatedMarker, "")
	if i := strings.Index(raw, errorMarker); i >= 0 {
		return raw[:i], strings.TrimLeft(raw[i+len(errorMarker):], "\r\n")
	}
	return raw, ""
}

// skipped reports a step that did not run because its precondition was not met: SSM reports it
// as a success whose output says so.
func skipped(p *ssmtypes.CommandPlugin) bool {
	if strings.EqualFold(aws.ToString(p.StatusDetails), "Skipped") {
		return true
	}
	return p.Status == ssmtypes.CommandPluginStatusSuccess && strings.Contains(aws.ToString(p.Output), "Step execution skipped")
}

// setOutput keeps the last cfg.OutputLines lines of content.
func setOutput(inv *failure.Invocation, content, stream string, capAt int, cfg *rules.Enrich) {
	if cfg.OutputLines <= 0 || strings.TrimSpace(content) == "" {
		return
	}
	inv.Stream = stream
	inv.Output, inv.EarlierCut = lastLines(content, cfg.OutputLines)
	inv.CappedBySSM = len(content) >= capAt && utf8RuneCountAtLeast(content, capAt)
}

// detailedStatus is the detailed status when SSM gave one, else the status, in SSM's enum
// spelling ("ExecutionTimedOut", whether SSM wrote it so or as "Execution Timed Out").
func detailedStatus(details, status string) string {
	raw := details
	if strings.TrimSpace(raw) == "" {
		raw = status
	}
	st, _, _ := payload.ParseStatus(raw)
	return string(st)
}

// logGroup is the CloudWatch Logs group of the output, or "" when not sent there.
func logGroup(cw *ssmtypes.CloudWatchOutputConfig, document string) string {
	if cw == nil || !cw.CloudWatchOutputEnabled {
		return ""
	}
	if g := aws.ToString(cw.CloudWatchLogGroupName); g != "" {
		return g
	}
	// Run Command's default group when none was named.
	return "/aws/ssm/" + document
}

// lastLines returns at most n of the last lines of s (ignoring trailing blank lines), bounded
// to the last 64 KiB so that the cached detail stays small whatever SSM returned; cut reports
// that earlier lines were dropped.
func lastLines(s string, n int) (string, bool) {
	const maxBytes = 64 << 10
	cut := false
	if len(s) > maxBytes {
		s, cut = s[len(s)-maxBytes:], true
	}
	s = strings.TrimRight(s, "\r\n\t ")
	end := len(s)
	for k := 0; k < n; k++ {
		i := strings.LastIndexByte(s[:end], '\n')
		if i < 0 {
			return s, cut
		}
		if k == n-1 {
			return s[i+1:], true
		}
		end = i
	}
	return s, cut
}

func utf8RuneCountAtLeast(s string, k int) bool {
	n := 0
	for range s {
		if n++; n >= k {
			return true
		}
	}
	return false
}

// s3Folder reads the bucket and the key prefix (what precedes the command ID) from the S3 URL
// of an output stream, in either addressing style:
// https://s3.REGION.amazonaws.com/BUCKET/PREFIX/COMMAND_ID/INSTANCE_ID/… or
// https://BUCKET.s3.REGION.amazonaws.com/PREFIX/COMMAND_ID/….
func s3Folder(raw, commandID string) (bucket, prefix string, ok bool) {
	if raw == "" || commandID == "" {
		return "", "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return "", "", false
	}
	host, path := u.Hostname(), strings.TrimPrefix(u.Path, "/")
	switch {
	case strings.HasPrefix(host, "s3.") || strings.HasPrefix(host, "s3-"):
		b, rest, found := strings.Cut(path, "/")
		if !found {
			return "", "", false
		}
		bucket, path = b, rest
	case strings.Contains(host, ".s3.") || strings.Contains(host, ".s3-"):
		bucket = host[:strings.Index(host, ".s3")]
	default:
		return "", "", false
	}
	i := strings.Index("/"+path, "/"+commandID+"/")
	if i < 0 {
		return "", "", false
	}
	return bucket, strings.TrimSuffix(path[:i], "/"), true
}

// lookupNames returns the Name tags of ids, from the cache or one DescribeTags call. Instances
// without a Name tag are remembered too, so that they are not asked about again.
func (e *Enricher) lookupNames(ctx context.Context, ids []string) map[string]string {
	ttl := e.NameTTL
	if ttl <= 0 {
		ttl = DefaultNameTTL
	}
	out := make(map[string]string, len(ids))
	var missing []string
	e.mu.Lock()
	now := e.now()
	for _, id := range ids {
		// Only EC2 instances have EC2 tags; managed on-premises nodes (mi-…) do not.
		if !strings.HasPrefix(id, "i-") {
			continue
		}
		if ent, ok := e.names[id]; ok && now.Before(ent.expires) {
			out[id] = ent.name
		} else {
			missing = append(missing, id)
		}
	}
	e.mu.Unlock()
	if len(missing) == 0 {
		return out
	}
	found, err := e.EC2.NameTags(ctx, missing)
	if err != nil {
		// Names are a nicety: the alert goes out with the IDs alone.
		return out
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.names == nil || len(e.names) >= maxCacheEntries {
		e.names = map[string]nameEntry{}
	}
	expires := e.now().Add(ttl)
	for _, id := range missing {
		e.names[id] = nameEntry{name: found[id], expires: expires}
		out[id] = found[id]
	}
	return out
}
