#!/usr/bin/env bash
# Print the absolute path of a usable `consul` binary on stdout; all logs go to stderr.
#
# Order:
#   1. $CONSUL_BIN, if set and executable
#   2. `consul` on PATH
#   3. <repo>/.cache/consul/usr/bin/consul, if already extracted
#   4. fetch Debian bullseye's consul package (1.8.7) through this machine's apt mirror with a
#      *private* apt configuration (scripts/debian-apt.sh: the system's apt state is not modified,
#      no mirror host name is written anywhere), then `dpkg -x` it into <repo>/.cache/consul/.
set -euo pipefail

log() { printf 'fetch-consul: %s\n' "$*" >&2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE_DIR="${REPO_ROOT}/.cache"
DEST_DIR="${CACHE_DIR}/consul"
CACHED_BIN="${DEST_DIR}/usr/bin/consul"
DEBIAN_SOURCES="${CONSUL_FETCH_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
SUITE="bullseye"
# shellcheck source=scripts/debian-apt.sh
source "${REPO_ROOT}/scripts/debian-apt.sh"

# Run `<bin> version` and return success if it works.
check_bin() {
  local bin="$1" out
  if ! out="$("$bin" version 2>&1)"; then
    log "'$bin version' failed: ${out}"
    return 1
  fi
  log "verified $(printf '%s' "$out" | head -n1) at $bin"
  return 0
}

abs_path() {
  local p="$1"
  printf '%s/%s\n' "$(cd "$(dirname "$p")" && pwd -P)" "$(basename "$p")"
}

install_hint() {
  cat >&2 <<HINT
fetch-consul: could not obtain a consul binary.
  Either install consul yourself (e.g. 'sudo apt-get install consul' on Debian bullseye,
  or unpack a release from the HashiCorp releases site) and put it on PATH,
  or point CONSUL_BIN at an existing binary:  export CONSUL_BIN=/path/to/consul
  Re-running this script as root lets it fetch Debian bullseye's package into ${DEST_DIR}.
HINT
}

# 1. $CONSUL_BIN
if [[ -n "${CONSUL_BIN:-}" ]]; then
  if [[ -x "${CONSUL_BIN}" && -f "${CONSUL_BIN}" ]]; then
    abs_path "${CONSUL_BIN}"
    exit 0
  fi
  log "CONSUL_BIN='${CONSUL_BIN}' is not an executable file; ignoring it"
fi

# 2. consul on PATH
if on_path="$(command -v consul 2>/dev/null)" && [[ -n "$on_path" && -x "$on_path" ]]; then
  abs_path "$on_path"
  exit 0
fi

# 3. already extracted
if [[ -x "$CACHED_BIN" ]]; then
  printf '%s\n' "$CACHED_BIN"
  exit 0
fi

# 4. fetch
log "no consul found; fetching Debian ${SUITE}'s consul package into ${DEST_DIR}"
# Any unexpected failure from here on (set -e) still prints how to get consul.
trap 'rc=$?; [[ $rc -ne 0 ]] && install_hint; exit $rc' ERR

for tool in apt-get dpkg; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "'$tool' is not available"
    install_hint
    exit 1
  fi
done

mkdir -p "$CACHE_DIR"
WORK="$(mktemp -d "${CACHE_DIR}/apt-consul.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

if ! debian_download "$WORK" "$SUITE" consul; then
  install_hint
  exit 1
fi

shopt -s nullglob
debs=("$WORK"/download/consul_*.deb)
shopt -u nullglob
if [[ ${#debs[@]} -ne 1 ]]; then
  log "expected exactly one consul .deb, found ${#debs[@]}"
  install_hint
  exit 1
fi
log "downloaded $(basename "${debs[0]}")"

# Extract into a staging dir first, then move into place, so a half-extracted
# tree is never mistaken for a cached binary.
STAGE="$WORK/extract"
mkdir -p "$STAGE"
dpkg -x "${debs[0]}" "$STAGE"
if [[ ! -x "$STAGE/usr/bin/consul" ]]; then
  log "package did not contain usr/bin/consul"
  exit 1
fi
check_bin "$STAGE/usr/bin/consul"

rm -rf "$DEST_DIR"
mv "$STAGE" "$DEST_DIR"
chown -R "$(id -u):$(id -g)" "$DEST_DIR" 2>/dev/null || true
cp "${debs[0]}" "$DEST_DIR/" 2>/dev/null || true

check_bin "$CACHED_BIN"
printf '%s\n' "$CACHED_BIN"
