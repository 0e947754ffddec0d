package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssmnotify/ssmnotify/internal/state"
)

const idSilenceManagerPolicy = "SilenceManagerPolicy"

// silenceManagerActions are all `ssmnotify silence` needs: add is a PutItem, expire a Query then
// a conditional PutItem, query a Query; the router's one-time "matched" mark is an UpdateItem.
var silenceManagerActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}

// defineSilenceManager is the managed policy for whoever manages silences at 3 a.m.: the three
// DynamoDB actions on the state table, and only on the silence partition (dynamodb:LeadingKeys),
// so a silence manager can neither read nor forge delivery claims or timelines. Its ARN is the
// output SilenceManagerPolicyArn; attach it to the on-call role or group.
func (st *Stack) defineSilenceManager() {
	p := awsiam.NewManagedPolicy(st.Stack, jsii.String(idSilenceManagerPolicy), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Manage ssmnotify silences (ssmnotify silence add/query/expire/import): the silence items of the state table only"),
		Statements:  &[]awsiam.PolicyStatement{allow(silenceManagerActions, []*string{st.Table.TableArn()}, silencePartition())},
	})
	fixID(p, idSilenceManagerPolicy)
	// The digest lists the silences: one Query of their partition, nothing else.
	st.DigestRole.AddToPrincipalPolicy(allow([]string{"dynamodb:Query"}, []*string{st.Table.TableArn()}, silencePartition()))
	awscdk.NewCfnOutput(st.Stack, jsii.String("SilenceManagerPolicyArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Managed policy for `ssmnotify silence` (attach to whoever silences alerts)"),
		Value:       p.ManagedPolicyArn(),
	})
}

// silencePartition is the condition that limits DynamoDB keys to the silence items.
func silencePartition() map[string]any {
	return map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []string{state.SilencePK}}}
}
