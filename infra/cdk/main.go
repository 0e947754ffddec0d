// Command cdk is the ssmnotify CDK app: one `npx cdk deploy` creates the SNS topic, the IAM
// roles and policies Systems Manager and operators need, the state table and the router and
// digest functions. cdk.json runs it through `make cdk-app`, which builds the function binaries
// first, so a deploy never ships stale code.
//
// Inputs come from the CDK context (`-c key=value`); the README's Deploy section lists them. The routing
// config is validated with the functions' own rules package, and the stack is checked with
// cdk-nag's AwsSolutions and Serverless packs on every synth.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "ssmnotify cdk: %v\n", err)
		jsii.Close()
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	props, err := propsFromApp(app, "")
	if err != nil {
		return err
	}
	if _, err := NewStack(app, props.Settings.StackName, props); err != nil {
		return err
	}
	addNagPacks(app, &cdknag.NagPackProps{Verbose: jsii.Bool(true)})
	app.Synth(nil)
	return nil
}

// addNagPacks checks every synth with cdk-nag's AwsSolutions and Serverless packs; an
// unsuppressed finding fails the synth.
func addNagPacks(app awscdk.App, props *cdknag.NagPackProps) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(props), nil)
}

// propsFromApp reads the settings from app's context, validates the routing config and
// prepares the function assets. buildDir "" means build/ under the module root.
func propsFromApp(app awscdk.App, buildDir string) (*StackProps, error) {
	var keys []string
	if all, ok := app.Node().GetAllContext(nil).(map[string]any); ok {
		for k := range all {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	settings, err := ParseSettings(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) }, keys)
	if err != nil {
		return nil, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		return nil, err
	}
	cfgPath := settings.ConfigPath
	if !filepath.IsAbs(cfgPath) {
		cfgPath = filepath.Join(root, cfgPath)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	if buildDir == "" {
		buildDir = filepath.Join(root, "build")
	}
	assets, err := PrepareAssets(buildDir, cfg)
	if err != nil {
		return nil, err
	}
	return &StackProps{
		StackProps: awscdk.StackProps{Env: envFromCLI()},
		Settings:   settings,
		Config:     cfg,
		Assets:     assets,
	}, nil
}

// envFromCLI pins the stack to the account the CLI resolved from the caller's credentials, when
// it did, so that ARNs given in context are checked against it. The region is left to
// deployment time (${AWS::Region}): offline, the CLI reports us-east-1 whatever the target
// region, and a template must deploy correctly wherever it is deployed.
func envFromCLI() *awscdk.Environment {
	account := os.Getenv("CDK_DEFAULT_ACCOUNT")
	if account == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account)}
}
