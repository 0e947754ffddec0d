package main

import (
	"os"
	"testing"
)

// TestMain keeps every test of the CLI off the instance metadata service: without credentials
// the SDK's default chain would otherwise ask 169.254.169.254, an address no test may reach.
func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}
