# Makefile of zun: build, check, test and run. `make help` lists the targets.
#
# Recipes run under bash with -e -u -o pipefail so a failing command in a
# pipeline (go test | tee) fails the target.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

export PATH := /usr/local/go/bin:$(PATH)

GO          ?= go
BIN         ?= bin
TEST_TIMEOUT ?= 70m
TESTFLAGS   ?=
PKGS        ?= ./...
BENCHTIME   ?= 1s
BENCH       ?= .
BENCH_OUT   ?= bench-results.txt
ZUN_DATA_DIR ?= /var/lib/zun
ZUN_LISTEN  ?= 127.0.0.1:9517

##@ Development

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make <target> [VAR=value]\n"} \
		/^##@/ {printf "\n%s\n", substr($$0, 5)} \
		/^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@printf '\nVariables: TESTFLAGS PKGS TEST_TIMEOUT BENCH BENCHTIME ZUN_DATA_DIR ZUN_LISTEN\n'

.PHONY: build
build: ## Build bin/zun-api, bin/zun-compute, bin/zun-wsproxy, bin/zun and bin/zun-pause (static, CGO_ENABLED=0)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

.PHONY: check
check: fmt-check vet lint ## Static checks: gofmt, go vet, import boundaries, shellcheck

.PHONY: fmt-check
fmt-check: ## Fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@echo "gofmt: ok"

.PHONY: fmt
fmt: ## Rewrite Go files with gofmt
	gofmt -w .

.PHONY: vet
vet: ## Run go vet on every package
	$(GO) vet ./...

.PHONY: lint
lint: ## Import-boundary and package-doc tests (test/lint), shellcheck when installed
	$(GO) test -count=1 ./test/lint/
	@if command -v shellcheck >/dev/null 2>&1; then \
		shellcheck scripts/*.sh .ci/run && echo "shellcheck: ok"; \
	else echo "shellcheck: not installed, skipped (apt-get install shellcheck)"; fi

##@ Tests

.PHONY: test
test: ## Run every test with the race detector (needs docker and postgres, see scripts/setup.sh)
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(PKGS)

.PHONY: test-short
test-short: ## Run the tests without the race detector (faster inner loop)
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(PKGS)

.PHONY: test-postgres
test-postgres: ## Run the store and pgtest tests (SQLite and throwaway PostgreSQL 15 clusters)
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./internal/store/... ./internal/testutil/pgtest/...

.PHONY: bench
bench: build ## Run Go benchmarks and the test/bench driver (BENCH_FLAGS=-quick); results to stdout and bench-results.txt
	@{ echo "# zun benchmarks $$(date -u +%Y-%m-%dT%H:%M:%SZ) $$(git rev-parse --short HEAD 2>/dev/null || true) $$($(GO) env GOVERSION) $$(nproc) cpus"; \
	   $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem -timeout $(TEST_TIMEOUT) $(PKGS) | awk '!/no test files/'; \
	   if [ -d test/bench ]; then echo "# go run ./test/bench"; $(GO) run ./test/bench -bin $(BIN) $(BENCH_FLAGS); fi; \
	} 2>&1 | tee $(BENCH_OUT)

##@ Running

.PHONY: setup
setup: ## Install and start everything on a fresh Debian 12 machine (root; idempotent)
	scripts/setup.sh

.PHONY: run
run: build ## Run the all-in-one (API, conductor, scheduler, compute) in the foreground
	mkdir -p $(ZUN_DATA_DIR)
	$(BIN)/zun-api --all-in-one --data-dir $(ZUN_DATA_DIR) --listen $(ZUN_LISTEN)

.PHONY: clean
clean: ## Remove build outputs, bench results and coverage files
	rm -rf $(BIN) $(BENCH_OUT) coverage.out coverage.html *.coverprofile
