package main

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/problem"
)

// Context keys the app reads (`npx cdk deploy -c key=value`). The README's Deploy section explains each one.
const (
	ctxSlackSecret        = "slackSecret"
	ctxEncryptTopic       = "encryptTopic"
	ctxUseSQSBuffer       = "useSqsBuffer"
	ctxEventBridge        = "eventBridge"
	ctxOperatorPrincipals = "operatorPrincipals"
	ctxMaintenanceRoleARN = "maintenanceWindowRoleArn"
	ctxAlarmEmail         = "alarmEmail"
	ctxAlarmTopicARN      = "alarmTopicArn"
	ctxConfigPath         = "configPath"
	ctxLogLevel           = "logLevel"
	ctxLogRetentionDays   = "logRetentionDays"
	ctxCommandDetails     = "commandDetails"
	ctxStackName          = "stackName"
)

// contextKeys lists every key the app understands, so that a misspelt key is an error rather
// than a setting silently ignored.
var contextKeys = []string{
	ctxSlackSecret, ctxEncryptTopic, ctxUseSQSBuffer, ctxEventBridge, ctxOperatorPrincipals,
	ctxMaintenanceRoleARN, ctxAlarmEmail, ctxAlarmTopicARN, ctxConfigPath, ctxLogLevel,
	ctxLogRetentionDays, ctxCommandDetails, ctxStackName,
}

// DefaultConfigPath is the routing config shipped with the functions, relative to the module root.
const DefaultConfigPath = "config/ssmnotify.yaml"

// DefaultSlackSecret is the Secrets Manager secret name used when the slackSecret context key is
// not set, so that a plain `cdk synth` works and a deploy needs no flag when the secret has this
// name.
const DefaultSlackSecret = "ssmnotify/slack"

// DefaultStackName is the CloudFormation stack name when the stackName context key is not set.
const DefaultStackName = "SSMNotify"

// PrincipalKind is the kind of IAM identity an operator is.
type PrincipalKind string

// IAM identity kinds a managed policy can be attached to.
const (
	PrincipalUser  PrincipalKind = "user"
	PrincipalGroup PrincipalKind = "group"
	PrincipalRole  PrincipalKind = "role"
)

// Principal is an IAM user, group or role in the deploying account that receives the
// iam:PassRole policy. ARN is empty when the principal was given by name.
type Principal struct {
	Kind PrincipalKind
	Name string
	ARN  string
}

// Settings are the stack's inputs, parsed and validated from the CDK context.
type Settings struct {
	StackName string
	// SlackSecret is the Secrets Manager secret (complete ARN, partial ARN or name) holding the
	// Slack bot token and webhook URLs (default DefaultSlackSecret). It is referenced only when
	// the routing config has a Slack destination.
	SlackSecret string
	// EncryptTopic encrypts the notification topic (and a created alarm topic) with a customer
	// managed KMS key.
	EncryptTopic bool
	// UseSQSBuffer puts an SQS queue between the topic and the router.
	UseSQSBuffer bool
	// EventBridge adds a rule sending every Run Command status-change event to the router.
	EventBridge bool
	// OperatorPrincipals receive the iam:PassRole policy for the notification role.
	OperatorPrincipals []Principal
	// MaintenanceWindowRoleARN is an existing maintenance window service role; empty means the
	// stack creates one.
	MaintenanceWindowRoleARN string
	// AlarmEmail subscribes an address to a created alarm topic; AlarmTopicARN uses an existing
	// topic instead. At most one is set; with neither the alarms have no action.
	AlarmEmail    string
	AlarmTopicARN string
	// ConfigPath is the routing config, relative to the module root unless absolute.
	ConfigPath string
	// LogLevel is the functions' log level (debug, info, warn, error).
	LogLevel string
	// LogRetentionDays is how long CloudWatch keeps the functions' logs.
	LogRetentionDays int
	// CommandDetails grants the router ssm:GetCommandInvocation so alerts can carry the detailed
	// status, exit code and output tail.
	CommandDetails bool

	// Deployment limits and monitoring (settings_deploy.go).
	//
	// RouterReservedConcurrency is the router's reserved concurrency; 0 reserves none.
	RouterReservedConcurrency int
	// TrailLogGroup is the CloudWatch Logs group a CloudTrail trail delivers to; when set, the
	// stack creates metric filters and alarms for a notification role SSM could not assume and
	// for failed publishes to the topic.
	TrailLogGroup string
	// OutputBuckets are S3 buckets a created maintenance window role may write command output to.
	OutputBuckets []string
}

var (
	// IAM names: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
	iamNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// arn:PARTITION:iam::ACCOUNT:(user|group|role)/[PATH/]NAME
	iamARNRE        = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(user|group|role)/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,128})$`)
	roleARNRE       = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	snsTopicARNRE   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$`)
	secretARNRE     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$`)
	secretNameRE    = regexp.MustCompile(`^[\w/+=.@-]{1,512}$`)
	stackNameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	completeSuffixR = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
)

// logRetentionDays are the values CloudWatch Logs accepts for a log group's retention.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ParseSettings reads the stack inputs through get, which returns a context value (a string
// from `-c key=value`, or a JSON value from cdk.json) or nil when the key is unset. keys lists
// the context keys that are set, so that unknown ones can be reported; it may be nil. Every
// problem is reported, one per line.
func ParseSettings(get func(key string) any, keys []string) (Settings, error) {
	p := settingsParser{get: get}
	for _, k := range keys {
		if slices.Contains(contextKeys, k) {
			continue
		}
		if near := nearKey(k); near != "" {
			p.fail(k, "unknown context key: did you mean %s? (known keys: %s)", near, strings.Join(contextKeys, ", "))
		}
	}
	s := Settings{
		StackName:                p.str(ctxStackName, DefaultStackName),
		SlackSecret:              p.str(ctxSlackSecret, DefaultSlackSecret),
		EncryptTopic:             p.boolean(ctxEncryptTopic, true),
		UseSQSBuffer:             p.boolean(ctxUseSQSBuffer, false),
		EventBridge:              p.boolean(ctxEventBridge, false),
		MaintenanceWindowRoleARN: p.str(ctxMaintenanceRoleARN, ""),
		AlarmEmail:               p.str(ctxAlarmEmail, ""),
		AlarmTopicARN:            p.str(ctxAlarmTopicARN, ""),
		ConfigPath:               p.str(ctxConfigPath, DefaultConfigPath),
		LogLevel:                 strings.ToLower(p.str(ctxLogLevel, "info")),
		LogRetentionDays:         p.integer(ctxLogRetentionDays, 30),
		CommandDetails:           p.boolean(ctxCommandDetails, false),
	}
	p.parseDeploySettings(&s)
	if !stackNameRE.MatchString(s.StackName) {
		p.fail(ctxStackName, "%q is not a CloudFormation stack name (a letter, then letters, digits and hyphens, at most 128)", s.StackName)
	}
	if s.SlackSecret != "" && !secretARNRE.MatchString(s.SlackSecret) && !secretNameRE.MatchString(s.SlackSecret) {
		p.fail(ctxSlackSecret, "%q is neither a Secrets Manager secret ARN nor a secret name", s.SlackSecret)
	}
	for _, item := range splitList(p.str(ctxOperatorPrincipals, "")) {
		pr, err := parsePrincipal(item)
		if err != nil {
			p.fail(ctxOperatorPrincipals, "%v", err)
			continue
		}
		s.OperatorPrincipals = append(s.OperatorPrincipals, pr)
	}
	if s.MaintenanceWindowRoleARN != "" && !roleARNRE.MatchString(s.MaintenanceWindowRoleARN) {
		p.fail(ctxMaintenanceRoleARN, "%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s.MaintenanceWindowRoleARN)
	}
	if s.AlarmEmail != "" {
		if a, err := mail.ParseAddress(s.AlarmEmail); err != nil || a.Name != "" || a.Address != s.AlarmEmail {
			p.fail(ctxAlarmEmail, "%q is not a plain email address", s.AlarmEmail)
		}
	}
	if s.AlarmTopicARN != "" && !snsTopicARNRE.MatchString(s.AlarmTopicARN) {
		p.fail(ctxAlarmTopicARN, "%q is not an SNS topic ARN", s.AlarmTopicARN)
	}
	if s.AlarmEmail != "" && s.AlarmTopicARN != "" {
		p.fail(ctxAlarmEmail, "set %s or %s, not both", ctxAlarmEmail, ctxAlarmTopicARN)
	}
	if s.ConfigPath == "" {
		p.fail(ctxConfigPath, "must not be empty")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel) {
		p.fail(ctxLogLevel, "%q: want debug, info, warn or error", s.LogLevel)
	}
	if !slices.Contains(logRetentionDays, s.LogRetentionDays) {
		p.fail(ctxLogRetentionDays, "%d is not a retention CloudWatch Logs accepts (%s)", s.LogRetentionDays, joinInts(logRetentionDays))
	}
	return s, p.err()
}

// CheckAccount reports operator principals and roles given by ARN that belong to an account
// other than account: a managed policy can only be attached in its own account.
func (s Settings) CheckAccount(account string) error {
	var p settingsParser
	for _, pr := range s.OperatorPrincipals {
		if pr.ARN != "" {
			if m := iamARNRE.FindStringSubmatch(pr.ARN); m != nil && m[2] != account {
				p.fail(ctxOperatorPrincipals, "%s is in account %s, not the deploying account %s", pr.ARN, m[2], account)
			}
		}
	}
	if m := roleARNRE.FindStringSubmatch(s.MaintenanceWindowRoleARN); m != nil && m[2] != account {
		p.fail(ctxMaintenanceRoleARN, "%s is in account %s, not the deploying account %s", s.MaintenanceWindowRoleARN, m[2], account)
	}
	return p.err()
}

// SlackSecretIsCompleteARN reports whether SlackSecret is an ARN with Secrets Manager's
// six-character suffix, rather than a partial ARN or a name.
func (s Settings) SlackSecretIsCompleteARN() bool {
	return secretARNRE.MatchString(s.SlackSecret) && completeSuffixR.MatchString(s.SlackSecret)
}

// SlackSecretIsARN reports whether SlackSecret is an ARN (complete or partial).
func (s Settings) SlackSecretIsARN() bool { return secretARNRE.MatchString(s.SlackSecret) }

// parsePrincipal accepts an IAM user, group or role ARN, or "user/NAME", "group/NAME",
// "role/NAME". A bare name is refused: IAM users, groups and roles may share a name.
func parsePrincipal(item string) (Principal, error) {
	if strings.HasPrefix(item, "arn:") {
		m := iamARNRE.FindStringSubmatch(item)
		if m == nil {
			return Principal{}, fmt.Errorf("%q is not an IAM user, group or role ARN", item)
		}
		return Principal{Kind: PrincipalKind(m[3]), Name: m[4], ARN: item}, nil
	}
	kind, name, ok := strings.Cut(item, "/")
	switch PrincipalKind(kind) {
	case PrincipalUser, PrincipalGroup, PrincipalRole:
	default:
		ok = false
	}
	if !ok {
		return Principal{}, fmt.Errorf("%q: write user/%s, group/%s or role/%s, or give the ARN (a user, a group and a role may share a name)", item, item, item, item)
	}
	if !iamNameRE.MatchString(name) || (PrincipalKind(kind) != PrincipalGroup && len(name) > 64) {
		return Principal{}, fmt.Errorf("%q: %q is not a valid IAM %s name", item, name, kind)
	}
	return Principal{Kind: PrincipalKind(kind), Name: name}, nil
}

// nearKey returns the known key that k looks like a misspelling of (the routing config's
// suggester: within two edits, ignoring case), or "". Other unknown keys are left alone: the CDK
// and its CLI keep their own keys in the same context.
func nearKey(k string) string { return problem.Nearest(k, contextKeys) }

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// settingsParser collects every problem instead of stopping at the first, so one synth names
// them all, in the routing config's form ("context KEY: message", one per line).
type settingsParser struct {
	get      func(string) any
	problems problem.List
}

func (p *settingsParser) fail(key, format string, args ...any) {
	p.problems.Add(problem.Problem{File: "context " + key, Message: fmt.Sprintf(format, args...)})
}

// err is nil when every setting is valid, or a *problem.Error listing every problem.
func (p *settingsParser) err() error { return p.problems.Err() }

func (p *settingsParser) str(key, def string) string {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case string:
		return strings.TrimSpace(v)
	default:
		p.fail(key, "want a string, got %v", v)
		return def
	}
}

func (p *settingsParser) boolean(key string, def bool) bool {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "1", "on":
			return true
		case "false", "no", "0", "off":
			return false
		}
		p.fail(key, "%q: want true or false", v)
	default:
		p.fail(key, "%v: want true or false", v)
	}
	return def
}

func (p *settingsParser) integer(key string, def int) int {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	case int:
		return v
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
	}
	p.fail(key, "%v: want a whole number", p.get(key))
	return def
}
