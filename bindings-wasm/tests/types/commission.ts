// computeCommission's declarations as a TypeScript user meets them.
import { computeCommission, type CommissionInput, type CommissionPlan, type CommissionReport, type Decimal } from "crmkit";

const plan: CommissionPlan = {
  kind: "graduated",
  tiers: [
    { from: "0", to: "50000", rate: "0.02" },
    { from: "50000", rate: "0.05" },
  ],
  rounding: { dp: 2, strategy: "half_up" },
};
const input: CommissionInput = {
  reps: [{ rep: "wang", quota: "100000", prior_credit: "145000" }],
  transactions: [{ id: "d1", on: "2026-03-10", amount: "20000", splits: [{ rep: "wang", weight: "1" }] }],
};
const report: CommissionReport = computeCommission(plan, input, "2026-03-31");
const pay: Decimal = report.reps[0].final;
const slice: Decimal | null = report.reps[0].lines[0].rate;

// Rates are decimal strings, never numbers:
// @ts-expect-error
const floatRate: CommissionPlan = { kind: "flat", rate: 0.1 };
// The kind is one of the declared names:
// @ts-expect-error
const typo: CommissionPlan = { kind: "stepped" };

export { pay, slice, floatRate, typo };
