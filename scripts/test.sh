#!/usr/bin/env bash
# Usage: scripts/test.sh [go test packages, default ./...]
#
# The one test command: runs scripts/setup.sh (skip with ZUN_SKIP_SETUP=1),
# `make build`, `make check`, then `make test` (go test -race over every
# package; the PostgreSQL store tests start their own throwaway clusters). Every step runs even if an earlier one failed; the
# script exits non-zero if any failed and ends with the line
#   N passed, N failed
# counting go test packages (a package that fails to build counts as failed;
# packages without tests are not counted).
# Environment: TESTFLAGS (extra go test flags, e.g. -run X or -v),
# TEST_TIMEOUT (70m, go test -timeout), ZUN_TEST_LOG (file receiving the go test output).
set -uo pipefail

export PATH=/usr/local/go/bin:$PATH
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

pkgs="${*:-./...}"
log=${ZUN_TEST_LOG:-$(mktemp /tmp/zun-test.XXXXXX.log)}
failed_steps=()
start=$(date +%s)

step() { printf '\n==> %s\n' "$*"; }

if [ "${ZUN_SKIP_SETUP:-0}" != 1 ]; then
  step "setup (scripts/setup.sh)"
  # The build is a step of its own below, so a broken package does not hide
  # the results of the others.
  if ! ZUN_SETUP_SKIP_BUILD=1 scripts/setup.sh; then
    # Without the machine prepared the tests cannot mean anything.
    echo "test.sh: setup failed" >&2
    echo "0 passed, 0 failed (setup failed)"
    exit 1
  fi
fi

step "make build"
make --no-print-directory build || failed_steps+=("make build")

step "make check"
make --no-print-directory -k check || failed_steps+=("make check")

step "make test PKGS=$pkgs (output also in $log)"
make --no-print-directory test PKGS="$pkgs" 2>&1 | tee "$log"
test_rc=${PIPESTATUS[0]}
[ "$test_rc" -eq 0 ] || failed_steps+=("make test")

# Package result lines of go test: "ok  <pkg> <time>", "FAIL <pkg> <time>",
# "FAIL <pkg> [build failed]" / "[setup failed]". The bare "FAIL" line go
# test prints at the end names no package and is not counted.
passed=$(grep -cE '^ok[[:space:]]+[^[:space:]]+' "$log" || true)
failed=$(grep -cE '^FAIL[[:space:]]+[^[:space:]]+' "$log" || true)
if [ "$failed" -gt 0 ]; then
  step "failed packages"
  grep -E '^FAIL[[:space:]]+[^[:space:]]+' "$log" | sed 's/^/    /'
fi
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # go test itself failed before any package result (e.g. bad flags).
  failed_steps+=("go test produced no package failure line, exit $test_rc")
fi

elapsed=$(($(date +%s) - start))
echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  summary=$(printf '%s; ' "${failed_steps[@]}")
  printf 'FAILED: %s (%ds)\n' "${summary%; }" "$elapsed"
else
  printf 'all steps passed (%ds)\n' "$elapsed"
fi
echo "$passed passed, $failed failed"
[ ${#failed_steps[@]} -eq 0 ]
