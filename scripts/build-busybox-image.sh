#!/usr/bin/env bash
# Builds the local base image busybox:1.35 offline from Debian's
# busybox-static (no registry is needed) and imports it into the Docker
# engine at ${DOCKER_HOST:-unix:///var/run/docker.sock}.
set -euo pipefail
tag=${1:-busybox:1.35}
if docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,sbin,usr/sbin,etc,tmp,root,proc,sys,dev,var/tmp,home}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$bb" "$root/bin/busybox"
for app in $("$bb" --list); do
  [ "$app" = busybox ] && continue
  [ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' - "$tag" >/dev/null
echo "built $tag"
