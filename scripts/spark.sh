#!/usr/bin/env bash
# crmkit.spark's tests in a local[2] SparkSession, part of the test command (scripts/test.sh).
#
#   bash scripts/spark.sh           set up if needed, install the built wheel, run the tests
#   bash scripts/spark.sh --setup   set up only: Java (Debian's headless JRE, when `java` is
#                                   missing) and a venv of its own, target/spark-venv, with
#                                   what the `crmkit[spark]` extra declares (pyspark >= 4,
#                                   pandas < 3 as pyspark needs, pyarrow, numpy) and pytest
#
# scripts/test.sh starts `--setup` in the background at its beginning, while cargo compiles,
# and runs the tests after the Python step has built the wheel. The cost is the pyspark
# package: PyPI has it as a 456 MB sdist only (no wheel), which pip downloads (about 5 s
# here) and repacks into a wheel (about 20 s of one core) before installing it; cold, the
# whole venv takes about 1 minute on an idle machine, hidden behind cargo in test.sh.
# (Last session's 8 minutes were waiting, with 37 s of CPU in them: on I/O, with 456 MB written
# three times to a disk that was then nearly full, and on the download.)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/spark-venv
setup() {
  if ! command -v java >/dev/null 2>&1; then
    # Spark 4 runs on Java 17 or 21; Debian 12's headless JRE, without a desktop.
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    apt-get clean
  fi
  java -version 2>&1 | head -1
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if ! "$venv/bin/python" -c 'import pyspark, pandas, pyarrow, numpy, pytest' >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install -q --no-cache-dir "pyspark>=4" "pandas>=2.2,<3" "pyarrow>=14" "numpy>=1.23" "pytest>=8"
  fi
  "$venv/bin/python" -c 'import pyspark, pandas; print("pyspark", pyspark.__version__, "pandas", pandas.__version__)'
}

if [ "${1:-}" = "--setup" ]; then
  setup
  exit 0
fi
setup
wheel=$(ls target/wheels/crmkit-*.whl 2>/dev/null | head -1 || true)
[ -n "$wheel" ] || { echo "spark.sh: no wheel in target/wheels; run scripts/python.sh --build-only" >&2; exit 1; }
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$wheel"
# CRMKIT_REQUIRE_SPARK: fail rather than skip when pyspark cannot be imported.
CRMKIT_REQUIRE_SPARK=1 "$venv/bin/python" -m pytest bindings-python/tests/test_spark.py -q -p no:cacheprovider
