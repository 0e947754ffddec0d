// Package lambdainit reports a function's initialization failure to the Lambda Runtime API, so
// that Lambda shows the reason (a bad config names its line) instead of a bare "Runtime exited".
// aws-lambda-go has no call for it; the API is documented at
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-initerror
package lambdainit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Fail reports err as an init error of type errType when running under Lambda (or a Runtime API
// server in tests), prints it to stderr either way, and exits with status 1. It never returns.
func Fail(errType string, err error) {
	fmt.Fprintf(os.Stderr, "init failed: %s: %v\n", errType, err)
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": errType})
		req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
		if rerr == nil {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
			client := &http.Client{Timeout: 2 * time.Second}
			if resp, derr := client.Do(req); derr == nil {
				resp.Body.Close()
			}
		}
	}
	os.Exit(1)
}
