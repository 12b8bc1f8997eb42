# End-to-end test cluster (included from the root Makefile).
#   make e2e-build   build kube-apiserver, etcd, helm and nats-server from Go
#                    modules into $(AGENTRAIL_CACHE)/bin/<component>-<version>/
#                    (idempotent: a cached version is not rebuilt)
#   make e2e-up      start a cluster that stays up; prints export lines, the last
#                    one `export KUBECONFIG=...` (use: eval "$$(make -s e2e-up)")
#   make e2e-down    stop it and remove its state
# The jest e2e project starts and stops its own cluster; it reuses the one from
# e2e-up when AGENTRAIL_E2E_CLUSTER is exported.

AGENTRAIL_CACHE ?= $(HOME)/.cache/agentrail
E2E_NODE := node --import ./e2e/harness/ts-resolve.mjs

.PHONY: e2e-build e2e-up e2e-down

e2e-build:
	@AGENTRAIL_CACHE=$(AGENTRAIL_CACHE) e2e/scripts/build-tools.sh

e2e-up: e2e-build
	@$(E2E_NODE) e2e/harness/cli.ts up

e2e-down:
	@$(E2E_NODE) e2e/harness/cli.ts down
