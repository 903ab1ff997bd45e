#!/usr/bin/env bash
# Installs what halo needs on a fresh Debian machine: system packages (as root) and npm packages, then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(iproute2 nftables util-linux awscli debootstrap ca-certificates python3 e2fsprogs nfs-ganesha nfs-ganesha-vfs fuse3 libfuse3-dev pkg-config gcc chromium libjson-xs-perl)
# One dpkg-query for all of them: this runs before every `./halo` command.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '/install ok installed/ {print $1}' || true)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  grep -qx "$pkg" <<<"$installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "halo needs these Debian packages: ${missing[*]}" >&2
    echo "run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
if [ "$node_major" -lt 20 ]; then
  echo "halo needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Build only when a source changed since the last build, so that `./halo <command>` starts at once.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src cdk test bench package.json package-lock.json tsconfig.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  npm run --silent build
  touch "$stamp"
fi
