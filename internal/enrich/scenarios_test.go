package enrich_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
)

// TestScenariosRenderEverywhere drives each recorded SSM scenario through the real SDK client
// and the local SSM server, then renders the result in the four places on-call reads it: the
// alert's webhook message, the email, the command's parent message and its failure reply.
func TestScenariosRenderEverywhere(t *testing.T) {
	hostile := "<!channel> ```<script>alert(1)</script>``` <https://evil.example|click> \x1b[31m<@U123>"
	tests := []struct {
		name    string
		setup   func(*ssmtest.Server) *payload.Notification
		block   string
		want    string // in every rendering
		calls   int    // SSM calls (all operations)
		timeout bool
	}{
		{"single-step failure", func(*ssmtest.Server) *payload.Notification { return invocation(failedID, payload.StatusFailed) },
			"true", "exit code 2", 1, false},
		{"multi-step RunPatchBaseline", func(s *ssmtest.Server) *payload.Notification {
			l := ssmtest.RecordedListed(t, "patch-linux-failed")
			s.AddListed(l)
			n := invocation(l.InstanceId, payload.StatusFailed)
			n.CommandID, n.DocumentName = l.CommandId, l.DocumentName
			return n
		}, "true", "in step PatchLinux (skipped: PatchWindows, PatchMacOS)", 3, false}, // Get, List, DescribeInstancePatchStates
		{"execution timeout", func(*ssmtest.Server) *payload.Notification { return invocation(execTOID, payload.StatusTimedOut) },
			"true", "Execution Timed Out", 1, false},
		{"delivery timeout, no output", func(*ssmtest.Server) *payload.Notification { return invocation(delivTOID, payload.StatusTimedOut) },
			"true", "Delivery Timed Out", 1, false},
		{"undeliverable", func(*ssmtest.Server) *payload.Notification { return invocation(undelivID, payload.StatusFailed) },
			"true", "Undeliverable", 1, false},
		{"consistency delay", func(s *ssmtest.Server) *payload.Notification {
			s.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "InvocationDoesNotExist", Times: 1})
			return invocation(failedID, payload.StatusFailed)
		}, "{timeout: 2s}", "exit code 2", 2, false},
		{"throttling", func(s *ssmtest.Server) *payload.Notification {
			s.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Error: "ThrottlingException"})
			return invocation(failedID, payload.StatusFailed)
		}, "true", "SSM throttled the request (ThrottlingException)", 2, false},
		{"hung SSM", func(s *ssmtest.Server) *payload.Notification {
			s.SetFault(ssmtest.GetCommandInvocation, "", ssmtest.Fault{Delay: time.Hour})
			return invocation(failedID, payload.StatusFailed)
		}, "{timeout: 200ms}", "SSM did not answer within the 200ms budget", 1, true},
		{"hostile output", func(s *ssmtest.Server) *payload.Notification {
			inv := ssmtest.Recorded(t, "failed")
			inv.InstanceId = "i-0ccc0000dddd1111e"
			inv.StandardErrorContent = hostile + "\n" + hostile
			s.AddInvocation(inv)
			return invocation(inv.InstanceId, payload.StatusFailed)
		}, "true", "&lt;!channel&gt;", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			n := tc.setup(h.srv)
			d := h.e.Enrich(t.Context(), n, mustEnrich(t, tc.block))
			if d == nil {
				t.Fatal("no detail")
			}
			if tc.timeout != (d.Unavailable != nil && d.Unavailable.Code == failure.Budget) {
				t.Errorf("unavailable = %+v", d.Unavailable)
			}
			calls := 0
			for _, op := range []string{ssmtest.GetCommandInvocation, ssmtest.ListCommandInvocations, ssmtest.ListCommands, ssmtest.DescribeInstancePatchStates} {
				calls += h.srv.Calls(op)
			}
			if calls != tc.calls {
				t.Errorf("%d SSM calls, want %d", calls, tc.calls)
			}

			alert := render.Slack(n, render.Options{Mention: "<!here>", Detail: d})
			var wb strings.Builder
			enc := json.NewEncoder(&wb)
			enc.SetEscapeHTML(false) // as Slack reads it: a raw "<" must show
			if err := enc.Encode(alert.Webhook()); err != nil {
				t.Fatal(err)
			}
			webhook := wb.String()
			mail, err := render.Email(n, render.Options{Detail: d})
			if err != nil {
				t.Fatal(err)
			}
			v := render.CommandView{CommandID: n.CommandID, Document: n.DocumentName, Region: n.Region, Status: payload.StatusFailed,
				Targets: 1, Counts: map[payload.Status]int{payload.StatusFailed: 1}, Failed: []string{n.InstanceID}, FailedTotal: 1}
			parent := render.ParentWithDetail(render.Parent(v), v, d)
			reply := render.ReplyWithDetail(render.FailureReply(v, instances([]string{n.InstanceID}), ""), v, []string{n.InstanceID}, d)

			rendered := map[string]string{"webhook": webhook, "email text": mail.Text, "email html": mail.HTML}
			for name, m := range map[string]render.SlackMessage{"alert": alert, "parent": parent, "reply": reply} {
				texts := strings.Join(rendertest.SlackStrings(t, m), "\n")
				rendered[name] = texts
				blocks, _ := json.Marshal(m.Blocks)
				atts, _ := json.Marshal(m.Attachments)
				if p := slacktest.Check(m.Text, blocks, atts); p != nil {
					t.Errorf("%s: Slack would reject it: %v", name, p)
				}
			}
			for name, s := range rendered {
				want := tc.want
				if name != "email html" && name != "webhook" && name != "alert" && name != "parent" && name != "reply" {
					want = strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(want)
				}
				if name == "email html" {
					want = strings.ReplaceAll(want, "&lt;", "&amp;lt;")
				}
				if tc.name == "hostile output" {
					for _, bad := range []string{"<!channel>", "<script", "<@U123>", "<https://evil", "\x1b"} {
						if strings.Contains(s, bad) && name != "email text" {
							t.Errorf("%s contains %q", name, bad)
						}
					}
					continue
				}
				if !strings.Contains(s, want) {
					t.Errorf("%s lacks %q:\n%s", name, want, s)
				}
			}
		})
	}
}

// instances are failed instances as a failure reply takes them.
func instances(ids []string) []render.Instance {
	out := make([]render.Instance, len(ids))
	for i, id := range ids {
		out[i] = render.Instance{ID: id, Status: payload.StatusFailed}
	}
	return out
}
