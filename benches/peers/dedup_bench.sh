#!/usr/bin/env bash
# The dedup peer benchmark: makes its own virtualenv (target/bench-venv) with Splink,
# recordlinkage and the crmkit wheel, then runs benches/peers/dedup_peers.py. Never run by
# the test command: the peers come from PyPI here only.
#
#   bash benches/peers/dedup_bench.sh 100000 1000000 [--only=crmkit,splink] [--timeout=3600]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q 'splink>=4.0,<5' 'recordlinkage==0.16' pandas pyarrow scipy numpy
if ! ls target/wheels/crmkit-*.whl >/dev/null 2>&1; then
  .venv/bin/maturin build --release --locked -i .venv/bin/python -m bindings-python/Cargo.toml -o target/wheels
fi
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps target/wheels/crmkit-*.whl
"$venv/bin/python" benches/peers/dedup_peers.py "$@"
