#!/usr/bin/env bash
# Builds the SPA into frontend/dist: cargo for wasm32, then wasm-bindgen. Uses the normal wasm32
# target when rustup has it; otherwise Debian's toolchain
# ("debian-web", see scripts/setup.sh) with the standard library built from source.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}/wasm"
if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  cargo build --release --target wasm32-unknown-unknown
else
  RUSTUP_TOOLCHAIN=debian-web RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
    cargo build --release --target wasm32-unknown-unknown
fi
rm -rf dist.new && mkdir -p dist.new
# No wasm-opt: Debian's binaryen (108) predates the reference types rustc now emits and breaks
# the module; the server compresses the .wasm instead (about 300 KB over the wire).
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir dist.new --out-name crm "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/crm-frontend.wasm"
cp index.html style.css dist.new/
rm -rf dist && mv dist.new dist
echo "SPA built into frontend/dist ($(du -h dist/crm_bg.wasm | cut -f1) of wasm)"
