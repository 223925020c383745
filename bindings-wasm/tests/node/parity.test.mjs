// Native/WASM parity (issue 6): every shared vector case and a few hundred generated mutations
// of them, run natively by `cargo run --example parity` (tests/examples/parity.rs), must give
// the same result, or the same error code and path, in the WASM build, whose `usize` is 32
// bits. PARITY_CASES sets the number of mutations (scripts/fuzz.sh raises it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

import * as crmkit from "crmkit";
import { callVector } from "../shared/vectors.mjs";
import { repoRoot } from "../repo.mjs";

const mutations = process.env.PARITY_CASES ?? "300";

test(`native and WASM agree on the vectors and ${mutations} mutations`, () => {
  const text = execFileSync("cargo", ["run", "-q", "--locked", "-p", "crmkit-tests", "--example", "parity", "--", mutations], {
    cwd: repoRoot,
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const cases = JSON.parse(text);
  assert.ok(cases.length > Number(mutations), "the generator wrote the vectors and the mutations");
  const mismatches = [];
  for (const [i, c] of cases.entries()) {
    let got;
    try {
      got = { result: callVector(crmkit, c.function, c) };
    } catch (e) {
      if (e?.name !== "CrmkitError") {
        mismatches.push(`#${i} ${c.function}: threw ${e?.name}: ${e?.message}`);
        continue;
      }
      got = { error: { code: e.code, path: e.path } };
    }
    const want = c.error ? { error: c.error } : { result: c.result };
    try {
      assert.deepEqual(got, want);
    } catch {
      mismatches.push(`#${i} ${c.function} ${JSON.stringify({ config: c.config, input: c.input, as_of: c.as_of }).slice(0, 300)}: native ${JSON.stringify(want).slice(0, 200)}, wasm ${JSON.stringify(got).slice(0, 200)}`);
    }
  }
  console.log(`parity: ${cases.length - mismatches.length} of ${cases.length} cases agree`);
  assert.deepEqual(mismatches, []);
});
