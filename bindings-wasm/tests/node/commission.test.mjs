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
