#!/usr/bin/env bash
# Seeds N contacts (default 1,000,000) into fresh SQLite and PostgreSQL databases, times caller
# lookups by phone, email and name through the HTTP API, and records the results, with the
# machine and date, in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
shift || true
dbs=("${@:-sqlite postgres}")
[ $# -eq 0 ] && dbs=(sqlite postgres)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/postgres.sh
cargo build --release --locked -p crm-tests --bin bench_lookup
results=$(mktemp)
"$CARGO_TARGET_DIR/release/bench_lookup" "$n" "${dbs[@]}" | tee "$results"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(free -g | awk '/Mem:/ {print $2}')
pgv=$(psql -d "$TEST_DATABASE_URL" -Atc 'show server_version' 2>/dev/null || echo unknown)
sqlv=$(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo bundled)
{
  echo "## Caller lookup, $n contacts, ${dbs[*]} — $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Machine: $(nproc) cores ($cpu), ${mem} GiB; PostgreSQL $pgv; SQLite (bundled with sqlx). Release build."
  echo "Measured by \`just bench-lookup\`: each query is one \`GET /api/v1/contacts/lookup\` over loopback"
  echo "(authentication, the lookup, history of the matches, the JSON answer), sent one at a time."
  echo
  cat "$results"
  echo
} > docs/benchmarks.new.md
python3 <<'PY'
new = open("docs/benchmarks.new.md").read()
try:
    old = open("docs/benchmarks.md").read()
except FileNotFoundError:
    old = "# Benchmarks\n\nTarget: caller lookup p95 under 10 ms for each kind of lookup on the project's 2-core machine.\n"
# Newest run first, after the header; earlier runs stay as history.
head, _, runs = old.partition("\n## ")
runs = ("## " + runs) if runs else ""
open("docs/benchmarks.md", "w").write(head.rstrip() + "\n\n" + new + ("\n" + runs if runs else ""))
PY
rm -f docs/benchmarks.new.md "$results"
echo "Recorded in docs/benchmarks.md"
