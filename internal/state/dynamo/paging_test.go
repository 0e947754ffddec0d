package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

// smallPages makes every Query return at most two items, as DynamoDB does past 1 MB.
type smallPages struct{ dynamo.API }

func (p smallPages) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c := *in
	c.Limit = aws.Int32(2)
	return p.API.Query(ctx, &c, optFns...)
}

// TestPaging reads a roll-up and a failure window that span many pages.
func TestPaging(t *testing.T) {
	local := dynamotest.Start(t)
	s := dynamo.New(smallPages{local.Client}, local.NewTable(t))
	now := statetest.Base.Add(time.Hour)
	const n = 11
	for i := range n {
		st := payload.StatusSuccess
		if i%2 == 0 {
			st = payload.StatusFailed
		}
		if _, err := s.Observe(t.Context(), statetest.Invocation("paged", fmt.Sprintf("i-%02d", i), st, statetest.Base.Add(time.Duration(i)*time.Second)), now); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Rollup(t.Context(), "paged", now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Invocations != n || r.Counts[payload.StatusFailed] != 6 || r.FailedTotal != 6 {
		t.Fatalf("rollup over pages: %+v", r)
	}
	var got []state.Failure
	stats, err := s.Failures(t.Context(), statetest.Base, statetest.Base.Add(time.Hour), now, func(f state.Failure) error {
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || stats.Returned != 6 || stats.Scanned != 6 || stats.Requests < 3 {
		t.Fatalf("failures over pages: %d, %+v", len(got), stats)
	}
	for i, f := range got {
		if want := fmt.Sprintf("i-%02d", 2*i); f.InstanceID != want {
			t.Fatalf("failure %d is %s, want %s", i, f.InstanceID, want)
		}
	}
}
