#!/usr/bin/env bash
# Every benchmark (`just bench`): seeds N contacts (default 1,000,000) into fresh SQLite and
# PostgreSQL databases, runs the release `crm serve` against each and measures list pages, caller
# lookups, the CSV export (time and server memory), API creates and the bulk import rate. The
# results, with the machine and date, go to the top of docs/benchmarks.md; earlier runs stay below.
#   scripts/bench.sh [contacts] [sqlite|postgres|focus|leads|calendar]...   (focus: only the
#   focus-area lookup; leads: only the lead intake; calendar: only the calendar and its feed;
#   calls: only filling a call list from the N contacts; segments: only segmentation over the N
#   contacts with a history, and the .xlsx export of one office)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
shift || true
dbs=("$@")
[ ${#dbs[@]} -eq 0 ] && dbs=(sqlite postgres)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/postgres.sh
[ -f frontend/dist/index.html ] || scripts/build-frontend.sh
cargo build --release --locked -p crm-api --bin crm -p crm-tests --bin bench
export CRM_BIN="$CARGO_TARGET_DIR/release/crm"
results=$(mktemp)
started=$(date +%s)
"$CARGO_TARGET_DIR/release/bench" "$n" "${dbs[@]}" | tee "$results"
took=$(( $(date +%s) - started ))
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(free -g | awk '/Mem:/ {print $2}')
pgv=$(psql -d "$TEST_DATABASE_URL" -Atc 'show server_version' 2>/dev/null || echo unknown)
{
  title="$n contacts, ${dbs[*]}"
  [ "${dbs[*]}" = focus ] && title="Focus areas"
  [[ " ${dbs[*]} " == *" calendar "* ]] && title="Calendar: an office of 30 brokers, 200,000 bookings, ${dbs[*]}"
  [[ " ${dbs[*]} " == *" calls "* ]] && title="Call lists: filling from $n contacts, ${dbs[*]}"
  [[ " ${dbs[*]} " == *" segments "* ]] && title="Segments: $n contacts with a history, ${dbs[*]}"
  echo "## $title — $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Machine: $(nproc) cores ($cpu), ${mem} GiB; PostgreSQL $pgv; SQLite bundled with sqlx."
  echo "Release build, \`just bench $n${dbs[*]:+ ${dbs[*]}}\`, $(( took / 60 )) min in all. Requests are sent one at a time over loopback;"
  echo "each time runs from sending the request to the last byte of the answer (authentication, the query, the JSON answer)."
  cat "$results"
  echo
} > docs/benchmarks.new.md
python3 <<'PY'
new = open("docs/benchmarks.new.md").read()
old = open("docs/benchmarks.md").read()
# Newest run first, after the header; earlier runs stay as history.
head, _, runs = old.partition("\n## ")
runs = ("## " + runs) if runs else ""
open("docs/benchmarks.md", "w").write(head.rstrip() + "\n\n" + new + ("\n" + runs if runs else ""))
PY
rm -f docs/benchmarks.new.md "$results"
echo "Recorded in docs/benchmarks.md"
