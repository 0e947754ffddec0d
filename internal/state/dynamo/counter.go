package dynamo

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Counter wraps an API and counts the requests made through it, per operation: how benchmarks
// and tests show what a notification costs.
type Counter struct {
	API

	mu     sync.Mutex
	counts map[string]int
}

var _ API = (*Counter)(nil)

// NewCounter counts the requests made through api.
func NewCounter(api API) *Counter { return &Counter{API: api, counts: map[string]int{}} }

func (c *Counter) add(op string) {
	c.mu.Lock()
	c.counts[op]++
	c.mu.Unlock()
}

// Counts returns the number of requests per operation ("PutItem", "Query"…) since the last Reset.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Total returns the number of requests since the last Reset.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Reset sets every count to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	clear(c.counts)
	c.mu.Unlock()
}

// GetItem counts and forwards.
func (c *Counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	return c.API.GetItem(ctx, in, optFns...)
}

// PutItem counts and forwards.
func (c *Counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add("PutItem")
	return c.API.PutItem(ctx, in, optFns...)
}

// UpdateItem counts and forwards.
func (c *Counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add("UpdateItem")
	return c.API.UpdateItem(ctx, in, optFns...)
}

// DeleteItem counts and forwards.
func (c *Counter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add("DeleteItem")
	return c.API.DeleteItem(ctx, in, optFns...)
}

// Query counts and forwards.
func (c *Counter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.add("Query")
	return c.API.Query(ctx, in, optFns...)
}
