package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// synthesized is one synthesis of the stack, shared by the subtests that inspect it: each
// synthesis runs the CDK in Node through jsii, which takes seconds.
type synthesized struct {
	stack    *Stack
	template assertions.Template
	// doc is the template as JSON, for the checks that walk every statement.
	doc    map[string]any
	outdir string
	// name is the stack name: the template is outdir/name.template.json.
	name string
}

// testAccount makes the stack account-specific, as `cdk deploy` does with credentials, so that
// account checks are exercised. testRegion is a region context values name; the template itself
// must name none.
const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
)

// fakeAssets writes a stand-in bootstrap for each function: the tests check where the asset
// metadata points, not the binary, and building the real linux/arm64 binaries would take most
// of the test's time. `make synth` uses the real build.
func fakeAssets(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range FunctionNames {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n# stand-in for the "+fn+" binary\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// synth builds the app the way main does, from context, with cdk-nag's AwsSolutions and
// Serverless packs.
func synth(t *testing.T, ctx map[string]any) *synthesized {
	t.Helper()
	return synthWithNag(t, ctx, &cdknag.NagPackProps{Verbose: jsii.Bool(true)})
}

// cdkJSONContext is the context of cdk.json (the feature flags), which the CLI passes to the
// app: the tests synthesize with the same flags as `cdk synth`.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	root, err := ModuleRoot(mustGetwd(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return doc.Context
}

// synthWithNag synthesizes with the environment main gives the stack when the CLI has
// credentials for testAccount and (as offline) reports us-east-1: envFromCLI's.
func synthWithNag(t *testing.T, ctx map[string]any, nag *cdknag.NagPackProps) *synthesized {
	t.Helper()
	t.Setenv("CDK_DEFAULT_ACCOUNT", testAccount)
	t.Setenv("CDK_DEFAULT_REGION", "us-east-1")
	return synthWithEnv(t, ctx, nag, envFromCLI())
}

// synthWithEnv synthesizes into a temporary cloud assembly; env nil is an environment-agnostic
// stack, as an offline `cdk synth` without credentials makes.
func synthWithEnv(t *testing.T, ctx map[string]any, nag *cdknag.NagPackProps, env *awscdk.Environment) *synthesized {
	t.Helper()
	outdir := t.TempDir()
	full := cdkJSONContext(t)
	// The CLI sets this; without it CDK writes no aws:asset:path metadata.
	full["aws:cdk:enable-asset-metadata"] = true
	for k, v := range ctx {
		full[k] = v
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &full, Outdir: jsii.String(outdir)})
	props, err := propsFromApp(app, fakeAssets(t))
	if err != nil {
		t.Fatal(err)
	}
	props.Env = env
	st, err := NewStack(app, props.Settings.StackName, props)
	if err != nil {
		t.Fatal(err)
	}
	addNagPacks(app, nag)
	tpl := assertions.Template_FromStack(st.Stack, nil)
	var doc map[string]any
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SSMNOTIFY_DUMP_TEMPLATE") != "" {
		pretty, _ := json.MarshalIndent(doc, "", "  ")
		_ = os.WriteFile(os.Getenv("SSMNOTIFY_DUMP_TEMPLATE")+"-"+props.Settings.StackName+".json", pretty, 0o644)
	}
	return &synthesized{stack: st, template: tpl, doc: doc, outdir: outdir, name: props.Settings.StackName}
}

// resources returns the template's resources of type typ, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}
