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
bash scripts/setup.sh --no-wasm-bindgen
logs=target/test-logs
mkdir -p "$logs"

# Three jobs run in the background while cargo checks and tests in the foreground, each with its
# own log and cargo target folder (cargo locks a target folder for the length of a build):
# - spark-setup: Spark's venv (pyspark is a 456 MB sdist that pip repacks);
# - python-build: the wheel pytest runs on, the portable manylinux_2_17 one users get from
#   `scripts/python.sh --build-only`, here and in CI alike (CRMKIT_PORTABLE_WHEEL=0 builds the
#   faster native one instead while developing);
# - wasm-build: the wasm-bindgen CLI (a cargo install), then, once the wheel is built, the WASM
#   package (fat LTO and one codegen unit, then wasm-opt: minutes of one core).
# Much of the foreground's time is one rustc on one core; on 2 cores the background mostly fills
# the other one. The wheel and the WASM package are built one after the other, so that at most
# two large rustc run at a time (memory).
# `bg NAME CMD...` starts CMD with its output in $logs/NAME.log and its exit status in
# $logs/NAME.rc; `finished NAME` waits until it has ended; `await NAME` waits for it, and on a
# failure prints the log and fails.
bg() {
  local name=$1
  shift
  rm -f "$logs/$name.rc"
  ( set +e; "$@" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc" ) &
}
finished() { until [ -e "$logs/$1.rc" ]; do sleep 1; done; }
await() {
  local name=$1 since
  since=$(date +%s)
  finished "$name"
  echo "waited $(( $(date +%s) - since ))s for $name"
  if [ "$(cat "$logs/$name.rc")" != 0 ]; then
    cat "$logs/$name.log"
    echo "$name failed (log: $logs/$name.log)" >&2
    return 1
  fi
}
# On a failure in the foreground the background jobs stop too, their cargo and rustc included.
kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
trap 'for job in $(jobs -p); do kill_tree "$job"; done' EXIT
wasm_build() {
  bash scripts/setup.sh --wasm-bindgen || return 1
  finished python-build
  bash scripts/wasm.sh --build-only
}
bg spark-setup bash scripts/spark.sh --setup
bg python-build env CRMKIT_PORTABLE_WHEEL="${CRMKIT_PORTABLE_WHEEL:-1}" bash scripts/python.sh --build-only
bg wasm-build wasm_build

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (native, all targets; wasm crate for wasm32)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p crmkit-wasm --target wasm32-unknown-unknown --locked -- -D warnings

step "cargo doc (broken intra-doc links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -p crmkit --no-deps --locked -q

step "Rust tests and doctests (vectors, proptests, the crate docs' examples)"
cargo test --workspace --locked
cargo test -q -p crmkit-tests --test vectors --locked -- --nocapture 2>&1 | tee "$logs/rust.log"

step "Rust: the README's example in a new crate that depends only on crmkit"
bash scripts/readme-crate.sh

step "Python: install the wheel, pytest"
await python-build
cat "$logs/python-build.log"
CRMKIT_PORTABLE_WHEEL="${CRMKIT_PORTABLE_WHEEL:-1}" bash scripts/python.sh --test-only 2>&1 | tee "$logs/python.log"

step "Python on Spark: crmkit.spark in a local[2] SparkSession (scripts/spark.sh)"
await spark-setup
cat "$logs/spark-setup.log"
bash scripts/spark.sh 2>&1 | tee "$logs/spark.log"

step "WASM: node:test in Node and in headless Chromium"
await wasm-build
cat "$logs/wasm-build.log"
bash scripts/wasm.sh --test-only 2>&1 | tee "$logs/wasm.log"

step "all tests passed; the shared vectors in each runner:"
printf 'disk: %s free at the end, target/ %s\n' "$(df -h . | awk 'NR == 2 { print $4 }')" "$(du -sh target | cut -f1)"
grep -hE '^(rust|python|node|chromium) vectors: [0-9]+ passed, [0-9]+ failed' "$logs"/*.log
grep -hE '^(rust|python|node|chromium) vectors: ' "$logs"/*.log |
  awk '{ p += $3; f += $5; n++; if (n == 1 || $3 != first) { if (n > 1) uneven = 1; first = $3 } }
       END { if (n != 4 || f != 0 || uneven) { print "the four runners must run every vector: counts differ or a case failed" > "/dev/stderr"; exit 1 }
             printf "vectors: %d passed, %d failed\n", p, f }'
