package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Template fragments, written as CloudFormation writes them.
func ref(id string) any            { return map[string]any{"Ref": id} }
func arnOf(id string) any          { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }
func join(parts ...any) any        { return map[string]any{"Fn::Join": []any{"", parts}} }
func partitionARN(rest string) any { return join("arn:", ref("AWS::Partition"), rest) }

// tplLocalARN is an ARN of service in the region and account the template is deployed to.
func tplLocalARN(service, rest string) any {
	return join("arn:", ref("AWS::Partition"), ":"+service+":", ref("AWS::Region"), ":", ref("AWS::AccountId"), rest)
}

// Trust conditions against the confused deputy: IfExists for Systems Manager, which documents
// no aws:SourceAccount for these roles; StringEquals for EventBridge Scheduler, which does.
var (
	ssmTrust       = map[string]any{"StringEqualsIfExists": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}}
	schedulerTrust = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}}
)

// stmt is an identity-policy statement: Effect Allow, with Condition when cond is not nil.
func stmt(actions, resources any, cond map[string]any) map[string]any {
	s := map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources}
	if cond != nil {
		s["Condition"] = cond
	}
	return s
}

// canon renders a statement so that equal policies compare equal: Action and Resource always as
// sorted lists, map keys sorted by encoding/json.
func canon(t *testing.T, s map[string]any) string {
	t.Helper()
	c := map[string]any{}
	for k, v := range s {
		c[k] = v
	}
	for _, k := range []string{"Action", "Resource"} {
		v, ok := c[k]
		if !ok {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			list = []any{v}
		}
		strs := make([]string, len(list))
		for i, x := range list {
			b, err := json.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			strs[i] = string(b)
		}
		slices.Sort(strs)
		raw := make([]json.RawMessage, len(strs))
		for i, x := range strs {
			raw[i] = json.RawMessage(x)
		}
		c[k] = raw
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func canonAll(t *testing.T, stmts []map[string]any) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = canon(t, s)
	}
	slices.Sort(out)
	return out
}

func statementsOf(doc any) []map[string]any {
	var out []map[string]any
	d, _ := doc.(map[string]any)
	switch st := d["Statement"].(type) {
	case []any:
		for _, s := range st {
			out = append(out, s.(map[string]any))
		}
	case map[string]any:
		out = append(out, st)
	}
	return out
}

// roleStatements gathers every statement that grants something to the role with logical ID
// role: its inline policies, AWS::IAM::Policy resources and managed policies of this template
// attached to it. It fails on a managed policy ARN from outside the template (an AWS managed
// policy such as AWSLambdaBasicExecutionRole would be one).
func (s *synthesized) roleStatements(t *testing.T, role string) []string {
	t.Helper()
	r, ok := s.resources("AWS::IAM::Role")[role]
	if !ok {
		t.Fatalf("no role %s", role)
	}
	props := r["Properties"].(map[string]any)
	var stmts []map[string]any
	if pols, ok := props["Policies"].([]any); ok {
		for _, p := range pols {
			stmts = append(stmts, statementsOf(p.(map[string]any)["PolicyDocument"])...)
		}
	}
	if arns, ok := props["ManagedPolicyArns"]; ok {
		t.Errorf("role %s has managed policies %v; expected only policies defined in the stack", role, arns)
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, p := range s.resources(typ) {
			pp := p["Properties"].(map[string]any)
			roles, _ := pp["Roles"].([]any)
			if slices.ContainsFunc(roles, func(x any) bool { return cmp.Equal(x, ref(role)) }) {
				stmts = append(stmts, statementsOf(pp["PolicyDocument"])...)
			}
		}
	}
	return canonAll(t, stmts)
}

func (s *synthesized) checkRole(t *testing.T, role string, want ...map[string]any) {
	t.Helper()
	if diff := cmp.Diff(canonAll(t, want), s.roleStatements(t, role)); diff != "" {
		t.Errorf("statements granted to %s (-want +got):\n%s", role, diff)
	}
}

// checkTrust checks a role's trust policy: one service, with the confused-deputy condition
// cond when it is not nil.
func (s *synthesized) checkTrust(t *testing.T, role, service string, cond map[string]any) {
	t.Helper()
	st := map[string]any{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": service}}
	if cond != nil {
		st["Condition"] = cond
	}
	s.hasProps(t, "AWS::IAM::Role", map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{st}},
	})
	got := statementsOf(s.resources("AWS::IAM::Role")[role]["Properties"].(map[string]any)["AssumeRolePolicyDocument"])
	if diff := cmp.Diff([]string{canon(t, st)}, canonAll(t, got)); diff != "" {
		t.Errorf("trust policy of %s (-want +got):\n%s", role, diff)
	}
}

// checkNoWildcards walks every policy in the template. No Allow statement has Action "*"; no
// identity policy uses an action wildcard; and an identity policy allows Resource "*" only for
// the actions in starOK, which support no resource-level permissions.
func (s *synthesized) checkNoWildcards(t *testing.T, starOK map[string][]string) {
	t.Helper()
	type policy struct {
		owner    string
		identity bool
		doc      any
	}
	var pols []policy
	for id, r := range s.doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		switch res["Type"] {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			owner := id
			if roles, _ := props["Roles"].([]any); len(roles) == 1 {
				if m, ok := roles[0].(map[string]any); ok {
					owner = fmt.Sprint(m["Ref"])
				}
			}
			pols = append(pols, policy{owner, true, props["PolicyDocument"]})
		case "AWS::IAM::Role":
			pols = append(pols, policy{id, false, props["AssumeRolePolicyDocument"]})
			if inl, ok := props["Policies"].([]any); ok {
				for _, p := range inl {
					pols = append(pols, policy{id, true, p.(map[string]any)["PolicyDocument"]})
				}
			}
		case "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy":
			pols = append(pols, policy{id, false, props["PolicyDocument"]})
		case "AWS::KMS::Key":
			// In a key policy, Resource "*" means the key itself.
			pols = append(pols, policy{id, false, props["KeyPolicy"]})
		}
	}
	if len(pols) == 0 {
		t.Fatal("no policies found")
	}
	for _, p := range pols {
		for _, st := range statementsOf(p.doc) {
			if st["Effect"] != "Allow" {
				continue
			}
			actions := asStrings(st["Action"])
			for _, a := range actions {
				if a == "*" {
					t.Errorf("%s allows Action \"*\": %v", p.owner, st)
				}
				if p.identity && strings.Contains(a, "*") {
					t.Errorf("%s: identity policy uses an action wildcard %q", p.owner, a)
				}
			}
			if !p.identity {
				continue
			}
			if slices.Contains(asStrings(st["Resource"]), "*") {
				for _, a := range actions {
					if !slices.Contains(starOK[p.owner], a) {
						t.Errorf("%s allows %s on Resource \"*\"", p.owner, a)
					}
				}
			}
		}
	}
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// checkAsset checks the function's aws:asset:path metadata (what `sam local invoke` reads):
// relative to the cloud assembly, a folder holding the bootstrap binary and the config.
func (s *synthesized) checkAsset(t *testing.T, fn, configFile string) {
	t.Helper()
	md, _ := s.resources("AWS::Lambda::Function")[fn]["Metadata"].(map[string]any)
	p, _ := md["aws:asset:path"].(string)
	if p == "" || md["aws:asset:property"] != "Code" {
		t.Fatalf("%s metadata = %v, want aws:asset:path and aws:asset:property Code", fn, md)
	}
	dir := filepath.Join(s.outdir, p)
	if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("%s: no bootstrap in the asset folder %s: %v", fn, dir, err)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(configInAsset)))
	if err != nil {
		t.Fatalf("%s: config not shipped: %v", fn, err)
	}
	want, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s ships a config that differs from %s", fn, configFile)
	}
}

// hasProps, hasResource and countIs run the assertions library's checks, turning the
// AssertionError it raises (a panic through jsii) into a test error so later checks still run.
func (s *synthesized) hasProps(t *testing.T, typ string, props any) {
	t.Helper()
	defer reportAssertion(t)
	s.template.HasResourceProperties(jsii.String(typ), props)
}

func (s *synthesized) hasResource(t *testing.T, typ string, props any) {
	t.Helper()
	defer reportAssertion(t)
	s.template.HasResource(jsii.String(typ), props)
}

func (s *synthesized) countIs(t *testing.T, typ string, n int) {
	t.Helper()
	defer reportAssertion(t)
	s.template.ResourceCountIs(jsii.String(typ), jsii.Number(n))
}

func reportAssertion(t *testing.T) {
	t.Helper()
	if r := recover(); r != nil {
		t.Errorf("%v", r)
	}
}

// checkNag fails on any cdk-nag error or warning left unsuppressed.
func (s *synthesized) checkNag(t *testing.T) {
	t.Helper()
	a := assertions.Annotations_FromStack(s.stack.Stack)
	packs := assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*"))
	for _, m := range *a.FindError(jsii.String("*"), packs) {
		t.Errorf("cdk-nag error at %s: %v", *m.Id, m.Entry.Data)
	}
	for _, m := range *a.FindWarning(jsii.String("*"), packs) {
		t.Errorf("cdk-nag warning at %s: %v", *m.Id, m.Entry.Data)
	}
}

func (s *synthesized) resourceIDs(typ string) []string {
	var ids []string
	for id := range s.resources(typ) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *synthesized) checkCounts(t *testing.T, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, r := range s.doc["Resources"].(map[string]any) {
		got[r.(map[string]any)["Type"].(string)]++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resource counts by type (-want +got):\n%s", diff)
	}
}

func (s *synthesized) output(t *testing.T, name string) any {
	t.Helper()
	o, ok := s.doc["Outputs"].(map[string]any)[name]
	if !ok {
		t.Fatalf("no output %s", name)
	}
	return o.(map[string]any)["Value"]
}

const (
	fullConfig      = "testdata/full.yaml"
	emailOnlyConfig = "testdata/email-only.yaml"
)

// TestStack synthesizes the stack with most options on: encrypted topic, EventBridge rule,
// operators, a created maintenance window role, an alarm email, command details, and a config
// with Slack, email and a digest.
func TestStack(t *testing.T) {
	s := synth(t, map[string]any{
		ctxConfigPath:         "infra/cdk/" + fullConfig, // relative to the module root, as with the CLI
		ctxEventBridge:        "true",
		ctxOperatorPrincipals: "user/alice,group/ops,arn:aws:iam::123456789012:role/team/OnCall",
		ctxAlarmEmail:         "oncall@example.com",
		ctxCommandDetails:     "true",
		ctxOutputBuckets:      "ssm-output-a, ssm-output-b",
		ctxTrailLogGroup:      "aws-cloudtrail-logs-org-trail",
	})
	secretARN := tplLocalARN("secretsmanager", ":secret:ssmnotify/slack")
	secretPolicyARN := tplLocalARN("secretsmanager", ":secret:ssmnotify/slack-??????")
	ses := func(id string) any { return tplLocalARN("ses", ":identity/"+id) }

	t.Run("resources", func(t *testing.T) {
		s.checkCounts(t, map[string]int{
			"AWS::KMS::Key":                   1,
			"AWS::SNS::Topic":                 2, // notifications, alarms
			"AWS::SNS::TopicPolicy":           2,
			"AWS::SNS::Subscription":          2, // router, alarm email
			"AWS::IAM::Role":                  5,
			"AWS::IAM::Policy":                5,
			"AWS::IAM::ManagedPolicy":         3, // pass the notification role, pass the window role, silence manager
			"AWS::SQS::Queue":                 2, // dead letters, renders
			"AWS::SQS::QueuePolicy":           2,
			"AWS::DynamoDB::Table":            1,
			"AWS::Lambda::Function":           2,
			"AWS::Lambda::Permission":         2, // SNS and EventBridge invoke the router
			"AWS::Lambda::EventSourceMapping": 1, // the render queue
			"AWS::Lambda::EventInvokeConfig":  2,
			"AWS::Logs::LogGroup":             3, // router, digest, failed window tasks
			"AWS::Logs::ResourcePolicy":       1, // EventBridge writes the failed window tasks
			"AWS::Events::Rule":               2, // Run Command status, failed window tasks
			"AWS::Scheduler::Schedule":        1,
			"AWS::Logs::MetricFilter":         2, // on the CloudTrail trail's log group
			"AWS::CloudWatch::Alarm":          9,
		})
		if diff := cmp.Diff([]string{"DigestRole", "DigestSchedulerRole", "MaintenanceWindowRole", "NotificationRole", "RouterRole"}, s.resourceIDs("AWS::IAM::Role")); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	})

	t.Run("topic", func(t *testing.T) {
		s.hasProps(t, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
		topic := s.resources("AWS::SNS::Topic")[idTopic]["Properties"].(map[string]any)
		if diff := cmp.Diff(map[string]any{"DisplayName": "ssmnotify Run Command notifications", "KmsMasterKeyId": arnOf(idTopicKey), "Tags": stackTags("SSMNotify")}, topic); diff != "" {
			t.Errorf("topic: standard (no FifoTopic), encrypted with the key (-want +got):\n%s", diff)
		}
	})

	t.Run("topic policy", func(t *testing.T) {
		var got []map[string]any
		for _, p := range s.resources("AWS::SNS::TopicPolicy") {
			pp := p["Properties"].(map[string]any)
			if cmp.Equal(pp["Topics"], []any{ref(idTopic)}) {
				got = statementsOf(pp["PolicyDocument"])
			}
		}
		want := []map[string]any{
			{"Sid": "AllowPublishThroughSSLOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": ref(idTopic),
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
			{"Sid": "AllowNotificationRolePublish", "Effect": "Allow", "Principal": map[string]any{"AWS": arnOf(idNotificationRole)}, "Action": "sns:Publish", "Resource": ref(idTopic)},
			{"Sid": "DenyPublishByOthers", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": "sns:Publish", "Resource": ref(idTopic),
				"Condition": map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": arnOf(idNotificationRole)}}},
		}
		if diff := cmp.Diff(canonAll(t, want), canonAll(t, got)); diff != "" {
			t.Errorf("topic policy (-want +got):\n%s", diff)
		}
	})

	t.Run("notification role", func(t *testing.T) {
		s.checkTrust(t, idNotificationRole, "ssm.amazonaws.com", ssmTrust)
		s.checkRole(t, idNotificationRole,
			stmt("sns:Publish", ref(idTopic), nil),
			stmt([]any{"kms:Decrypt", "kms:GenerateDataKey"}, arnOf(idTopicKey),
				map[string]any{"StringEquals": map[string]any{"kms:ViaService": join("sns.", ref("AWS::Region"), ".amazonaws.com")}}),
		)
	})

	passRole := stmt("iam:PassRole", arnOf(idNotificationRole), map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ssm.amazonaws.com"}})

	t.Run("silence manager policy", s.checkSilencePolicy)

	t.Run("operator PassRole policy", func(t *testing.T) {
		p := s.resources("AWS::IAM::ManagedPolicy")[idPassRolePolicy]["Properties"].(map[string]any)
		if diff := cmp.Diff([]string{canon(t, passRole)}, canonAll(t, statementsOf(p["PolicyDocument"]))); diff != "" {
			t.Errorf("PassRole policy (-want +got):\n%s", diff)
		}
		want := map[string]any{"Users": []any{"alice"}, "Groups": []any{"ops"}, "Roles": []any{"OnCall", ref(idMaintenanceRole)}}
		got := map[string]any{"Users": p["Users"], "Groups": p["Groups"], "Roles": p["Roles"]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PassRole policy attachments (-want +got):\n%s", diff)
		}
	})

	t.Run("maintenance window role", func(t *testing.T) {
		s.checkTrust(t, idMaintenanceRole, "ssm.amazonaws.com", ssmTrust)
		region, account := ref("AWS::Region"), ref("AWS::AccountId")
		s.checkRole(t, idMaintenanceRole,
			passRole,
			stmt("ssm:SendCommand", []any{
				join("arn:", ref("AWS::Partition"), ":ssm:", region, "::document/*"),
				join("arn:", ref("AWS::Partition"), ":ssm:", region, ":", account, ":document/*"),
				join("arn:", ref("AWS::Partition"), ":ec2:", region, ":", account, ":instance/*"),
				join("arn:", ref("AWS::Partition"), ":ssm:", region, ":", account, ":managed-instance/*"),
			}, nil),
			// What AmazonSSMMaintenanceWindowRole gives Run Command tasks: parameters, resource
			// groups, tag targets, following and cancelling the commands.
			stmt("ssm:GetParameters", join("arn:", ref("AWS::Partition"), ":ssm:", region, ":", account, ":parameter/*"), nil),
			stmt("resource-groups:ListGroupResources", join("arn:", ref("AWS::Partition"), ":resource-groups:", region, ":", account, ":group/*"), nil),
			stmt([]any{"ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand", "resource-groups:ListGroups", "tag:GetResources"}, "*", nil),
			// Command output to the buckets named in context, and nowhere else.
			stmt("s3:GetBucketLocation", []any{partitionARN(":s3:::ssm-output-a"), partitionARN(":s3:::ssm-output-b")}, nil),
			stmt("s3:PutObject", []any{partitionARN(":s3:::ssm-output-a/*"), partitionARN(":s3:::ssm-output-b/*")}, nil),
		)
	})

	t.Run("operators may pass the maintenance window role", func(t *testing.T) {
		p := s.resources("AWS::IAM::ManagedPolicy")[idPassWindowRolePolicy]["Properties"].(map[string]any)
		want := stmt("iam:PassRole", arnOf(idMaintenanceRole), map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ssm.amazonaws.com"}})
		if diff := cmp.Diff([]string{canon(t, want)}, canonAll(t, statementsOf(p["PolicyDocument"]))); diff != "" {
			t.Errorf("PassMaintenanceWindowRolePolicy (-want +got):\n%s", diff)
		}
		// The operators only: the window role must not be able to pass itself.
		wantAttach := map[string]any{"Users": []any{"alice"}, "Groups": []any{"ops"}, "Roles": []any{"OnCall"}}
		got := map[string]any{"Users": p["Users"], "Groups": p["Groups"], "Roles": p["Roles"]}
		if diff := cmp.Diff(wantAttach, got); diff != "" {
			t.Errorf("PassMaintenanceWindowRolePolicy attachments (-want +got):\n%s", diff)
		}
		if got := s.output(t, "PassMaintenanceWindowRolePolicyArn"); !cmp.Equal(got, ref(idPassWindowRolePolicy)) {
			t.Errorf("PassMaintenanceWindowRolePolicyArn = %v", got)
		}
	})

	t.Run("state table", func(t *testing.T) {
		s.hasResource(t, "AWS::DynamoDB::Table", map[string]any{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties": map[string]any{
				"BillingMode": "PAY_PER_REQUEST",
				"KeySchema": []any{
					map[string]any{"AttributeName": state.PartitionKey, "KeyType": "HASH"},
					map[string]any{"AttributeName": state.SortKey, "KeyType": "RANGE"},
				},
				"TimeToLiveSpecification":          map[string]any{"AttributeName": state.TTLAttribute, "Enabled": true},
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"DeletionProtectionEnabled":        true,
				"GlobalSecondaryIndexes": []any{map[string]any{
					"IndexName": state.TimeIndex,
					"KeySchema": []any{
						map[string]any{"AttributeName": state.TimeIndexPartitionKey, "KeyType": "HASH"},
						map[string]any{"AttributeName": state.TimeIndexSortKey, "KeyType": "RANGE"},
					},
					"Projection": map[string]any{"ProjectionType": "ALL"},
				}},
			},
		})
	})

	t.Run("router function", func(t *testing.T) {
		s.hasProps(t, "AWS::Lambda::Function", map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"MemorySize": routerMemoryMB, "Timeout": routerTimeoutSeconds,
			"Role":          arnOf(idRouterRole),
			"LoggingConfig": map[string]any{"LogGroup": ref(idRouter + "Logs")},
			"Environment": map[string]any{"Variables": map[string]any{
				appenv.TableName:          ref(idTable),
				appenv.ConfigPath:         "/var/task/config/ssmnotify.yaml",
				appenv.DeadLetterQueueURL: ref(idDeadLetterQueue),
				appenv.RenderQueueURL:     ref(idRenderQueue),
				appenv.SlackSecretARN:     secretARN,
				appenv.LogLevel:           "info",
			}},
		})
		s.checkAsset(t, idRouter, fullConfig)
		s.hasProps(t, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 30})
	})

	t.Run("router permissions", func(t *testing.T) {
		s.checkTrust(t, idRouterRole, "lambda.amazonaws.com", nil)
		s.checkRole(t, idRouterRole,
			stmt([]any{"logs:CreateLogStream", "logs:PutLogEvents"}, arnOf(idRouter+"Logs"), nil),
			stmt([]any{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, arnOf(idTable), nil),
			stmt("sqs:SendMessage", []any{arnOf(idDeadLetterQueue), arnOf(idRenderQueue)}, nil),
			stmt("secretsmanager:GetSecretValue", secretPolicyARN, nil),
			// Every from identity of the routes' email destinations, as address and domain.
			stmt("ses:SendEmail", []any{ses("SSMNotify@Example.com"), ses("example.com"), ses("alerts@mail.example.org"), ses("mail.example.org")}, nil),
			// Enrichment (#16): the read-only calls that say why a command failed.
			stmt([]any{"ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:DescribeInstancePatchStates"}, "*", nil),
			// The SQS event source's own grant on the render queue.
			stmt([]any{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, arnOf(idRenderQueue), nil),
		)
	})

	t.Run("render queue for the evolving Slack messages", func(t *testing.T) {
		s.hasProps(t, "AWS::SQS::Queue", map[string]any{
			"VisibilityTimeout":    bufferVisibilitySeconds,
			"SqsManagedSseEnabled": true,
			"RedrivePolicy":        map[string]any{"deadLetterTargetArn": arnOf(idDeadLetterQueue), "maxReceiveCount": 5},
		})
		s.hasProps(t, "AWS::Lambda::EventSourceMapping", map[string]any{
			"EventSourceArn": arnOf(idRenderQueue), "FunctionName": ref(idRouter),
			"BatchSize": 10, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		})
	})

	t.Run("router async invocation", func(t *testing.T) {
		s.hasProps(t, "AWS::Lambda::EventInvokeConfig", map[string]any{
			"FunctionName": ref(idRouter), "Qualifier": "$LATEST",
			"MaximumRetryAttempts": asyncRetries, "MaximumEventAgeInSeconds": asyncMaxEventAgeSeconds,
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": arnOf(idDeadLetterQueue)}},
		})
		s.hasResource(t, "AWS::SQS::Queue", map[string]any{
			"Properties": map[string]any{"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 24 * 3600},
		})
		s.hasProps(t, "AWS::SQS::QueuePolicy", map[string]any{
			"Queues": []any{ref(idDeadLetterQueue)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Effect": "Deny", "Action": "sqs:*", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				"Resource":  arnOf(idDeadLetterQueue),
			}})},
		})
	})

	t.Run("router subscribed to the topic", func(t *testing.T) {
		s.hasProps(t, "AWS::SNS::Subscription", map[string]any{
			"Protocol": "lambda", "TopicArn": ref(idTopic), "Endpoint": arnOf(idRouter),
			"RedrivePolicy": map[string]any{"deadLetterTargetArn": arnOf(idDeadLetterQueue)},
		})
		s.hasProps(t, "AWS::Lambda::Permission", map[string]any{
			"Action": "lambda:InvokeFunction", "FunctionName": arnOf(idRouter), "Principal": "sns.amazonaws.com", "SourceArn": ref(idTopic),
		})
		s.countIs(t, "AWS::Lambda::EventSourceMapping", 1) // the render queue, not the topic
	})

	t.Run("EventBridge rule", func(t *testing.T) {
		s.hasProps(t, "AWS::Events::Rule", map[string]any{
			"EventPattern": map[string]any{"source": []any{"aws.ssm"}, "detail-type": []any{runCommandDetailType, invocationDetailType}},
			"Targets": []any{map[string]any{
				"Arn": arnOf(idRouter), "Id": assertions.Match_AnyValue(),
				"DeadLetterConfig": map[string]any{"Arn": arnOf(idDeadLetterQueue)},
				"RetryPolicy":      map[string]any{"MaximumRetryAttempts": asyncRetries, "MaximumEventAgeInSeconds": asyncMaxEventAgeSeconds},
			}},
		})
		s.hasProps(t, "AWS::Lambda::Permission", map[string]any{
			"Action": "lambda:InvokeFunction", "FunctionName": arnOf(idRouter), "Principal": "events.amazonaws.com", "SourceArn": arnOf(idStatusRule),
		})
	})

	t.Run("digest function", func(t *testing.T) {
		s.hasProps(t, "AWS::Lambda::Function", map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
			"MemorySize": digestMemoryMB, "Timeout": digestTimeoutSeconds,
			"Role": arnOf(idDigestRole),
			"Environment": map[string]any{"Variables": map[string]any{
				appenv.TableName:      ref(idTable),
				appenv.ConfigPath:     "/var/task/config/ssmnotify.yaml",
				appenv.SlackSecretARN: secretARN,
				appenv.LogLevel:       "info",
			}},
		})
		s.checkAsset(t, idDigest, fullConfig)
	})

	t.Run("digest permissions", func(t *testing.T) {
		s.checkTrust(t, idDigestRole, "lambda.amazonaws.com", nil)
		s.checkRole(t, idDigestRole,
			stmt([]any{"logs:CreateLogStream", "logs:PutLogEvents"}, arnOf(idDigest+"Logs"), nil),
			// Reads only the failure index, with Query.
			stmt("dynamodb:Query", join(arnOf(idTable), "/index/"+state.TimeIndex), nil),
			// Lists the silences, and nothing else of the table.
			digestSilenceRead(),
			// Writes only its own claims.
			stmt([]any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, arnOf(idTable),
				map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{state.ClaimPrefix + state.ScopeDigest + "#*"}}}),
			stmt("secretsmanager:GetSecretValue", secretPolicyARN, nil),
			// Only the digest's own email destination.
			stmt("ses:SendEmail", []any{ses("alerts@mail.example.org"), ses("mail.example.org")}, nil),
			// Its on-failure destination.
			stmt("sqs:SendMessage", arnOf(idDeadLetterQueue), nil),
		)
	})

	t.Run("digest schedule", func(t *testing.T) {
		s.hasProps(t, "AWS::Scheduler::Schedule", map[string]any{
			"ScheduleExpression":         "cron(0 8 * * ? *)",
			"ScheduleExpressionTimezone": "Europe/London",
			"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
			"State":                      "ENABLED",
			"Target": map[string]any{
				"Arn": arnOf(idDigest), "RoleArn": arnOf(idSchedulerRole),
				"Input":       map[string]any{"Fn::Sub": assertions.Match_StringLikeRegexp(jsii.String(regexp.QuoteMeta(`"time":"<aws.scheduler.scheduled-time>"`)))},
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": asyncRetries, "MaximumEventAgeInSeconds": asyncMaxEventAgeSeconds},
			},
		})
		var input map[string]any
		if err := json.Unmarshal([]byte(digestInput()), &input); err != nil {
			t.Fatalf("digest input is not JSON: %v", err)
		}
		if input["detail-type"] != "Scheduled Event" || input["time"] != "<aws.scheduler.scheduled-time>" {
			t.Errorf("digest input = %v", input)
		}
		s.checkTrust(t, idSchedulerRole, "scheduler.amazonaws.com", schedulerTrust)
		s.checkRole(t, idSchedulerRole,
			stmt("lambda:InvokeFunction", arnOf(idDigest), nil),
			// An invocation Scheduler could not make goes to the dead-letter queue.
			stmt("sqs:SendMessage", arnOf(idDeadLetterQueue), nil))
	})

	t.Run("alarms", func(t *testing.T) {
		for _, m := range []struct{ namespace, metric string }{
			{"AWS/SQS", "ApproximateNumberOfMessagesVisible"},
			{"AWS/Lambda", "Errors"},
			{"AWS/Lambda", "Throttles"},
			{"AWS/SNS", "NumberOfNotificationsFailed"},
		} {
			s.hasProps(t, "AWS::CloudWatch::Alarm", map[string]any{
				"Namespace": m.namespace, "MetricName": m.metric, "Threshold": 1,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": []any{ref(idAlarmTopic)},
			})
		}
		s.hasProps(t, "AWS::CloudWatch::Alarm", map[string]any{
			"MetricName": "Errors", "Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": ref(idDigest)}},
		})
		// The router's own count of store/IAM faults, which from the SQS buffer raise no Errors.
		s.hasProps(t, "AWS::CloudWatch::Alarm", map[string]any{
			"Namespace": "ssmnotify", "MetricName": "InfrastructureError", "Statistic": "Sum", "Threshold": 1,
			"Dimensions": []any{map[string]any{"Name": "Function", "Value": "router"}}, "AlarmActions": []any{ref(idAlarmTopic)},
		})
		s.hasProps(t, "AWS::SNS::Subscription", map[string]any{
			"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": ref(idAlarmTopic),
		})
		s.hasProps(t, "AWS::SNS::Topic", map[string]any{"DisplayName": "ssmnotify alarms", "KmsMasterKeyId": arnOf(idTopicKey)})
		// CloudWatch may publish to the encrypted alarm topic: through the topic policy and the key.
		cw := map[string]any{"Service": "cloudwatch.amazonaws.com"}
		own := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}}
		s.hasProps(t, "AWS::SNS::TopicPolicy", map[string]any{
			"Topics": []any{ref(idAlarmTopic)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Sid": "AllowCloudWatchAlarms", "Effect": "Allow", "Principal": cw, "Action": "sns:Publish", "Resource": ref(idAlarmTopic), "Condition": own,
			}})},
		})
		s.hasProps(t, "AWS::KMS::Key", map[string]any{
			"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Sid": "AllowCloudWatchAlarms", "Effect": "Allow", "Principal": cw, "Action": []any{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": "*", "Condition": own,
			}})},
		})
	})

	t.Run("outputs", func(t *testing.T) {
		for name, want := range map[string]any{
			"TopicArn":                 ref(idTopic),
			"NotificationRoleArn":      arnOf(idNotificationRole),
			"PassRolePolicyArn":        ref(idPassRolePolicy),
			"MaintenanceWindowRoleArn": arnOf(idMaintenanceRole),
			"DeadLetterQueueUrl":       ref(idDeadLetterQueue),
		} {
			if diff := cmp.Diff(want, s.output(t, name)); diff != "" {
				t.Errorf("output %s (-want +got):\n%s", name, diff)
			}
		}
		want := join("aws ssm send-command --region ", ref("AWS::Region"), " --document-name AWS-RunShellScript --targets Key=tag:Name,Values=REPLACE_ME --parameters commands=uptime --service-role-arn ",
			arnOf(idNotificationRole), " --notification-config NotificationArn=", ref(idTopic), ",NotificationEvents=All,NotificationType=Invocation")
		if diff := cmp.Diff(want, s.output(t, "SendCommandExample")); diff != "" {
			t.Errorf("SendCommandExample (-want +got):\n%s", diff)
		}
	})

	t.Run("no wildcards", func(t *testing.T) {
		s.checkNoWildcards(t, map[string][]string{
			idMaintenanceRole: {"ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand", "resource-groups:ListGroups", "tag:GetResources"}, // no resource-level permissions
			idRouterRole:      {"ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:DescribeInstancePatchStates"},                                     // no resource-level permissions
		})
	})

	t.Run("tags on every resource", s.checkTags)
	t.Run("no region or account baked in", func(t *testing.T) { s.checkNoBakedEnvironment(t) })
	t.Run("concurrency bounds", func(t *testing.T) {
		s.checkConcurrency(t, DefaultRouterConcurrency, map[string]int{idRenderQueue: DefaultRouterConcurrency / 4})
	})
	t.Run("digest failures kept", func(t *testing.T) { s.checkDigestFailures(t, true) })
	t.Run("failed maintenance window task alarm", func(t *testing.T) { s.checkWindowTaskFailedAlarm(t, []any{ref(idAlarmTopic)}) })
	t.Run("CloudTrail alarms", func(t *testing.T) { s.checkTrailAlarms(t, "aws-cloudtrail-logs-org-trail") })
	t.Run("cdk-nag", s.checkNag)
	t.Run("cfn-lint", s.checkCfnLint)
}

// TestStackVariant synthesizes the other side of each option: SQS buffer, unencrypted topic,
// an existing maintenance window role and alarm topic, no EventBridge rule, and an email-only
// config without a digest.
func TestStackVariant(t *testing.T) {
	const mwRole = "arn:aws:iam::123456789012:role/service-role/MW"
	const alarmTopic = "arn:aws:sns:eu-west-1:123456789012:alarms"
	s := synth(t, map[string]any{
		ctxStackName:          "Variant",
		ctxConfigPath:         filepath.Join(mustGetwd(t), emailOnlyConfig), // an absolute path works too
		ctxUseSQSBuffer:       true,
		ctxEncryptTopic:       "false",
		ctxMaintenanceRoleARN: mwRole,
		ctxAlarmTopicARN:      alarmTopic,
		ctxLogRetentionDays:   "90",
		ctxLogLevel:           "debug",
		ctxRouterConcurrency:  "none",
	})

	t.Run("resources", func(t *testing.T) {
		s.checkCounts(t, map[string]int{
			"AWS::SNS::Topic":                 1,
			"AWS::SNS::TopicPolicy":           1,
			"AWS::SNS::Subscription":          1, // buffer queue
			"AWS::IAM::Role":                  3,
			"AWS::IAM::Policy":                3,
			"AWS::IAM::ManagedPolicy":         3, // and the silence manager
			"AWS::SQS::Queue":                 3,
			"AWS::SQS::QueuePolicy":           3,
			"AWS::DynamoDB::Table":            1,
			"AWS::Lambda::Function":           2,
			"AWS::Lambda::EventSourceMapping": 1,
			"AWS::Lambda::EventInvokeConfig":  2,
			"AWS::Logs::LogGroup":             3,
			"AWS::Logs::ResourcePolicy":       1,
			"AWS::Events::Rule":               1, // failed window tasks
			"AWS::CloudWatch::Alarm":          8, // and the buffer's DLQ
		})
	})

	t.Run("topic with the AWS managed key", func(t *testing.T) {
		// encryptTopic=false is the AWS managed key, never no encryption; its key policy lets the
		// account's principals use it through SNS, so the role needs no KMS grant.
		s.hasProps(t, "AWS::SNS::Topic", map[string]any{"KmsMasterKeyId": awsManagedSNSKey})
		s.countIs(t, "AWS::KMS::Key", 0)
		s.checkRole(t, idNotificationRole, stmt("sns:Publish", ref(idTopic), nil))
	})

	t.Run("existing maintenance window role", func(t *testing.T) {
		s.hasProps(t, "AWS::IAM::ManagedPolicy", map[string]any{
			"Roles": []any{"MW"}, "Users": assertions.Match_Absent(), "Groups": assertions.Match_Absent(),
		})
		if got := s.output(t, "MaintenanceWindowRoleArn"); got != mwRole {
			t.Errorf("MaintenanceWindowRoleArn = %v, want %s", got, mwRole)
		}
	})

	t.Run("SQS buffer", func(t *testing.T) {
		s.hasProps(t, "AWS::SQS::Queue", map[string]any{
			"VisibilityTimeout":    bufferVisibilitySeconds,
			"SqsManagedSseEnabled": true,
			"RedrivePolicy":        map[string]any{"deadLetterTargetArn": arnOf(idBufferDLQ), "maxReceiveCount": 5},
		})
		s.hasProps(t, "AWS::SNS::Subscription", map[string]any{
			"Protocol": "sqs", "TopicArn": ref(idTopic), "Endpoint": arnOf(idBufferQueue), "RawMessageDelivery": false,
		})
		s.hasProps(t, "AWS::Lambda::EventSourceMapping", map[string]any{
			"EventSourceArn": arnOf(idBufferQueue), "FunctionName": ref(idRouter),
			"BatchSize": 10, "MaximumBatchingWindowInSeconds": 5, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		})
		s.hasProps(t, "AWS::SQS::QueuePolicy", map[string]any{
			"Queues": []any{ref(idBufferQueue)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": map[string]any{"Service": "sns.amazonaws.com"},
				"Resource": arnOf(idBufferQueue), "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ref(idTopic)}},
			}})},
		})
		if out := s.output(t, "BufferDeadLetterQueueUrl"); !cmp.Equal(out, ref(idBufferDLQ)) {
			t.Errorf("BufferDeadLetterQueueUrl = %v", out)
		}
	})

	t.Run("router permissions", func(t *testing.T) {
		s.checkRole(t, idRouterRole,
			stmt([]any{"logs:CreateLogStream", "logs:PutLogEvents"}, arnOf(idRouter+"Logs"), nil),
			stmt([]any{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, arnOf(idTable), nil),
			stmt("sqs:SendMessage", arnOf(idDeadLetterQueue), nil),
			stmt("ses:SendEmail", []any{
				tplLocalARN("ses", ":identity/ssmnotify@example.com"),
				tplLocalARN("ses", ":identity/example.com"),
			}, nil),
			// The SQS event source's own grant on the buffer queue.
			stmt([]any{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, arnOf(idBufferQueue), nil),
			// The config enriches failures (output tail, Name tags): read-only, no resource-level
			// permissions exist.
			stmt([]any{"ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:DescribeInstancePatchStates", "ec2:DescribeTags"}, "*", nil),
		)
		// No Slack destination: no secret variable, no secret grant.
		s.hasProps(t, "AWS::Lambda::Function", map[string]any{
			"Environment": map[string]any{"Variables": map[string]any{
				appenv.TableName:          ref(idTable),
				appenv.ConfigPath:         "/var/task/config/ssmnotify.yaml",
				appenv.DeadLetterQueueURL: ref(idDeadLetterQueue),
				appenv.LogLevel:           "debug",
			}},
		})
		s.hasProps(t, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 90})
		s.checkAsset(t, idRouter, emailOnlyConfig)
	})

	t.Run("digest without a digest block", func(t *testing.T) {
		s.countIs(t, "AWS::Scheduler::Schedule", 0)
		s.checkRole(t, idDigestRole,
			stmt([]any{"logs:CreateLogStream", "logs:PutLogEvents"}, arnOf(idDigest+"Logs"), nil),
			stmt("dynamodb:Query", join(arnOf(idTable), "/index/"+state.TimeIndex), nil),
			digestSilenceRead(),
			stmt([]any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, arnOf(idTable),
				map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{state.ClaimPrefix + state.ScopeDigest + "#*"}}}),
			stmt("sqs:SendMessage", arnOf(idDeadLetterQueue), nil),
		)
	})

	t.Run("alarms to the existing topic", func(t *testing.T) {
		for id, a := range s.resources("AWS::CloudWatch::Alarm") {
			if got := a["Properties"].(map[string]any)["AlarmActions"]; !cmp.Equal(got, []any{alarmTopic}) {
				t.Errorf("%s AlarmActions = %v, want [%s]", id, got, alarmTopic)
			}
		}
	})

	t.Run("no wildcards", func(t *testing.T) {
		s.checkNoWildcards(t, map[string][]string{
			// The config enriches failures with Name tags: neither action has resource-level
			// permissions.
			idRouterRole: {"ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:DescribeInstancePatchStates", "ec2:DescribeTags"},
		})
	})
	t.Run("operators may pass the existing window role", func(t *testing.T) {
		p := s.resources("AWS::IAM::ManagedPolicy")[idPassWindowRolePolicy]["Properties"].(map[string]any)
		want := stmt("iam:PassRole", mwRole, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ssm.amazonaws.com"}})
		if diff := cmp.Diff([]string{canon(t, want)}, canonAll(t, statementsOf(p["PolicyDocument"]))); diff != "" {
			t.Errorf("PassMaintenanceWindowRolePolicy (-want +got):\n%s", diff)
		}
	})
	t.Run("tags on every resource", s.checkTags)
	t.Run("no region or account baked in", func(t *testing.T) { s.checkNoBakedEnvironment(t, mwRole, alarmTopic) })
	t.Run("concurrency bounds", func(t *testing.T) {
		// No reservation: the buffer is still capped.
		s.checkConcurrency(t, 0, map[string]int{idBufferQueue: DefaultRouterConcurrency / 2})
	})
	t.Run("digest failures kept", func(t *testing.T) { s.checkDigestFailures(t, false) })
	t.Run("failed maintenance window task alarm", func(t *testing.T) { s.checkWindowTaskFailedAlarm(t, []any{alarmTopic}) })
	t.Run("no CloudTrail filters without a trail", func(t *testing.T) { s.countIs(t, "AWS::Logs::MetricFilter", 0) })
	t.Run("cdk-nag", s.checkNag)
	t.Run("cfn-lint", s.checkCfnLint)
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
