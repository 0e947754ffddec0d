// Package appenv names the environment variables the Lambda functions read. The functions read
// them once in main; the CDK app sets them from these same constants.
package appenv

const (
	// TableName is the DynamoDB state table's name.
	TableName = "SSMNOTIFY_TABLE_NAME"
	// ConfigPath is the routing config file shipped with the function (default
	// config/ssmnotify.yaml beside the bootstrap binary).
	ConfigPath = "SSMNOTIFY_CONFIG_PATH"
	// SlackSecretARN is the Secrets Manager secret holding the Slack bot token and webhook URLs.
	SlackSecretARN = "SSMNOTIFY_SLACK_SECRET_ARN"
	// DeadLetterQueueURL is the SQS queue where permanently failed notifications are kept for an
	// operator to inspect and replay.
	DeadLetterQueueURL = "SSMNOTIFY_DLQ_URL"
	// RenderQueueURL is the SQS queue of delayed "render this command's message" requests that
	// keep one evolving Slack message per command (the router consumes it too).
	RenderQueueURL = "SSMNOTIFY_RENDER_QUEUE_URL"
	// DynamoDBEndpoint overrides the DynamoDB endpoint (dynalite, DynamoDB Local).
	DynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	// SESEndpoint overrides the SES endpoint (aws-ses-v2-local).
	SESEndpoint = "SES_ENDPOINT"
	// SlackAPIURL overrides the Slack Web API base URL (the local Slack server in tests).
	SlackAPIURL = "SLACK_API_URL"
	// LogLevel is debug, info, warn or error (default info).
	LogLevel = "SSMNOTIFY_LOG_LEVEL"
)
