#!/usr/bin/env bash
# The fuzz properties of the test command, run longer: arbitrary JSON and mutated vectors to
# every entry point in Rust, hypothesis in Python (installed wheel: run scripts/python.sh
# first), native/WASM parity over a larger generated file in Node (scripts/wasm.sh first).
#
#   bash scripts/fuzz.sh [cases]     default 5000 per property
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-5000}

echo "== Rust: tests/tests/fuzz.rs with PROPTEST_CASES=$cases"
PROPTEST_CASES=$cases cargo test --release -p crmkit-tests --test fuzz --locked

echo "== Python: hypothesis properties (profile fuzz)"
HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest bindings-python/tests/test_properties.py -q

echo "== Node: native/WASM parity over $cases generated cases"
PARITY_CASES=$cases node --test bindings-wasm/tests/node/parity.test.mjs
