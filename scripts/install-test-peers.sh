#!/usr/bin/env bash
# Installs the real peers the test suite talks to when a fresh machine lacks them:
# AWS CLI v2 (Debian's awscli 2.9.x, used at /usr/bin/aws), curl and openssl, and
# the pinned Python peers (moto server, boto3, AWS CLI v1). Idempotent and quiet
# when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# AWS CLI v2 is Debian's awscli (at /usr/bin/aws); curl and openssl are test tools too.
missing=()
/usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2' || missing+=(awscli)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import moto, boto3, awscli' 2>/dev/null || [ scripts/requirements-test.txt -nt .cache/python-deps ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  mkdir -p .cache && touch .cache/python-deps
fi
