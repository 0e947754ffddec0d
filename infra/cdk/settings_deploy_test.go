package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDeploySettings(t *testing.T) {
	got, err := parse(map[string]any{
		ctxRouterConcurrency: "50",
		ctxTrailLogGroup:     "aws-cloudtrail-logs-org",
		ctxOutputBuckets:     " ssm-output-a ,ssm.output.b",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := struct {
		Concurrency int
		Trail       string
		Buckets     []string
	}{50, "aws-cloudtrail-logs-org", []string{"ssm-output-a", "ssm.output.b"}}
	if diff := cmp.Diff(want.Concurrency, got.RouterReservedConcurrency); diff != "" {
		t.Errorf("RouterReservedConcurrency (-want +got):\n%s", diff)
	}
	if got.TrailLogGroup != want.Trail {
		t.Errorf("TrailLogGroup = %q", got.TrailLogGroup)
	}
	if diff := cmp.Diff(want.Buckets, got.OutputBuckets); diff != "" {
		t.Errorf("OutputBuckets (-want +got):\n%s", diff)
	}

	// "none" reserves nothing (accounts whose concurrency quota leaves no room for a reservation);
	// cdk.json numbers arrive as float64.
	for v, want := range map[any]int{"none": 0, "NONE": 0, float64(30): 30, "5": 5} {
		got, err := parse(map[string]any{ctxRouterConcurrency: v})
		if err != nil || got.RouterReservedConcurrency != want {
			t.Errorf("%s=%v: %d, %v; want %d", ctxRouterConcurrency, v, got.RouterReservedConcurrency, err, want)
		}
	}
}

func TestParseDeploySettingsErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string
	}{
		// A service-linked role takes no attached policy, so it could never pass the
		// notification role: refused at synth, not when the first window task runs.
		{"service-linked maintenance window role",
			map[string]any{ctxMaintenanceRoleARN: "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"},
			[]string{"context maintenanceWindowRoleArn:", "is a service-linked role", "leave maintenanceWindowRoleArn unset"}},
		{"concurrency too small", map[string]any{ctxRouterConcurrency: "2"}, []string{"context routerReservedConcurrency: 2: want a whole number from 5 to 1000"}},
		{"concurrency too large", map[string]any{ctxRouterConcurrency: float64(5000)}, []string{"5000: want a whole number from 5 to 1000"}},
		{"concurrency not a number", map[string]any{ctxRouterConcurrency: "lots"}, []string{`"lots": want a whole number from 5 to 1000, or none`}},
		{"bucket ARN", map[string]any{ctxOutputBuckets: "arn:aws:s3:::logs"}, []string{`context outputBuckets: "arn:aws:s3:::logs" is not an S3 bucket name`}},
		{"bucket URL", map[string]any{ctxOutputBuckets: "ok-bucket,s3://logs"}, []string{`"s3://logs" is not an S3 bucket name`}},
		{"trail log group", map[string]any{ctxTrailLogGroup: "my trail"}, []string{`context trailLogGroup: "my trail" is not a CloudWatch Logs log group name`}},
		{"misspelt key", map[string]any{"outputBucket": "x"}, []string{"did you mean outputBuckets?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.ctx)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestEnvFromCLIIgnoresRegion: offline, the CLI reports us-east-1 whatever region the template
// will be deployed to, so the app takes only the account from it.
func TestEnvFromCLIIgnoresRegion(t *testing.T) {
	t.Setenv("CDK_DEFAULT_REGION", "us-east-1")
	t.Setenv("CDK_DEFAULT_ACCOUNT", "")
	if env := envFromCLI(); env != nil {
		t.Errorf("envFromCLI() = %+v without an account, want nil (environment-agnostic)", env)
	}
	t.Setenv("CDK_DEFAULT_ACCOUNT", testAccount)
	env := envFromCLI()
	if env == nil || env.Account == nil || *env.Account != testAccount || env.Region != nil {
		t.Errorf("envFromCLI() = %+v, want the account only", env)
	}
}
