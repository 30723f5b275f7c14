#!/usr/bin/env bash
# Builds the SPA into frontend/dist with Trunk (Trunk.toml at the top level): the Leptos app for
# wasm32, the stylesheet, and the API docs viewer from the npm registry. Uses rustup's wasm32
# target when it is installed; otherwise Debian's toolchain ("debian-web", see scripts/setup.sh)
# with the standard library built from source. Offline: wasm-bindgen comes from the setup.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}/wasm"
export PATH="$HOME/.cargo/bin:$PATH"
if [ ! -d frontend/node_modules/swagger-ui-dist ]; then
  (cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  trunk build --release --offline
else
  RUSTUP_TOOLCHAIN=debian-web RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
    trunk build --release --offline
fi
echo "SPA built into frontend/dist ($(du -ch frontend/dist/*.wasm | tail -1 | cut -f1) of wasm)"
