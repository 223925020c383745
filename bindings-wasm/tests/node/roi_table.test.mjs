// campaignRoiColumns with `{ output: "columns" }`: the report's campaign lines as typed arrays,
// exactly the figures of the report the same call gives without it (checked over seeded
// campaigns and policies in tests/shared/roi_table.mjs, which the Chromium test runs too), the
// same errors, and the options refused as crmkit refuses bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

import { outputOptionTests } from "./output_options.mjs";
import { checkRoiErrors, checkRoiTables, roiCases, roiTableMismatch } from "../shared/roi_table.mjs";

describe("campaignRoiColumns' table holds its report", () => {
  for (const { name, lines, mismatch } of checkRoiTables(crmkit)) {
    test(`${name} (${lines} lines)`, () => assert.equal(mismatch, null));
  }
  test("the cases reach every reason", () => {
    const reached = new Set();
    for (const c of roiCases()) {
      const t = crmkit.campaignRoiColumns(c.policy, c.columns, { output: "columns" });
      for (const bits of t.campaigns.reasons) for (let k = 0; k < 16; k++) if ((bits >> k) & 1) reached.add(t.reasonCodes[k]);
    }
    assert.deepEqual([...reached].sort(), [...crmkit.campaignRoiColumns({}, roiCases()[0].columns, { output: "columns" }).reasonCodes].sort());
  });
});

describe("campaignRoiColumns' table", () => {
  const [plain] = roiCases();
  const call = (options, policy = plain.policy) => crmkit.campaignRoiColumns(policy, plain.columns, options);

  test("typed arrays, money as BigInt units of rounding.dp, percentages of percent_rounding.dp", () => {
    const t = call({ output: "columns" });
    assert.equal(t.scale, 2);
    assert.equal(t.percentScale, 1);
    assert.deepEqual(t.funnel, ["leads", "customers", "opportunities", "won"]);
    assert.equal(t.reasonCodes.length, 12);
    assert.equal(t.idLabels, plain.columns.idLabels);
    assert.ok(Array.isArray(t.channels) && t.total.key === "total");
    for (const f of ["cost", "wonRevenue", "netReturn", "budget", "roas", "cac", "roiPct", "wonFromTopPct", "customersFromPreviousPct"]) {
      assert.ok(t.campaigns[f] instanceof BigInt64Array, f);
    }
    for (const f of ["budgetMissing", "roasMissing", "roiPctMissing", "leadsFromTopPctMissing"]) assert.ok(t.campaigns[f] instanceof Uint8Array, f);
    for (const f of ["campaigns", "leads", "newCustomers", "wonCount"]) assert.ok(t.campaigns[f] instanceof Float64Array, f);
    assert.ok(t.campaigns.reasons instanceof Uint16Array);
    assert.equal("costMissing" in t.campaigns, false);
    // Line i is input row i: its id is the row's code.
    assert.deepEqual(t.campaigns.id, plain.columns.id);
  });

  test("the checker catches a table that differs from its report", () => {
    const report = call();
    const altered = call({ output: "columns" });
    const i = altered.campaigns.roiPctMissing.indexOf(0);
    altered.campaigns.roiPct[i] += 1n;
    assert.match(roiTableMismatch(report, altered, plain.columns), new RegExp(`^campaigns\\[${i}\\]\\.roiPct`));
    const unmarked = call({ output: "columns" });
    const j = unmarked.campaigns.budgetMissing.indexOf(1);
    unmarked.campaigns.budgetMissing[j] = 0;
    assert.match(roiTableMismatch(report, unmarked, plain.columns), new RegExp(`^campaigns\\[${j}\\]\\.budget`));
    const bits = call({ output: "columns" });
    bits.campaigns.reasons[0] ^= 1;
    assert.match(roiTableMismatch(report, bits, plain.columns), /^campaigns\[0\]\.reasons/);
  });

  test("pro rata pieces as columns, at the pieces' largest places", () => {
    const c = roiCases().find((x) => x.policy.cost_allocation === "pro_rata");
    const report = crmkit.campaignRoiColumns(c.policy, c.columns);
    const t = crmkit.campaignRoiColumns(c.policy, c.columns, { output: "columns" });
    assert.ok(t.costPeriods.offsets.at(-1) > t.campaigns.id.length, "runs crossing a month end");
    assert.equal(t.costPeriods.scale, 3); // costs entered at 3 places keep them in their pieces
    assert.ok(t.costPeriods.budgetMissing.includes(1) && t.costPeriods.budgetMissing.includes(0));
    const r = t.costPeriods.offsets[t.costPeriods.offsets.findIndex((o, i) => t.costPeriods.offsets[i + 1] > o)];
    t.costPeriods.cost[r] += 1n;
    assert.match(roiTableMismatch(report, t, c.columns), /\.cost_periods\[0\]/);
    assert.equal(call({ output: "columns" }).costPeriods.offsets.at(-1), 0, "none as entered");
  });

  outputOptionTests(call, (out) => Array.isArray(out.campaigns));

  test("the same errors, with code and path, from both outputs", () => {
    const results = checkRoiErrors(crmkit);
    assert.deepEqual(results.map((r) => [r.name, r.report]), [
      ["negative cost", "CrmkitError negative_amount cost[7]"],
      ["campaign without a channel", "CrmkitError missing_value channel[3]"],
      ["bad funnel", "CrmkitError invalid_value funnel[1]"],
    ]);
    for (const r of results) assert.equal(r.table, r.report, r.name);
  });

  test("money that 64-bit units cannot hold is an overflow, not a wrong number", () => {
    const columns = { id: Int32Array.from([0]), idLabels: ["big"], channel: Int32Array.from([0]), channelLabels: ["search"], cost: ["1000000000000000"] };
    const policy = { rounding: { dp: 4 } };
    assert.equal(crmkit.campaignRoiColumns(policy, columns).campaigns[0].cost, "1000000000000000.0000");
    assert.throws(() => crmkit.campaignRoiColumns(policy, columns, { output: "columns" }), { code: "overflow", path: "campaigns[0].cost" });
  });
});
