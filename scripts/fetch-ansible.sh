#!/usr/bin/env bash
# Usage: scripts/fetch-ansible.sh VERSION   (2.14 or 2.19)
#
# Prints the absolute path of a folder holding ansible-playbook, ansible-doc, ansible-galaxy ... of
# ansible-core VERSION on stdout; all logs go to stderr. Tests put that folder first to run a play
# under that ansible-core.
#
# Order:
#   1. the system's ansible-playbook, when it is VERSION (bookworm's apt package is 2.14): its folder
#   2. <repo>/.cache/ansible-VERSION/bin, if already unpacked and it reports VERSION
#   3. fetch the Debian release's ansible-core package (2.19: trixie) through this machine's apt mirror
#      with a private apt configuration (scripts/debian-apt.sh), `dpkg -x` it into
#      <repo>/.cache/ansible-VERSION and write small wrappers into its bin/ that run the unpacked
#      ansible with this machine's /usr/bin/python3 and the unpacked tree first on PYTHONPATH.
#
# ansible-core is pure Python. The python3-* packages it depends on come from this machine (bookworm's
# satisfy 2.19's version bounds today); one whose installed version does not satisfy the .deb's
# Depends is fetched from the same release and unpacked into the same tree.
set -euo pipefail

log() { printf 'fetch-ansible: %s\n' "$*" >&2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VERSION="${1:-}"
PYTHON=/usr/bin/python3
DEBIAN_SOURCES="${ANSIBLE_FETCH_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
# shellcheck source=scripts/debian-apt.sh
source "${REPO_ROOT}/scripts/debian-apt.sh"

case "$VERSION" in
  2.14) SUITE=bookworm ;;
  2.19) SUITE=trixie ;;
  *)
    log "usage: $0 VERSION, with VERSION 2.14 (Debian bookworm) or 2.19 (Debian trixie)"
    exit 2
    ;;
esac
DEST_DIR="${REPO_ROOT}/.cache/ansible-${VERSION}"
SITE="usr/lib/python3/dist-packages"

# `ansible-playbook --version` of the folder $1 names ansible-core VERSION.
is_version() {
  local out
  # The whole output first: piping into `head` would break ansible's pipe (and pipefail) at random.
  out="$("$1/ansible-playbook" --version 2>&1)" || return 1
  out="${out%%$'\n'*}"
  [[ "$out" == *"[core ${VERSION}."* ]] || return 1
  log "verified ${out} in $1"
}

install_hint() {
  cat >&2 <<HINT
fetch-ansible: could not obtain ansible-core ${VERSION}.
  On Debian ${SUITE}: 'sudo apt-get install ansible-core'; elsewhere 'pipx install ansible-core==${VERSION}.*'.
  Re-running this script as root lets it fetch Debian ${SUITE}'s package into ${DEST_DIR}.
HINT
}

# 1. the system's ansible-core
if system="$(command -v ansible-playbook 2>/dev/null)" && is_version "$(dirname "$system")"; then
  dirname "$system"
  exit 0
fi

# 2. already unpacked
if [[ -x "$DEST_DIR/bin/ansible-playbook" ]] && is_version "$DEST_DIR/bin"; then
  printf '%s\n' "$DEST_DIR/bin"
  exit 0
fi

# 3. fetch
if [[ "$SUITE" == bookworm ]]; then
  log "ansible-core ${VERSION} is this machine's own release: install it with apt"
  install_hint
  exit 1
fi
for tool in apt-get dpkg dpkg-deb "$PYTHON"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "'$tool' is not available"
    install_hint
    exit 1
  fi
done
log "fetching Debian ${SUITE}'s ansible-core into ${DEST_DIR}"
mkdir -p "${REPO_ROOT}/.cache"
WORK="$(mktemp -d "${REPO_ROOT}/.cache/apt-ansible.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if ! debian_download "$WORK" "$SUITE" ansible-core; then
  install_hint
  exit 1
fi
deb="$(ls "$WORK"/download/ansible-core_*.deb)"
log "downloaded $(basename "$deb")"

# python3-* dependencies whose installed version misses the .deb's bound ("python3-jinja2 (>= 3.1.0~)").
# Alternatives ("a | b") and non-Python dependencies (openssh-client) are the system's business.
missing=()
IFS=',' read -r -a depends <<<"$(dpkg-deb -f "$deb" Depends)"
for dep in "${depends[@]}"; do
  dep="$(printf '%s' "$dep" | sed 's/^ *//; s/ *$//')"
  [[ "$dep" == python3-* && "$dep" != *"|"* ]] || continue
  name="${dep%% *}"
  installed="$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)"
  if [[ -z "$installed" ]]; then
    missing+=("$name")
  elif [[ "$dep" =~ \((..?)\ ([^\)]+)\) ]]; then
    op="${BASH_REMATCH[1]}" bound="${BASH_REMATCH[2]}"
    case "$op" in '>=') op=ge ;; '<<') op=lt ;; '<=') op=le ;; '>>') op=gt ;; '=') op=eq ;; esac
    dpkg --compare-versions "$installed" "$op" "$bound" || missing+=("$name")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "this machine's ${missing[*]} do not satisfy ansible-core's Depends; fetching them from ${SUITE}"
  rm -f "$WORK"/download/*.deb
  (cd "$WORK/download" && apt-get "${DEBIAN_APT_OPTS[@]}" -qq download ansible-core "${missing[@]}" >&2)
else
  log "this machine's python3 packages satisfy ansible-core's Depends; nothing more to fetch"
fi

# Unpack into a staging dir first, then move into place, so a half-unpacked tree is never mistaken
# for a cached one.
STAGE="$WORK/extract"
mkdir -p "$STAGE/bin"
for each in "$WORK"/download/*.deb; do dpkg -x "$each" "$STAGE"; done
for tool in "$STAGE"/usr/bin/ansible*; do
  name="$(basename "$tool")"
  # Paths relative to the wrapper, so the cache still works when the repository is moved.
  cat >"$STAGE/bin/$name" <<WRAPPER
#!/bin/sh
# ansible-core ${VERSION} from Debian ${SUITE}, unpacked by scripts/fetch-ansible.sh, run with this
# machine's python; the unpacked tree comes first on PYTHONPATH so its ansible wins over the system's.
root="\$(cd "\$(dirname "\$0")/.." && pwd -P)"
PYTHONPATH="\$root/${SITE}\${PYTHONPATH:+:\$PYTHONPATH}" exec ${PYTHON} "\$root/usr/bin/${name}" "\$@"
WRAPPER
  chmod 755 "$STAGE/bin/$name"
done
is_version "$STAGE/bin"

rm -rf "$DEST_DIR"
mv "$STAGE" "$DEST_DIR"
is_version "$DEST_DIR/bin"
printf '%s\n' "$DEST_DIR/bin"
