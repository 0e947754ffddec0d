package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/setup"
)

// demoSSM starts the project's local SSM server with recorded answers for the failures in the
// sample events — a multi-step AWS-RunPatchBaseline run with PatchLinux failed, a script's
// stderr, an execution timeout, a delivery timeout — and points the SDK at it
// ($AWS_ENDPOINT_URL_SSM), so the demo's alerts carry the detail the Lambda's would. It returns
// a function that stops the server and restores the environment. When the variable is already
// set, the demo uses that endpoint and starts nothing.
func demoSSM(dir string, files []string) (func(), error) {
	if os.Getenv(setup.EndpointSSM) != "" {
		return func() {}, nil
	}
	answers := map[string]ssmtest.Invocation{}
	for _, name := range []string{"failed", "execution-timed-out", "delivery-timed-out"} {
		inv, err := ssmtest.LoadRecorded(name)
		if err != nil {
			return nil, err
		}
		answers[name] = inv
	}
	patch, err := ssmtest.LoadListed("patch-linux-failed")
	if err != nil {
		return nil, err
	}
	var all []payload.Notification
	for _, file := range files {
		if strings.HasPrefix(file, "scheduled-") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			continue // the demo itself reports unreadable samples
		}
		all = append(all, payload.Decode(raw).Notifications()...)
	}
	// SSM answers for a command what its instances did: an instance whose own invocation
	// reported a non-failure is not among a failed command's failures.
	fine := map[[2]string]bool{}
	for _, n := range all {
		if n.Kind == payload.KindInvocation && !n.Status.Failure() && n.Status.Terminal() {
			fine[[2]string{n.CommandID, n.InstanceID}] = true
		}
	}
	srv := ssmtest.Start()
	for i := range all {
		n := &all[i]
		if !n.Status.Failure() {
			continue
		}
		var ids []string
		for _, id := range n.InstanceIDs {
			if !fine[[2]string{n.CommandID, id}] {
				ids = append(ids, id)
			}
		}
		if n.InstanceID != "" {
			ids = []string{n.InstanceID}
		}
		for k, id := range ids {
			if strings.HasPrefix(n.DocumentName, "AWS-RunPatchBaseline") {
				l := patch
				l.CommandId, l.InstanceId, l.DocumentName = n.CommandID, id, n.DocumentName
				srv.AddListed(l)
				srv.SetPatchState(ssmtest.PatchState{InstanceId: id, Operation: "Install", InstalledCount: 38, FailedCount: 1, MissingCount: 2})
				continue
			}
			if n.Status == payload.StatusCancelled {
				srv.AddInvocation(cancelledInvocation(n.CommandID, id, n.DocumentName))
				continue
			}
			name := "failed"
			if n.Status == payload.StatusTimedOut {
				name = "execution-timed-out"
				if k > 0 {
					name = "delivery-timed-out"
				}
			}
			inv := answers[name]
			inv.CommandId, inv.InstanceId, inv.DocumentName = n.CommandID, id, n.DocumentName
			srv.AddInvocation(inv)
		}
		if n.Kind == payload.KindInvocation {
			continue
		}
		c := ssmtest.Command{CommandId: n.CommandID, DocumentName: n.DocumentName, Status: string(n.Status),
			TargetCount: len(n.InstanceIDs), CompletedCount: len(n.InstanceIDs), ErrorCount: len(ids)}
		if n.Status == payload.StatusCancelled {
			// SSM counts a cancelled invocation as completed, not as an error.
			c.ErrorCount = 0
		}
		srv.AddCommand(c)
	}
	// The demo needs no AWS account: never ask the instance metadata service for credentials.
	restore := setenvAll(map[string]string{setup.EndpointSSM: srv.URL(), "AWS_REGION": ssmtest.Region, "AWS_EC2_METADATA_DISABLED": "true"})
	return func() { restore(); srv.Close() }, nil
}

// cancelledInvocation is SSM's answer for an invocation cancelled before it finished: status
// and detailed status Cancelled, no exit code (-1), no output.
func cancelledInvocation(commandID, instanceID, document string) ssmtest.Invocation {
	return ssmtest.Invocation{
		CommandId: commandID, InstanceId: instanceID, DocumentName: document, DocumentVersion: "$DEFAULT",
		PluginName: "aws:runShellScript", ResponseCode: -1, Status: "Cancelled", StatusDetails: "Cancelled",
	}
}

// setenvAll sets variables for the demo's run and returns what puts them back.
func setenvAll(vars map[string]string) func() {
	old := map[string]*string{}
	for k, v := range vars {
		if prev, ok := os.LookupEnv(k); ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		os.Setenv(k, v)
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}
