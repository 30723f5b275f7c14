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

step "PostgreSQL"
source scripts/lib/postgres.sh
echo "using $TEST_DATABASE_URL"

step "rustfmt"
cargo fmt --all -- --check
(cd frontend && cargo fmt -- --check)
step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "SPA build"
scripts/build-frontend.sh
step "tests"
cargo test --workspace --locked --no-fail-fast
