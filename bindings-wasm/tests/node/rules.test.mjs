// The shared JS input rules (issue 6): every plain-object argument goes through
// convert::from_js, so NaN / ±Infinity are invalid_type (never "absent"), integers beyond 2^53
// are refused, BigInt is exact, and errors carry a code and a path.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

const policy = {
  stages: [
    { name: "open", conversion: "0.5", duration: "10", stall_after: "5" },
    { name: "won", kind: "won" },
  ],
  duration_unit: "days",
  placement: "actual",
  undated: "half_elapsed",
  group_by: ["owner"],
};
const deal = { id: "d1", stage: "open", amount: "100.00", owner: "li", entered_stage_on: "2025-12-01" };
const asOf = "2026-01-05";
const throwsCode = (fn, code, path) => assert.throws(fn, (e) => e.name === "CrmkitError" && e.code === code && e.path === path || assert.fail(`${e.name} ${e.code} at ${e.path}: ${e.message}`));

describe("NaN and ±Infinity are invalid_type everywhere, never absent", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    test(`stall_after ${bad}`, () => {
      const p = { ...policy, stages: [{ ...policy.stages[0], stall_after: bad }, policy.stages[1]] };
      throwsCode(() => crmkit.forecast(p, [deal], asOf), "invalid_type", "stages[0].stall_after");
    });
    test(`duration ${bad}`, () => {
      const p = { ...policy, stages: [{ ...policy.stages[0], duration: bad }, policy.stages[1]] };
      throwsCode(() => crmkit.forecast(p, [deal], asOf), "invalid_type", "stages[0].duration");
    });
    test(`owner ${bad}`, () => throwsCode(() => crmkit.forecast(policy, [{ ...deal, owner: bad }], asOf), "invalid_type", "deals[0].owner"));
    test(`amount ${bad}`, () => throwsCode(() => crmkit.forecast(policy, [deal, { ...deal, id: "d2", amount: bad }], asOf), "invalid_type", "deals[1].amount"));
    test(`history amount ${bad}`, () => {
      const input = { target: "100", history: [{ key: "a", on: "2026-01-01", amount: bad }] };
      throwsCode(() => crmkit.allocateTarget({}, input, asOf), "invalid_type", "history[0].amount");
    });
  }
});

describe("numbers", () => {
  test("unsafe integers are refused as the floats they are, not rounded", () => {
    // The code Python and Rust give the float 2.8e16: invalid_decimal for money.
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, amount: 9007199254740993 }], asOf), "invalid_decimal", "deals[0].amount");
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, amount: 2.8e16 }], asOf), "invalid_decimal", "deals[0].amount");
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, amount: 1e30 }], asOf), "invalid_decimal", "deals[0].amount");
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, id: 2 ** 60 }], asOf), "invalid_type", "deals[0].id");
    const p = { ...policy, placement: "remaining_full" };
    throwsCode(() => crmkit.forecastRanges(p, { simulations: 10, seed: 2 ** 63 }, [deal], asOf), "invalid_type", "seed");
  });
  test("fractional numbers are not money", () => {
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, amount: 0.1 }], asOf), "invalid_decimal", "deals[0].amount");
  });
  test("BigInt money is exact", () => {
    const r = crmkit.forecast(policy, [{ ...deal, amount: 9007199254740993n }], asOf);
    assert.equal(r.deals[0].amount, "9007199254740993");
    const huge = crmkit.forecast(policy, [{ ...deal, amount: 10n ** 27n }], asOf);
    assert.equal(huge.deals[0].amount, "1000000000000000000000000000");
  });
  test("seeds beyond 2^53 as BigInt or strings, echoed exactly", () => {
    const p = { ...policy, placement: "remaining_full" };
    for (const seed of [2n ** 63n + 2n ** 11n, "9223372036854777856"]) {
      const r = crmkit.forecastRanges(p, { simulations: 10, seed }, [deal], asOf);
      assert.equal(r.seed, "9223372036854777856");
    }
    const same = crmkit.forecastRanges(p, { simulations: 50, seed: 7 }, [deal], asOf);
    assert.deepEqual(crmkit.forecastRanges(p, { simulations: 50, seed: 7n }, [deal], asOf), same);
    throwsCode(() => crmkit.forecastRanges(p, { simulations: 10, seed: 2n ** 64n }, [deal], asOf), "out_of_range", "seed");
  });
  test("every seed: out of 0..2^64 - 1 is out_of_range, a fraction or a bool invalid_type, other text invalid_value", () => {
    const p = { ...policy, placement: "remaining_full" };
    const cases = [
      [-1, "out_of_range"], [-1n, "out_of_range"], [2n ** 64n, "out_of_range"], [-(2n ** 64n), "out_of_range"],
      ["-1", "out_of_range"], ["18446744073709551616", "out_of_range"], [2 ** 64, "out_of_range"],
      [1.5, "invalid_type"], [true, "invalid_type"], [2 ** 63, "invalid_type"],
      ["0x10", "invalid_value"], ["1e3", "invalid_value"], [" 1", "invalid_value"],
    ];
    const team = { teams: [{ id: "t", strategy: "weighted", reps: [{ id: "a" }] }], routes: [{ id: "r", when: { any: true }, team: "t" }], fallback_queue: "q" };
    for (const [seed, code] of cases) {
      throwsCode(() => crmkit.forecastRanges(p, { simulations: 10, seed }, [deal], asOf), code, "seed");
      throwsCode(() => crmkit.assignRecords(team, { records: [], seed }), code, "seed");
      throwsCode(() => crmkit.attribute({ model: { kind: "shapley", seed } }, []), code, "model.seed");
    }
  });
});

describe("dates are strict YYYY-MM-DD, years 0001 to 9999", () => {
  for (const bad of [" 2026-01-05", "2026-1-5", "2026- 1-05", "+2026-01-05", "0000-01-01", "+10000-01-01"]) {
    test(JSON.stringify(bad), () => {
      throwsCode(() => crmkit.forecast(policy, [deal], bad), "invalid_date", "as_of");
      throwsCode(() => crmkit.forecast(policy, [{ ...deal, entered_stage_on: bad }], asOf), "invalid_date", "deals[0].entered_stage_on");
    });
  }
  test("a Date object is not a YYYY-MM-DD string", () => {
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, entered_stage_on: new Date(Date.UTC(2025, 11, 1)) }], asOf), "invalid_date", "deals[0].entered_stage_on");
  });
});

describe("structure", () => {
  test("cycles are errors, not exceptions of another kind", () => {
    const d = { ...deal };
    d.attributes = { self: d };
    throwsCode(() => crmkit.forecast(policy, [d], asOf), "invalid_value", "deals");
  });
  test("deep nesting is limit_exceeded", () => {
    for (const levels of [200, 100_000]) {
      let v = [];
      for (let i = 0; i < levels; i++) v = [v];
      throwsCode(() => crmkit.forecast(policy, v, asOf), "limit_exceeded", "deals");
    }
  });
  test("lone surrogates are not text", () => {
    throwsCode(() => crmkit.forecast(policy, [{ ...deal, owner: "\ud800" }], asOf), "invalid_value", "deals[0].owner");
  });
});

describe("an argument of the wrong type is named, never at an empty path", () => {
  for (const [what, bad] of [["NaN", NaN], ["an array", [policy]], ["a string", "x"], ["null", null], ["undefined", undefined], ["a BigInt", 1n], ["an empty array", []]]) {
    test(`policy ${what}`, () => throwsCode(() => crmkit.forecast(bad, [deal], asOf), "invalid_type", "policy"));
  }
  test("settings, input, columns and a field missing from the policy", () => {
    throwsCode(() => crmkit.forecastRanges(policy, [1], [deal], asOf), "invalid_type", "settings");
    throwsCode(() => crmkit.allocateTarget({}, "10", asOf), "invalid_type", "input");
    throwsCode(() => crmkit.forecastColumns(policy, [], asOf), "invalid_type", "columns");
    throwsCode(() => crmkit.campaignRoi(NaN, []), "invalid_type", "policy");
    throwsCode(() => crmkit.forecast({ stages: policy.stages }, [deal], asOf), "missing_field", "policy");
  });
});

describe("attributeColumns: integers are whole units unless revenueScale declares minor units", () => {
  const day = (iso) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
  const columns = (extra) => ({
    journey: Int32Array.of(0, 0),
    channel: Int32Array.of(0, 0),
    channelLabels: ["search"],
    on: Int32Array.of(day("2026-04-01"), day("2026-04-02")),
    revenueUnits: Float64Array.of(500000, 500000),
    convertedOn: Int32Array.of(day("2026-04-10"), day("2026-04-10")),
    ...extra,
  });
  test("default: 500000 is 500000.00, as in attribute and in Python", () => {
    assert.equal(crmkit.attributeColumns({ model: { kind: "linear" } }, columns()).total, "500000.00");
    assert.equal(crmkit.attributeColumns({ model: { kind: "linear" } }, columns({ revenueUnits: BigInt64Array.of(500000n, 500000n) })).total, "500000.00");
  });
  test("revenueScale 2: cents", () => {
    assert.equal(crmkit.attributeColumns({ model: { kind: "linear" } }, columns({ revenueScale: 2 })).total, "5000.00");
    throwsCode(() => crmkit.attributeColumns({ model: { kind: "linear" } }, columns({ revenueScale: 2.5 })), "invalid_type", "revenue_scale");
  });
});

describe("forecastColumns: the same number is the same money (issue 6.10, as in Python)", () => {
  const columns = (extra) => ({ stage: Int32Array.of(0), stageLabels: ["open"], amountUnits: Float64Array.of(500000), ...extra });
  const simple = { stages: [{ name: "open", conversion: "0.5", duration: "10" }, { name: "won", kind: "won" }], duration_unit: "days", placement: "half_elapsed" };
  test("integers are whole units unless amountScale declares minor units", () => {
    assert.equal(crmkit.forecastColumns(simple, columns(), asOf).totals.open.amount, "500000.00");
    assert.equal(crmkit.forecastColumns(simple, columns({ amountUnits: BigInt64Array.of(500000n) }), asOf).totals.open.amount, "500000.00");
    assert.equal(crmkit.forecast(simple, [{ id: "d", stage: "open", amount: 500000 }], asOf).totals.open.amount, "500000.00");
    assert.equal(crmkit.forecastColumns(simple, columns({ amountScale: 2 }), asOf).totals.open.amount, "5000.00");
  });
});
