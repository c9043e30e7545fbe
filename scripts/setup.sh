#!/usr/bin/env bash
# Usage: scripts/setup.sh          (as root, from anywhere)
#
# Prepares a Debian 12 machine to build, test and run zun, and is safe to run
# any number of times (a second run only checks and finishes in seconds):
#   1. installs the Debian packages (docker.io, PostgreSQL 15 server binaries
#      for the store tests, keystone for the external-Keystone tests,
#      busybox-static, the OpenStack CLIs, tools);
#   2. stops and disables the cluster Debian creates with postgresql-15 and
#      the keystone service the keystone package starts, since tests start
#      their own throwaway instances (internal/testutil/pgtest, keystonetest);
#   3. starts dockerd (systemd when it works, otherwise nohup) and waits for it;
#   4. builds the offline base image busybox:1.35;
#   5. checks Go >= 1.26 and runs `make build`.
# Environment: ZUN_SETUP_SKIP_BUILD=1 skips step 5's `make build`.
set -euo pipefail

export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (packages, dockerd and /var/lib/zun need it)"
[ -r /etc/debian_version ] || die "this script supports Debian 12 only"

# systemd is used only when it is PID 1 and answers; containers often ship
# systemctl without a running systemd.
systemd_ok() {
  [ -d /run/systemd/system ] || return 1
  command -v systemctl >/dev/null 2>&1 || return 1
  case "$(systemctl is-system-running 2>/dev/null || true)" in
    running | degraded | starting | initializing) return 0 ;;
    *) return 1 ;;
  esac
}

packages=(
  docker.io iptables nftables busybox-static postgresql-15 keystone
  python3-zunclient python3-openstackclient python3-cinderclient python3-neutronclient e2fsprogs util-linux mount
  tmux jq curl ca-certificates make git gcc libc6-dev
  docker-registry apache2-utils
)

# --- 1. packages ---------------------------------------------------------
step "Debian packages"
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  info "all ${#packages[@]} packages already installed"
else
  info "installing: ${missing[*]}"
  # Without systemd, package scripts would start daemons through init.d
  # scripts that often fail in containers and abort the install; forbid
  # that for the duration of the install (this script starts dockerd itself).
  policy=/usr/sbin/policy-rc.d own_policy=""
  if ! systemd_ok && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=$policy
    trap 'rm -f "$own_policy"' EXIT
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null
  if [ -n "$own_policy" ]; then rm -f "$own_policy"; trap - EXIT; fi
fi

# --- 2. PostgreSQL: server binaries only ---------------------------------
step "PostgreSQL 15 (binaries for tests; Debian's default cluster disabled)"
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/postgres" ] || die "$pgbin/postgres missing after installing postgresql-15"
info "server binaries in $pgbin (internal/testutil/pgtest starts throwaway clusters from them)"
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r ver name _ status _; do
    [ -n "$ver" ] || continue
    conf=/etc/postgresql/$ver/$name/start.conf
    if [ -f "$conf" ] && ! grep -qx manual "$conf"; then
      echo manual >"$conf"
      info "cluster $ver/$name set to start manually"
    fi
    if [[ $status == online* ]]; then
      if pg_ctlcluster "$ver" "$name" stop; then
        info "cluster $ver/$name stopped"
      else
        info "warning: could not stop cluster $ver/$name (tests do not need it)"
      fi
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
fi

if systemd_ok && systemctl is-enabled postgresql >/dev/null 2>&1; then
  systemctl disable --now postgresql >/dev/null 2>&1 || true
  info "systemd unit postgresql disabled"
fi

# Debian's keystone package enables a uwsgi Keystone on :5000 with a
# database of its own; tests start throwaway ones (keystonetest).
if systemd_ok && systemctl is-enabled keystone >/dev/null 2>&1; then
  systemctl disable --now keystone >/dev/null 2>&1 || true
  info "systemd unit keystone disabled (tests start their own Keystone)"
fi
command -v keystone-wsgi-public >/dev/null 2>&1 || die "keystone-wsgi-public missing after installing keystone"

# --- 3. Docker engine ----------------------------------------------------
step "Docker engine"
if docker version >/dev/null 2>&1; then
  info "dockerd already answers"
else
  started=""
  if systemd_ok; then
    info "starting docker with systemctl"
    if systemctl enable --now docker >/dev/null 2>&1; then started=systemd; fi
  fi
  if [ -z "$started" ]; then
    if pgrep -x dockerd >/dev/null 2>&1; then
      info "dockerd process exists, waiting for it"
    else
      info "starting dockerd in the background (log: /var/log/dockerd.log)"
      setsid nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
    fi
  fi
  for i in $(seq 1 60); do
    docker version >/dev/null 2>&1 && break
    [ "$i" -eq 60 ] && { tail -n 30 /var/log/dockerd.log >&2 2>/dev/null || true; die "dockerd did not answer within 60 s"; }
    sleep 1
  done
  info "dockerd answers"
fi
info "server $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# --- 4. base image -------------------------------------------------------
step "Image busybox:1.35"
"$repo/scripts/build-busybox-image.sh" busybox:1.35
info "busybox:1.35 present"

# --- 5. Go and build -----------------------------------------------------
step "Go toolchain"
command -v go >/dev/null 2>&1 || die "go not found on PATH; install Go >= 1.26 to /usr/local/go (https://go.dev/dl/)"
gover=$(go env GOVERSION)
[[ $gover =~ ^go([0-9]+)\.([0-9]+) ]] || die "cannot parse Go version $gover"
if ((BASH_REMATCH[1] < 1 || (BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < 26))); then
  die "Go >= 1.26 required, found $gover ($(command -v go))"
fi
info "$gover at $(command -v go)"

if [ "${ZUN_SETUP_SKIP_BUILD:-0}" = 1 ]; then
  step "Build skipped (ZUN_SETUP_SKIP_BUILD=1)"
else
  step "make build"
  make -C "$repo" --no-print-directory build
  for b in zun-api zun-compute zun-wsproxy zun; do
    if [ -x "$repo/bin/$b" ]; then info "bin/$b"; else info "bin/$b not built (cmd/$b missing?)"; fi
  done
fi
step "setup complete"
