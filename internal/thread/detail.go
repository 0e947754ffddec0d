package thread

import (
	"context"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// EnrichedDetail is the detail of a command's evolving message (Threads.Detail) and of its
// per-command email (Emails.Detail): e looks
// the command up as a command summary (its counts and failures), with the enrich settings of
// the first route that sends to the message's destination and enriches. nil when e is nil.
func EnrichedDetail(e *enrich.Enricher, set *rules.Set) func(context.Context, Request, render.CommandView) *failure.Detail {
	if e == nil {
		return nil
	}
	cfgs := map[string]*rules.Enrich{}
	for _, r := range set.Routes() {
		for _, d := range r.To {
			if _, seen := cfgs[d.Name]; !seen || cfgs[d.Name] == nil {
				cfgs[d.Name] = r.Enrich
			}
		}
	}
	return func(ctx context.Context, req Request, v render.CommandView) *failure.Detail {
		// A cancelled command's instances are listed as Cancelled, not among its failures.
		status := payload.StatusFailed
		if v.Status == payload.StatusCancelled {
			status = payload.StatusCancelled
		}
		n := &payload.Notification{
			Kind: payload.KindCommand, CommandID: req.CommandID, DocumentName: v.Document,
			Region: req.Region, Account: req.Account, Status: status, StatusRaw: string(status),
		}
		return e.Enrich(ctx, n, cfgs[req.Destination])
	}
}
