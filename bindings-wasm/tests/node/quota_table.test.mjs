// quotaColumns with `{ output: "columns" }`: the report's lines as typed arrays, exactly the
// figures of the report the same call gives without it (checked over seeded books, quotas and
// policies in tests/shared/quota_table.mjs, which the Chromium test runs too), the same errors,
// and the options refused as crmkit refuses bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

import { outputOptionTests } from "./output_options.mjs";
import { checkQuotaErrors, checkQuotaTables, quotaCases, quotaTableMismatch } from "../shared/quota_table.mjs";

describe("quotaColumns' table holds its report", () => {
  for (const { name, lines, reasons, mismatch } of checkQuotaTables(crmkit)) {
    test(`${name} (${lines} lines)`, () => {
      assert.equal(mismatch, null);
      assert.ok(lines > 0, "the case has lines");
      assert.ok(reasons >= 2, `the case reaches ${reasons} reason lists`);
    });
  }
  // (A zero quota is always met: ["quota_set", "zero_quota"] alone is never a line's.)
  test("every reason list a line can have is reached by some case", () => {
    const reached = new Set();
    for (const c of quotaCases()) {
      const t = crmkit.quotaColumns(c.policy, c.quota, c.columns, c.data, c.asOf, { output: "columns" });
      for (const r of t.lines.reasons) reached.add(r);
    }
    assert.deepEqual([...reached].sort(), [0, 1, 2, 4]);
  });
});

describe("quotaColumns' table", () => {
  const [byOwner] = quotaCases();
  const call = (options) => crmkit.quotaColumns(byOwner.policy, byOwner.quota, byOwner.columns, byOwner.data, byOwner.asOf, options);

  test("typed arrays, money as BigInt units of the policy's places, rates of rate_dp", () => {
    const t = call({ output: "columns" });
    assert.equal(t.scale, 2);
    assert.equal(t.rateScale, 4);
    assert.ok(t.lines.key instanceof Int32Array && t.lines.period instanceof Int32Array);
    for (const f of ["quota", "gap", "wonAmount", "openAmount", "openWeighted", "attainment", "coverage", "weightedCoverage"]) {
      assert.ok(t.lines[f] instanceof BigInt64Array, f);
    }
    for (const f of ["quotaMissing", "gapMissing", "attainmentMissing", "coverageMissing", "weightedCoverageMissing", "reasons"]) {
      assert.ok(t.lines[f] instanceof Uint8Array, f);
    }
    assert.deepEqual(t.reasonLists, [["no_quota"], ["quota_set"], ["quota_set", "quota_met"], ["quota_set", "zero_quota"], ["quota_set", "zero_quota", "quota_met"]]);
    assert.equal("lines" in t && Array.isArray(t.lines), false);
    // A deal without an owner is the key whose value is null (sorted first).
    assert.equal(t.keys[0][0], null);
  });

  test("the checker catches a table that differs from its report", () => {
    const report = call();
    const altered = call({ output: "columns" });
    const i = altered.lines.quotaMissing.indexOf(0);
    altered.lines.quota[i] += 1n;
    assert.match(quotaTableMismatch(report, altered, byOwner.quota.group_by), new RegExp(`^lines\\[${i}\\]\\.quota`));
    const unmarked = call({ output: "columns" });
    const j = unmarked.lines.quotaMissing.indexOf(1);
    unmarked.lines.quotaMissing[j] = 0;
    assert.match(quotaTableMismatch(report, unmarked, byOwner.quota.group_by), new RegExp(`^lines\\[${j}\\]\\.quota`));
  });

  outputOptionTests(call, (out) => Array.isArray(out.lines));

  test("the same errors, with code and path, from both outputs", () => {
    const results = checkQuotaErrors(crmkit);
    assert.deepEqual(results.map((r) => [r.name, r.report]), [
      ["negative quota", "CrmkitError negative_amount quotas[3].amount"],
      ["won row without a close date", `CrmkitError missing_value expected_close_on[${byOwner.columns.stage.indexOf(4)}]`],
    ]);
    for (const r of results) assert.equal(r.table, r.report, r.name);
  });

  test("money that 64-bit units cannot hold is an overflow, not a wrong number", () => {
    const data = { quotas: [{ key: { owner: "rep01" }, period: "2026-Q4", amount: "100000000000000000" }] };
    const run = (options) => crmkit.quotaColumns(byOwner.policy, byOwner.quota, byOwner.columns, data, byOwner.asOf, options);
    const line = run().lines.find((l) => l.quota !== null);
    assert.equal(line.quota, "100000000000000000.00");
    assert.throws(() => run({ output: "columns" }), { code: "overflow", path: /^lines\[\d+\]\.quota$/ });
  });
});
