# Sourced by scripts/fetch-consul.sh and scripts/fetch-ansible.sh: download packages of ANOTHER Debian
# release (bullseye's consul, trixie's ansible-core) through this machine's own apt mirror, with a
# private apt configuration (sources, lists and cache in a work folder under .cache/), so the system's
# apt state is never modified.
#
# The mirror URI and keyring are read at run time from the system's deb822 sources file (the stanza
# whose Suites include the plain `bookworm` suite): no mirror host name is written into any file.
#
# The caller defines log() and sets DEBIAN_SOURCES (the deb822 file to read).

# Sets MIRROR_URIS and SIGNED_BY from $DEBIAN_SOURCES; returns 1 (with a log line) when it cannot.
debian_mirror() {
  if [[ ! -r "$DEBIAN_SOURCES" ]]; then
    log "cannot read $DEBIAN_SOURCES to find the Debian mirror"
    return 1
  fi
  # Parse deb822 stanzas: the first stanza whose Suites field has the exact token `bookworm` (so not
  # bookworm-security alone). Prints two lines: the URIs value, then Signed-By (may be empty).
  local parsed
  parsed="$(awk '
    function flush() {
      if (has_suite && uris != "" && !done) { print uris; print signed; done = 1 }
      uris = ""; signed = ""; has_suite = 0; field = ""
    }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { flush(); next }
    /^[A-Za-z0-9-]+:/ {
      field = tolower(substr($0, 1, index($0, ":") - 1))
      val = substr($0, index($0, ":") + 1)
      gsub(/^[[:space:]]+|[[:space:]]+$/, "", val)
      if (field == "uris") uris = val
      else if (field == "signed-by") signed = val
      else if (field == "suites") {
        n = split(val, s, /[[:space:]]+/)
        for (i = 1; i <= n; i++) if (s[i] == "bookworm") has_suite = 1
      }
      next
    }
    # continuation line (multi-line field)
    /^[[:space:]]+/ {
      val = $0; gsub(/^[[:space:]]+|[[:space:]]+$/, "", val)
      if (field == "uris") uris = uris " " val
      next
    }
    END { flush() }
  ' "$DEBIAN_SOURCES")"
  MIRROR_URIS="$(printf '%s\n' "$parsed" | sed -n 1p)"
  SIGNED_BY="$(printf '%s\n' "$parsed" | sed -n 2p)"
  if [[ -z "$MIRROR_URIS" ]]; then
    log "no stanza with Suites including 'bookworm' and a URIs line found in $DEBIAN_SOURCES"
    return 1
  fi
}

# debian_download WORK SUITE PACKAGE...: downloads the .deb files of PACKAGE... from SUITE (main) into
# WORK/download, with apt's lists and cache in WORK. Returns 1 (with a log line) on failure.
debian_download() {
  local work="$1" suite="$2"
  shift 2
  debian_mirror || return 1
  log "reusing mirror URI(s) from $DEBIAN_SOURCES for suite ${suite}"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/download"
  local sources="$work/${suite}.sources"
  {
    printf 'Types: deb\n'
    printf 'URIs: %s\n' "$MIRROR_URIS"
    printf 'Suites: %s\n' "$suite"
    printf 'Components: main\n'
    if [[ -n "$SIGNED_BY" ]]; then printf 'Signed-By: %s\n' "$SIGNED_BY"; fi
  } >"$sources"
  DEBIAN_APT_OPTS=(
    -o "Dir::Etc::SourceList=${sources}"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=${work}/lists"
    -o "Dir::Cache=${work}/cache"
    -o "Dir::Cache::archives=${work}/cache/archives"
    -o "APT::Get::List-Cleanup=false"
  )
  # Downloads run as the unprivileged _apt user when root; let it write our private dirs.
  if [[ "$(id -u)" -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown -R _apt "$work" 2>/dev/null || true
    chmod 755 "$work"
  fi
  # -qq: apt's progress lines name the mirror; errors are still printed.
  if ! apt-get "${DEBIAN_APT_OPTS[@]}" -qq update >&2; then
    log "apt-get update (private lists, suite ${suite}) failed"
    [[ "$(id -u)" -ne 0 ]] && log "not running as root"
    return 1
  fi
  if ! (cd "$work/download" && apt-get "${DEBIAN_APT_OPTS[@]}" -qq download "$@" >&2); then
    log "apt-get download $* (suite ${suite}) failed"
    [[ "$(id -u)" -ne 0 ]] && log "not running as root"
    return 1
  fi
}
