# ssmnotify — see README.md. Every target installs what it needs from pinned files.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
NPM       ?= npm
FUNCTIONS := router digest
FUZZTIME  ?= 60s
BENCHTIME ?= 1s
# Lambda binaries: provided.al2023 on Graviton, stripped, no RPC shim.
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export NO_UPDATE_NOTIFIER := 1

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json package.json
	$(NPM) ci --no-audit --no-fund --loglevel=error

.PHONY: deps
deps: node_modules/.package-lock.json ## install pinned Go modules and Node tools
	$(GO) mod download

.PHONY: test
test: deps ## install what tests need, then run every test (CI=true: nothing skipped)
	@# infra/cdk's tests run cfn-lint on every synthesized template; it comes with the machine image.
	@if [ "$${CI:-}" = true ] && ! command -v cfn-lint >/dev/null; then \
	  echo "cfn-lint is required under CI=true: pip install cfn-lint==1.51.0" >&2; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

.PHONY: demo
demo: deps ## run the router and digest over events/ with embedded defaults; writes out/
	$(GO) run ./cmd/ssmnotify demo --out out

.PHONY: build
build: ## linux/arm64 bootstrap binaries for both functions under build/
	@for f in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o build/$$f/bootstrap ./functions/$$f; \
	  mkdir -p build/$$f/config && cp config/ssmnotify.yaml build/$$f/config/; \
	  ls -l build/$$f/bootstrap; \
	done

# The CDK CLI pinned in package.json (never an unpinned npx download: the registry's "latest"
# is a CLI this app's schema does not match). CDK_ARGS passes context, e.g.
#   make deploy CDK_ARGS="-c slackSecret=ssmnotify/slack -c alarmEmail=oncall@example.com"
CDK      := node_modules/.bin/cdk
CDK_ARGS ?=

# cdk.json's "app": build the function binaries, then synthesize, so that a synth or deploy never
# ships stale code. The build's own output goes to stderr; stdout is left to the CDK app.
.PHONY: cdk-app
cdk-app:
	@$(MAKE) --no-print-directory build >&2
	@$(GO) run ./infra/cdk

.PHONY: synth
synth: deps ## build the functions and synthesize the CloudFormation template offline (cdk.out/)
	$(CDK) synth -q $(CDK_ARGS)

.PHONY: deploy
deploy: deps ## build and deploy to the current AWS account; context in CDK_ARGS (docs/deploy.md)
	$(CDK) deploy $(CDK_ARGS)

.PHONY: bench
bench: deps ## run every benchmark, one package at a time, and print the figures as one table (raw: build/bench.txt)
	@mkdir -p build
	$(GO) test -p 1 -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -timeout 30m ./... | tee build/bench.txt | $(GO) run ./tools/benchtable

.PHONY: fuzz
fuzz: ## fuzz the decoders, FUZZTIME each (default 60s)
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./internal/payload
	$(GO) test -run='^$$' -fuzz='^FuzzIDList$$' -fuzztime=$(FUZZTIME) ./internal/payload

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: clean
clean: ## remove generated output
	rm -rf build cdk.out out
