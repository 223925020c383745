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

  test("a stage or key code past its labels is the row's error (the kernel's loop by stage code; cell indices past 2^32)", () => {
    // 1,000 rows by owner, placement half_elapsed (no date read: the loop by stage code).
    const n = 1000;
    const policy = {
      stages: [
        { name: "lead", conversion: "0.3", duration: "30" },
        { name: "won", kind: "won" },
        { name: "lost", kind: "lost" },
        { name: "proposal", conversion: "0.6", duration: "15" },
        { name: "demo", conversion: "0.5", duration: "20" },
      ],
      duration_unit: "days",
      placement: "half_elapsed",
      group_by: ["owner"],
    };
    const columns = () => ({
      stage: Int32Array.from({ length: n }, (_, i) => i % 5),
      stageLabels: ["lead", "won", "lost", "proposal", "demo"],
      amountUnits: BigInt64Array.from({ length: n }, (_, i) => BigInt(1000 + i)),
      enteredStageOn: Int32Array.from({ length: n }, (_, i) => 20400 + (i % 50)),
      keys: [{ codes: Int32Array.from({ length: n }, (_, i) => (i % 4) - 1), labels: ["a", "b", "c"] }],
    });
    const run = (change) => {
      const c = columns();
      change(c);
      return crmkit.forecastColumns(policy, c, "2026-01-05", { output: "columns" });
    };
    assert.equal(run(() => {}).totals.open.deals, 600);
    // 5 labels: 8 codes a group's row; 5 to 7 in the row, 8 and up past it (the next group's).
    for (const code of [5, 7, 8, 2 ** 31 - 1, -(2 ** 31)]) {
      assert.throws(() => run((c) => (c.stage[700] = code)), { code: "unknown_stage", path: "stage[700]" }, String(code));
    }
    assert.throws(() => run((c) => (c.stage[700] = -1)), { code: "missing_value", path: "stage[700]" });
    // Past the labels; -2 and 2^31 - 1 put the cell past 2^32 (wasm32's usize), and so does
    // 2^29, whose cell's low 32 bits are a valid one's.
    for (const code of [3, 4, -2, 2 ** 29, 2 ** 31 - 1, -(2 ** 31)]) {
      assert.throws(() => run((c) => (c.keys[0].codes[700] = code)), { code: "invalid_value", path: "keys[0][700]" }, String(code));
    }
    assert.throws(() => run((c) => (c.amountUnits[700] = -5n)), { code: "negative_amount", path: "amount[700]" });
  });
});
