package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"
)

// stackTags are the tags every taggable resource of stack carries, as CloudFormation writes them.
func stackTags(stack string) []any {
	return []any{
		map[string]any{"Key": "Project", "Value": "ssmnotify"},
		map[string]any{"Key": "Stack", "Value": stack},
	}
}

// untaggable are the resource types of this stack that CloudFormation cannot tag.
var untaggable = []string{
	"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy",
	"AWS::SNS::Subscription", "AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig",
	"AWS::Scheduler::Schedule", "AWS::Logs::MetricFilter", "AWS::Logs::ResourcePolicy",
}

// checkTags: every resource CloudFormation can tag has the Project and Stack tags (cfn-lint
// separately checks that no untaggable type was given Tags).
func (s *synthesized) checkTags(t *testing.T) {
	t.Helper()
	want := stackTags(s.name)
	for id, r := range s.doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		typ := res["Type"].(string)
		if slices.Contains(untaggable, typ) {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		var tags any = props["Tags"]
		if typ == "AWS::Lambda::EventSourceMapping" || typ == "AWS::Events::Rule" {
			// Tagged where the CDK version tags them; not every version does.
			if tags == nil {
				continue
			}
		}
		if m, ok := tags.(map[string]any); ok { // AWS::SSM-style map tags
			tags = []any{map[string]any{"Key": "Project", "Value": m["Project"]}, map[string]any{"Key": "Stack", "Value": m["Stack"]}}
		}
		got, _ := tags.([]any)
		var have []any
		for _, tag := range got {
			if k := tag.(map[string]any)["Key"]; k == "Project" || k == "Stack" {
				have = append(have, tag)
			}
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("%s (%s) tags (-want +got):\n%s", id, typ, diff)
		}
	}
}

// checkNoBakedEnvironment walks every string of the template: none may name a region — neither
// us-east-1, which the CLI reports offline, nor the region of ARNs given in context — except
// those context values themselves. The template uses ${AWS::Region}, so it deploys correctly
// wherever it is deployed. (The account the CLI resolved from credentials is the deploying one.)
func (s *synthesized) checkNoBakedEnvironment(t *testing.T, fromContext ...string) {
	t.Helper()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			for _, lit := range []string{testRegion, "us-east-1"} {
				if strings.Contains(x, lit) && !slices.ContainsFunc(fromContext, func(c string) bool { return strings.Contains(c, x) || strings.Contains(x, c) }) {
					t.Errorf("%s = %q: the synth's %s is baked into the template", path, x, lit)
				}
			}
		}
	}
	walk("", map[string]any{"Resources": s.doc["Resources"], "Outputs": s.doc["Outputs"]})
}

// checkConcurrency: the router's reserved concurrency, and each SQS event source capped below it.
func (s *synthesized) checkConcurrency(t *testing.T, reserved int, maxByQueue map[string]int) {
	t.Helper()
	want := any(assertions.Match_Absent())
	if reserved > 0 {
		want = reserved
	}
	s.hasProps(t, "AWS::Lambda::Function", map[string]any{"Role": arnOf(idRouterRole), "ReservedConcurrentExecutions": want})
	for queue, n := range maxByQueue {
		s.hasProps(t, "AWS::Lambda::EventSourceMapping", map[string]any{
			"EventSourceArn": arnOf(queue), "ScalingConfig": map[string]any{"MaximumConcurrency": n},
		})
	}
}

// checkDigestFailures: a digest run that fails (in Lambda after its retries, or in Scheduler) is
// kept in the dead-letter queue, not dropped.
func (s *synthesized) checkDigestFailures(t *testing.T, scheduled bool) {
	t.Helper()
	s.hasProps(t, "AWS::Lambda::EventInvokeConfig", map[string]any{
		"FunctionName": ref(idDigest), "MaximumRetryAttempts": asyncRetries,
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": arnOf(idDeadLetterQueue)}},
	})
	if scheduled {
		s.hasProps(t, "AWS::Scheduler::Schedule", map[string]any{
			"Target": assertions.Match_ObjectLike(&map[string]any{"DeadLetterConfig": map[string]any{"Arn": arnOf(idDeadLetterQueue)}}),
		})
	}
}

// checkWindowTaskFailedAlarm: a maintenance window task that FAILED (perhaps before any command
// existed) is recorded and alarmed on.
func (s *synthesized) checkWindowTaskFailedAlarm(t *testing.T, alarmActions any) {
	t.Helper()
	logs := s.resources("AWS::Logs::LogGroup")[idWindowTaskFailedLogs]
	if logs == nil {
		t.Fatalf("no log group %s", idWindowTaskFailedLogs)
	}
	if got := logs["Properties"].(map[string]any)["LogGroupName"]; !cmp.Equal(got, map[string]any{"Fn::Sub": "/aws/events/${AWS::StackName}/maintenance-window-task-failed"}) {
		t.Errorf("failure log group name = %v, want it under /aws/events/", got)
	}
	s.hasProps(t, "AWS::Events::Rule", map[string]any{
		"EventPattern": map[string]any{
			"source": []any{"aws.ssm"}, "detail-type": []any{windowTaskDetailType},
			"detail": map[string]any{"status": []any{"FAILED"}},
		},
		"State":   "ENABLED",
		"Targets": []any{map[string]any{"Id": "FailureLog", "Arn": arnOf(idWindowTaskFailedLogs)}},
	})
	// EventBridge may write to that log group, and to no other.
	s.hasProps(t, "AWS::Logs::ResourcePolicy", map[string]any{
		"PolicyDocument": assertions.Match_AnyValue(),
	})
	for _, p := range s.resources("AWS::Logs::ResourcePolicy") {
		doc := fmt.Sprint(p["Properties"].(map[string]any)["PolicyDocument"])
		for _, w := range []string{"events.amazonaws.com", "logs:PutLogEvents", idWindowTaskFailedLogs} {
			if !strings.Contains(doc, w) {
				t.Errorf("log resource policy %s lacks %q", doc, w)
			}
		}
	}
	s.hasProps(t, "AWS::CloudWatch::Alarm", map[string]any{
		"Namespace": "AWS/Events", "MetricName": "TriggeredRules",
		"Dimensions": []any{map[string]any{"Name": "RuleName", "Value": ref(idWindowTaskFailedRule)}},
		"Threshold":  1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": alarmActions,
	})
}

// checkTrailAlarms: with a trail's log group in context, metric filters count a notification
// role Systems Manager could not assume and failed publishes to the topic, and alarm on them.
func (s *synthesized) checkTrailAlarms(t *testing.T, logGroup string) {
	t.Helper()
	patterns := map[string][]string{
		"NotificationRoleAssumeFailed": {`$.eventSource = "sts.amazonaws.com"`, `$.eventName = "AssumeRole"`, `$.errorCode = "*"`, `$.requestParameters.roleArn = "`, idNotificationRole},
		"TopicPublishFailed":           {`$.eventSource = "sns.amazonaws.com"`, `$.eventName = "Publish"`, `$.errorCode = "*"`, `$.requestParameters.topicArn = "`, idTopic},
	}
	filters := s.resources("AWS::Logs::MetricFilter")
	if len(filters) != len(patterns) {
		t.Errorf("%d metric filters, want %d", len(filters), len(patterns))
	}
	for _, f := range filters {
		p := f["Properties"].(map[string]any)
		if p["LogGroupName"] != logGroup {
			t.Errorf("metric filter on %v, want the trail's %s", p["LogGroupName"], logGroup)
		}
		mt := p["MetricTransformations"].([]any)[0].(map[string]any)
		name, _ := mt["MetricName"].(string)
		want, ok := patterns[name]
		if !ok {
			t.Errorf("unexpected metric filter %s", name)
			continue
		}
		pattern := fmt.Sprint(p["FilterPattern"])
		for _, w := range want {
			if !strings.Contains(pattern, w) {
				t.Errorf("%s pattern %s lacks %q", name, pattern, w)
			}
		}
		s.hasProps(t, "AWS::CloudWatch::Alarm", map[string]any{
			"MetricName": name, "Namespace": mt["MetricNamespace"], "Threshold": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": []any{ref(idAlarmTopic)},
		})
	}
}

// TestSchedulerSampleMatchesInput: events/scheduled-digest-scheduler.json is what the deployed
// schedule sends the digest — the target input with Scheduler's placeholders and the template's
// pseudo parameters filled in — so `sam local invoke DigestFunction -e` it behaves as deployed.
func TestSchedulerSampleMatchesInput(t *testing.T) {
	root, err := ModuleRoot(mustGetwd(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "scheduled-digest-scheduler.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample map[string]any
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	res := sample["resources"].([]any)
	filled := strings.NewReplacer(
		"<aws.scheduler.execution-id>", sample["id"].(string),
		"<aws.scheduler.scheduled-time>", sample["time"].(string),
		"<aws.scheduler.schedule-arn>", res[0].(string),
		"${AWS::AccountId}", sample["account"].(string),
		"${AWS::Region}", sample["region"].(string),
	).Replace(digestInput())
	var input map[string]any
	if err := json.Unmarshal([]byte(filled), &input); err != nil {
		t.Fatalf("filled input is not JSON: %v\n%s", err, filled)
	}
	if diff := cmp.Diff(input, sample); diff != "" {
		t.Errorf("the Scheduler sample differs from the schedule's input (-input +sample):\n%s", diff)
	}
}
