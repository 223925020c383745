#!/usr/bin/env bash
# crmkit.spark's tests in a local[2] SparkSession, outside the test command: pyspark with its
# dependencies is about 800 MB and took 8 minutes to install on this project's machine, which
# would double a cold `.ci/run`. Needs Java 17 and a built wheel (scripts/python.sh or
# scripts/python.sh --build-only); makes its own venv, target/spark-venv (pyspark >= 4,
# pandas < 3 as pyspark needs, pyarrow, pytest).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/spark-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import pyspark, pandas, pyarrow, pytest' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "pyspark>=4" "pandas>=2.2,<3" "pyarrow>=14" "numpy>=1.23" "pytest>=8"
fi
wheel=$(ls target/wheels/crmkit-*.whl 2>/dev/null | head -1 || true)
[ -n "$wheel" ] || { echo "spark.sh: no wheel in target/wheels; run scripts/python.sh --build-only" >&2; exit 1; }
"$venv/bin/pip" install -q --force-reinstall --no-deps "$wheel"
"$venv/bin/python" -m pytest bindings-python/tests/test_spark.py -q -p no:cacheprovider
