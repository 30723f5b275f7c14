#!/usr/bin/env bash
# Installs what building and running the CRM needs, idempotently: a wasm32 Rust target (rustup's,
# or Debian's toolchain linked as "debian-web" where rustup cannot download it), wasm-bindgen
# matching the SPA's version, Trunk, the SPA's npm assets, and `just`. With --tests also
# cargo-nextest, schemathesis and the holidays package (in a virtualenv), Chromium, ChromeDriver
# and, when no PostgreSQL server is configured or reachable, Debian's PostgreSQL for a private test
# cluster.
# The first run on a fresh machine compiles Trunk and wasm-bindgen: about 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
[ "${1:-}" = "--tests" ] && with_tests=true

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=false
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if ! $apt_updated; then $SUDO apt-get update -qq; apt_updated=true; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! command -v cargo >/dev/null; then
  echo "Rust is missing: install rustup (https://rustup.rs) and run this again." >&2
  exit 1
fi
apt_install pkg-config gcc curl ca-certificates
command -v npm >/dev/null || apt_install nodejs npm

# The wasm32 target: rustup's when it can be had, else Debian's toolchain with std sources.
if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  if ! timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    log "rustup cannot install wasm32-unknown-unknown here; using Debian's rustc-web toolchain"
    apt_install rustc-web cargo-web rust-web-src lld
    rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web /usr
  fi
fi

# wasm-bindgen must match the version the SPA is built with, exactly.
wbg_version=$(grep -A1 '^name = "wasm-bindgen"$' frontend/Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg_version" ]; then
  log "installing wasm-bindgen-cli $wbg_version (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$wbg_version"
fi
# Trunk 0.21 builds with the stable toolchain here; its update check needs the internet, so it
# is built without it (and run --offline).
if [ "$(trunk --version 2>/dev/null | cut -d' ' -f2)" != "0.21.14" ]; then
  log "installing trunk 0.21.14 (about 10 minutes, once)"
  cargo install -q --locked trunk --version 0.21.14 --no-default-features --features rustls
fi
command -v just >/dev/null || { log "installing just"; cargo install -q just; }
# The SPA's browser assets (the API docs viewer), from the npm registry, without install scripts.
if [ ! -d frontend/node_modules/swagger-ui-dist ]; then
  log "installing the SPA's npm assets"
  (cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

if $with_tests; then
  command -v cargo-nextest >/dev/null || { log "installing cargo-nextest"; cargo install -q --locked cargo-nextest; }
  venv="$HOME/.cache/crm-venv"
  # schemathesis tries the API against its spec; the holidays package is the reference the
  # domain's public holidays are compared with (pinned: newer releases add new years' decrees).
  if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1 \
    || [ "$("$venv/bin/python" -c 'import holidays; print(holidays.__version__)' 2>/dev/null)" != "0.109" ]; then
    log "installing schemathesis and holidays into $venv"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q 'schemathesis>=4.3.10' 'holidays==0.109'
  fi
  apt_install chromium chromium-driver
  pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! (command -v pg_isready >/dev/null && pg_isready -q -d "$pg_url"); then
    # No server to use: scripts/test.sh starts a private cluster with Debian's PostgreSQL.
    apt_install postgresql
  fi
fi
log "ready"
