// computeCommission from JS: what only JS can get wrong (numbers as money, thrown Errors).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const plan = {
  kind: "graduated",
  tiers: [
    { from: "0", to: "50000", rate: "0.02" },
    { from: "50000", to: "100000", rate: "0.05" },
    { from: "100000", rate: "0.08" },
  ],
};
const sale = { id: "d1", on: "2026-03-10", amount: "120000", rep: "wang" };

test("computeCommission pays 5,100.00 on 120,000 in three slices, money as strings", () => {
  const report = crmkit.computeCommission(plan, { transactions: [sale] }, "2026-03-31");
  assert.equal(report.reps[0].final, "5100.00");
  assert.deepEqual(report.reps[0].lines.map((l) => l.amount), ["1000.00", "2500.00", "1600.00"]);
});

test("a JS number as money or rate is refused; NaN too", () => {
  assert.throws(() => crmkit.computeCommission(plan, { transactions: [{ ...sale, amount: 120000.5 }] }, "2026-03-31"), {
    name: "CrmkitError",
    code: "invalid_decimal",
    path: "transactions[0].amount",
  });
  // NaN is never money (its code is the hardening rules' to choose: it must not be paid on).
  assert.throws(() => crmkit.computeCommission(plan, { transactions: [{ ...sale, amount: NaN }] }, "2026-03-31"), {
    name: "CrmkitError",
    path: "transactions[0].amount",
  });
  assert.throws(() => crmkit.computeCommission({ kind: "flat", rate: 0.1 }, { transactions: [] }, "2026-03-31"), {
    name: "CrmkitError",
    code: "invalid_decimal",
    path: "rate",
  });
});

// commissionColumns: typed arrays in, typed arrays out; money never a JS number.
const columns = (extra = {}) => ({
  rep: Int32Array.from([0, 0]),
  repLabels: ["wang"],
  on: Int32Array.from([20522, 20523]), // 2026-03-10, 2026-03-11
  amountUnits: BigInt64Array.from([6_000_000n, 6_000_000n]),
  amountScale: 2,
  ...extra,
});

test("commissionColumns pays each row in integer units and gives the lines as columns", () => {
  const out = crmkit.commissionColumns(plan, columns(), "2026-03-31", { statements: true });
  assert.ok(out.final instanceof BigInt64Array);
  assert.deepEqual(Array.from(out.final), [150_000n, 360_000n]);
  assert.equal(out.scale, 2);
  assert.equal(out.reps[0].final, "5100.00");
  assert.equal(out.lines.amount.length, 8);
  // Row by row; each final line followed by its provisional twin (the statements agree here).
  const final = Array.from(out.lines.amount).filter((_, j) => out.lines.provisional[j] === 0);
  assert.deepEqual(final, [100_000n, 50_000n, 200_000n, 160_000n]);
  assert.deepEqual(Array.from(out.lines.provisional.slice(0, 4)), [0, 1, 0, 1]);
  assert.deepEqual(out.kindLabels[out.lines.kind[0]], "tier_slice");
  assert.equal(crmkit.commissionColumns(plan, columns(), "2026-03-31").lines, null);
});

test("commissionColumns checks its day, flag and amount columns", () => {
  const bad = (extra, code, path) =>
    assert.throws(() => crmkit.commissionColumns(plan, columns(extra), "2026-03-31"), { name: "CrmkitError", code, path });
  bad({ on: Int32Array.from([20522, 3_000_000]) }, "invalid_date", "on[1]"); // beyond 9999-12-31
  bad({ on: Int32Array.from([-800_000, 20522]) }, "invalid_date", "on[0]"); // before 0001-01-01
  bad({ on: Int32Array.from([20522, -2147483648]) }, "missing_value", "on[1]");
  bad({ on: Int32Array.from([20522, 20600]) }, "date_after_as_of", "on[1]");
  bad({ refund: Uint8Array.from([0, 2]) }, "invalid_value", "refund[1]");
  bad({ amountUnits: Float64Array.from([1.5, 2]) }, "invalid_decimal", "amount[0]");
  bad({ amountUnits: Float64Array.from([NaN, 2]) }, "invalid_type", "amount[0]");
  bad({ rep: Int32Array.from([0, 1]) }, "invalid_value", "rep[1]");
  bad({ repLabels: ["wang", "wang"] }, "duplicate_name", "rep_labels[1]");
  bad({ on: Int32Array.from([20522]) }, "invalid_value", "on");
  assert.throws(() => crmkit.commissionColumns(plan, columns(), "2026-03-31", { statements: "yes" }), {
    code: "invalid_type",
    path: "statements",
  });
});
