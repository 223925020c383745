// attributeColumns (typed arrays) against attribute (plain objects), and compareAttribution's
// chart rows.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const DAY_MS = 86_400_000;
const days = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;

const journeys = [
  { id: "a", revenue: "1200.00", converted_on: "2026-04-30", touches: [
    { channel: "search", on: "2026-04-01", milestone: "lead_created" }, { channel: "email", on: "2026-04-05" },
    { channel: "events", on: "2026-04-29", milestone: "deal_created" }] },
  { id: "b", touches: [{ channel: "search", on: "2026-04-02" }, { channel: "email", on: "2026-04-03" }] },
  { id: "c", revenue: "99.99", converted_on: "2026-04-20", touches: [{ channel: "email", on: "2026-04-06" }, { channel: "web_ads", on: "2026-04-19" }] },
];

function toColumns(js) {
  const labels = [...new Set(js.flatMap((j) => j.touches.map((t) => t.channel)))];
  const rows = js.flatMap((j, k) => j.touches.map((t) => ({ j, k, t })));
  const units = (j) => (j.converted_on ? Math.round(Number(j.revenue) * 100) : 0);
  return {
    journey: Int32Array.from(rows, (r) => r.k),
    channel: Int32Array.from(rows, (r) => labels.indexOf(r.t.channel)),
    channelLabels: labels,
    on: Int32Array.from(rows, (r) => days(r.t.on)),
    revenueUnits: Float64Array.from(rows, (r) => units(r.j)),
    revenueScale: 2,
    convertedOn: Int32Array.from(rows, (r) => (r.j.converted_on ? days(r.j.converted_on) : -2147483648)),
    milestone: Int8Array.from(rows, (r) => ({ lead_created: 1, deal_created: 2 })[r.t.milestone] ?? 0),
  };
}

for (const kind of ["linear", "w_shaped", "time_decay", "markov", "shapley"]) {
  test(`attributeColumns agrees with attribute: ${kind}`, () => {
    const policy = { model: { kind } };
    const want = crmkit.attribute(policy, journeys);
    const got = crmkit.attributeColumns(policy, toColumns(journeys));
    assert.ok(got.credits instanceof Float64Array);
    assert.deepEqual(
      Array.from(got.credits, (u) => (u / 100).toFixed(2)),
      want.journeys.flatMap((j) => j.touches.map((t) => t.credit)),
    );
    assert.deepEqual(got.channels, want.channels);
    assert.equal(got.total, want.total);
  });
}

test("attributeColumns errors name the column and row", () => {
  const columns = toColumns(journeys);
  columns.on[2] = days("2026-05-01");
  assert.throws(() => crmkit.attributeColumns({ model: { kind: "linear" } }, columns), { code: "touch_after_conversion", path: "on[2]" });
  assert.throws(() => crmkit.attributeColumns({ model: { kind: "linear" } }, { ...toColumns(journeys), on: [1, 2] }), { code: "invalid_type", path: "on" });
});

test("compareAttribution gives one chart row per channel and model", () => {
  const c = crmkit.compareAttribution({}, journeys);
  assert.equal(c.rows.length, c.channels.length * c.models.length);
  for (const m of c.models) {
    const cents = c.rows.filter((r) => r.model === m).reduce((s, r) => s + Math.round(Number(r.credit) * 100), 0);
    assert.equal(cents, 129999);
  }
});

test("compareAttributionColumns gives compareAttribution's comparison from typed arrays", () => {
  for (const policy of [{}, { models: [{ kind: "w_shaped" }, { kind: "time_decay", half_life_days: "3" }], lookback_days: 20 }]) {
    assert.deepEqual(crmkit.compareAttributionColumns(policy, toColumns(journeys)), crmkit.compareAttribution(policy, journeys));
  }
  const columns = toColumns(journeys);
  columns.on[2] = days("2026-05-01");
  assert.throws(() => crmkit.compareAttributionColumns({}, columns), { name: "CrmkitError", code: "touch_after_conversion", path: "on[2]" });
  assert.throws(() => crmkit.compareAttributionColumns({ models: [] }, toColumns(journeys)), { code: "invalid_value", path: "models" });
  assert.throws(() => crmkit.compareAttributionColumns({}, { ...toColumns(journeys), channel: [0] }), { code: "invalid_type", path: "channel" });
});

test("campaignRoiColumns gives campaignRoi's report from typed arrays (units, empty budgets)", () => {
  const campaigns = [
    { id: "a", channel: "search", cost: "100.50", won_revenue: "300.00", budget: "120.00", start_on: "2026-01-05", end_on: "2026-02-10", leads: 50, won: 5 },
    { id: "b", channel: "tv", cost: "0.00", won_revenue: "25.00", leads: 4, won: 1, new_customers: 2 },
  ];
  const policy = { cost_allocation: "pro_rata" };
  const want = crmkit.campaignRoi(policy, campaigns);
  const columns = {
    id: Int32Array.from([0, 1]),
    idLabels: ["a", "b"],
    channel: Int32Array.from([0, 1]),
    channelLabels: ["search", "tv"],
    costUnits: BigInt64Array.from([10050n, 0n]),
    wonRevenueUnits: BigInt64Array.from([30000n, 2500n]),
    budgetUnits: BigInt64Array.from([12000n, -1n]),
    budgetUnitsMissing: Uint8Array.from([0, 1]),
    amountScale: 2,
    startOn: Int32Array.from([days("2026-01-05"), -2147483648]),
    endOn: Int32Array.from([days("2026-02-10"), -2147483648]),
    leads: Float64Array.from([50, 4]),
    won: Float64Array.from([5, 1]),
    newCustomers: Float64Array.from([NaN, 2]),
  };
  assert.deepEqual(crmkit.campaignRoiColumns(policy, columns), want);
  assert.throws(() => crmkit.campaignRoiColumns(policy, { ...columns, leads: Float64Array.from([50, -4]) }), (e) => e.code === "invalid_value" && e.path === "leads[1]");
  assert.throws(() => crmkit.campaignRoiColumns(policy, { ...columns, costUnits: Float64Array.from([1.5, 0]) }), (e) => e.code === "invalid_decimal" && e.path === "cost[0]");
});
