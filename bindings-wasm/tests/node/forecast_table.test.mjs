// forecastColumns with `{ output: "columns" }`: the report's lines and groups as typed arrays,
// exactly the figures of the report the same call gives without it (checked over seeded books
// and policies in tests/shared/forecast_table.mjs, which the Chromium test runs too), and the
// options refused as crmkit refuses bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

import { book, checkTables, tableCases, tableMismatch } from "../shared/forecast_table.mjs";

describe("forecastColumns' table holds its report", () => {
  for (const { name, lines, mismatch } of checkTables(crmkit)) {
    test(`${name} (${lines} lines)`, () => {
      assert.equal(mismatch, null);
      assert.ok(lines > 0, "the case has lines");
    });
  }
});

describe("forecastColumns' table", () => {
  const [byOwner] = tableCases();
  const table = () => crmkit.forecastColumns(byOwner.policy, byOwner.columns, byOwner.asOf, { output: "columns" });

  test("typed arrays, money as BigInt units of the policy's places", () => {
    const t = table();
    assert.equal(t.scale, 2);
    assert.ok(t.lines.group instanceof Int32Array && t.lines.month instanceof Int32Array && t.lines.offset instanceof Uint32Array);
    assert.ok(t.lines.deals instanceof Float64Array && t.lines.amount instanceof BigInt64Array && t.lines.weighted instanceof BigInt64Array);
    assert.ok(t.groups.amount instanceof BigInt64Array);
    assert.equal(t.groups.beyondHorizon, null);
    // A deal without an owner is the group whose key is null (sorted first).
    assert.equal(t.groups.keys[0][0], null);
    // The lines' figures add up to the groups' within a unit per line (each is rounded once).
    const sum = (xs) => xs.reduce((a, b) => a + b, 0n);
    const slack = BigInt(t.lines.group.length);
    const diff = sum(t.lines.weighted) - sum(t.groups.weighted);
    assert.ok(diff <= slack && diff >= -slack, `${diff}`);
  });

  test("the checker catches a table that differs from its report", () => {
    const report = crmkit.forecastColumns(byOwner.policy, byOwner.columns, byOwner.asOf);
    const altered = table();
    altered.lines.amount[5] += 1n;
    assert.match(tableMismatch(report, altered, byOwner.policy.group_by), /^lines\[5\]\.amount/);
    const shifted = table();
    shifted.lines.month[0] += 1;
    assert.match(tableMismatch(report, shifted, byOwner.policy.group_by), /^lines\[0\]\.month/);
  });

  test("the same report by default and with output 'report'", () => {
    const want = crmkit.forecastColumns(byOwner.policy, byOwner.columns, byOwner.asOf);
    for (const options of [undefined, null, {}, { output: "report" }, { output: undefined }]) {
      assert.deepEqual(crmkit.forecastColumns(byOwner.policy, byOwner.columns, byOwner.asOf, options), want);
    }
  });

  test("options refused with a code and a path", () => {
    const run = (options) => () => crmkit.forecastColumns(byOwner.policy, byOwner.columns, byOwner.asOf, options);
    assert.throws(run("columns"), { name: "CrmkitError", code: "invalid_type", path: "options" });
    assert.throws(run([]), { code: "invalid_type", path: "options" });
    assert.throws(run({ output: "rows" }), { code: "invalid_value", path: "options.output" });
    assert.throws(run({ output: 1 }), { code: "invalid_type", path: "options.output" });
    // Input errors come first, as without options.
    assert.throws(() => crmkit.forecastColumns(byOwner.policy, byOwner.columns, "2026-13-01", { output: "rows" }), {
      code: "invalid_date",
      path: "as_of",
    });
  });

  test("money that 64-bit units cannot hold is an overflow, not a wrong number", () => {
    const columns = { ...book(3, 1), keys: [], stage: Int32Array.of(0, 0, 0) };
    columns.amountUnits = BigInt64Array.of(9_000_000_000_000_000_000n, 1n, 1n);
    columns.amountScale = 0;
    const policy = { ...byOwner.policy, group_by: [], rounding: { dp: 2 } };
    // The report holds it (decimal strings); 9e18 at 2 places is 9e20 units.
    assert.equal(crmkit.forecastColumns(policy, columns, byOwner.asOf).totals.open.amount, "9000000000000000002.00");
    assert.throws(() => crmkit.forecastColumns(policy, columns, byOwner.asOf, { output: "columns" }), { code: "overflow" });
  });
});
