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

// TestNagSuppressionsAreNeeded synthesizes, with the AwsSolutions and Serverless packs, a stack
// that uses every suppression (a created maintenance window role with output buckets, command
// details, both SQS event sources) and the options that add queues and topics (the SQS buffer,
// topics with the AWS managed key, an alarm topic, the EventBridge rule), with cdk-nag told to
// ignore all suppressions. What it then reports must be exactly what the stack suppresses:
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
		ctxOutputBuckets:  "ssm-output-example",
		// With suppressions ignored, cdk-nag's errors would stop the synthesis itself.
		"@aws-cdk/core:annotationsInValidationReport": false,
	}, &cdknag.NagPackProps{SuppressionIgnoreCondition: cdknag.NewSuppressionIgnoreAlways(jsii.String("checking that every suppression is needed"))})

	finding := regexp.MustCompile(`^((?:AwsSolutions|Serverless)-[A-Za-z0-9]+)(\[[^\]]*\])?:`)
	var got []string
	a := assertions.Annotations_FromStack(s.stack.Stack)
	packs := assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*"))
	for _, m := range append(*a.FindError(jsii.String("*"), packs), *a.FindWarning(jsii.String("*"), packs)...) {
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
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:resource-groups:<AWS::Region>:<AWS::AccountId>:group/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::ssm-output-example/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:document/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/*]",
		"/Nag/MaintenanceWindowRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>::document/*]",
		"/Nag/RouterRole/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::*]",
		// Serverless pack: dead-letter queues need no redrive policy of their own; on-failure
		// destinations rather than DeadLetterConfig; no X-Ray SDK; SQS event sources take no
		// on-failure destination; alarm emails; the failure rule's log target.
		"/Nag/AlarmTopic/oncall@example.com/Resource Serverless-SNSRedrivePolicy",
		"/Nag/BufferDLQ/Resource Serverless-SQSRedrivePolicy",
		"/Nag/DeadLetterQueue/Resource Serverless-SQSRedrivePolicy",
		"/Nag/DigestFunction/Resource Serverless-LambdaDLQ",
		"/Nag/DigestFunction/Resource Serverless-LambdaTracing",
		"/Nag/MaintenanceWindowTaskFailedRule Serverless-EventBusDLQ",
		"/Nag/RouterFunction/Resource Serverless-LambdaDLQ",
		"/Nag/RouterFunction/Resource Serverless-LambdaTracing",
		"/Nag/RouterFunction/SqsEventSource:NagBufferQueue7C994A16/Resource Serverless-LambdaEventSourceMappingDestination",
		"/Nag/RouterFunction/SqsEventSource:NagRenderQueue5E5D34D8/Resource Serverless-LambdaEventSourceMappingDestination",
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cdk-nag findings with suppressions ignored (-want +got):\n%s", diff)
	}
	t.Run("tags on every resource", s.checkTags)
	t.Run("cfn-lint", s.checkCfnLint)
}
