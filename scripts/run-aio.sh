#!/usr/bin/env bash
# Usage: scripts/run-aio.sh [--background | --stop] [-- EXTRA zun-api FLAGS...]
#
# The one command that brings up zun on a fresh Debian 12 machine: runs
# scripts/setup.sh (packages, dockerd, busybox:1.35, make build), then starts
# the all-in-one zun-api (API, identity, conductor, scheduler and compute in
# one process, SQLite under the data directory).
#
#   (default)     run in the foreground; Ctrl-C stops it
#   --background  run detached, log to $ZUN_DATA_DIR/zun.log, pid in
#                 $ZUN_DATA_DIR/zun-api.pid, and wait until the API answers
#   --stop        stop a server started with --background
#
# Environment: ZUN_DATA_DIR (/var/lib/zun), ZUN_LISTEN (127.0.0.1:9517),
# ZUN_SKIP_SETUP=1 to skip setup, ZUN_START_TIMEOUT seconds (60).
set -euo pipefail

export PATH=/usr/local/go/bin:$PATH
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=${ZUN_DATA_DIR:-/var/lib/zun}
listen=${ZUN_LISTEN:-127.0.0.1:9517}
timeout=${ZUN_START_TIMEOUT:-60}
pidfile=$data_dir/zun-api.pid
logfile=$data_dir/zun.log

mode=foreground
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --background | -d) mode=background ;;
    --stop) mode=stop ;;
    -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run-aio: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Any HTTP answer on / (the version document) means the API is serving.
# The address a local client uses: a wildcard listen address is reached on
# loopback.
port=${listen##*:}
host=${listen%:*}
case "$host" in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
url="http://$host:$port/"

running_pid() {
  local pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

if [ "$mode" = stop ]; then
  if pid=$(running_pid); then
    echo "run-aio: stopping zun-api (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-aio: zun-api did not stop within 30 s, killing it" >&2
      kill -KILL "$pid" || true
    fi
  else
    echo "run-aio: zun-api is not running"
  fi
  rm -f "$pidfile"
  exit 0
fi

if [ "${ZUN_SKIP_SETUP:-0}" != 1 ]; then
  "$repo/scripts/setup.sh"
fi

bin=$repo/bin/zun-api
[ -x "$bin" ] || { echo "run-aio: $bin not built (make build)" >&2; exit 1; }
mkdir -p "$data_dir"
args=(--all-in-one --data-dir "$data_dir" --listen "$listen" "${extra[@]}")

if [ "$mode" = foreground ]; then
  echo "==> zun-api ${args[*]} (Ctrl-C to stop)"
  exec "$bin" "${args[@]}"
fi

if pid=$(running_pid); then
  echo "run-aio: zun-api already running (pid $pid), $url"
  exit 0
fi
echo "==> starting zun-api in the background (log: $logfile)"
setsid nohup "$bin" "${args[@]}" >>"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"
for i in $(seq 1 "$timeout"); do
  if curl -sS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
    echo "==> zun is up at $url (pid $pid)"
    echo "    stop it with: $0 --stop"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"
    echo "run-aio: zun-api exited during start-up; last log lines:" >&2
    tail -n 40 "$logfile" >&2 || true
    exit 1
  fi
  if [ "$i" -lt "$timeout" ]; then sleep 1; fi
done
echo "run-aio: $url did not answer within $timeout s (pid $pid still running); see $logfile" >&2
exit 1
