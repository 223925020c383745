#!/usr/bin/env bash
# Installs everything crmkit's tests need; each step skips itself when already done.
# Debian + rustup + Python 3.11 + Node 20, as root; reaches only the crates, PyPI, npm and
# Debian registries.
#
#   bash scripts/setup.sh                      everything
#   bash scripts/setup.sh --no-wasm-bindgen    everything but the wasm-bindgen CLI
#   bash scripts/setup.sh --wasm-bindgen       the wasm-bindgen CLI only (a `cargo install` of
#                                              about 2.5 minutes of 2 cores, cold: scripts/test.sh
#                                              runs it in the background, beside cargo clippy)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n== %s\n' "$*"; }
part=${1:-all}
case "$part" in
  all | --no-wasm-bindgen | --wasm-bindgen) ;;
  *) echo "setup.sh: unknown option $part" >&2; exit 2 ;;
esac

wasm_bindgen() {
  say "wasm-bindgen CLI, the exact version in Cargo.lock"
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "$want"
  else
    echo "wasm-bindgen $have"
  fi
}
if [ "$part" = --wasm-bindgen ]; then
  wasm_bindgen
  exit 0
fi

say "rust components and the wasm32 target"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

[ "$part" = --no-wasm-bindgen ] || wasm_bindgen

say "chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  apt-get clean
fi
chromium --version

say "python virtualenv (.venv): maturin, pytest, pandas, numpy, polars, pyarrow, hypothesis, duckdb"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import maturin, pytest, pandas, numpy, polars, pyarrow, hypothesis, duckdb' >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q --no-cache-dir --upgrade pip
  .venv/bin/python -m pip install -q --no-cache-dir -r scripts/requirements-test.txt
fi
.venv/bin/python -c 'import pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)'

say "npm packages of the wasm package's tests"
if [ ! -d bindings-wasm/node_modules ]; then
  (cd bindings-wasm && npm ci --no-audit --no-fund)
fi
