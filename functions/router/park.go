package main

import (
	"context"
	"errors"

	"github.com/ssmnotify/ssmnotify/internal/router"
)

// failingParker stands in for a missing dead-letter queue: parking fails, so the router treats the
// record as retryable and Lambda's retries and on-failure destination keep it.
type failingParker struct{}

func (failingParker) Park(context.Context, router.Parked) error {
	return errors.New("no dead-letter queue configured")
}
