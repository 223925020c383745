#!/usr/bin/env bash
# Builds the abi3 wheel of the Python package, installs it into .venv, and runs pytest on the
# INSTALLED package (shared vectors, API, DataFrame entry point). Needs scripts/setup.sh first
# (the .venv with maturin, pytest, pandas, numpy).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/maturin ]; then
  echo "python.sh: .venv/bin/maturin missing; run scripts/setup.sh first" >&2
  exit 1
fi

out=target/wheels
mkdir -p "$out"
rm -f "$out"/crmkit-*.whl
.venv/bin/maturin build --release --locked -i .venv/bin/python -m bindings-python/Cargo.toml -o "$out"
wheel=$(ls "$out"/crmkit-*.whl)
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
printf 'wheel: %s (%s KB)\n' "$(basename "$wheel")" "$(( $(stat -c %s "$wheel") / 1024 ))"

# From the repo root, but `crmkit` must resolve to site-packages, not bindings-python/python:
# test_api.py checks it.
.venv/bin/python -m pytest bindings-python/tests -q
