package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parse(ctx map[string]any) (Settings, error) {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	return ParseSettings(func(k string) any { return ctx[k] }, keys)
}

func TestParseSettingsDefaults(t *testing.T) {
	// Keys of the CDK and its CLI share the context and are not the app's business.
	got, err := parse(map[string]any{"aws:cdk:enable-asset-metadata": true, "@aws-cdk/core:newStyleStackSynthesis": true, "cli-telemetry": false})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		StackName:        DefaultStackName,
		SlackSecret:      DefaultSlackSecret,
		EncryptTopic:     true,
		ConfigPath:       DefaultConfigPath,
		LogLevel:         "info",
		LogRetentionDays: 30,

		RouterReservedConcurrency: DefaultRouterConcurrency,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestParseSettingsValues(t *testing.T) {
	got, err := parse(map[string]any{
		ctxStackName:          "ssmnotify-prod",
		ctxSlackSecret:        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssmnotify/slack-AbC123",
		ctxEncryptTopic:       "false",
		ctxUseSQSBuffer:       true,
		ctxEventBridge:        "yes",
		ctxOperatorPrincipals: " user/alice, group/ops ,arn:aws:iam::123456789012:role/team/OnCall,arn:aws:iam::123456789012:user/bob",
		ctxMaintenanceRoleARN: "arn:aws:iam::123456789012:role/service-role/MW",
		ctxAlarmEmail:         "oncall@example.com",
		ctxConfigPath:         "/etc/ssmnotify.yaml",
		ctxLogLevel:           "DEBUG",
		ctxLogRetentionDays:   float64(90), // cdk.json numbers arrive as float64
		ctxCommandDetails:     "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		StackName:    "ssmnotify-prod",
		SlackSecret:  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssmnotify/slack-AbC123",
		UseSQSBuffer: true,
		EventBridge:  true,
		OperatorPrincipals: []Principal{
			{Kind: PrincipalUser, Name: "alice"},
			{Kind: PrincipalGroup, Name: "ops"},
			{Kind: PrincipalRole, Name: "OnCall", ARN: "arn:aws:iam::123456789012:role/team/OnCall"},
			{Kind: PrincipalUser, Name: "bob", ARN: "arn:aws:iam::123456789012:user/bob"},
		},
		MaintenanceWindowRoleARN: "arn:aws:iam::123456789012:role/service-role/MW",
		AlarmEmail:               "oncall@example.com",
		ConfigPath:               "/etc/ssmnotify.yaml",
		LogLevel:                 "debug",
		LogRetentionDays:         90,
		CommandDetails:           true,

		RouterReservedConcurrency: DefaultRouterConcurrency,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if !got.SlackSecretIsCompleteARN() {
		t.Error("SlackSecretIsCompleteARN() = false for an ARN with the random suffix")
	}
	if err := got.CheckAccount("123456789012"); err != nil {
		t.Errorf("CheckAccount(own account) = %v", err)
	}
	if err := got.CheckAccount("210987654321"); err == nil || !strings.Contains(err.Error(), "role/team/OnCall is in account 123456789012") {
		t.Errorf("CheckAccount(other account) = %v, want the foreign ARNs named", err)
	}
}

func TestParseSettingsErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string // each must appear in the error
	}{
		{"bool", map[string]any{ctxEncryptTopic: "maybe"}, []string{`context encryptTopic: "maybe": want true or false`}},
		{"bare principal name", map[string]any{ctxOperatorPrincipals: "alice"}, []string{`"alice": write user/alice, group/alice or role/alice`}},
		{"bad principal ARN", map[string]any{ctxOperatorPrincipals: "arn:aws:iam::123:user/x"}, []string{`is not an IAM user, group or role ARN`}},
		{"bad principal kind", map[string]any{ctxOperatorPrincipals: "policy/x"}, []string{`"policy/x": write user/policy/x`}},
		{"maintenance role not a role", map[string]any{ctxMaintenanceRoleARN: "arn:aws:iam::123456789012:user/x"}, []string{"context maintenanceWindowRoleArn:", "is not an IAM role ARN"}},
		{"both alarm targets", map[string]any{ctxAlarmEmail: "a@example.com", ctxAlarmTopicARN: "arn:aws:sns:eu-west-1:123456789012:alarms"}, []string{"set alarmEmail or alarmTopicArn, not both"}},
		{"alarm email with a name", map[string]any{ctxAlarmEmail: "Ops <ops@example.com>"}, []string{"is not a plain email address"}},
		{"alarm topic", map[string]any{ctxAlarmTopicARN: "alarms"}, []string{`"alarms" is not an SNS topic ARN`}},
		{"secret", map[string]any{ctxSlackSecret: "my secret"}, []string{"neither a Secrets Manager secret ARN nor a secret name"}},
		{"log level", map[string]any{ctxLogLevel: "trace"}, []string{`"trace": want debug, info, warn or error`}},
		{"retention", map[string]any{ctxLogRetentionDays: "31"}, []string{"31 is not a retention CloudWatch Logs accepts"}},
		{"retention not a number", map[string]any{ctxLogRetentionDays: "a month"}, []string{"a month: want a whole number"}},
		{"stack name", map[string]any{ctxStackName: "1stack"}, []string{"is not a CloudFormation stack name"}},
		{"misspelt key", map[string]any{"encryptTopics": "false"}, []string{"context encryptTopics: unknown context key: did you mean encryptTopic?"}},
		{"wrong case", map[string]any{"slacksecret": "x"}, []string{"did you mean slackSecret?"}},
		{"every problem at once", map[string]any{ctxEncryptTopic: "x", ctxLogLevel: "loud"}, []string{"encryptTopic", "logLevel"}},
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
