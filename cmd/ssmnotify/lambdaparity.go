package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/router"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/setup"
	"github.com/ssmnotify/ssmnotify/internal/thread"
)

// The local commands that run the router handler (invoke, demo, replay) must run exactly what
// Lambda runs. These helpers wire the parts of the handler that Lambda has and a bare handler
// lacks, once for all of them.

// wireEnrichment returns the enricher for the deliverer (nil when the config turns lookups off)
// and gives the commands' evolving messages and per-command emails the same detail: the local
// SSM at AWS_ENDPOINT_URL_SSM, real SSM with credentials, or "detail unavailable (no AWS access)".
// threads and emails may be nil.
func wireEnrichment(ctx context.Context, getenv setup.Getenv, set *rules.Set, threads *thread.Threads, emails *thread.Emails) *enrich.Enricher {
	e := setup.CLIEnricher(ctx, getenv, set)
	detail := thread.EnrichedDetail(e, set)
	if threads != nil {
		threads.Detail = detail
	}
	if emails != nil {
		emails.Detail = detail
	}
	return e
}

// wireSilences applies the ad-hoc silences, as in Lambda: the store's, or instead those of file
// (JSON Lines, as `silence query` prints) when one is given.
func wireSilences(h *router.Handler, file string) error {
	if ss, ok := h.Store.(router.SilenceStore); ok {
		h.Silences = ss
	}
	if file == "" {
		return nil
	}
	list, err := routeSilences("", file, time.Time{})
	if err != nil {
		return fmt.Errorf("--silences: %w", err)
	}
	h.Silences = fixedSilences(list)
	return nil
}
