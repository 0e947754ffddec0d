// Command echo is a minimal Lambda function for the Runtime API server's own tests: it answers
// its input, and fails when asked to.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		_ = json.Unmarshal(in, &m)
		if m["fail"] == true {
			return nil, errors.New("asked to fail")
		}
		return in, nil
	})
}
