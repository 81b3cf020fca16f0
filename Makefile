# adpulse: every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

KUMO_VERSION := v0.33.1
FUNCTIONS    := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
BIN          := $(CURDIR)/bin
DATA         ?=
FORMAT       ?= table

export CDK_DISABLE_VERSION_CHECK := 1
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: tools
tools: $(BIN)/kumo .cdk/node_modules/.bin/cdk ## install the pinned local tools into the project

$(BIN)/kumo:
	@echo "installing kumo $(KUMO_VERSION) into bin/ (first time: several minutes of compiling)"
	GOBIN=$(BIN) go install github.com/sivchari/kumo/cmd/kumo@$(KUMO_VERSION)

.cdk/node_modules/.bin/cdk: .cdk/package.json .cdk/package-lock.json
	npm ci --prefix .cdk --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: build
build: ## build each function's arm64 bootstrap into dist/<function>/
	@for fn in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) \
	    -o dist/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

.PHONY: synth
synth: build .cdk/node_modules/.bin/cdk ## synthesize the CDK app into cdk.out (offline)
	.cdk/node_modules/.bin/cdk synth --quiet --output cdk.out > /dev/null

.PHONY: run
run: tools synth ## replay DATA (or generated traffic) through the whole local stack
	@go run ./devstack/cmd/devstack run --data '$(DATA)' --format '$(FORMAT)'

.PHONY: up
up: tools synth ## start the local stack in the background
	go run ./devstack/cmd/devstack up

.PHONY: totals
totals: ## print the demo tenant's campaign totals from the stack that make up started
	@go run ./devstack/cmd/devstack totals --format '$(FORMAT)'

.PHONY: down
down: ## stop the local stack started by make up
	go run ./devstack/cmd/devstack down

.PHONY: test
test: tools synth ## run every test (unit, CDK assertions, local stack end to end)
	go vet ./...
	go test -count=1 ./...

.PHONY: bench
bench: tools synth ## Go benchmarks, then load and bill on a private local stack; updates docs/benchmarks.md
	@set -o pipefail; out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	  go test -run '^$$' -bench . -benchmem ./shared/... ./functions/... | tee $$out; \
	  status=$$?; \
	  go run ./devstack/cmd/devstack bench --format '$(FORMAT)' --gobench $$out \
	    --doc docs/benchmarks.md $(BENCH_FLAGS) || exit 1; \
	  exit $$status

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

.PHONY: clean
clean: ## remove build output and the local stack's state
	rm -rf dist cdk.out .devstack
