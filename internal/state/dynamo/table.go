package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ssmnotify/ssmnotify/internal/state"
)

// TableAPI is the part of the DynamoDB client CreateTable uses.
type TableAPI interface {
	CreateTable(ctx context.Context, params *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, params *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// TableInput is the state table's definition, built from the schema constants: string keys, the
// time index projecting every attribute (the digest reads whole failure entries from it), and
// on-demand billing. The CDK app declares the same table; TTL on TTLAttribute is enabled there
// (local emulators lack UpdateTimeToLive, and the store never relies on deletion anyway).
func TableInput(name string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(state.PartitionKey), AttributeType: s},
			{AttributeName: aws.String(state.SortKey), AttributeType: s},
			{AttributeName: aws.String(state.TimeIndexPartitionKey), AttributeType: s},
			{AttributeName: aws.String(state.TimeIndexSortKey), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(state.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(state.SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(state.TimeIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(state.TimeIndexPartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(state.TimeIndexSortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
		BillingMode: types.BillingModePayPerRequest,
	}
}

// CreateTable creates the state table and waits until it is active (for tests and local runs;
// in AWS the CDK app owns the table).
func CreateTable(ctx context.Context, api TableAPI, name string) error {
	if _, err := api.CreateTable(ctx, TableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	return nil
}

// MaxAttempts bounds the SDK's retries of one request (throttling, 5xx, network errors) before
// the store reports the error as retryable (state.IsRetryable) to its caller.
const MaxAttempts = 3

// NewClient returns a DynamoDB client from cfg, with at most MaxAttempts attempts per request,
// pointed at endpoint (dynalite, DynamoDB Local; the DYNAMODB_ENDPOINT variable) unless it is "".
func NewClient(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.RetryMaxAttempts = MaxAttempts
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// LocalConfig is an aws.Config for a local emulator: region us-east-1 and fixed dummy
// credentials (emulators want some; they check none).
func LocalConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}
