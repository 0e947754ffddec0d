// Package thread keeps one evolving Slack message per command and channel: the first
// notification posts the parent, later changes update it in place, failures go as batched thread
// replies, and a terminal state may be broadcast. However many notifications arrive, Slack sees
// at most one call per MinInterval per command and channel, and the parent always ends showing
// the exact final counts.
//
// Everything the message shows is derived from the state store's roll-up (the ordering guard's
// per-instance latest statuses), so it is exact and never moves backwards. Concurrent router
// invocations coordinate through the store's compare-and-swap message record: one holds a short
// render lease and renders; the others make sure a render is scheduled (a delayed message, in
// AWS an SQS message with DelaySeconds) rather than sleeping in Lambda. Rendering is a "tick":
// read the record, take the lease, read the roll-up, make at most one Slack call, write back.
package thread

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/notify"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Request asks for the message of one command in one channel to be brought up to date. It is
// also the body of a scheduled render.
type Request struct {
	CommandID   string `json:"commandId"`
	Destination string `json:"destination"`
	Channel     string `json:"channel"`
	Region      string `json:"region,omitempty"`
	Account     string `json:"account,omitempty"`
	// Broadcast posts the terminal state as a reply_broadcast (the destination's
	// broadcast_terminal).
	Broadcast bool `json:"broadcast,omitempty"`
	// Mentions are the destination's per-status mentions (trusted config text).
	Mentions map[payload.Status]string `json:"mentions,omitempty"`
	// OutputBucket and OutputPrefix are where Run Command writes the command's output, for the
	// parent's S3 link ("" when the command has none).
	OutputBucket string `json:"outputBucket,omitempty"`
	OutputPrefix string `json:"outputPrefix,omitempty"`
	// Email marks a check of the command's email to Destination (Emails) rather than a render
	// of its Slack message.
	Email bool `json:"email,omitempty"`
	// Silence, when set, is the ad-hoc silence holding this command's alerts back in this channel:
	// the message still counts every instance but names the silence instead of mentioning anyone.
	Silence *SilenceNote `json:"silence,omitempty"`
}

// SilenceNote is what the message says about a silence (untrusted text: render escapes it).
type SilenceNote struct {
	ID      string `json:"id"`
	Author  string `json:"author"`
	Comment string `json:"comment"`
}

// Scheduler delivers a Request back to the router at (or soon after) a time: the trailing
// render that guarantees the final state is shown.
type Scheduler interface {
	Schedule(ctx context.Context, r Request, at time.Time) error
}

// Poster is the part of the Slack bot client a thread needs.
type Poster interface {
	Post(ctx context.Context, channel string, msg render.SlackMessage, p slack.PostOptions) (string, error)
	Update(ctx context.Context, channel, ts string, msg render.SlackMessage) error
}

// ParentFinder is implemented by a Poster that can find a command's parent again when the
// answer to its post was lost (slack.Client, through conversations.history).
type ParentFinder interface {
	FindParent(ctx context.Context, channel, commandID string) (string, error)
}

// Threads renders commands' messages.
type Threads struct {
	Store state.Store
	// Slack returns the bot client (the token is fetched once, on first use).
	Slack    func(ctx context.Context) (Poster, error)
	Schedule Scheduler
	Now      func() time.Time
	// MinInterval is the least time between two Slack calls for one command and channel
	// (default 1 s, Slack's posting rate per channel).
	MinInterval time.Duration
	// Lease bounds a render (default 20 s): a renderer that dies frees the message after it.
	Lease time.Duration
	// Token identifies this process as a lease holder.
	Token string
	// Detail, when set, says why the command's instances failed (internal/enrich, bounded by
	// its own budget): the parent shows the most common reason, replies each instance's step,
	// status, exit code and last stderr line. nil renders without.
	Detail func(ctx context.Context, req Request, v render.CommandView) *failure.Detail
}

// Outcome says what a tick did.
type Outcome string

// Outcomes of Tick.
const (
	Posted    Outcome = "posted_parent"
	Replied   Outcome = "replied"
	Updated   Outcome = "updated"
	Broadcast Outcome = "broadcast"
	Unchanged Outcome = "unchanged"
	Scheduled Outcome = "scheduled" // someone else renders, or too soon: a render is scheduled
)

// record is what the message record's opaque Rendered field holds.
type record struct {
	// FP is the fingerprint of what the parent shows.
	FP string `json:"fp,omitempty"`
	// Replied lists the failed instances already named, in the parent or a thread reply.
	Replied []string `json:"replied,omitempty"`
	// Mentioned lists the statuses whose mention was already made (in the parent or a reply):
	// on-call is paged once per command and status, not once per batch.
	Mentioned []payload.Status `json:"mentioned,omitempty"`
	// Unconfirmed counts parent posts whose answer did not give us the message's ts (lost, or
	// ok without a ts): each may have left a message in the channel, so they are bounded.
	Unconfirmed int `json:"unconfirmed,omitempty"`
	// ParentMention is the status whose mention the parent was posted with: an edit does not
	// notify anyone, so later versions of the parent show a mention only if it is that one.
	ParentMention payload.Status `json:"parentMention,omitempty"`
	// Final is set once the terminal state was posted.
	Final bool `json:"final,omitempty"`
	// Next is when a scheduled render is due; while it is in the future no other is scheduled.
	Next time.Time `json:"next,omitzero"`
}

func decodeRecord(s string) record {
	var r record
	if s != "" {
		_ = json.Unmarshal([]byte(s), &r)
	}
	return r
}

func (r record) encode() string {
	b, _ := json.Marshal(r)
	return string(b)
}

func (t *Threads) interval() time.Duration {
	if t.MinInterval > 0 {
		return t.MinInterval
	}
	return time.Second
}

func (t *Threads) lease() time.Duration {
	if t.Lease > 0 {
		return t.Lease
	}
	return 20 * time.Second
}

const maxAttempts = 6

// leaseMargin is kept free at the end of a render lease for writing the record back.
const leaseMargin = 2 * time.Second

// Tick brings the message of req's command in req's channel one step closer to the current
// state: at most one Slack call. When more remains to show, or the message is busy or was just
// changed, it schedules another tick instead of waiting.
func (t *Threads) Tick(ctx context.Context, req Request) (Outcome, error) {
	key := state.MessageKey{CommandID: req.CommandID, Channel: req.Channel}
	now := t.Now()
	var held state.Message
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return "", state.Contended(fmt.Errorf("message %s/%s: too many concurrent writers", req.CommandID, req.Channel))
		}
		m, err := t.Store.Message(ctx, key, now)
		if err != nil {
			return "", fmt.Errorf("read message record: %w", err)
		}
		m.Key = key
		rec := decodeRecord(m.Rendered)
		busy := m.Holder != "" && m.Holder != t.Token && m.HeldUntil.After(now)
		tooSoon := !m.RenderedAt.IsZero() && now.Before(m.RenderedAt.Add(t.interval()))
		if busy || tooSoon {
			at := now.Add(t.interval())
			if tooSoon {
				at = m.RenderedAt.Add(t.interval())
			}
			done, err := t.ensureScheduled(ctx, req, m, rec, at, now)
			if err != nil {
				return "", err
			}
			if done {
				return Scheduled, nil
			}
			continue
		}
		m.Holder, m.HeldUntil = t.Token, now.Add(t.lease())
		stored, ok, err := t.Store.PutMessage(ctx, m, now)
		if err != nil {
			return "", fmt.Errorf("take render lease: %w", err)
		}
		if ok {
			held = stored
			break
		}
	}

	// A holder never acts past its lease: once it ends another renderer may take the record and
	// post, so every Slack call (a Retry-After wait included) must be over before then.
	remain := held.HeldUntil.Sub(now)
	rctx, cancel := context.WithTimeout(ctx, remain-min(leaseMargin, remain/10))
	out, rec, ts, callErr := t.render(rctx, req, held, now)
	cancel()
	// Write back what was done (even after a failed call: the lease must be freed), merging with
	// whatever others wrote meanwhile (they can only have scheduled a render).
	cur := held // first try against the record as we left it; re-read only after a lost race
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return out, state.Contended(errors.New("write message record: too many concurrent writers"))
		}
		if attempt > 0 {
			var err error
			if cur, err = t.Store.Message(ctx, key, now); err != nil {
				return out, fmt.Errorf("read message record: %w", err)
			}
		}
		cur.Key = key
		if cur.Holder != t.Token {
			// Our lease passed and another renderer took over: it owns the record now.
			return out, callErr
		}
		merged := rec
		if other := decodeRecord(cur.Rendered); other.Next.After(merged.Next) {
			merged.Next = other.Next
		}
		cur.Holder, cur.HeldUntil = "", time.Time{}
		if ts != "" {
			cur.TS = ts
		}
		if out != Unchanged && callErr == nil {
			cur.RenderedAt = now
		}
		// Anything left to show gets a tick of its own.
		more := callErr == nil && out != Unchanged
		if more && !merged.Next.After(now) {
			merged.Next = now.Add(t.interval())
		} else if !more && !merged.Next.After(now) {
			merged.Next = time.Time{}
			more = false
		}
		cur.Rendered = merged.encode()
		if _, ok, err := t.Store.PutMessage(ctx, cur, now); err != nil {
			return out, fmt.Errorf("write message record: %w", err)
		} else if !ok {
			continue
		}
		if more && merged.Next.Equal(now.Add(t.interval())) {
			// A call was made: check again after the interval whether the state moved on.
			if err := t.Schedule.Schedule(ctx, req, merged.Next); err != nil {
				return out, fmt.Errorf("schedule the next render: %w", err)
			}
		}
		return out, callErr
	}
}

// ensureScheduled makes sure a render of req is due at or before at. It reports done=false when
// it lost a race on the record and the caller should look again.
func (t *Threads) ensureScheduled(ctx context.Context, req Request, m state.Message, rec record, at, now time.Time) (bool, error) {
	if rec.Next.After(now) && !rec.Next.After(at.Add(t.interval())) {
		return true, nil // one is already due soon enough
	}
	rec.Next = at
	m.Rendered = rec.encode()
	if m.Version == 0 {
		// No record yet: nothing was posted, and someone holds no lease. Render now instead.
		return false, nil
	}
	if _, ok, err := t.Store.PutMessage(ctx, m, now); err != nil {
		return false, fmt.Errorf("mark render scheduled: %w", err)
	} else if !ok {
		return false, nil
	}
	if err := t.Schedule.Schedule(ctx, req, at); err != nil {
		return false, fmt.Errorf("schedule a render: %w", err)
	}
	return true, nil
}

// maxUnconfirmed bounds the parent posts whose ts never came back: past it, the render stops
// posting (a permanent failure, parked for an operator) rather than filling the channel.
const maxUnconfirmed = 3

// render reads the roll-up and makes at most one Slack call. held is the record with our lease.
// It returns what it did, the updated record, and the parent's ts (new when it posted it).
func (t *Threads) render(ctx context.Context, req Request, held state.Message, now time.Time) (Outcome, record, string, error) {
	rec := decodeRecord(held.Rendered)
	rec.Next = time.Time{}
	ts := held.TS
	roll, err := t.Store.Rollup(ctx, req.CommandID, now)
	if err != nil {
		return "", rec, ts, fmt.Errorf("read roll-up: %w", err)
	}
	v := View(roll, req)
	if ts != "" && v.Status != rec.ParentMention {
		v.Mention = ""
	}
	d := t.detail(ctx, req, v)
	fp := v.Fingerprint() + detailFingerprint(d)
	api, err := t.Slack(ctx)
	if err != nil {
		return "", rec, ts, err
	}
	fresh := newFailures(roll.Failures, rec.Replied)
	var orphan string
	if ts == "" && rec.Unconfirmed > 0 {
		orphan = findParent(ctx, api, req)
	}
	switch {
	case ts == "" && rec.Unconfirmed > 0 && orphan != "":
		// An earlier post reached Slack though its answer was lost: that message is the
		// parent. Adopt it and bring it up to date, rather than leave it claiming a state that
		// would never change beside a second parent.
		if err := api.Update(ctx, req.Channel, orphan, t.parent(v, d)); err != nil {
			return "", rec, ts, err
		}
		rec.FP, rec.Unconfirmed = fp, 0
		return Updated, rec, orphan, nil
	case ts == "":
		if rec.Unconfirmed >= maxUnconfirmed {
			return "", rec, ts, notify.Permanent("slack chat.postMessage to "+req.Channel,
				fmt.Errorf("%d parent posts of command %s got no message ts back; not posting another", rec.Unconfirmed, req.CommandID))
		}
		posted, err := api.Post(ctx, req.Channel, t.parent(v, d), slack.PostOptions{CommandID: req.CommandID})
		if err == nil && posted == "" {
			err = notify.RetryableMaybeSent("slack chat.postMessage to "+req.Channel, errors.New("Slack answered ok without the message's ts"))
		}
		if err != nil {
			if ne := (*notify.Error)(nil); errors.As(err, &ne) && ne.MaybeSent {
				rec.Unconfirmed++
			}
			return "", rec, ts, err
		}
		rec.FP = fp
		// The parent's list of failed instances is a preview that later updates reorder; the
		// thread names every one of them, each in exactly one reply.
		if v.Mention != "" {
			rec.Mentioned = append(rec.Mentioned, v.Status)
			rec.ParentMention = v.Status
		}
		return Posted, rec, posted, nil
	case len(fresh) > 0:
		batch := fresh[:min(len(fresh), render.MaxReplyInstances)]
		var statuses []payload.Status
		for _, in := range batch {
			if !slices.Contains(statuses, in.Status) {
				statuses = append(statuses, in.Status)
			}
		}
		mention, mentioned := mentionOnce(req, rec, statuses...)
		if req.Silence != nil {
			mention, mentioned = "", nil // silenced: counted and listed, nobody pinged
		}
		msg, paged := t.failureReply(v, batch, mention, d)
		if !paged {
			mentioned = nil // nobody was paged: a later real failure still is
		}
		if _, err := api.Post(ctx, req.Channel, msg, slack.PostOptions{ThreadTS: ts}); err != nil {
			return "", rec, ts, err
		}
		for _, in := range batch {
			rec.Replied = append(rec.Replied, in.ID)
		}
		rec.Mentioned = append(rec.Mentioned, mentioned...)
		return Replied, rec, ts, nil
	case fp != rec.FP:
		if err := api.Update(ctx, req.Channel, ts, t.parent(v, d)); err != nil {
			return "", rec, ts, err
		}
		rec.FP = fp
		return Updated, rec, ts, nil
	case v.Finished && (req.Broadcast && !rec.Final || req.Mentions[v.Status] != "" && !slices.Contains(rec.Mentioned, v.Status)):
		// The command ended in a status whose mention nobody has seen yet (an edit of the
		// parent does not notify): say so in the thread, once.
		mention, mentioned := mentionOnce(req, rec, v.Status)
		broadcast := req.Broadcast && !rec.Final
		if _, err := api.Post(ctx, req.Channel, render.FinalReply(v, mention), slack.PostOptions{ThreadTS: ts, Broadcast: broadcast}); err != nil {
			return "", rec, ts, err
		}
		rec.Final = rec.Final || broadcast
		rec.Mentioned = append(rec.Mentioned, mentioned...)
		if broadcast {
			return Broadcast, rec, ts, nil
		}
		return Replied, rec, ts, nil
	}
	return Unchanged, rec, ts, nil
}

// detail is what enrichment says about a failed command's instances, or nil (no Detail set, or
// nothing failed). Enrichment caches per command, so a render costs at most one lookup.
func (t *Threads) detail(ctx context.Context, req Request, v render.CommandView) *failure.Detail {
	if t.Detail == nil || (!v.Status.Failure() && v.FailedTotal == 0) {
		return nil
	}
	return t.Detail(ctx, req, v)
}

// detailFingerprint makes the parent update when enrichment's reason changes, e.g. when a
// lookup that missed its budget answers on a later render.
func detailFingerprint(d *failure.Detail) string {
	if d == nil {
		return ""
	}
	return "|" + render.MostCommonReason(append(append([]failure.Invocation(nil), d.Invocations...), d.Others...), 0) + "|" + strconv.FormatBool(d.Unavailable != nil)
}

// parent is the parent message, with enrichment's most common reason when there is detail.
func (t *Threads) parent(v render.CommandView, d *failure.Detail) render.SlackMessage {
	return render.ParentWithDetail(render.Parent(v), v, d)
}

// failureReply is the reply announcing a batch of failures, with each instance's detail when
// there is some; it pages nobody when all of them are "patched, reported failure" (paged false).
func (t *Threads) failureReply(v render.CommandView, batch []render.Instance, mention string, d *failure.Detail) (render.SlackMessage, bool) {
	ids := make([]string, len(batch))
	for i, in := range batch {
		ids[i] = in.ID
	}
	mention = render.ReplyMention(mention, ids, d)
	return render.ReplyWithDetail(render.FailureReply(v, batch, mention), v, ids, d), mention != ""
}

// findParent returns the ts of the command's parent that an unconfirmed post left in the
// channel, or "" (not found, or the Poster cannot search: then a new parent is posted rather
// than the alert lost).
func findParent(ctx context.Context, api Poster, req Request) string {
	f, ok := api.(ParentFinder)
	if !ok {
		return ""
	}
	ts, err := f.FindParent(ctx, req.Channel, req.CommandID)
	if err != nil {
		return ""
	}
	return ts
}

// mentionOnce is the mention text for statuses not mentioned yet in this command's message (each
// distinct text once), and the statuses it covers.
func mentionOnce(req Request, rec record, statuses ...payload.Status) (string, []payload.Status) {
	var texts []string
	var covered []payload.Status
	for _, s := range statuses {
		m := req.Mentions[s]
		if m == "" || slices.Contains(rec.Mentioned, s) {
			continue
		}
		covered = append(covered, s)
		if !slices.Contains(texts, m) {
			texts = append(texts, m)
		}
	}
	return strings.Join(texts, " "), covered
}

// newFailures are the failed instances not named yet, in the roll-up's order.
func newFailures(failed []state.Timeline, replied []string) []render.Instance {
	done := make(map[string]bool, len(replied))
	for _, id := range replied {
		done[id] = true
	}
	var out []render.Instance
	for _, f := range failed {
		if !done[f.Target] {
			out = append(out, render.Instance{ID: f.Target, Status: f.Status})
		}
	}
	return out
}

// finished reports whether the command reached a terminal state: its summary says so, or every
// targeted instance has a terminal status.
func finished(r state.Rollup) bool {
	if r.Command != nil && r.Command.Status.Terminal() {
		return true
	}
	if r.Targets == 0 || r.Invocations < r.Targets {
		return false
	}
	for s, n := range r.Counts {
		if n > 0 && !s.Terminal() {
			return false
		}
	}
	return true
}

// View derives what the message shows from a roll-up.
func View(r state.Rollup, req Request) render.CommandView {
	v := render.CommandView{
		CommandID: req.CommandID, Document: r.DocumentName, Account: req.Account,
		Targets: r.Targets, Counts: r.Counts, Failed: r.Failed, FailedTotal: r.FailedTotal,
		Started: r.RequestedAt, Updated: r.LastEvent,
	}
	// The region comes from the event: it becomes part of a link host only when it is shaped
	// like an AWS region, the same check the per-notification renderer applies.
	if render.ValidRegion(req.Region) {
		v.Region = req.Region
	}
	if v.Started.IsZero() {
		v.Started = r.FirstEvent
	}
	if v.Targets < r.Invocations {
		v.Targets = r.Invocations
	}
	v.Finished = finished(r)
	v.Status = overall(r)
	v.Mention = req.Mentions[v.Status]
	if sl := req.Silence; sl != nil {
		v.Mention = ""
		v.Silenced = render.SilencedLine(v.FailedTotal, sl.Author, sl.Comment)
	}
	if req.OutputBucket != "" {
		v.OutputURL = render.OutputURL(v.Region, req.OutputBucket, req.OutputPrefix, req.CommandID, "")
	}
	return v
}

// overall is the command's status: its summary's when known, else what its instances add up to.
// Failures of one kind read as that kind (Timed Out, Cancelled, …), mixed kinds as Failed.
func overall(r state.Rollup) payload.Status {
	if r.Command != nil && (r.Command.Status.Terminal() || r.Invocations == 0) {
		return r.Command.Status
	}
	inProgress := r.Invocations < r.Targets
	var failure payload.Status
	for s, n := range r.Counts {
		if n == 0 {
			continue
		}
		if !s.Terminal() {
			inProgress = true
		}
		if s.Failure() {
			if failure != "" && failure != s {
				failure = payload.StatusFailed
			} else {
				failure = s
			}
		}
	}
	switch {
	case inProgress:
		return payload.StatusInProgress
	case failure != "":
		return failure
	case r.Invocations > 0:
		return payload.StatusSuccess
	}
	if r.Command != nil {
		return r.Command.Status
	}
	return payload.StatusInProgress
}
