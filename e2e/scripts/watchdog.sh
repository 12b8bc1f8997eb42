#!/usr/bin/env bash
# Waits for the process that started a test cluster (jest) to go away, however
# it goes, then stops the cluster. The normal teardown kills this watchdog first.
# Usage: watchdog.sh PARENT_PID RUN_DIR remove|keep
set -uo pipefail
parent=$1 run=$2 mode=$3
while kill -0 "$parent" 2>/dev/null; do
  sleep 1
done
"$(dirname "$0")/stop-run.sh" "$run"
if [ "$mode" = remove ]; then
  rm -rf -- "$run"
fi
