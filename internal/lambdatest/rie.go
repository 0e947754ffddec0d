package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RIEModule is the AWS Lambda Runtime Interface Emulator — what `sam local invoke` runs inside
// its container — pinned as a tool in go.mod.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the emulator's endpoint for one synchronous invocation.
const InvokePath = "/2015-03-31/functions/function/invocations"

var rieBuild struct {
	once sync.Once
	bin  string
	err  error
	out  []byte
}

// BuildRIE builds aws-lambda-rie at the version go.mod pins (`go tool -n` builds it into the Go
// build cache and prints its path), once per test binary.
func BuildRIE(tb testing.TB) string {
	tb.Helper()
	rieBuild.once.Do(func() {
		var out []byte
		out, rieBuild.err = exec.Command("go", "tool", "-n", "aws-lambda-rie").Output()
		rieBuild.bin = strings.TrimSpace(string(out))
		if ee, ok := rieBuild.err.(*exec.ExitError); ok {
			rieBuild.out = ee.Stderr
		}
	})
	if rieBuild.err != nil || rieBuild.bin == "" {
		tb.Fatalf("build %s (go tool -n aws-lambda-rie): %v\n%s", RIEModule, rieBuild.err, rieBuild.out)
	}
	return rieBuild.bin
}

// RIE is the emulator running one function's bootstrap, listening on loopback only.
type RIE struct {
	URL string // http://127.0.0.1:PORT
	*Process
}

// StartRIE runs bootstrap (in its task root dir) under the emulator with the Lambda variables a
// function expects plus env, on two free loopback ports (its invoke endpoint and the Runtime API
// it serves the bootstrap). The emulator starts the bootstrap on the first invocation, as Lambda
// does on a cold start. Both are killed when the test ends.
func StartRIE(tb testing.TB, bootstrap, dir string, env ...string) *RIE {
	tb.Helper()
	rie := BuildRIE(tb)
	addr, apiAddr := freeAddr(tb), freeAddr(tb)
	cmd := exec.Command(rie, "--log-level", "error",
		"--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir = dir
	cmd.Env = append(minimalEnv(),
		"AWS_LAMBDA_FUNCTION_NAME=ssmnotify-test",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"LAMBDA_TASK_ROOT="+dir,
	)
	cmd.Env = append(cmd.Env, env...)
	p := startProcess(tb, cmd)
	r := &RIE{URL: "http://" + addr, Process: p}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r
		}
		select {
		case <-p.Exited:
			tb.Fatalf("aws-lambda-rie exited at start:\n%s", p.Output())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("aws-lambda-rie did not listen on %s within 30 s:\n%s", addr, p.Output())
		}
		time.Sleep(20 * time.Millisecond) // polling a port with a deadline; nothing to inject
	}
}

// Invoke posts payload to the emulator's invoke endpoint — the request `sam local invoke`
// makes — and returns the HTTP status and body: the handler's response, or Lambda's error
// document ({"errorType","errorMessage"}) when the handler or its init failed.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("invoke through aws-lambda-rie: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen on a free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
