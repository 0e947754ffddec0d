package state_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
)

// The router's path for one notification and one destination: guard, claim, send, complete (or
// release when the send failed).
func Example() {
	ctx := context.Background()
	store := memory.New()
	now := time.Date(2026, 5, 4, 10, 3, 13, 0, time.UTC)
	deadline := now.Add(30 * time.Second) // the invocation's deadline ends the lease

	n := &payload.Notification{
		Kind: payload.KindInvocation, CommandID: "0b7f3c2e-1111-4a2b-9c3d-0123456789ab", DocumentName: "AWS-RunShellScript",
		InstanceID: "i-0aaa1111bbbb2222c", Status: payload.StatusFailed, EventTime: now.Add(-time.Second),
	}
	for attempt := range 2 { // the second attempt is an SNS redelivery
		obs, err := store.Observe(ctx, n, now)
		if err != nil {
			panic(err) // the router returns retryable errors to Lambda (state.IsRetryable)
		}
		if obs.Verdict == state.Stale {
			continue
		}
		key := state.NotificationClaim(n.CommandID, n.Target(), n.Status, "slack:C0123")
		c, err := store.Claim(ctx, key, now, deadline)
		if err != nil {
			panic(err)
		}
		fmt.Printf("attempt %d: %v, claim %v\n", attempt, obs.Verdict, c.Outcome)
		if c.Outcome != state.ClaimWon {
			continue // done: nothing to send; in progress: fail the invocation so it is retried
		}
		// ... send to Slack; on failure: store.Release(ctx, c, now) and return the error.
		if err := store.Complete(ctx, c, now); err != nil {
			panic(err)
		}
	}
	r, _ := store.Rollup(ctx, n.CommandID, now)
	fmt.Printf("failed on %d of %d: %v\n", r.FailedTotal, r.Invocations, r.Failed)
	// Output:
	// attempt 0: fresh, claim won
	// attempt 1: duplicate, claim done
	// failed on 1 of 1: [i-0aaa1111bbbb2222c]
}
