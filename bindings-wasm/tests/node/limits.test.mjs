// Issue 6, points 1 and 2, in the build where `usize` is 32 bits: index arithmetic that used to
// wrap (a trap, or another group's cell) now gives native's answer, and inputs that would
// need unbounded memory are refused up front with limit_exceeded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

const asOf = "2026-01-05";
const throwsCode = (fn, code, path) =>
  assert.throws(fn, (e) => (e.name === "CrmkitError" && e.code === code && e.path === path) || assert.fail(`${e.name} ${e.code} at ${e.path}: ${e.message}`));

const openStages = (n, months) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, conversion: "1", duration: String(months) }));

describe("limits instead of traps and unbounded memory", () => {
  test("2048 open stages of 1024 months: limit_exceeded, not `unreachable`", () => {
    const stages = openStages(2048, 1024);
    stages[5].duration = "1022";
    const policy = { stages: [...stages, { name: "won", kind: "won" }], duration_unit: "months", placement: "remaining_full" };
    // The last two stages already pass the century of months.
    throwsCode(() => crmkit.forecast(policy, [{ id: "d", stage: "s0", amount: "1" }], asOf), "limit_exceeded", "stages[2046].duration");
  });

  test("10,000 stages at most, and a report linear in them (no chain repeated per line)", () => {
    const funnel = (n) => ({ stages: [...openStages(n, 0), { name: "won", kind: "won" }], duration_unit: "days", placement: "remaining_full" });
    const oneEach = (n) => Array.from({ length: n }, (_, i) => ({ id: `d${i}`, stage: `s${i}`, amount: "1" }));
    // n open stages and a won one.
    throwsCode(() => crmkit.forecast(funnel(10000), [], asOf), "limit_exceeded", "stages");
    const bytes = (n) => JSON.stringify(crmkit.forecast(funnel(n), oneEach(n), asOf)).length;
    const [half, full] = [bytes(2000), bytes(4000)];
    assert.ok(full < (half * 9) / 4, `${half} bytes for 2,000 stages, ${full} for 4,000`);
    assert.equal(crmkit.forecast(funnel(9999), oneEach(9999), asOf).stages.length, 10000);
  });

  test("open stages adding up to more than a century", () => {
    const policy = { stages: [...openStages(2, 1200), { name: "won", kind: "won" }], duration_unit: "months", placement: "remaining_full" };
    throwsCode(() => crmkit.forecast(policy, [{ id: "d", stage: "s0", amount: "1" }], asOf), "limit_exceeded", "stages[0].duration");
  });

  test("forecast_ranges: months × simulations beyond the outcome limit", () => {
    const policy = { stages: [...openStages(1, 1200), { name: "won", kind: "won" }], duration_unit: "months", placement: "remaining_full" };
    const deals = [{ id: "a", stage: "s0", amount: "1" }, { id: "b", stage: "s0", amount: "2" }];
    // The four 1200-month stages of the report: refused by the horizon before anything is allocated.
    const four = { ...policy, stages: [...openStages(4, 1200), { name: "won", kind: "won" }] };
    throwsCode(() => crmkit.forecastRanges(four, { simulations: 100000, seed: 1 }, deals, asOf), "limit_exceeded", "stages[2].duration");
    // Deals 1200 months apart: 100,000 simulations × 1,202 lines of outcomes to sort.
    const spread = { ...policy, stages: [...openStages(2, 1200), { name: "won", kind: "won" }] };
    spread.stages[1].duration = "0";
    const apart = [{ id: "a", stage: "s0", amount: "1" }, { id: "b", stage: "s1", amount: "2" }];
    throwsCode(() => crmkit.forecastRanges(spread, { simulations: 100000, seed: 1 }, apart, asOf), "limit_exceeded", "simulations");
    const r = crmkit.forecastRanges(spread, { simulations: 1000, seed: 1 }, apart, asOf);
    assert.equal(r.months.length, 1201);
    assert.equal(r.total.values[1], "3.00");
  });
});

describe("index arithmetic beyond 2^32 gives native's answer", () => {
  test("1,800,001 groups × 2 open stages × 1,202 month slots", () => {
    const n = 1_800_000;
    const labels = Array.from({ length: n }, (_, i) => `o${i}`);
    const policy = {
      stages: [...openStages(2, 600), { name: "won", kind: "won" }],
      duration_unit: "months",
      placement: "remaining_full",
      group_by: ["owner"],
    };
    policy.stages[0].conversion = "0.5";
    const columns = {
      stage: Int32Array.of(0, 1),
      stageLabels: ["s0", "s1"],
      amountUnits: Float64Array.of(50000, 20000),
      amountScale: 2,
      keys: [{ codes: Int32Array.of(n - 1, 7), labels }],
    };
    const got = crmkit.forecastColumns(policy, columns, asOf);
    const deals = [
      { id: "a", stage: "s0", amount: "500.00", owner: `o${n - 1}` },
      { id: "b", stage: "s1", amount: "200.00", owner: "o7" },
    ];
    const want = crmkit.forecast(policy, deals, asOf);
    assert.equal(got.totals.open.weighted, "450.00");
    assert.deepEqual(got.totals, want.totals);
    assert.deepEqual(got.months, want.months);
    assert.deepEqual(got.groups, want.groups);
    assert.deepEqual(got.groups.map((g) => [g.key.owner, g.months.map((m) => m.month)]), [
      ["o1799999", ["2126-01"]],
      ["o7", ["2076-01"]],
    ]);
  });

  test("400 owners × 100 stages: every owner, every deal", () => {
    const stages = openStages(100, 12);
    const policy = { stages: [...stages, { name: "won", kind: "won" }], duration_unit: "days", placement: "remaining_full", group_by: ["owner"] };
    const rows = 400 * 100;
    const columns = {
      stage: Int32Array.from({ length: rows }, (_, i) => i % 100),
      stageLabels: stages.map((s) => s.name),
      amountUnits: Float64Array.from({ length: rows }, () => 75),
      amountScale: 2,
      keys: [{ codes: Int32Array.from({ length: rows }, (_, i) => Math.floor(i / 100)), labels: Array.from({ length: 400 }, (_, i) => `o${i}`) }],
    };
    const r = crmkit.forecastColumns(policy, columns, asOf);
    assert.equal(r.groups.length, 400);
    assert.equal(r.totals.open.weighted, "30000.00");
    assert.ok(r.groups.every((g) => g.deals === 100 && g.weighted === "75.00"));
  });
});
