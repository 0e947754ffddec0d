// Package lambdatest serves the AWS Lambda Runtime API on a loopback port, so tests can run a
// function's real `bootstrap` binary the way Lambda does: the process polls for the next
// invocation, and posts a response or an error for it, or an init error if it cannot start.
//
// No AWS Runtime Interface Emulator or SAM is needed. The API is the documented one:
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const prefix = "/2018-06-01/runtime/"

// ErrorResponse is what a function posts to /error or /init/error.
type ErrorResponse struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// Result is the outcome of one invocation: a response body, or an error.
type Result struct {
	RequestID string
	Response  []byte
	Error     *ErrorResponse
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result
}

// Runtime is a Lambda Runtime API server for one function process.
type Runtime struct {
	// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
	Addr string

	srv     *httptest.Server
	pending chan *invocation

	mu        sync.Mutex
	inflight  map[string]*invocation
	nextCalls int
	firstNext time.Time
	initErr   *ErrorResponse
	initDone  chan struct{}
	seq       int
}

// NewRuntime starts a Runtime API server on a free loopback port; it stops when the test ends.
func NewRuntime(tb testing.TB) *Runtime {
	tb.Helper()
	r := &Runtime{
		pending:  make(chan *invocation),
		inflight: map[string]*invocation{},
		initDone: make(chan struct{}),
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.Addr = strings.TrimPrefix(r.srv.URL, "http://")
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *Runtime) serve(w http.ResponseWriter, req *http.Request) {
	path := strings.TrimPrefix(req.URL.Path, prefix)
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		r.mu.Lock()
		r.nextCalls++
		if r.firstNext.IsZero() {
			r.firstNext = time.Now()
		}
		r.mu.Unlock()
		var inv *invocation
		select {
		case inv = <-r.pending:
		case <-req.Context().Done():
			return
		}
		r.mu.Lock()
		r.inflight[inv.id] = inv
		r.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:111122223333:function:ssmnotify-test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case req.Method == http.MethodPost && path == "init/error":
		var e ErrorResponse
		body, _ := io.ReadAll(req.Body)
		if json.Unmarshal(body, &e) != nil {
			e.ErrorMessage = string(body)
		}
		r.mu.Lock()
		if r.initErr == nil {
			r.initErr = &e
			close(r.initDone)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		r.mu.Lock()
		inv := r.inflight[id]
		delete(r.inflight, id)
		r.mu.Unlock()
		if !ok || inv == nil {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(req.Body)
		res := Result{RequestID: id}
		switch kind {
		case "response":
			res.Response = body
		case "error":
			var e ErrorResponse
			if json.Unmarshal(body, &e) != nil {
				e.ErrorMessage = string(body)
			}
			res.Error = &e
		default:
			http.Error(w, "unknown path", http.StatusNotFound)
			return
		}
		inv.done <- res
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "unknown path", http.StatusNotFound)
	}
}

// Invoke hands payload to the function's next /next call and waits for its result, up to the
// invocation deadline (timeout from now) plus a grace second.
func (r *Runtime) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	r.mu.Lock()
	r.seq++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", r.seq)
	r.mu.Unlock()
	inv := &invocation{id: id, payload: payload, deadline: time.Now().Add(timeout), done: make(chan Result, 1)}
	wait, cancel := context.WithTimeout(ctx, timeout+time.Second)
	defer cancel()
	select {
	case r.pending <- inv:
	case <-r.initDone:
		return Result{}, fmt.Errorf("function failed to initialize: %s", r.InitError().ErrorMessage)
	case <-wait.Done():
		return Result{}, fmt.Errorf("function did not ask for the next invocation: %w", wait.Err())
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-wait.Done():
		return Result{}, fmt.Errorf("function did not answer invocation %s: %w", id, wait.Err())
	}
}

// WaitInitError waits until the function reports an init error, or the context ends.
func (r *Runtime) WaitInitError(ctx context.Context) (*ErrorResponse, error) {
	select {
	case <-r.initDone:
		return r.InitError(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// InitError is the init error the function reported, or nil.
func (r *Runtime) InitError() *ErrorResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.initErr
}

// FirstNext is when the function first asked for an invocation (zero if it has not).
func (r *Runtime) FirstNext() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstNext
}

// Process is a function process started under a Runtime.
type Process struct {
	Cmd     *exec.Cmd
	Started time.Time
	Exited  chan struct{}

	mu     sync.Mutex
	output strings.Builder
}

// Output is what the process wrote to stdout and stderr (its logs) so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.output.Len() < 1<<20 {
		p.output.Write(b)
	}
	return len(b), nil
}

// Start runs the bootstrap binary with AWS_LAMBDA_RUNTIME_API pointing at r and the Lambda
// environment variables a function expects, plus env. The process is killed when the test ends.
func (r *Runtime) Start(tb testing.TB, bootstrap, dir string, env ...string) *Process {
	tb.Helper()
	cmd := exec.Command(bootstrap)
	cmd.Dir = dir
	cmd.Env = append(minimalEnv(),
		"AWS_LAMBDA_RUNTIME_API="+r.Addr,
		"AWS_LAMBDA_FUNCTION_NAME=ssmnotify-test",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/ssmnotify-test",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/05/04/[$LATEST]test",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"LAMBDA_TASK_ROOT="+dir,
		"_HANDLER=bootstrap",
	)
	cmd.Env = append(cmd.Env, env...)
	return startProcess(tb, cmd)
}

// startProcess starts cmd with its output captured, and kills it (and waits for it) when the
// test ends.
func startProcess(tb testing.TB, cmd *exec.Cmd) *Process {
	tb.Helper()
	p := &Process{Cmd: cmd, Exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.Exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.Exited
	})
	return p
}

// minimalEnv keeps what a process needs to run (PATH, HOME, TMPDIR) and nothing that could leak
// the developer's AWS credentials or config into a test.
func minimalEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
