#!/usr/bin/env bash
# Stops the processes of one harness run. Pid files are <run>/pids/<layer>-<name>.pid;
# higher layers depend on lower ones and stop first (kube-apiserver drains its
# etcd watches in about a second while etcd is up, but hangs retrying once etcd
# is gone). Each layer gets SIGTERM, then SIGKILL after 10 s.
# A group is signalled only if one of its members carries this run's marker
# (AGENTRAIL_E2E_RUN=<run> in its environment): a stale pid file whose number
# was reused by another program is skipped, never killed.
set -uo pipefail
run=${1:?usage: stop-run.sh RUN_DIR}
run=$(cd "$run" 2>/dev/null && pwd) || exit 0
[ -d "$run/pids" ] || exit 0

marked_group() {
  local p
  for p in $(pgrep -g "$1" 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "AGENTRAIL_E2E_RUN=$run"; then
      return 0
    fi
  done
  return 1
}

# Zombies count as gone: after `make e2e-up` has exited, reaping them is init's job.
live() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }

stop_layer() {
  local groups=() f pgid g alive
  for f in "$@"; do
    pgid=$(cat "$f" 2>/dev/null)
    if [[ $pgid =~ ^[0-9]+$ ]] && marked_group "$pgid"; then
      groups+=("$pgid")
      kill -TERM -- "-$pgid" 2>/dev/null
    fi
    rm -f "$f"
  done
  [ ${#groups[@]} -gt 0 ] || return 0
  for _ in $(seq 100); do
    alive=0
    for g in "${groups[@]}"; do
      live "$g" && alive=1
    done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for g in "${groups[@]}"; do
    kill -KILL -- "-$g" 2>/dev/null
  done
}

for layer in $(ls "$run/pids" | sed -n 's/^\([0-9]*\)-.*\.pid$/\1/p' | sort -rnu); do
  stop_layer "$run/pids/$layer"-*.pid
done
exit 0
