package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssmnotify/ssmnotify/internal/state"
)

// checkSilencePolicy: GIVEN the synthesized stack, THEN the silence manager policy allows only
// PutItem, UpdateItem and Query, only on the state table, only on the silence partition, and
// its ARN is the output SilenceManagerPolicyArn.
func (s *synthesized) checkSilencePolicy(t *testing.T) {
	t.Helper()
	p, ok := s.resources("AWS::IAM::ManagedPolicy")[idSilenceManagerPolicy]
	if !ok {
		t.Fatalf("no managed policy %s", idSilenceManagerPolicy)
	}
	props := p["Properties"].(map[string]any)
	want := stmt([]any{"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}, arnOf(idTable),
		map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": state.SilencePK}})
	if diff := cmp.Diff([]string{canon(t, want)}, canonAll(t, statementsOf(props["PolicyDocument"]))); diff != "" {
		// CloudFormation may keep a one-element list as a list.
		want["Condition"] = map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []any{state.SilencePK}}}
		if diff2 := cmp.Diff([]string{canon(t, want)}, canonAll(t, statementsOf(props["PolicyDocument"]))); diff2 != "" {
			t.Errorf("silence manager policy (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff(ref(idSilenceManagerPolicy), s.output(t, "SilenceManagerPolicyArn")); diff != "" {
		t.Errorf("output SilenceManagerPolicyArn (-want +got):\n%s", diff)
	}
}

// digestSilenceRead is the digest role's statement for listing the silences.
func digestSilenceRead() map[string]any {
	return stmt("dynamodb:Query", arnOf(idTable), map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []any{state.SilencePK}}})
}
