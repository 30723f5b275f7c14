#!/usr/bin/env bash
# Sets everything up, builds the API and the SPA, loads the demo company into an embedded SQLite
# database (./data/crm.db) and serves everything on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
scripts/build-frontend.sh
cargo build --release --locked -p crm-api
crm="$CARGO_TARGET_DIR/release/crm"
"$crm" demo
echo
echo "Open http://${CRM_LISTEN:-127.0.0.1:8080} and sign in with one of the accounts above (Ctrl-C stops)."
exec "$crm" serve --listen "${CRM_LISTEN:-127.0.0.1:8080}"
