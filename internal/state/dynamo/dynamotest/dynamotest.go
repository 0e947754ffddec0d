// Package dynamotest gives tests a DynamoDB state store on a local dynalite: one server per call
// to Start, a fresh table per store.
package dynamotest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// Local is a running dynalite and a client for it.
type Local struct {
	Server *testenv.Server
	Client *dynamodb.Client
	tables atomic.Int64
}

// Start starts dynalite for the test (it stops when tb ends). Under CI=true a missing dynalite
// fails the test; otherwise it skips with the command that installs it.
func Start(tb testing.TB) *Local {
	tb.Helper()
	srv := testenv.Dynalite(tb)
	return &Local{Server: srv, Client: dynamo.NewClient(dynamo.LocalConfig(), srv.URL)}
}

// NewTable creates an empty state table and returns its name.
func (l *Local) NewTable(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("ssmnotify-test-%d", l.tables.Add(1))
	if err := dynamo.CreateTable(tb.Context(), l.Client, name); err != nil {
		tb.Fatal(err)
	}
	return name
}

// NewStore returns a store on a fresh table, and the counter its requests go through.
func (l *Local) NewStore(tb testing.TB) (*dynamo.Store, *dynamo.Counter) {
	tb.Helper()
	c := dynamo.NewCounter(l.Client)
	return dynamo.New(c, l.NewTable(tb)), c
}
