package dynamotest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
)

// Faults is a fault-injecting HTTP proxy in front of dynalite: a request for an operation given
// to Fail is answered with that DynamoDB error, as DynamoDB would send it; every other request
// reaches dynalite. Its Client retries like the production client (dynamo.MaxAttempts) but
// without the backoff waits.
type Faults struct {
	// Client talks to dynalite through the proxy.
	Client *dynamodb.Client

	mu     sync.Mutex
	faults map[string]fault
	hits   map[string]int
}

type fault struct {
	status int
	code   string
}

// Faults starts a proxy in front of l's dynalite (it stops when tb ends).
func (l *Local) Faults(tb testing.TB) *Faults {
	tb.Helper()
	target, err := url.Parse(l.Server.URL)
	if err != nil {
		tb.Fatal(err)
	}
	f := &Faults{faults: map[string]fault{}, hits: map[string]int{}}
	pass := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The SDK names the operation in X-Amz-Target: DynamoDB_20120810.PutItem.
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndexByte(op, '.')+1:]
		f.mu.Lock()
		ft, failing := f.faults[op]
		if failing {
			f.hits[op]++
		}
		f.mu.Unlock()
		if !failing {
			pass.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Errortype", ft.code)
		w.WriteHeader(ft.status)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#` + ft.code + `","message":"injected by dynamotest.Faults"}`))
	}))
	tb.Cleanup(srv.Close)
	f.Client = dynamodb.NewFromConfig(dynamo.LocalConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = dynamo.MaxAttempts
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			so.RateLimiter = ratelimit.None
		})
	})
	return f
}

// Fail answers every request for operation op (GetItem, PutItem, UpdateItem, DeleteItem,
// Query…) with HTTP status and the DynamoDB error code, for example 400
// AccessDeniedException, 400 ThrottlingException or 500 InternalServerError.
func (f *Faults) Fail(op string, status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[op] = fault{status, code}
}

// Clear lets every request through again.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.faults)
}

// Hits is how many requests for op were answered with an injected error.
func (f *Faults) Hits(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[op]
}
