#!/usr/bin/env bash
# Sets everything up and runs every check: rustfmt, clippy, the SPA build, and all tests (domain
# unit and property tests, API tests on SQLite and PostgreSQL, the permission property test, the
# OpenAPI drift test, and the end-to-end test in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh --tests

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# PostgreSQL: TEST_DATABASE_URL, else the local server, else a private throwaway cluster.
pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if pg_isready -q -d "$pg_url" 2>/dev/null; then
  export TEST_DATABASE_URL="$pg_url"
else
  step "starting a private PostgreSQL cluster"
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  dir="$CARGO_TARGET_DIR/pg-test"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$dir" && mkdir -p "$dir"
  run_pg() { if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$dir"; runuser -u postgres -- "$@"; else "$@"; fi; }
  run_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  run_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" -l "$dir/log" -w start >/dev/null
  trap 'run_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi
# Databases left by earlier runs (each test makes its own).
if command -v psql >/dev/null; then
  psql -q -d "$TEST_DATABASE_URL" -Atc "select datname from pg_database where datname like 'crm_test_%'" 2>/dev/null |
    while read -r db; do psql -q -d "$TEST_DATABASE_URL" -c "drop database if exists $db" >/dev/null 2>&1 || true; done
fi

step "rustfmt"
cargo fmt --all -- --check
(cd frontend && cargo fmt -- --check)
step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "SPA build"
scripts/build-frontend.sh
step "tests"
cargo test --workspace --locked
