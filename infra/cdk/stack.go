package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/enrich"
	"github.com/ssmnotify/ssmnotify/internal/metrics"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Sizing of the functions. Both are Go binaries that wait on the network (DynamoDB, Slack, SES)
// far more than they compute, and use well under 64 MiB. Lambda allocates CPU in proportion to
// memory; 256 MB halves TLS handshake and cold-start time compared with 128 MB for a few
// hundredths of a cent per thousand invocations.
const (
	routerMemoryMB = 256
	// routerTimeout covers a batch of 10 buffered records, each with a DynamoDB claim and a Slack
	// or SES call that a client timeout bounds to a few seconds, plus the 1 s enrichment budget.
	routerTimeoutSeconds = 30
	digestMemoryMB       = 256
	// digestTimeout covers paging through a day of failures (100,000 items is ~100 pages of
	// Query) and sending to every digest destination.
	digestTimeoutSeconds = 300
	// bufferVisibilitySeconds follows Lambda's advice for SQS event sources: at least six times
	// the function timeout, so a message is not handed out twice while a retry is under way.
	// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
	bufferVisibilitySeconds = 6 * routerTimeoutSeconds
	// asyncRetries and asyncMaxEventAgeSeconds bound Lambda's own retries of SNS, EventBridge
	// and Scheduler deliveries; past them the event goes to the dead-letter queue, where
	// `ssmnotify redrive` can replay it.
	asyncRetries            = 2
	asyncMaxEventAgeSeconds = 3600
)

// Logical IDs fixed so that `sam local invoke RouterFunction`, the outputs and the tests name
// resources without the hash suffix CDK would add.
const (
	idTopic            = "NotificationTopic"
	idTopicKey         = "TopicKey"
	idNotificationRole = "NotificationRole"
	idPassRolePolicy   = "PassNotificationRolePolicy"
	// idPassWindowRolePolicy lets operators register maintenance window tasks with the role.
	idPassWindowRolePolicy = "PassMaintenanceWindowRolePolicy"
	idMaintenanceRole      = "MaintenanceWindowRole"
	idDeadLetterQueue      = "DeadLetterQueue"
	idBufferQueue          = "BufferQueue"
	idRenderQueue          = "RenderQueue"
	// idBufferDLQ must not end in "DeadLetterQueue": cdk-nag's SQS3 rule matches logical IDs by
	// suffix, and would take the buffer's redrive policy for a use of DeadLetterQueue.
	idBufferDLQ          = "BufferDLQ"
	idTable              = "StateTable"
	idRouter             = "RouterFunction"
	idRouterRole         = "RouterRole"
	idDigest             = "DigestFunction"
	idDigestRole         = "DigestRole"
	idDigestSchedule     = "DigestSchedule"
	idSchedulerRole      = "DigestSchedulerRole"
	idStatusRule         = "RunCommandStatusRule"
	idAlarmTopic         = "AlarmTopic"
	ssmService           = "ssm.amazonaws.com"
	runCommandDetailType = "EC2 Command Status-change Notification"
	invocationDetailType = "EC2 Command Invocation Status-change Notification"
)

// StackProps are the stack's inputs: the parsed context, the validated config and the asset
// folder of each function (see PrepareAssets).
type StackProps struct {
	awscdk.StackProps
	Settings Settings
	Config   AppConfig
	// Assets maps each of FunctionNames to a folder holding its bootstrap binary and config.
	Assets map[string]string
}

// Stack is the ssmnotify stack: the five setup tasks of the Run Command SNS documentation
// (topic, publish policy, notification role, iam:PassRole for operators and for maintenance
// windows), and the router and digest functions with their state table, queues and alarms.
type Stack struct {
	// Stack is the CDK stack. It is a named field, not embedded: jsii refuses a Go struct that
	// embeds a construct as a construct scope.
	Stack awscdk.Stack

	Topic            awssns.Topic
	TopicKey         awskms.Key // nil when the topic is not encrypted
	NotificationRole awsiam.Role
	PassRolePolicy   awsiam.ManagedPolicy
	// PassMaintenanceWindowRolePolicy lets the operators pass the maintenance window role.
	PassMaintenanceWindowRolePolicy awsiam.ManagedPolicy
	// MaintenanceWindowRoleARN is the created role's ARN or the one given in context.
	MaintenanceWindowRoleARN *string
	MaintenanceWindowRole    awsiam.Role // nil when an existing role was given
	DeadLetterQueue          awssqs.Queue
	BufferQueue              awssqs.Queue // nil without the SQS buffer
	BufferDeadLetterQueue    awssqs.Queue // nil without the SQS buffer
	RenderQueue              awssqs.Queue // nil without a bot-token Slack destination
	Table                    awsdynamodb.Table
	Router, Digest           awslambda.Function
	RouterRole, DigestRole   awsiam.Role
	AlarmTopic               awssns.ITopic // nil when alarms have no action

	settings Settings
	cfg      AppConfig
	secret   slackSecret
	// operators attach a policy to each of settings.OperatorPrincipals, imported once.
	operators []func(awsiam.ManagedPolicy)
}

// slackSecret is the imported Slack secret: the value of the functions' env var and the
// resource of the IAM statement that reads it.
type slackSecret struct {
	envValue, policyARN *string
}

// NewStack defines the stack. It refuses inputs that cannot work together (a Slack destination
// without a secret, a missing asset) before defining anything.
func NewStack(scope constructs.Construct, id string, props *StackProps) (*Stack, error) {
	s, cfg := props.Settings, props.Config
	var errs []error
	if (cfg.RouterSlack || cfg.DigestSlack) && s.SlackSecret == "" {
		errs = append(errs, fmt.Errorf("the routing config %s has Slack destinations: set -c %s=<secret ARN or name>", cfg.Path, ctxSlackSecret))
	}
	for _, fn := range FunctionNames {
		if props.Assets[fn] == "" {
			errs = append(errs, fmt.Errorf("no asset folder for the %s function", fn))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	sprops := props.StackProps
	if sprops.Description == nil {
		sprops.Description = jsii.String("ssmnotify: Run Command notifications to Slack and email (SNS topic, IAM roles for SSM and operators, router and digest functions)")
	}
	st := &Stack{Stack: awscdk.NewStack(scope, &id, &sprops), settings: s, cfg: cfg}
	if acct := st.Stack.Account(); !*awscdk.Token_IsUnresolved(acct) {
		if err := s.CheckAccount(*acct); err != nil {
			return nil, err
		}
	}

	// Every resource that CloudFormation can tag carries the project and its stack, for cost
	// reports and for finding what a stack owns.
	awscdk.Tags_Of(st.Stack).Add(jsii.String("Project"), jsii.String("ssmnotify"), nil)
	awscdk.Tags_Of(st.Stack).Add(jsii.String("Stack"), jsii.String(id), nil)

	st.defineTopic()
	st.defineNotificationRole()
	st.definePassRole()
	st.defineMaintenanceWindowRole()
	st.defineQueuesAndTable()
	st.importSlackSecret()
	st.defineRouter(props.Assets["router"])
	st.defineDigest(props.Assets["digest"])
	st.defineAlarms()
	st.defineOutputs()
	st.defineSilenceManager()
	return st, nil
}

// localARN is an ARN in the partition, region and account the template is deployed to
// (${AWS::Partition}, ${AWS::Region}, ${AWS::AccountId}), never those the synth assumed: the same
// template deploys correctly wherever it is deployed.
func localARN(service, resource, name string, format awscdk.ArnFormat) *string {
	return awscdk.Arn_Format(&awscdk.ArnComponents{
		Partition: awscdk.Aws_PARTITION(), Region: awscdk.Aws_REGION(), Account: awscdk.Aws_ACCOUNT_ID(),
		Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: format,
	}, nil)
}

// fixID gives a construct's CloudFormation resource a stable logical ID.
func fixID(c constructs.IConstruct, logicalID string) {
	c.Node().DefaultChild().(awscdk.CfnElement).OverrideLogicalId(jsii.String(logicalID))
}

func suppress(c constructs.IConstruct, id, reason string, appliesTo ...string) {
	sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		a := make([]any, len(appliesTo))
		for i, v := range appliesTo {
			a[i] = v
		}
		sup.AppliesTo = &a
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
}

func statement(effect awsiam.Effect, actions []string, resources []*string, conditions map[string]any) awsiam.PolicyStatement {
	p := &awsiam.PolicyStatementProps{Effect: effect, Actions: jsii.Strings(actions...), Resources: &resources}
	if conditions != nil {
		p.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(p)
}

func allow(actions []string, resources []*string, conditions map[string]any) awsiam.PolicyStatement {
	return statement(awsiam.Effect_ALLOW, actions, resources, conditions)
}

// sourceAccount is the condition of a service's trust against the confused deputy: the service
// may assume the role only on behalf of the account the stack is deployed in. It is written with
// ${AWS::AccountId}, so a template deploys to whichever account it is deployed in.
func sourceAccount(operator string) map[string]any {
	return map[string]any{operator: map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}}
}

// trustScheduler trusts EventBridge Scheduler, which documents that it sends aws:SourceAccount
// when it assumes an execution role: StringEquals.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
func trustScheduler() awsiam.ServicePrincipal {
	cond := sourceAccount("StringEquals")
	return awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{Conditions: &cond})
}

// trustSSM trusts Systems Manager for the notification role and the maintenance window role. No
// AWS document says Systems Manager sends aws:SourceAccount (or aws:SourceArn) when it assumes
// these two roles — AWS's own examples for them have no condition — and a StringEquals on an
// absent key would deny every AssumeRole: commands would succeed and nothing would ever be
// published. StringEqualsIfExists refuses a request made on behalf of another account when the
// key is present and cannot lock Systems Manager out when it is not. What stops the confused
// deputy is iam:PassRole: Systems Manager assumes these roles only for a caller in this account
// who was allowed to pass them (to ssm.amazonaws.com only), and a role cannot be passed from
// another account.
func trustSSM() awsiam.ServicePrincipal {
	cond := sourceAccount("StringEqualsIfExists")
	return awsiam.NewServicePrincipal(jsii.String(ssmService), &awsiam.ServicePrincipalOpts{Conditions: &cond})
}

// awsManagedSNSKey is the AWS managed key of SNS. Its key policy lets every principal of the
// account use it through SNS, so the notification role needs no KMS grant; but its policy cannot
// be changed, so services that publish as themselves (CloudWatch alarms, EventBridge) cannot
// publish to a topic encrypted with it.
const awsManagedSNSKey = "alias/aws/sns"

// Task 1 (and the topic policy the seeds leave open): a standard topic — SSM cannot publish to
// FIFO topics — encrypted with a rotated customer managed key (encryptTopic=false: with the AWS
// managed key, never unencrypted), TLS only, publishable by the notification role alone.
func (st *Stack) defineTopic() {
	props := &awssns.TopicProps{
		DisplayName: jsii.String("ssmnotify Run Command notifications"),
		EnforceSSL:  jsii.Bool(true),
	}
	if st.settings.EncryptTopic {
		st.TopicKey = awskms.NewKey(st.Stack, jsii.String(idTopicKey), &awskms.KeyProps{
			Description:       jsii.String("ssmnotify: encrypts the Run Command notification topic at rest"),
			EnableKeyRotation: jsii.Bool(true),
			// Only messages in flight are encrypted with it; nothing outlives the stack.
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
		})
		fixID(st.TopicKey, idTopicKey)
		props.MasterKey = st.TopicKey
	}
	st.Topic = awssns.NewTopic(st.Stack, jsii.String(idTopic), props)
	fixID(st.Topic, idTopic)
	if st.TopicKey == nil {
		st.Topic.Node().DefaultChild().(awssns.CfnTopic).SetKmsMasterKeyId(jsii.String(awsManagedSNSKey))
	}
}

// Tasks 2 and 3: the role Systems Manager assumes to publish, trusted by ssm.amazonaws.com for
// this account only, allowed to publish to this topic only (the seeds use "Resource": "*").
func (st *Stack) defineNotificationRole() {
	st.NotificationRole = awsiam.NewRole(st.Stack, jsii.String(idNotificationRole), &awsiam.RoleProps{
		Description: jsii.String("Assumed by Systems Manager Run Command to publish status notifications to the ssmnotify topic (send-command --service-role-arn)"),
		AssumedBy:   trustSSM(),
	})
	fixID(st.NotificationRole, idNotificationRole)
	st.NotificationRole.AddToPrincipalPolicy(allow([]string{"sns:Publish"}, []*string{st.Topic.TopicArn()}, nil))
	if st.TopicKey != nil {
		// Publishing to an SSE topic needs the data key calls on its key; kms:ViaService keeps
		// them usable through SNS only.
		// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
		st.NotificationRole.AddToPrincipalPolicy(allow(
			[]string{"kms:Decrypt", "kms:GenerateDataKey"},
			[]*string{st.TopicKey.KeyArn()},
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": fmt.Sprintf("sns.%s.amazonaws.com", *awscdk.Aws_REGION())}},
		))
	}

	roleARN := st.NotificationRole.RoleArn()
	st.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowNotificationRolePublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(roleARN)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{st.Topic.TopicArn()},
	}))
	st.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyPublishByOthers"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{st.Topic.TopicArn()},
		Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": roleARN}},
	}))
}

// passRoleStatement allows passing the notification role, and only to Systems Manager.
func (st *Stack) passRoleStatement() awsiam.PolicyStatement {
	return allow([]string{"iam:PassRole"}, []*string{st.NotificationRole.RoleArn()},
		map[string]any{"StringEquals": map[string]any{"iam:PassedToService": ssmService}})
}

// Task 4: a managed policy operators need to send commands with notifications, attached to the
// users, groups and roles named in context.
func (st *Stack) definePassRole() {
	st.PassRolePolicy = awsiam.NewManagedPolicy(st.Stack, jsii.String(idPassRolePolicy), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Pass the ssmnotify notification role to Systems Manager (send-command --service-role-arn)"),
		Statements:  &[]awsiam.PolicyStatement{st.passRoleStatement()},
	})
	fixID(st.PassRolePolicy, idPassRolePolicy)
	st.attachToOperators(st.PassRolePolicy)
}

// attachToOperators attaches policy to the users, groups and roles named in context. The
// identities are imported once and kept, so that a second policy attaches to the same ones.
func (st *Stack) attachToOperators(policy awsiam.ManagedPolicy) {
	if st.operators == nil {
		for i, p := range st.settings.OperatorPrincipals {
			id := jsii.String(fmt.Sprintf("Operator%d", i))
			name := jsii.String(p.Name)
			switch p.Kind {
			case PrincipalUser:
				u := awsiam.User_FromUserName(st.Stack, id, name)
				st.operators = append(st.operators, func(p awsiam.ManagedPolicy) { p.AttachToUser(u) })
			case PrincipalGroup:
				g := awsiam.Group_FromGroupName(st.Stack, id, name)
				st.operators = append(st.operators, func(p awsiam.ManagedPolicy) { p.AttachToGroup(g) })
			case PrincipalRole:
				r := awsiam.Role_FromRoleName(st.Stack, id, name, &awsiam.FromRoleNameOptions{Mutable: jsii.Bool(true)})
				st.operators = append(st.operators, func(p awsiam.ManagedPolicy) { p.AttachToRole(r) })
			}
		}
	}
	for _, attach := range st.operators {
		attach(policy)
	}
}

// Task 5: the maintenance window service role must be able to pass the notification role. An
// existing role gets the PassRole policy; otherwise a role for Run Command tasks is created.
// Either way, registering a task with that role is itself an iam:PassRole of it, which the
// operators get from PassMaintenanceWindowRolePolicy.
func (st *Stack) defineMaintenanceWindowRole() {
	defer st.definePassMaintenanceWindowRole()
	if arn := st.settings.MaintenanceWindowRoleARN; arn != "" {
		existing := awsiam.Role_FromRoleArn(st.Stack, jsii.String("ExistingMaintenanceWindowRole"), jsii.String(arn), &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(true)})
		st.PassRolePolicy.AttachToRole(existing)
		st.MaintenanceWindowRoleARN = jsii.String(arn)
		return
	}
	role := awsiam.NewRole(st.Stack, jsii.String(idMaintenanceRole), &awsiam.RoleProps{
		Description: jsii.String("Maintenance window service role for Run Command tasks that send ssmnotify notifications"),
		AssumedBy:   trustSSM(),
	})
	fixID(role, idMaintenanceRole)
	st.PassRolePolicy.AttachToRole(role)
	partition, region, account := awscdk.Aws_PARTITION(), awscdk.Aws_REGION(), awscdk.Aws_ACCOUNT_ID()
	arn := func(format string) *string {
		return jsii.String(fmt.Sprintf(format, *partition, *region, *account))
	}
	// What AWS's AmazonSSMMaintenanceWindowRole grants for Run Command tasks, scoped to this
	// account where the action allows it, and without its Lambda, Step Functions, Automation
	// and iam:PassRole-on-"*" parts (PassNotificationRolePolicy passes the one role needed).
	//
	// The documents and targets of a window's tasks are chosen when the task is registered,
	// after this stack exists, so SendCommand is scoped to this account's instances and to
	// documents (AWS-owned ones have an empty account field) rather than to names.
	role.AddToPrincipalPolicy(allow([]string{"ssm:SendCommand"}, []*string{
		arn("arn:%[1]s:ssm:%[2]s::document/*"),
		arn("arn:%[1]s:ssm:%[2]s:%[3]s:document/*"),
		arn("arn:%[1]s:ec2:%[2]s:%[3]s:instance/*"),
		arn("arn:%[1]s:ssm:%[2]s:%[3]s:managed-instance/*"),
	}, nil))
	// Parameters of a task that name a parameter ({{ssm:name}}) are read with the window's role.
	role.AddToPrincipalPolicy(allow([]string{"ssm:GetParameters"}, []*string{arn("arn:%[1]s:ssm:%[2]s:%[3]s:parameter/*")}, nil))
	// Targets given as a resource group are resolved with the window's role.
	role.AddToPrincipalPolicy(allow([]string{"resource-groups:ListGroupResources"}, []*string{arn("arn:%[1]s:resource-groups:%[2]s:%[3]s:group/*")}, nil))
	// Following, listing and cancelling (at the window's cutoff) the commands it sent, listing
	// resource groups and resolving tag targets: these actions support no resource-level
	// permissions (Service Authorization Reference), so "*" is the only resource AWS accepts.
	role.AddToPrincipalPolicy(allow([]string{
		"ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand",
		"resource-groups:ListGroups", "tag:GetResources",
	}, []*string{jsii.String("*")}, nil))
	suppressions := []string{
		"Resource::arn:<AWS::Partition>:ssm:<AWS::Region>::document/*",
		"Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:document/*",
		"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*",
		"Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*",
		"Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/*",
		"Resource::arn:<AWS::Partition>:resource-groups:<AWS::Region>:<AWS::AccountId>:group/*",
		"Resource::*",
	}
	// Command output: the buckets named in context, and only their objects.
	if len(st.settings.OutputBuckets) > 0 {
		var buckets, objects []*string
		for _, b := range st.settings.OutputBuckets {
			buckets = append(buckets, jsii.String(fmt.Sprintf("arn:%s:s3:::%s", *partition, b)))
			objects = append(objects, jsii.String(fmt.Sprintf("arn:%s:s3:::%s/*", *partition, b)))
			suppressions = append(suppressions, "Resource::arn:<AWS::Partition>:s3:::"+b+"/*")
		}
		role.AddToPrincipalPolicy(allow([]string{"s3:GetBucketLocation"}, buckets, nil))
		role.AddToPrincipalPolicy(allow([]string{"s3:PutObject"}, objects, nil))
	}
	suppress(role, "AwsSolutions-IAM5",
		"SendCommand, GetParameters and ListGroupResources are limited to this account and region: the tasks' documents, parameters, targets and resource groups are registered after deployment. S3 writes are limited to the objects of the output buckets named in context. ListCommands, ListCommandInvocations, GetCommandInvocation, CancelCommand, resource-groups:ListGroups and tag:GetResources have no resource-level permissions, so AWS accepts only Resource \"*\".",
		suppressions...,
	)
	st.MaintenanceWindowRole = role
	st.MaintenanceWindowRoleARN = role.RoleArn()
}

// definePassMaintenanceWindowRole lets operators register maintenance window tasks with the
// maintenance window role (RegisterTaskWithMaintenanceWindow --service-role-arn passes it), to
// Systems Manager only. It is a policy of its own: the maintenance window role, which gets
// PassNotificationRolePolicy, must not be able to pass itself.
func (st *Stack) definePassMaintenanceWindowRole() {
	st.PassMaintenanceWindowRolePolicy = awsiam.NewManagedPolicy(st.Stack, jsii.String(idPassWindowRolePolicy), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Pass the ssmnotify maintenance window role to Systems Manager (register-task-with-maintenance-window --service-role-arn)"),
		Statements: &[]awsiam.PolicyStatement{allow([]string{"iam:PassRole"}, []*string{st.MaintenanceWindowRoleARN},
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": ssmService}})},
	})
	fixID(st.PassMaintenanceWindowRolePolicy, idPassWindowRolePolicy)
	st.attachToOperators(st.PassMaintenanceWindowRolePolicy)
}

func (st *Stack) newQueue(id string, props *awssqs.QueueProps) awssqs.Queue {
	props.Encryption = awssqs.QueueEncryption_SQS_MANAGED
	props.EnforceSSL = jsii.Bool(true)
	q := awssqs.NewQueue(st.Stack, jsii.String(id), props)
	fixID(q, id)
	return q
}

func (st *Stack) defineQueuesAndTable() {
	// The dead-letter queue is the router's async on-failure destination, the DLQ of the SNS
	// subscription and EventBridge target, and where the router parks permanent failures:
	// one place for an operator to inspect and `ssmnotify redrive`.
	st.DeadLetterQueue = st.newQueue(idDeadLetterQueue, &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	if st.settings.UseSQSBuffer {
		st.BufferDeadLetterQueue = st.newQueue(idBufferDLQ, &awssqs.QueueProps{
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		st.BufferQueue = st.newQueue(idBufferQueue, &awssqs.QueueProps{
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(bufferVisibilitySeconds)),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: st.BufferDeadLetterQueue, MaxReceiveCount: jsii.Number(5)},
		})
	}

	if st.cfg.RouterThreads {
		// Delayed "render this command's message" requests (SQS DelaySeconds): the trailing
		// update that makes a command's evolving Slack message end on its exact final state,
		// without sleeping in Lambda. Renders that keep failing land in the dead-letter queue,
		// from which `ssmnotify redrive` replays them like any other record.
		st.RenderQueue = st.newQueue(idRenderQueue, &awssqs.QueueProps{
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(bufferVisibilitySeconds)),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: st.DeadLetterQueue, MaxReceiveCount: jsii.Number(5)},
		})
	}

	if st.RenderQueue == nil {
		// (With the render queue, cdk-nag sees this queue serve as a DLQ and does not flag it.)
		suppress(st.DeadLetterQueue, "AwsSolutions-SQS3", "This queue is itself the dead-letter queue (Lambda on-failure destination, SNS subscription and EventBridge target DLQ); a DLQ of a DLQ would hide failures further from the operator.")
	}
	dlqReason := "This queue is itself a dead-letter queue, drained by `ssmnotify redrive` and watched by an alarm; a redrive policy on it would move failures further from the operator."
	suppress(st.DeadLetterQueue, "Serverless-SQSRedrivePolicy", dlqReason)
	if st.BufferDeadLetterQueue != nil {
		suppress(st.BufferDeadLetterQueue, "Serverless-SQSRedrivePolicy", dlqReason)
	}

	st.Table = awsdynamodb.NewTable(st.Stack, jsii.String(idTable), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(state.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(state.SortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(state.TTLAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// The table holds delivery claims: losing it means duplicate alerts, so it survives the
		// stack and accidental deletes.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})
	st.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(state.TimeIndex),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(state.TimeIndexPartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(state.TimeIndexSortKey), Type: awsdynamodb.AttributeType_STRING},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	fixID(st.Table, idTable)
}

// importSlackSecret references the secret by ARN or name: the template holds its ARN, never
// the token.
func (st *Stack) importSlackSecret() {
	name := st.settings.SlackSecret
	switch {
	case name == "":
	case st.settings.SlackSecretIsCompleteARN():
		st.secret = slackSecret{envValue: jsii.String(name), policyARN: jsii.String(name)}
	case st.settings.SlackSecretIsARN():
		// A partial ARN lacks the six random characters Secrets Manager appends.
		st.secret = slackSecret{envValue: jsii.String(name), policyARN: jsii.String(name + "-??????")}
	default:
		secretARN := func(n string) *string {
			return localARN("secretsmanager", "secret", n, awscdk.ArnFormat_COLON_RESOURCE_NAME)
		}
		st.secret = slackSecret{envValue: secretARN(name), policyARN: secretARN(name + "-??????")}
	}
}

// function creates a function with its own role and log group. The role gets only what
// Lambda needs to write its logs to that group: no AWSLambdaBasicExecutionRole, whose
// CreateLogGroup and "*" resources are not needed when the group exists.
func (st *Stack) function(id, roleID, asset, description string, memoryMB, timeoutSeconds int, env map[string]*string) (awslambda.Function, awsiam.Role) {
	role := awsiam.NewRole(st.Stack, jsii.String(roleID), &awsiam.RoleProps{
		Description: jsii.String("Execution role of the ssmnotify " + description),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	fixID(role, roleID)
	logs := awslogs.NewLogGroup(st.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     retention(st.settings.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	fixID(logs, id+"Logs")
	role.AddToPrincipalPolicy(allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn()}, nil))
	env[appenv.ConfigPath] = jsii.String(path.Join(lambdaTaskRoot, configInAsset))
	env[appenv.TableName] = st.Table.TableName()
	env[appenv.LogLevel] = jsii.String(st.settings.LogLevel)
	fn := awslambda.NewFunction(st.Stack, jsii.String(id), &awslambda.FunctionProps{
		Description:  jsii.String("ssmnotify " + description),
		Code:         awslambda.Code_FromAsset(jsii.String(asset), nil),
		Handler:      jsii.String("bootstrap"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		MemorySize:   jsii.Number(memoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		Role:         role,
		LogGroup:     logs,
		Environment:  &env,
	})
	fixID(fn, id)
	suppress(fn, "Serverless-LambdaDLQ", "Asynchronous failures go to the dead-letter queue through the function's on-failure destination (AWS::Lambda::EventInvokeConfig), which keeps the error with the event; a DeadLetterConfig as well would put every failure there twice.")
	suppress(fn, "Serverless-LambdaTracing", "The functions do not use the X-Ray SDK, so active tracing would record only Lambda's own segments, whose durations the REPORT log line and Lambda's metrics already give, for an xray:Put* grant on Resource \"*\". Each decision is one JSON log line with the command and instance IDs.")
	return fn, role
}

// grantDelivery lets a function read the Slack secret and send from the configured SES
// identities, when its destinations use them.
func (st *Stack) grantDelivery(fn awslambda.Function, role awsiam.Role, slack bool, sesIdentities []string) {
	if slack {
		fn.AddEnvironment(jsii.String(appenv.SlackSecretARN), st.secret.envValue, nil)
		role.AddToPrincipalPolicy(allow([]string{"secretsmanager:GetSecretValue"}, []*string{st.secret.policyARN}, nil))
	}
	if len(sesIdentities) > 0 {
		res := make([]*string, len(sesIdentities))
		for i, id := range sesIdentities {
			res[i] = localARN("ses", "identity", id, awscdk.ArnFormat_SLASH_RESOURCE_NAME)
		}
		role.AddToPrincipalPolicy(allow([]string{"ses:SendEmail"}, res, nil))
	}
}

func (st *Stack) defineRouter(asset string) {
	env := map[string]*string{appenv.DeadLetterQueueURL: st.DeadLetterQueue.QueueUrl()}
	sendTo := []*string{st.DeadLetterQueue.QueueArn()}
	if st.RenderQueue != nil {
		env[appenv.RenderQueueURL] = st.RenderQueue.QueueUrl()
		sendTo = append(sendTo, st.RenderQueue.QueueArn())
	}
	st.Router, st.RouterRole = st.function(idRouter, idRouterRole, asset,
		"router: routes Run Command status notifications to Slack and email", routerMemoryMB, routerTimeoutSeconds, env)
	role := st.RouterRole
	st.grantDelivery(st.Router, role, st.cfg.RouterSlack, st.cfg.RouterSES)
	if n := st.settings.RouterReservedConcurrency; n > 0 {
		// A command on 1,000 instances must not take the account's Lambda concurrency from
		// everything else; past the reservation SNS and EventBridge retry, SQS waits.
		st.Router.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(n))
	}

	// The router's own state: the ordering guard, claims, roll-ups (Query on the command's
	// partition) and message references. No Scan, no index reads, no table management.
	role.AddToPrincipalPolicy(allow(
		[]string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
		[]*string{st.Table.TableArn()}, nil))
	// Parking a permanent failure, and Lambda's on-failure destination (which acts with the
	// function's role), and scheduling renders: sqs:SendMessage alone.
	role.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage"}, sendTo, nil))
	if st.settings.CommandDetails || st.cfg.RouterEnrich || st.cfg.RouterNameTags {
		st.grantEnrichment(role)
	}

	// Asynchronous invocations (SNS, EventBridge): bounded retries, then the dead-letter queue.
	// An L1 resource, because the L2 SQS destination also grants GetQueueAttributes and
	// GetQueueUrl, which the destination does not use.
	async := awslambda.NewCfnEventInvokeConfig(st.Stack, jsii.String("RouterAsyncConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             st.Router.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(asyncRetries),
		MaximumEventAgeInSeconds: jsii.Number(asyncMaxEventAgeSeconds),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: st.DeadLetterQueue.QueueArn()},
		},
	})
	// Lambda checks the role's permission on the destination when the config is created.
	async.Node().AddDependency(role)

	if st.BufferQueue != nil {
		st.Topic.AddSubscription(awssnssubscriptions.NewSqsSubscription(st.BufferQueue, &awssnssubscriptions.SqsSubscriptionProps{
			// The SNS envelope carries the topic ARN (region, account) and the message ID the
			// router needs.
			RawMessageDelivery: jsii.Bool(false),
			DeadLetterQueue:    st.DeadLetterQueue,
		}))
		st.Router.AddEventSource(awslambdaeventsources.NewSqsEventSource(st.BufferQueue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(10),
			MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(5)),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(st.pollerConcurrency(bufferConcurrencyShare)),
		}))
	} else {
		st.Topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(st.Router, &awssnssubscriptions.LambdaSubscriptionProps{
			DeadLetterQueue: st.DeadLetterQueue,
		}))
	}

	if st.RenderQueue != nil {
		st.Router.AddEventSource(awslambdaeventsources.NewSqsEventSource(st.RenderQueue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(10),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(st.pollerConcurrency(renderConcurrencyShare)),
		}))
	}

	if st.BufferQueue != nil || st.RenderQueue != nil {
		suppress(st.Router, "Serverless-LambdaEventSourceMappingDestination", "Lambda supports on-failure destinations for stream and Kafka event sources, not SQS: a record that keeps failing goes to its queue's dead-letter queue through the queue's redrive policy (maxReceiveCount 5).")
	}

	if st.settings.EventBridge {
		rule := awsevents.NewRule(st.Stack, jsii.String(idStatusRule), &awsevents.RuleProps{
			Description: jsii.String("Run Command status changes to the ssmnotify router, for commands sent without a notification config"),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.ssm"),
				DetailType: jsii.Strings(runCommandDetailType, invocationDetailType),
			},
		})
		fixID(rule, idStatusRule)
		rule.AddTarget(awseventstargets.NewLambdaFunction(st.Router, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: st.DeadLetterQueue,
			RetryAttempts:   jsii.Number(asyncRetries),
			MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(asyncMaxEventAgeSeconds)),
		}))
	}
}

// Shares of the router's reserved concurrency for its SQS event sources, in quarters: the buffer
// may use half, the render queue a quarter, and the last quarter is left to direct SNS and
// EventBridge invocations. Capping an event source below the reservation keeps Lambda from
// throttling its own poller, which would push messages towards the dead-letter queue.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
const (
	bufferConcurrencyShare = 2
	renderConcurrencyShare = 1
	// unreservedPollerBase stands in for the reservation when there is none.
	unreservedPollerBase = DefaultRouterConcurrency
	// minPollerConcurrency is the smallest maximum concurrency Lambda accepts for SQS.
	minPollerConcurrency = 2
)

// pollerConcurrency is the maximum concurrency of an SQS event source with the given share.
func (st *Stack) pollerConcurrency(quarters int) int {
	base := st.settings.RouterReservedConcurrency
	if base == 0 {
		base = unreservedPollerBase
	}
	return max(minPollerConcurrency, base*quarters/4)
}

func (st *Stack) defineDigest(asset string) {
	st.Digest, st.DigestRole = st.function(idDigest, idDigestRole, asset,
		"digest: scheduled summary of Run Command failures", digestMemoryMB, digestTimeoutSeconds, map[string]*string{})
	role := st.DigestRole
	st.grantDelivery(st.Digest, role, st.cfg.DigestSlack, st.cfg.DigestSES)

	// Reads: the failure index only, with Query (never Scan).
	role.AddToPrincipalPolicy(allow([]string{"dynamodb:Query"},
		[]*string{jsii.String(*st.Table.TableArn() + "/index/" + state.TimeIndex)}, nil))
	// Writes: the digest's own exactly-once claims, and no other item — dynamodb:LeadingKeys
	// limits every key it touches to the digest claim partition keys.
	digestClaims := state.ClaimPrefix + state.ScopeDigest + "#*"
	role.AddToPrincipalPolicy(allow(
		[]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
		[]*string{st.Table.TableArn()},
		map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{digestClaims}}}))

	// A digest run that fails after Lambda's retries is kept in the dead-letter queue (with its
	// scheduled event, which names the window) rather than dropped; the DeadLetterQueueNotEmpty
	// alarm then says so.
	role.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage"}, []*string{st.DeadLetterQueue.QueueArn()}, nil))
	async := awslambda.NewCfnEventInvokeConfig(st.Stack, jsii.String("DigestAsyncConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             st.Digest.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(asyncRetries),
		MaximumEventAgeInSeconds: jsii.Number(asyncMaxEventAgeSeconds),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: st.DeadLetterQueue.QueueArn()},
		},
	})
	async.Node().AddDependency(role)

	d := st.cfg.Digest
	if d == nil {
		return
	}
	schedRole := awsiam.NewRole(st.Stack, jsii.String(idSchedulerRole), &awsiam.RoleProps{
		Description: jsii.String("Assumed by EventBridge Scheduler to start the ssmnotify digest"),
		AssumedBy:   trustScheduler(),
	})
	fixID(schedRole, idSchedulerRole)
	schedRole.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, []*string{st.Digest.FunctionArn()}, nil))
	// Scheduler sends an invocation it could not make (after its retries) to the dead-letter
	// queue with the execution role.
	schedRole.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage"}, []*string{st.DeadLetterQueue.QueueArn()}, nil))
	// The digest computes its window from the scheduled time, not from when it starts, so the
	// input carries Scheduler's scheduled-time in the shape of an EventBridge scheduled event.
	inputStr := awscdk.Fn_Sub(jsii.String(digestInput()), nil)
	tz := d.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	sched := awsscheduler.NewCfnSchedule(st.Stack, jsii.String(idDigestSchedule), &awsscheduler.CfnScheduleProps{
		Description:                jsii.String("ssmnotify digest (schedule and time zone from the routing config's digest block)"),
		ScheduleExpression:         jsii.String(d.Expression),
		ScheduleExpressionTimezone: jsii.String(tz),
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     st.Digest.FunctionArn(),
			RoleArn: schedRole.RoleArn(),
			Input:   inputStr,
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(asyncRetries),
				MaximumEventAgeInSeconds: jsii.Number(asyncMaxEventAgeSeconds),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: st.DeadLetterQueue.QueueArn()},
		},
	})
	sched.OverrideLogicalId(jsii.String(idDigestSchedule))
	sched.Node().AddDependency(schedRole)
}

// defineAlarms raises an alarm for each way a notification can be lost or late: something in a
// dead-letter queue, router errors or throttles, SNS failing to deliver, a failed digest.
// digestInput is the Scheduler target input, a template for Fn::Sub. Scheduler replaces the
// <aws.scheduler.*> placeholders only where they appear literally, so the JSON is written
// without HTML escaping (json.Marshal would turn '<' into \u003c).
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
func digestInput() string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// A constant map of strings always encodes.
	_ = enc.Encode(map[string]any{
		"version":     "0",
		"id":          "<aws.scheduler.execution-id>",
		"detail-type": "Scheduled Event",
		"source":      "aws.scheduler",
		"account":     "${AWS::AccountId}",
		"time":        "<aws.scheduler.scheduled-time>",
		"region":      "${AWS::Region}",
		"resources":   []string{"<aws.scheduler.schedule-arn>"},
		"detail":      map[string]any{},
	})
	return strings.TrimSpace(b.String())
}

func (st *Stack) defineAlarms() {
	switch {
	case st.settings.AlarmEmail != "":
		props := &awssns.TopicProps{DisplayName: jsii.String("ssmnotify alarms"), EnforceSSL: jsii.Bool(true)}
		if st.TopicKey != nil {
			props.MasterKey = st.TopicKey
			// CloudWatch publishes alarm notifications to an SSE topic only if the key lets it.
			// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
			st.TopicKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowCloudWatchAlarms"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				// In a key policy "*" means this key.
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
			}), nil)
		}
		topic := awssns.NewTopic(st.Stack, jsii.String(idAlarmTopic), props)
		fixID(topic, idAlarmTopic)
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowCloudWatchAlarms"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("sns:Publish"),
			Resources:  &[]*string{topic.TopicArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}))
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(st.settings.AlarmEmail), nil))
		suppress(topic, "Serverless-SNSRedrivePolicy", "The alarm email subscription: an alarm email SNS cannot deliver has nowhere more useful to go (`ssmnotify redrive` replays notifications, not alarms); the alarm's state stays in CloudWatch.")
		st.AlarmTopic = topic
	case st.settings.AlarmTopicARN != "":
		st.AlarmTopic = awssns.Topic_FromTopicArn(st.Stack, jsii.String("ExistingAlarmTopic"), jsii.String(st.settings.AlarmTopicARN))
	}

	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	queueDepth := func(q awssqs.Queue) awscloudwatch.Metric {
		return q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
	}
	st.alarm("DeadLetterQueueNotEmpty", "ssmnotify: notifications are waiting in the dead-letter queue; fix the cause, then run `ssmnotify redrive`", queueDepth(st.DeadLetterQueue))
	if st.BufferQueue != nil {
		st.alarm("BufferDeadLetterQueueNotEmpty", "ssmnotify: buffered notifications failed 5 times and wait in the buffer's dead-letter queue", queueDepth(st.BufferDeadLetterQueue))
	}
	st.alarm("RouterErrors", "ssmnotify: the router failed invocations (retried by Lambda, then parked)", st.Router.MetricErrors(sum))
	st.alarm("RouterThrottles", "ssmnotify: the router was throttled; notifications are delayed", st.Router.MetricThrottles(sum))
	st.alarm("TopicDeliveryFailures", "ssmnotify: SNS failed to deliver Run Command notifications to the router", st.Topic.MetricNumberOfNotificationsFailed(sum))
	st.alarm("DigestErrors", "ssmnotify: the digest failed", st.Digest.MetricErrors(sum))
	// Store or IAM faults are retried, never parked; from the SQS buffer they are partial batch
	// failures, which raise no Lambda Errors. The router counts them itself.
	st.alarm("RouterInfrastructureErrors", "ssmnotify: the router could not use its DynamoDB table, queue or IAM permissions (notifications are retried, not lost; check the router's log for outcome failed_infrastructure)",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metrics.Namespace), MetricName: jsii.String("InfrastructureError"),
			DimensionsMap: &map[string]*string{"Function": jsii.String("router")},
			Period:        five, Statistic: jsii.String("Sum"),
		}))
	st.defineSilentFailureAlarms()
}

// Maintenance window task failures. A task can fail before any command exists (its role cannot
// be assumed, a target or parameter cannot be resolved, iam:PassRole of the notification role is
// refused): then no Run Command notification is ever published.
const (
	idWindowTaskFailedRule = "MaintenanceWindowTaskFailedRule"
	idWindowTaskFailedLogs = "MaintenanceWindowTaskFailedLogs"
	windowTaskDetailType   = "Maintenance Window Task Execution State-change Notification"
	// metricNamespace holds the metrics of the CloudTrail metric filters.
	metricNamespace = "ssmnotify"
)

// defineSilentFailureAlarms alarms on the failures that produce no notification at all: a
// maintenance window task that failed before sending a command, and — when a CloudTrail trail's
// log group is named in context — a notification role Systems Manager could not assume and a
// publish to the topic that failed.
func (st *Stack) defineSilentFailureAlarms() {
	// The rule's events are kept in a log group of their own (the task and execution IDs the
	// on-call needs), and the alarm counts the rule's matches. EventBridge writes to CloudWatch
	// Logs under a resource policy; it is written here (L1) rather than by the CDK's log group
	// target, which would add a custom-resource Lambda function to the stack.
	logs := awslogs.NewLogGroup(st.Stack, jsii.String(idWindowTaskFailedLogs), &awslogs.LogGroupProps{
		// EventBridge log targets must be under /aws/events/.
		LogGroupName:  awscdk.Fn_Sub(jsii.String("/aws/events/${AWS::StackName}/maintenance-window-task-failed"), nil),
		Retention:     retention(st.settings.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	fixID(logs, idWindowTaskFailedLogs)
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EventBridgeWritesMaintenanceWindowTaskFailures"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), awsiam.NewServicePrincipal(jsii.String("delivery.logs.amazonaws.com"), nil)},
			Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources:  &[]*string{logs.LogGroupArn()},
		}),
	}})
	logsPolicy := awslogs.NewCfnResourcePolicy(st.Stack, jsii.String("MaintenanceWindowTaskFailedLogsPolicy"), &awslogs.CfnResourcePolicyProps{
		PolicyName:     awscdk.Fn_Sub(jsii.String("${AWS::StackName}-maintenance-window-task-failed"), nil),
		PolicyDocument: st.Stack.ToJsonString(policy, nil),
	})
	rule := awsevents.NewCfnRule(st.Stack, jsii.String(idWindowTaskFailedRule), &awsevents.CfnRuleProps{
		Description: jsii.String("ssmnotify: a maintenance window task failed, possibly before any command (and so any notification) existed"),
		EventPattern: map[string]any{
			"source":      []string{"aws.ssm"},
			"detail-type": []string{windowTaskDetailType},
			"detail":      map[string]any{"status": []string{"FAILED"}},
		},
		State: jsii.String("ENABLED"),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:  jsii.String("FailureLog"),
			Arn: logs.LogGroupArn(),
		}},
	})
	rule.OverrideLogicalId(jsii.String(idWindowTaskFailedRule))
	rule.Node().AddDependency(logsPolicy)
	cdknag.NagSuppressions_AddResourceSuppressions(rule, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("Serverless-EventBusDLQ"),
		Reason: jsii.String("The target is a CloudWatch Logs group in this account, kept for the details; the alarm counts the rule's matches (TriggeredRules), which do not depend on that delivery. A dead letter of it could not be replayed into the router."),
	}}, nil)
	st.alarm("MaintenanceWindowTaskFailed",
		"ssmnotify: a maintenance window task FAILED, possibly before sending any command, so no notification was sent. The events are in the log group "+*logs.LogGroupName()+"; see docs/deploy-checklist.md",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Events"), MetricName: jsii.String("TriggeredRules"),
			DimensionsMap: &map[string]*string{"RuleName": rule.Ref()},
			Period:        awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		}))

	if st.settings.TrailLogGroup == "" {
		return
	}
	trail := awslogs.LogGroup_FromLogGroupName(st.Stack, jsii.String("TrailLogGroup"), jsii.String(st.settings.TrailLogGroup))
	filter := func(id, metric, description, pattern string) {
		mf := awslogs.NewMetricFilter(st.Stack, jsii.String(id+"Filter"), &awslogs.MetricFilterProps{
			LogGroup:        trail,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(pattern)),
			MetricNamespace: awscdk.Fn_Sub(jsii.String(metricNamespace+"/${AWS::StackName}"), nil),
			MetricName:      jsii.String(metric),
			MetricValue:     jsii.String("1"),
		})
		st.alarm(id, description, mf.Metric(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}))
	}
	// Systems Manager's AssumeRole of the notification role (a management event, in every trail).
	filter("NotificationRoleAssumeFailed", "NotificationRoleAssumeFailed",
		"ssmnotify: Systems Manager could not assume the notification role, so a command's notifications were not published (CloudTrail: sts AssumeRole with an errorCode)",
		fmt.Sprintf(`{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && ($.errorCode = "*") && ($.requestParameters.roleArn = "%s") }`, *st.NotificationRole.RoleArn()))
	// A Publish to the topic that failed (denied, or the topic's key unusable): an SNS data
	// event, which the trail logs only if it records SNS data events.
	filter("TopicPublishFailed", "TopicPublishFailed",
		"ssmnotify: a publish to the notification topic failed, so a notification was lost before reaching ssmnotify (CloudTrail: sns Publish with an errorCode; needs SNS data events in the trail)",
		fmt.Sprintf(`{ ($.eventSource = "sns.amazonaws.com") && ($.eventName = "Publish") && ($.errorCode = "*") && ($.requestParameters.topicArn = "%s") }`, *st.Topic.TopicArn()))
}

func (st *Stack) alarm(id, description string, metric awscloudwatch.IMetric) {
	a := awscloudwatch.NewAlarm(st.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if st.AlarmTopic != nil {
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(st.AlarmTopic))
	}
}

func (st *Stack) defineOutputs() {
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(st.Stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	out("TopicArn", "SNS topic for send-command --notification-config NotificationArn=", st.Topic.TopicArn())
	out("NotificationRoleArn", "Role for send-command --service-role-arn", st.NotificationRole.RoleArn())
	out("PassRolePolicyArn", "Managed policy to attach to anyone who sends commands with notifications", st.PassRolePolicy.ManagedPolicyArn())
	out("MaintenanceWindowRoleArn", "Service role for maintenance window Run Command tasks that send notifications", st.MaintenanceWindowRoleARN)
	out("PassMaintenanceWindowRolePolicyArn", "Managed policy to attach to anyone who registers maintenance window tasks with that role", st.PassMaintenanceWindowRolePolicy.ManagedPolicyArn())
	out("DeadLetterQueueUrl", "Failed notifications wait here for `ssmnotify redrive`", st.DeadLetterQueue.QueueUrl())
	if st.BufferQueue != nil {
		out("BufferDeadLetterQueueUrl", "Buffered notifications that failed 5 times", st.BufferDeadLetterQueue.QueueUrl())
	}
	out("StateTableName", "DynamoDB state table (retained when the stack is deleted)", st.Table.TableName())
	out("RouterFunctionName", "The router Lambda function", st.Router.FunctionName())
	out("SendCommandExample", "A first command with notifications: replace the tag target and run", jsii.String(fmt.Sprintf(
		"aws ssm send-command --region %s --document-name AWS-RunShellScript --targets Key=tag:Name,Values=REPLACE_ME --parameters commands=uptime --service-role-arn %s --notification-config NotificationArn=%s,NotificationEvents=All,NotificationType=Invocation",
		*awscdk.Aws_REGION(), *st.NotificationRole.RoleArn(), *st.Topic.TopicArn())))
}

// retention maps days to the CDK's enum; ParseSettings has checked that days is one of them.
func retention(days int) awslogs.RetentionDays {
	m := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	if r, ok := m[days]; ok {
		return r
	}
	return awslogs.RetentionDays_ONE_MONTH
}

// grantEnrichment lets the router learn why a command failed: the read-only SSM calls of
// internal/enrich (the failed step, the command's counts, patch states) and, for Name tags,
// ec2:DescribeTags. None of them supports resource-level permissions (Service Authorization
// Reference): "*" is the only resource AWS accepts.
func (st *Stack) grantEnrichment(role awsiam.IRole) {
	actions := append([]string(nil), enrich.Actions...)
	if st.cfg.RouterNameTags {
		actions = append(actions, enrich.NameTagAction)
	}
	role.AddToPrincipalPolicy(allow(actions, []*string{jsii.String("*")}, nil))
	suppress(role, "AwsSolutions-IAM5", strings.Join(actions, ", ")+" have no resource-level permissions; AWS accepts only Resource \"*\". All are read-only (Get/List/Describe).", "Resource::*")
}
