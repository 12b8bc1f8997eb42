#!/usr/bin/env bash
# Installs the real peers the test suite talks to when a fresh machine lacks them:
# AWS CLI v2 (Debian's awscli 2.9.x, used at /usr/bin/aws) and the pinned Python
# peers (moto server, boto3, AWS CLI v1). Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2'; then
  echo "installing AWS CLI v2 (Debian awscli)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends awscli >/dev/null
fi

if ! python3 -c 'import moto, boto3, awscli' 2>/dev/null || [ scripts/requirements-test.txt -nt .cache/python-deps ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  mkdir -p .cache && touch .cache/python-deps
fi
