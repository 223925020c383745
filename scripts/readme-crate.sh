#!/usr/bin/env bash
# The root README's Rust example, compiled and run as a user would: in a new crate whose only
# dependency is crmkit (no chrono, no rust_decimal of its own). Its target folder persists
# under target/, so a warm run takes a second; a cold one compiles crmkit's dependencies once
# more (about 40 s on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=target/readme-crate
mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<'TOML'
[package]
name = "readme-example"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
crmkit = { path = "../../core" }

[workspace]
TOML
# The workspace's lock file pins the same versions (and lets this run offline).
cp Cargo.lock "$dir/Cargo.lock"

# The first ```rust block of README.md; rustdoc's hidden `# ` lines shown, the trailing
# `Ok::<(), crmkit::Error>(())` as main's result.
{
  echo 'fn main() -> Result<(), crmkit::Error> {'
  awk '/^```rust$/ { inside = 1; next } inside && /^```$/ { exit } inside' README.md |
    sed -e 's/^# Ok::<(), crmkit::Error>(())$/Ok(())/' -e 's/^# //'
  echo '}'
} >"$dir/src/main.rs"

out=$(CARGO_TARGET_DIR="$dir/target" cargo run -q --offline --manifest-path "$dir/Cargo.toml")
echo "$out"
# What the README's comment says it prints.
want=$(grep -oE '// 2026-12 180000\.00, 2027-01 180000\.00, 2027-02 180000\.00' README.md | head -1)
[ -n "$want" ] || { echo "readme-crate.sh: the README's printed-output comment changed" >&2; exit 1; }
got=$(echo "$out" | paste -sd, - | sed 's/,/, /g')
[ "// $got" = "$want" ] || { echo "readme-crate.sh: printed '$got', the README says '$want'" >&2; exit 1; }
echo "README Rust example: compiles and runs in a crate that depends only on crmkit"
