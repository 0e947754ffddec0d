// Package enrich learns why a Run Command invocation failed — its detailed status, exit code
// and the end of its output — from ssm:GetCommandInvocation, and optionally the instance's Name
// tag from ec2:DescribeTags, so that the alert can say it.
//
// Enrichment is bounded and never blocks an alert: one notification's lookups run in parallel
// under one time budget (rules.Enrich.Timeout, 1 s by default); no call is retried; whatever
// fails, times out or is throttled becomes a line saying "enrichment unavailable" and why. A
// notification delivered to several destinations is looked up once.
package enrich

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ec2tags"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// SSMAPI is the one Systems Manager call enrichment makes (satisfied by *ssm.Client).
type SSMAPI interface {
	GetCommandInvocation(ctx context.Context, params *ssm.GetCommandInvocationInput, optFns ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error)
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

// Limits of what GetCommandInvocation returns, from its API reference: the first 24,000
// characters of stdout and the first 8,000 of stderr.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html
const (
	maxStdoutChars = 24000
	maxStderrChars = 8000
)

// Cache lifetimes.
const (
	// DefaultNameTTL is how long a Name tag (or its absence) is remembered: tags rarely change,
	// and a stale name beside the instance ID misleads little.
	DefaultNameTTL = 10 * time.Minute
	// DefaultResultTTL is how long one notification's enrichment is remembered, so that its
	// other destinations (and a quick redelivery) reuse it instead of asking SSM again.
	DefaultResultTTL = time.Minute
	// maxCacheEntries bounds each cache; past it, expired entries are swept and then, if still
	// full, everything is dropped (a cold start's worth of lookups, not a leak).
	maxCacheEntries = 4096
)

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
	detail  *render.Detail
	expires time.Time
}

func (e *Enricher) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Enrich returns what to show about n's failure, or nil when cfg does not enrich n's status
// (or cfg is nil, or e is nil). It returns within cfg.Timeout of being called — sooner if ctx
// ends — whatever SSM does; lookups that did not finish become "unavailable" lines. Every
// outcome, including a failure, is a Detail the alert can show: Enrich never fails the alert.
func (e *Enricher) Enrich(ctx context.Context, n *payload.Notification, cfg *rules.Enrich) *render.Detail {
	if e == nil || e.SSM == nil || n == nil || !cfg.Applies(n.Status) {
		return nil
	}
	if reason := e.foreign(n); reason != "" {
		return &render.Detail{Unavailable: reason}
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
			return &render.Detail{Unavailable: budgetReason(ctx, cfg)}
		}
	}
	d := e.lookup(ctx, n, cfg)
	ttl := e.ResultTTL
	if ttl <= 0 {
		ttl = DefaultResultTTL
	}
	if errors.Is(context.Cause(ctx), context.Canceled) {
		// The caller gave up, not SSM: the next delivery may well get an answer.
		ttl = 0
	}
	e.settle(entry, d, ttl)
	return d
}

// foreign says why n cannot be looked up with these clients, or "".
func (e *Enricher) foreign(n *payload.Notification) string {
	switch {
	case n.CommandID == "":
		return "the notification has no command ID"
	case e.Region != "" && n.Region != "" && n.Region != e.Region:
		return "the command ran in " + n.Region + "; ssmnotify reads only " + e.Region
	case e.Account != "" && n.Account != "" && n.Account != e.Account:
		return "the command ran in account " + n.Account + "; ssmnotify reads only its own account"
	}
	return ""
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
func (e *Enricher) settle(ent *resultEntry, d *render.Detail, ttl time.Duration) {
	e.mu.Lock()
	ent.detail, ent.expires = d, e.now().Add(ttl)
	e.mu.Unlock()
	close(ent.done)
}

// budgetReason says why the budget ended: the alert's own deadline or the enrich timeout.
func budgetReason(ctx context.Context, cfg *rules.Enrich) string {
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return "the lookup was cancelled"
	}
	return "SSM did not answer within the " + cfg.Timeout.String() + " budget"
}

// result is one instance's lookup.
type result struct {
	i   int
	out *ssm.GetCommandInvocationOutput
	err error
}

// lookup does the calls for n within ctx's deadline.
func (e *Enricher) lookup(ctx context.Context, n *payload.Notification, cfg *rules.Enrich) *render.Detail {
	var ids []string
	total := 1
	if n.Kind == payload.KindInvocation {
		if n.InstanceID == "" {
			return &render.Detail{Unavailable: "the notification names no instance"}
		}
		ids = []string{n.InstanceID}
	} else {
		total = len(n.InstanceIDs)
		if total == 0 {
			return &render.Detail{Unavailable: "the command was targeted by tags, so the notification names no instance to look up"}
		}
		ids = n.InstanceIDs[:min(total, cfg.MaxInstances)]
	}

	// Names come from their own call, in parallel with the invocations.
	var names map[string]string
	namesDone := make(chan struct{})
	if cfg.NameTag && e.EC2 != nil {
		go func() {
			defer close(namesDone)
			names = e.lookupNames(ctx, ids)
		}()
	} else {
		close(namesDone)
	}

	results := make(chan result, len(ids))
	for i, id := range ids {
		go func() {
			out, err := e.SSM.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{
				CommandId:  aws.String(n.CommandID),
				InstanceId: aws.String(id),
			}, noRetry)
			results <- result{i, out, err}
		}()
	}
	got := make([]*result, len(ids))
	pending := len(ids)
wait:
	for pending > 0 {
		select {
		case r := <-results:
			got[r.i] = &r
			pending--
		case <-ctx.Done():
			break wait
		}
	}
	select {
	case <-namesDone:
	case <-ctx.Done():
	}
	var nameOf map[string]string
	select {
	case <-namesDone:
		nameOf = names
	default: // the name lookup is still running: go without names
	}

	d := &render.Detail{}
	var unavailable []string
	succeeded := 0
	for i, id := range ids {
		r := got[i]
		var reason string
		switch {
		case r == nil:
			reason = budgetReason(ctx, cfg)
		case r.err != nil:
			reason = describeError(r.err, cfg)
		}
		if reason != "" {
			unavailable = append(unavailable, reason)
			d.Invocations = append(d.Invocations, render.InvocationDetail{InstanceID: id, InstanceName: nameOf[id], Unavailable: reason})
			continue
		}
		inv := invocationDetail(r.out, n, id, cfg)
		inv.InstanceName = nameOf[id]
		// A command summary shows the instances that did not succeed; the one instance of an
		// invocation notification is always shown.
		if n.Kind != payload.KindInvocation && r.out.Status == "Success" {
			succeeded++
			continue
		}
		d.Invocations = append(d.Invocations, inv)
	}

	// When every lookup failed for the same reason, say it once.
	if len(unavailable) == len(ids) && allSame(unavailable) {
		return &render.Detail{Unavailable: unavailable[0]}
	}
	if n.Kind != payload.KindInvocation {
		d.Note = note(len(ids), total, succeeded)
	}
	return d
}

// noRetry turns the SDK's retries off for enrichment calls: a throttled or failed lookup is
// reported, not retried, because the alert must not wait, and a retry inside a one-second
// budget mostly adds load to an API that just said it has too much.
func noRetry(o *ssm.Options) { o.RetryMaxAttempts = 1 }

func allSame(ss []string) bool {
	for _, s := range ss[1:] {
		if s != ss[0] {
			return false
		}
	}
	return true
}

// note sums up a command summary's lookups.
func note(looked, total, succeeded int) string {
	var b strings.Builder
	b.WriteString("Looked up ")
	if looked < total {
		b.WriteString(strconv.Itoa(looked) + " of " + strconv.Itoa(total) + " instances (max_instances)")
	} else {
		b.WriteString(plural(looked, "instance"))
	}
	switch {
	case succeeded == looked && looked < total:
		b.WriteString("; all of them succeeded — the failure is among the others")
	case succeeded == looked:
		b.WriteString("; all of them succeeded")
	case succeeded > 0:
		b.WriteString("; " + strconv.Itoa(succeeded) + " succeeded and " + verbNotShown(succeeded))
	}
	b.WriteByte('.')
	return b.String()
}

func verbNotShown(k int) string {
	if k == 1 {
		return "is not shown"
	}
	return "are not shown"
}

func plural(k int, word string) string {
	if k == 1 {
		return "1 " + word
	}
	return strconv.Itoa(k) + " " + word + "s"
}

// describeError turns an SDK error into a reason for humans. It names the AWS error code and
// never the message: a message can echo request data, and the code says enough.
func describeError(err error, cfg *rules.Enrich) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "SSM did not answer within the " + cfg.Timeout.String() + " budget"
	}
	if errors.Is(err, context.Canceled) {
		return "the lookup was cancelled"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); code {
		case "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException":
			return "SSM throttled the request (" + code + "); not retried"
		case "InvocationDoesNotExist":
			return "SSM has no invocation of this command on this instance (InvocationDoesNotExist)"
		case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
			return "the router may not read invocations (" + code + "): grant ssm:GetCommandInvocation"
		default:
			return "SSM answered " + code
		}
	}
	return "the request to SSM failed"
}

// invocationDetail is what out says about one instance.
func invocationDetail(out *ssm.GetCommandInvocationOutput, n *payload.Notification, instanceID string, cfg *rules.Enrich) render.InvocationDetail {
	d := render.InvocationDetail{InstanceID: instanceID, DetailedStatus: detailedStatus(out)}
	if out.ResponseCode != -1 {
		code := int(out.ResponseCode)
		d.ResponseCode = &code
	}
	stderr, stdout := aws.ToString(out.StandardErrorContent), aws.ToString(out.StandardOutputContent)
	content, stream, capAt, streamURL := stderr, "stderr", maxStderrChars, aws.ToString(out.StandardErrorUrl)
	if strings.TrimSpace(stderr) == "" {
		content, stream, capAt, streamURL = stdout, "stdout", maxStdoutChars, aws.ToString(out.StandardOutputUrl)
	}
	if cfg.OutputLines > 0 && strings.TrimSpace(content) != "" {
		d.Stream = stream
		d.Output, d.EarlierCut = lastLines(content, cfg.OutputLines)
		d.CappedBySSM = len(content) >= capAt && utf8RuneCountAtLeast(content, capAt)
	}
	d.OutputURL, d.OutputLabel = outputLink(out, n, instanceID, streamURL)
	return d
}

// detailedStatus is StatusDetails in words ("Execution Timed Out"), or Status when SSM gave no
// detail.
func detailedStatus(out *ssm.GetCommandInvocationOutput) string {
	raw := aws.ToString(out.StatusDetails)
	if strings.TrimSpace(raw) == "" {
		raw = string(out.Status)
	}
	st, _, ok := payload.ParseStatus(raw)
	if !ok {
		return ""
	}
	return st.Words()
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

// outputLink is a console link to the full output: the CloudWatch Logs streams of this
// invocation when the command sent its output there, else the S3 folder of the instance's
// output when the stream's URL names a bucket.
func outputLink(out *ssm.GetCommandInvocationOutput, n *payload.Notification, instanceID, streamURL string) (string, string) {
	if cw := out.CloudWatchOutputConfig; cw != nil && cw.CloudWatchOutputEnabled {
		group := aws.ToString(cw.CloudWatchLogGroupName)
		if group == "" {
			// Run Command's default group when none was named.
			group = "/aws/ssm/" + aws.ToString(out.DocumentName)
		}
		if u := render.LogsURL(n.Region, group, n.CommandID+"/"+instanceID); u != "" {
			return u, "Full output in CloudWatch Logs"
		}
	}
	if bucket, prefix, ok := s3Folder(streamURL, n.CommandID); ok {
		if u := render.OutputURL(n.Region, bucket, prefix, n.CommandID, instanceID); u != "" {
			return u, "Full output in S3"
		}
	}
	return "", ""
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
