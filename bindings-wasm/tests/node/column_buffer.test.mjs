// ColumnBuffer: columns held in crmkit's WebAssembly memory, read in place by forecastColumns
// (no copy in): the same reports and tables as the same typed arrays copied in (also in
// Chromium, tests/shared/forecast_table.mjs), the same errors, and what is refused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

import { checkInPlace, lend, tableCases } from "../shared/forecast_table.mjs";

const { ColumnBuffer, forecastColumns } = crmkit;

describe("forecastColumns reads ColumnBuffer views in place", () => {
  for (const { name, mismatch } of checkInPlace(crmkit)) {
    test(name, () => assert.equal(mismatch, null));
  }
});

describe("ColumnBuffer", () => {
  const [byOwner] = tableCases();
  const { policy, columns, asOf } = byOwner;

  test("a zero-filled typed array of its type and length", () => {
    for (const [type, Class, zero] of [["int32", Int32Array, 0], ["float64", Float64Array, 0], ["bigint64", BigInt64Array, 0n]]) {
      const buffer = new ColumnBuffer(type, 5);
      assert.equal(buffer.type, type);
      assert.equal(buffer.length, 5);
      const view = buffer.view();
      assert.ok(view instanceof Class);
      assert.deepEqual(Array.from(view), Array(5).fill(zero));
      buffer.free();
    }
    const empty = new ColumnBuffer("int32", 0);
    assert.equal(empty.view().length, 0);
    empty.free();
  });

  test("float64 units in place: the same report, and a fraction refused at its row", () => {
    const floats = { ...columns, amountUnits: Float64Array.from(columns.amountUnits, Number) };
    const want = forecastColumns(policy, floats, asOf);
    const lent = lend(crmkit, floats);
    try {
      assert.deepEqual(forecastColumns(policy, lent.views(), asOf), want);
      const views = lent.views();
      views.amountUnits[7] = 12.5;
      assert.throws(() => forecastColumns(policy, views, asOf), { name: "CrmkitError", code: "invalid_decimal", path: "amount[7]" });
      views.amountUnits[7] = NaN;
      assert.throws(() => forecastColumns(policy, lent.views(), asOf), { code: "invalid_type", path: "amount[7]" });
    } finally {
      lent.free();
    }
  });

  test("part of a buffer: a prefix read in place, any other part copied, the same report", () => {
    const n = columns.stage.length;
    const cut = (cols, from, to) => ({
      ...cols,
      stage: cols.stage.subarray(from, to),
      amountUnits: cols.amountUnits.subarray(from, to),
      enteredStageOn: cols.enteredStageOn.subarray(from, to),
      expectedCloseOn: cols.expectedCloseOn.subarray(from, to),
      keys: cols.keys.map((k) => ({ ...k, codes: k.codes.subarray(from, to) })),
    });
    const lent = lend(crmkit, columns);
    try {
      for (const [from, to] of [[0, n - 100], [100, n]]) {
        assert.deepEqual(forecastColumns(policy, cut(lent.views(), from, to), asOf), forecastColumns(policy, cut(columns, from, to), asOf));
      }
    } finally {
      lent.free();
    }
  });

  test("a view detached by the memory's growth is refused, not read as empty", () => {
    const lent = lend(crmkit, columns);
    const stale = lent.views();
    // 64 MB more than the memory holds: it grows, and every view of it before is detached.
    const big = new ColumnBuffer("float64", 8 << 20);
    try {
      assert.equal(stale.stage.length, 0);
      assert.throws(() => forecastColumns(policy, stale, asOf), { name: "CrmkitError", code: "invalid_value", path: "stage" });
      assert.deepEqual(forecastColumns(policy, lent.views(), asOf), forecastColumns(policy, columns, asOf));
      // An empty column that is not detached is just empty.
      const none = { ...columns, stage: new Int32Array(0), amountUnits: new BigInt64Array(0), enteredStageOn: undefined, expectedCloseOn: undefined, keys: columns.keys.map((k) => ({ ...k, codes: new Int32Array(0) })) };
      assert.equal(forecastColumns(policy, none, asOf).totals.open.deals, 0);
    } finally {
      big.free();
      lent.free();
    }
  });

  test("views read in place when the call's own allocations grow the memory (a float64 buffer's units, the columns after it)", () => {
    // Memory used up to a growth (a probe view detaches then), so that the units' conversion
    // (8 bytes a row) grows it again during the call, after the views are taken.
    const probe = new ColumnBuffer("int32", 1);
    const view = probe.view();
    const fillers = [];
    while (view.length === 1 && fillers.length < 4096) fillers.push(new ColumnBuffer("int32", 1 << 14));
    assert.equal(view.length, 0);
    const n = 1 << 17;
    const stage = new ColumnBuffer("int32", n);
    const units = new ColumnBuffer("float64", n);
    const entered = new ColumnBuffer("int32", n);
    const owner = new ColumnBuffer("int32", n);
    try {
      stage.view().fill(0);
      units.view().fill(1_000);
      entered.view().fill(20_450);
      owner.view().fill(1);
      const policy = { stages: [{ name: "open", conversion: "0.25", duration: "10" }, { name: "won", kind: "won" }], duration_unit: "days", placement: "actual", group_by: ["owner"] };
      const cols = () => ({ stage: stage.view(), stageLabels: ["open", "won"], amountUnits: units.view(), amountScale: 2, enteredStageOn: entered.view(), keys: [{ codes: owner.view(), labels: ["a", "b"] }] });
      const report = forecastColumns(policy, cols(), "2026-01-05");
      assert.equal(report.totals.open.deals, n);
      assert.equal(report.totals.open.amount, (10 * n).toFixed(2));
    } finally {
      [probe, stage, units, entered, owner, ...fillers].forEach((b) => b.free());
    }
  });

  test("a units buffer in place in commissionColumns: the same pay as the array copied in", () => {
    const plan = { kind: "graduated", tiers: [{ from: "0", to: "50000", rate: "0.02" }, { from: "50000", rate: "0.05" }] };
    const columns = (amountUnits) => ({ rep: Int32Array.from([0, 0]), repLabels: ["wang"], on: Int32Array.from([20522, 20523]), amountUnits, amountScale: 2 });
    const copied = BigInt64Array.from([6_000_000n, 4_500_000n]);
    const buffer = new ColumnBuffer("bigint64", 2);
    try {
      buffer.view().set(copied);
      const want = crmkit.commissionColumns(plan, columns(copied), "2026-03-31");
      assert.deepEqual(crmkit.commissionColumns(plan, columns(buffer.view()), "2026-03-31"), want);
    } finally {
      buffer.free();
    }
  });

  test("units buffers in place in commissionColumns and campaignRoiColumns when the columns copied before them grow the memory", () => {
    // Memory used up to a growth (a probe view detaches then), so that the columns copied in
    // before the units (and the plan, the labels) grow it again during the call.
    const fillers = [];
    const fillUp = () => {
      const probe = new ColumnBuffer("int32", 1);
      const view = probe.view();
      fillers.push(probe);
      while (view.length === 1 && fillers.length < 4096) fillers.push(new ColumnBuffer("int32", 1 << 14));
      assert.equal(view.length, 0);
    };
    const n = 1 << 17;
    const units = new ColumnBuffer("bigint64", n);
    try {
      units.view().fill(100_000n);
      const copied = BigInt64Array.from(units.view());
      const plan = { kind: "graduated", tiers: [{ from: "0", to: "50000", rate: "0.02" }, { from: "50000", rate: "0.05" }] };
      const [rep, on] = [new Int32Array(n), new Int32Array(n).fill(20522)];
      const pay = (amountUnits) => crmkit.commissionColumns(plan, { rep, repLabels: ["wang"], on, amountUnits, amountScale: 2 }, "2026-03-31");
      const want = pay(copied);
      fillUp();
      assert.deepEqual(pay(units.view()), want);
      // A report object a campaign: fewer rows (the ids and their labels copied first).
      const m = 1 << 12;
      const [id, channel] = [Int32Array.from({ length: m }, (_, i) => i), new Int32Array(m)];
      const idLabels = Array.from({ length: m }, (_, i) => `c${i}`);
      const roi = (costUnits) => crmkit.campaignRoiColumns({ cost_allocation: "pro_rata" }, { id, idLabels, channel, channelLabels: ["search"], costUnits, amountScale: 2 });
      const wantRoi = roi(copied.subarray(0, m));
      fillUp();
      assert.deepEqual(roi(units.view().subarray(0, m)), wantRoi);
    } finally {
      [units, ...fillers].forEach((b) => b.free());
    }
  });

  test("type and length refused with a code and a path", () => {
    assert.throws(() => new ColumnBuffer("int16", 3), { name: "CrmkitError", code: "invalid_value", path: "type" });
    assert.throws(() => new ColumnBuffer(3, 3), { code: "invalid_value", path: "type" });
    for (const length of [-1, 1.5, "3", NaN, 2 ** 32, undefined]) {
      assert.throws(() => new ColumnBuffer("int32", length), { code: "invalid_type", path: "length" }, String(length));
    }
    assert.throws(() => new ColumnBuffer("bigint64", 2 ** 32 - 1), { code: "invalid_value", path: "length" });
  });
});
