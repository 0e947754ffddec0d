package main

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/google/go-cmp/cmp"
)

// TestNagSuppressionsAreNeeded synthesizes a stack that uses every suppression (a created
// maintenance window role, command details) and the options that add queues and topics (the SQS
// buffer, unencrypted topics, an alarm topic, the EventBridge rule), with cdk-nag told
// to ignore all suppressions. What it then reports must be exactly what the stack suppresses:
// no suppression hides a finding it was not written for, and none is left over.
func TestNagSuppressionsAreNeeded(t *testing.T) {
	s := synthWithNag(t, map[string]any{
		ctxStackName:      "Nag",
		ctxConfigPath:     "infra/cdk/" + fullConfig,
		ctxUseSQSBuffer:   true,
		ctxEncryptTopic:   false,
		ctxAlarmEmail:     "oncall@example.com",
		ctxCommandDetails: true,
		ctxEventBridge:    true,
	}, &cdknag.NagPackProps{SuppressionIgnoreCondition: cdknag.NewSuppressionIgnoreAlways(jsii.String("checking that every suppression is needed"))})

	finding := regexp.MustCompile(`^(AwsSolutions-[A-Z0-9]+)(\[[^\]]*\])?:`)
	var got []string
	a := assertions.Annotations_FromStack(s.stack.Stack)
	for _, m := range *a.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		msg := fmt.Sprint(m.Entry.Data)
		f := finding.FindStringSubmatch(msg)
		if f == nil {
			t.Errorf("unexpected annotation at %s: %s", *m.Id, msg)
			continue
		}
		got = append(got, *m.Id+" "+f[1]+f[2])
	}
	slices.Sort(got)
	// (The dead-letter queue's SQS3 suppression applies only without the render queue; with a
	// bot-token Slack destination the queue serves as the render queue's DLQ and nag is satisfied.)
	want := []string{
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:document/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>::document/*]",
		"/Nag/RouterRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::*]",
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cdk-nag findings with suppressions ignored (-want +got):\n%s", diff)
	}
}
