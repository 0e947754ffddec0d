package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cfnLintInstall is how to get the linter where it is missing: it comes with the CI machine
// image, and is a Python package.
const cfnLintInstall = "pip install cfn-lint==1.51.0"

// checkCfnLint runs AWS's CloudFormation linter (cfn-lint) on the synthesized template, for
// every region the template may be deployed to as far as cfn-lint's resource specs go: any
// error, warning or informational finding fails. Under CI=true a missing cfn-lint fails; outside
// CI the check is skipped with the install command.
func (s *synthesized) checkCfnLint(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cfn-lint is required under CI=true and is not on PATH (%s)", cfnLintInstall)
		}
		t.Skipf("cfn-lint not on PATH; install it to lint the templates: %s", cfnLintInstall)
	}
	tpl := filepath.Join(s.outdir, s.name+".template.json")
	if _, err := os.Stat(tpl); err != nil {
		t.Fatalf("no synthesized template: %v", err)
	}
	// W3005 (a DependsOn that a GetAtt already implies) is left to the CDK: its Function and
	// the invoke configs depend on the whole role construct — the role and its default policy —
	// and the policy half of that dependency is what makes the first invocation succeed.
	cmd := exec.Command(bin, "--format", "parseable", "--regions", "us-east-1", "eu-west-1", "ap-southeast-2", "--ignore-checks", "W3005", "--", tpl)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint %s: %v\n%s", filepath.Base(tpl), err, strings.TrimSpace(string(out)))
	}
}
