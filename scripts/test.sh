#!/usr/bin/env bash
# Sets everything up and runs every check: rustfmt, clippy, the SPA build, and every test with
# cargo-nextest (domain unit and property tests; API, session, import and permission tests on
# SQLite and PostgreSQL; the job runner with two `crm serve` processes and a real SMTP server;
# schemathesis fuzzing the spec; the OpenAPI drift test; the browser test in headless Chromium).
# The last line is the summary of all tests.
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
step "the crm binary the tests run"
cargo build --locked -p crm-api --bin crm
export CRM_BIN="$CARGO_TARGET_DIR/debug/crm"
step "tests"
log="$CARGO_TARGET_DIR/test-run.log"
status=0
cargo nextest run --workspace --locked --no-fail-fast --color never 2>&1 | tee "$log" || status=$?
summary=$(grep -oE '[0-9]+ tests? run: .*' "$log" | tail -1 || true)
echo
echo "${summary:-no tests ran}"
exit "$status"
