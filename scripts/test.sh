#!/usr/bin/env bash
# The one test command: installs what the tests need (each step skips itself when done),
# then runs every test: fmt, clippy, Rust tests and doctests, Python (pytest on the built
# wheel), crmkit.spark on a local Spark, WASM in Node and in headless Chromium. `.ci/run`
# calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

# No incremental compilation: a run compiles each crate once, and the incremental caches
# (~5 GB of target/debug) would only take disk.
export CARGO_INCREMENTAL=0
df -h . | awk 'NR == 2 { print "disk: " $4 " free of " $2 }'

step "install what the tests need"
bash scripts/setup.sh
# Spark's venv (pyspark is a 456 MB sdist that pip repacks) installs in the background while
# cargo compiles; the Spark tests wait for it after the Python step.
mkdir -p target/test-logs
bash scripts/spark.sh --setup >target/test-logs/spark-setup.log 2>&1 &
spark_setup=$!

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (native, all targets; wasm crate for wasm32)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p crmkit-wasm --target wasm32-unknown-unknown --locked -- -D warnings

step "cargo doc (broken intra-doc links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -p crmkit --no-deps --locked -q

logs=target/test-logs
mkdir -p "$logs"

step "Rust tests and doctests (vectors, proptests, the crate docs' examples)"
cargo test --workspace --locked
cargo test -q -p crmkit-tests --test vectors --locked -- --nocapture 2>&1 | tee "$logs/rust.log"

step "Rust: the README's example in a new crate that depends only on crmkit"
bash scripts/readme-crate.sh

step "Python: build the wheel, install it, pytest"
# pytest runs on the portable manylinux_2_17 wheel users get from `scripts/python.sh --build-only`,
# here and in CI alike (`.ci/run` is exactly this command); CRMKIT_PORTABLE_WHEEL=0 tests the
# faster native build instead while developing.
CRMKIT_PORTABLE_WHEEL="${CRMKIT_PORTABLE_WHEEL:-1}" bash scripts/python.sh 2>&1 | tee "$logs/python.log"

step "Python on Spark: crmkit.spark in a local[2] SparkSession (scripts/spark.sh)"
waited=$(date +%s)
wait "$spark_setup" || { cat target/test-logs/spark-setup.log; echo "Spark set-up failed" >&2; exit 1; }
cat target/test-logs/spark-setup.log
echo "waited $(( $(date +%s) - waited ))s for Spark's set-up"
bash scripts/spark.sh 2>&1 | tee "$logs/spark.log"

step "WASM: build for Node and the web, node:test in Node and in headless Chromium"
bash scripts/wasm.sh 2>&1 | tee "$logs/wasm.log"

step "all tests passed; the shared vectors in each runner:"
printf 'disk: %s free at the end, target/ %s\n' "$(df -h . | awk 'NR == 2 { print $4 }')" "$(du -sh target | cut -f1)"
grep -hE '^(rust|python|node|chromium) vectors: [0-9]+ passed, [0-9]+ failed' "$logs"/*.log
grep -hE '^(rust|python|node|chromium) vectors: ' "$logs"/*.log |
  awk '{ p += $3; f += $5; n++; if (n == 1 || $3 != first) { if (n > 1) uneven = 1; first = $3 } }
       END { if (n != 4 || f != 0 || uneven) { print "the four runners must run every vector: counts differ or a case failed" > "/dev/stderr"; exit 1 }
             printf "vectors: %d passed, %d failed\n", p, f }'
