#!/usr/bin/env bash
# Builds the Python package crmkit: an abi3 wheel and an sdist in target/wheels.
#
#   bash scripts/python.sh               build, install the wheel into .venv, run pytest on the
#                                        INSTALLED package (needs scripts/setup.sh first)
#   bash scripts/python.sh --build-only  build only, portable: a manylinux_2_17 (manylinux2014)
#                                        wheel linked by zig against glibc 2.17, plus the sdist.
#                                        Needs python3 and Rust only: maturin and ziglang go into
#                                        a venv of its own (target/build-venv).
#   bash scripts/python.sh --test-only   install the wheel the last build left in target/wheels
#                                        into .venv and run pytest (scripts/test.sh builds the
#                                        wheel in the background while the Rust tests run)
#
# The test build links against this machine's glibc (a manylinux_2_34 wheel, fast and cached);
# with CRMKIT_PORTABLE_WHEEL=1 (as .ci/run sets it) the tests run on the portable wheel instead.
# Portable builds keep their own cargo target folder (target/portable): zig's linker settings
# would otherwise rebuild everything in target/release each time one switches.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in
  all | --build-only | --test-only) ;;
  *) echo "python.sh: unknown option $mode" >&2; exit 2 ;;
esac
build_only=false
[ "$mode" = --build-only ] && build_only=true
# --build-only builds the portable wheel unless CRMKIT_PORTABLE_WHEEL=0 asks for the native one.
if $build_only; then portable=${CRMKIT_PORTABLE_WHEEL:-1}; else portable=${CRMKIT_PORTABLE_WHEEL:-0}; fi

out=target/wheels
# The build: the wheel (native, or portable with zig) and the sdist, into $out.
build() {
  mkdir -p "$out"
  rm -f "$out"/crmkit-*.whl "$out"/crmkit-*.tar.gz

  if [ -x .venv/bin/maturin ]; then
    venv=.venv
  elif $build_only; then
    venv=target/build-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  else
    echo "python.sh: .venv/bin/maturin missing; run scripts/setup.sh first (or use --build-only)" >&2
    exit 1
  fi
  if [ "$portable" = 1 ] && ! "$venv/bin/python" -c 'import maturin, ziglang' >/dev/null 2>&1; then
    # ziglang: zig's linker and glibc 2.17 stubs, how maturin builds manylinux2014 wheels.
    "$venv/bin/python" -m pip install -q "maturin>=1.9,<2" ziglang
  fi

  started=$(date +%s)
  if [ "$portable" = 1 ]; then
    # maturin finds zig as `python -m ziglang` on PATH.
    PATH="$PWD/$venv/bin:$PATH" CARGO_TARGET_DIR=target/portable "$venv/bin/maturin" build --release --locked \
      -i "$venv/bin/python" -m bindings-python/Cargo.toml -o "$out" --zig --compatibility manylinux2014
  else
    "$venv/bin/maturin" build --release --locked -i "$venv/bin/python" -m bindings-python/Cargo.toml -o "$out"
  fi
  "$venv/bin/maturin" sdist -m bindings-python/Cargo.toml -o "$out"
  wheel=$(ls "$out"/crmkit-*.whl)
  printf 'wheel: %s (%s KB, %s s)\n' "$(basename "$wheel")" "$(($(stat -c %s "$wheel") / 1024))" "$(($(date +%s) - started))"
  printf 'sdist: %s\n' "$(basename "$(ls "$out"/crmkit-*.tar.gz)")"
}
[ "$mode" = --test-only ] || build
$build_only && exit 0

wheel=$(ls "$out"/crmkit-*.whl 2>/dev/null | head -1 || true)
[ -n "$wheel" ] || { echo "python.sh --test-only: no wheel in $out; run scripts/python.sh --build-only" >&2; exit 1; }
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
# From the repo root, but `crmkit` must resolve to site-packages, not bindings-python/python:
# test_api.py checks it.
CRMKIT_PORTABLE_WHEEL=$portable .venv/bin/python -m pytest bindings-python/tests -q
