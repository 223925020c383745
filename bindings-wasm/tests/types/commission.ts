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

// Payment interest, collections and discount routing.
import {
  collections,
  paymentInterest,
  routeDiscount,
  type Batch,
  type CollectionsReport,
  type DiscountPolicy,
  type DiscountRoute,
  type InterestPolicy,
  type InterestReport,
} from "crmkit";

const batches: Batch[] = [
  { id: "inv1", customer: "acme", invoice_on: "2026-01-01", due_on: "2026-01-31", amount: "100000", payments: [{ on: "2026-03-17", amount: "100000" }] },
];
const interestPolicy: InterestPolicy = { early_rate: "0.06", late_rate: "0.18", day_count: "actual_365" };
const interest: InterestReport = paymentInterest(interestPolicy, batches, "2026-03-31");
const owed: Collections = collections({}, batches, "2026-03-31");
type Collections = CollectionsReport;
const discount: DiscountPolicy = { bands: [{ below: "0.9", approvers: ["manager"] }, { below: "0.7", approvers: ["vice_president"] }] };
const route: DiscountRoute = routeDiscount(discount, { list_price: "1000", price: "650" });

// Rates are decimal strings; the day count is one of the declared conventions:
// @ts-expect-error
const floatInterest: InterestPolicy = { early_rate: 0.06 };
// @ts-expect-error
const badDayCount: InterestPolicy = { day_count: "30_360" };
// @ts-expect-error: a price is a decimal string
routeDiscount(discount, { list_price: 1000, price: "650" });

export { interest, owed, route, floatInterest, badDayCount };
