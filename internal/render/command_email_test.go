package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
)

// A command email marks an instance the patch state contradicts "patched, reported failure",
// and says when enrichment could not answer instead of leaving the reason out.
func TestCommandEmailDetailPatchedAndUnavailable(t *testing.T) {
	v := render.CommandView{CommandID: "7e8f9a0b-2222-4c3d-8e4f-abcdef012345", Document: "AWS-RunPatchBaseline", Region: "us-east-1",
		Status: payload.StatusFailed, Finished: true, Targets: 2, Counts: map[payload.Status]int{payload.StatusFailed: 2}, FailedTotal: 2}
	failed := []render.Instance{{ID: "i-0aaaaaaaaaaaaaaa1", Status: payload.StatusFailed}, {ID: "i-0aaaaaaaaaaaaaaa2", Status: payload.StatusFailed}}
	one := 1
	d := &failure.Detail{Invocations: []failure.Invocation{{
		InstanceID: "i-0aaaaaaaaaaaaaaa1", Status: "Failed", ResponseCode: &one, Step: "PatchLinux", Steps: 3,
		Output: "rebooting", Patch: &failure.Patch{Operation: "Install", Installed: 12},
	}}}
	msg := render.CommandEmail(v, failed, "", false, d)
	for body, text := range map[string]string{"text": msg.Text, "html": msg.HTML} {
		if !strings.Contains(text, "Failed, exit code 1, in step PatchLinux — "+render.PatchedReportedFailure) {
			t.Errorf("the %s body does not mark the patched instance:\n%s", body, text)
		}
	}

	d = &failure.Detail{Unavailable: &failure.Reason{Code: failure.Budget, Budget: time.Second}}
	msg = render.CommandEmail(v, failed, "", false, d)
	for body, text := range map[string]string{"text": msg.Text, "html": msg.HTML} {
		if !strings.Contains(text, render.UnavailablePrefix+"SSM did not answer within the 1s budget") {
			t.Errorf("the %s body does not say the detail is unavailable:\n%s", body, text)
		}
	}
	// Without detail the email is what it was.
	if a, b := render.CommandEmail(v, failed, "", false, nil), render.CommandEmail(v, failed, "", false, &failure.Detail{}); a != b {
		t.Errorf("an empty detail changed the email")
	}
}
