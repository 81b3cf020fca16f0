# adpulse: every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

KUMO_VERSION := v0.33.1
GOLANGCI_LINT_VERSION := v2.15.0
GOVULNCHECK_VERSION   := v1.9.0
# cdk deploy asks before widening IAM or security groups; CI sets never.
CDK_APPROVAL ?= broadening
# The Go vulnerability database as a module (its data/osv holds one OSV JSON per entry),
# fetched through the Go proxy because vuln.go.dev is not reachable everywhere.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
# DynamoDB Local 1.25.1, as bundled by this npm package, for make bench-reports (needs Java 17+)
DDBLOCAL_VERSION := 2.9.30
DDBLOCAL_SHA256  := 3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
DDBLOCAL         := .dynamodb-local
FUNCTIONS    := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
BIN          := $(CURDIR)/bin
DATA         ?=
FORMAT       ?= table

export CDK_DISABLE_VERSION_CHECK := 1
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='
# The Go release the Lambda bootstraps are built with, and that make vuln checks: the
# newest patch of the module's Go version, for the standard library's security fixes.
# The go command fetches it through the Go proxy once (about 70 MB) when the local Go is
# older; local tools, tests and the CDK app run on the local Go.
LAMBDA_GO := go1.26.10

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: tools
tools: $(BIN)/kumo .cdk/node_modules/.bin/cdk ## install the pinned local tools into the project

# The recipes that make run depends on write nothing to stdout (progress goes to stderr),
# so that make run FORMAT=json > f leaves only the report in f.
$(BIN)/kumo:
	@echo "installing kumo $(KUMO_VERSION) into bin/ (first time: several minutes of compiling)" >&2
	@GOBIN=$(BIN) go install github.com/sivchari/kumo/cmd/kumo@$(KUMO_VERSION) >&2

.cdk/node_modules/.bin/cdk: .cdk/package.json .cdk/package-lock.json
	@npm ci --prefix .cdk --no-audit --no-fund --loglevel=error >&2
	@touch $@

.PHONY: build
build: ## build each function's arm64 bootstrap into dist/<function>/
	@for fn in $(FUNCTIONS); do \
	  GOTOOLCHAIN=$(LAMBDA_GO) GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) \
	    -o dist/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

.PHONY: synth
synth: build .cdk/node_modules/.bin/cdk ## synthesize the CDK app into cdk.out (offline)
	@.cdk/node_modules/.bin/cdk synth --quiet --output cdk.out > /dev/null

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

REPORT_BENCH_CAMPAIGNS ?= 10000

.PHONY: bench-reports
bench-reports: $(DDBLOCAL)/DynamoDBLocal.jar ## time the reports on 10,000 campaigns x 90 days in DynamoDB Local (not part of test)
	@command -v java >/dev/null || { echo "bench-reports needs java 17+ on PATH"; exit 1; }
	@port=$$((20000 + RANDOM % 20000)); \
	  while (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null; do port=$$((port + 1)); done; \
	  java -Djava.library.path=$(DDBLOCAL)/DynamoDBLocal_lib -jar $(DDBLOCAL)/DynamoDBLocal.jar \
	    -inMemory -port $$port > $(DDBLOCAL)/dynamodb-local.log 2>&1 & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	  for i in $$(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.2; done; \
	  echo "DynamoDB Local on 127.0.0.1:$$port (log: $(DDBLOCAL)/dynamodb-local.log)"; \
	  AWS_ENDPOINT_URL=http://127.0.0.1:$$port REPORT_BENCH=1 \
	  REPORT_BENCH_CAMPAIGNS=$(REPORT_BENCH_CAMPAIGNS) go test -count=1 -timeout 60m -run '^$$' \
	    -bench Reports -benchtime 1x -v ./shared/report/

$(DDBLOCAL)/DynamoDBLocal.jar:
	@echo "fetching DynamoDB Local (npm amplify-dynamodb-simulator@$(DDBLOCAL_VERSION)) into $(DDBLOCAL)/"
	@rm -rf $(DDBLOCAL) && mkdir -p $(DDBLOCAL)
	cd $(DDBLOCAL) && npm pack --silent amplify-dynamodb-simulator@$(DDBLOCAL_VERSION) > /dev/null
	cd $(DDBLOCAL) && echo "$(DDBLOCAL_SHA256)  amplify-dynamodb-simulator-$(DDBLOCAL_VERSION).tgz" | sha256sum -c --quiet
	tar xzf $(DDBLOCAL)/amplify-dynamodb-simulator-$(DDBLOCAL_VERSION).tgz -C $(DDBLOCAL) \
	  --strip-components=2 package/emulator
	rm $(DDBLOCAL)/amplify-dynamodb-simulator-$(DDBLOCAL_VERSION).tgz

$(BIN)/golangci-lint:
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(BIN)/govulncheck:
	GOBIN=$(BIN) go install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

.PHONY: lint
lint: $(BIN)/golangci-lint ## gofmt, go vet and golangci-lint (.golangci.yml)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	$(BIN)/golangci-lint run ./...

.PHONY: vuln
vuln: $(BIN)/govulncheck ## govulncheck (with the Lambda Go release) against the Go vuln DB, offline
	@dir=$$(go mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) 2>/dev/null | jq -r '.Dir // empty'); \
	  test -n "$$dir" -a -d "$$dir/data/osv" || { \
	    echo "make vuln: cannot fetch golang.org/x/vulndb@$(VULNDB_VERSION) through the Go proxy;"; \
	    echo "  with network access run: $(BIN)/govulncheck ./...  (uses https://vuln.go.dev)"; exit 1; }; \
	  echo "govulncheck -db file://$$dir/data/osv (vulndb $(VULNDB_VERSION), $(LAMBDA_GO))"; \
	  GOTOOLCHAIN=$(LAMBDA_GO) $(BIN)/govulncheck -db file://$$dir/data/osv ./...

.PHONY: nag
nag: ## cdk-nag AwsSolutions checks on the synthesized stack (fails on unsuppressed errors)
	go test -count=1 ./infra/ -run '^TestCdkNag$$'

# check-aws stops diff and deploy early, with a clear message, when no AWS credentials are
# configured (environment keys, a profile, web identity as in CI, or ~/.aws files).
define check-aws
test -n "$$AWS_ACCESS_KEY_ID$$AWS_PROFILE$$AWS_WEB_IDENTITY_TOKEN_FILE$$AWS_CONTAINER_CREDENTIALS_FULL_URI" \
  -o -f "$$HOME/.aws/credentials" -o -f "$$HOME/.aws/config" || { \
  echo "make $(MAKECMDGOALS) needs AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"; \
  echo "  (and AWS_REGION), or run aws sso login; nothing was sent to AWS"; exit 1; }
endef

.PHONY: aws-credentials
aws-credentials:
	@$(check-aws)

.PHONY: diff
diff: aws-credentials build .cdk/node_modules/.bin/cdk ## cdk diff against the deployed stack (needs AWS credentials)
	.cdk/node_modules/.bin/cdk diff --output cdk.out

.PHONY: deploy
deploy: aws-credentials build .cdk/node_modules/.bin/cdk ## cdk deploy the stack with the pinned CLI (needs AWS credentials)
	.cdk/node_modules/.bin/cdk deploy --output cdk.out --require-approval $(CDK_APPROVAL)

.PHONY: clean
clean: ## remove build output and the local stack's state
	rm -rf dist cdk.out .devstack
