// The shared vectors (tests/vectors/*/*.json) against the Node build, plus what only JS can
// check: thrown Errors, untouched inputs, the version, and the typed-array batch entry point.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { join } from "node:path";

import * as crmkit from "crmkit"; // this package, through its own `exports` (the `node` build)
import { checkCase } from "../shared/vectors.mjs";
import { cargoVersion, readJson, repoRoot, vectorFiles, vectorsDir, wasmPackage } from "../repo.mjs";

const files = vectorFiles().map((rel) => ({ rel, ...readJson(join(vectorsDir, rel)) }));
const tally = { passed: 0, failed: 0 };
after(() => console.log(`node vectors: ${tally.passed} passed, ${tally.failed} failed`));

for (const file of files) {
  describe(file.rel, () => {
    for (const c of file.cases) {
      test(c.id, () => {
        const before = structuredClone(c);
        let mismatch;
        try {
          mismatch = checkCase(crmkit, file.function, c);
          assert.deepEqual(c, before, "crmkit changed the caller's objects");
        } catch (e) {
          tally.failed++;
          throw e;
        }
        mismatch === null ? tally.passed++ : tally.failed++;
        assert.equal(mismatch, null);
      });
    }
  });
}

test("vectors exist", () => {
  assert.ok(files.length > 0 && files.every((f) => f.cases.length > 0), `no vectors under ${vectorsDir}`);
});

test("version() is the npm and the Cargo workspace version", () => {
  const npm = readJson(join(wasmPackage, "package.json")).version;
  assert.equal(crmkit.version(), npm);
  assert.equal(crmkit.version(), cargoVersion(), `workspace version in ${join(repoRoot, "Cargo.toml")}`);
});

test("errors are CrmkitError instances (real Errors) with code and path", () => {
  const cases = files.filter((f) => f.function === "forecast").flatMap((f) => f.cases);
  const bad = cases.find((c) => c.expected_error?.code === "invalid_decimal");
  assert.throws(
    () => crmkit.forecast(bad.config, bad.input.deals, bad.as_of),
    (e) =>
      e instanceof crmkit.CrmkitError &&
      e instanceof Error &&
      e.name === "CrmkitError" &&
      e.message.startsWith(`${e.path}: `) &&
      Object.hasOwn(e, "code"),
  );
  const c = cases.find((c) => c.expected);
  assert.throws(() => crmkit.forecast(c.config, c.input.deals, 20261123), { name: "CrmkitError", code: "invalid_type", path: "as_of" });
  assert.throws(() => crmkit.forecast(c.config, [{ id: "a", stage: "x", amount: 1n }], "2026-11-23"), {
    name: "CrmkitError",
    code: "unknown_stage",
    path: "deals[0].stage",
  });
  assert.throws(() => crmkit.forecast(c.config, undefined, "2026-11-23"), { code: "invalid_type", path: "deals" });
});

// ---- forecastColumns: the typed-array batch entry point --------------------------------------

const NO_DATE = -2147483648;
const DAY_MS = 86_400_000;

/** Deal `i`'s amount as BigInt units at the deals' largest scale. */
function toUnits(deals, i) {
  const scale = Math.max(0, ...deals.map((d) => String(d.amount).split(".")[1]?.length ?? 0));
  const [int, frac = ""] = String(deals[i].amount).split(".");
  return BigInt(int + frac.padEnd(scale, "0"));
}

/** Deals (plain objects) as the columns forecastColumns takes, amounts as BigInt or float units. */
function toColumns(policy, deals, { bigint }) {
  // Labels in another order than the policy's, plus one no deal uses: codes are looked up by name.
  const stageLabels = ["(unused)", ...policy.stages.map((s) => s.name).reverse()];
  const scale = Math.max(0, ...deals.map((d) => String(d.amount).split(".")[1]?.length ?? 0));
  const units = deals.map((d) => {
    const [int, frac = ""] = String(d.amount).split(".");
    return BigInt(int + frac.padEnd(scale, "0"));
  });
  const field = (d, key) =>
    ({ owner: d.owner, team: d.team, product: d.product, stage: d.stage, id: d.id })[key] ?? d.attributes?.[key];
  const keys = (policy.group_by ?? []).map((key) => {
    const labels = [...new Set(deals.map((d) => field(d, key)).filter((v) => v !== undefined))].reverse();
    return { codes: Int32Array.from(deals, (d) => labels.indexOf(field(d, key))), labels };
  });
  return {
    stage: Int32Array.from(deals, (d) => stageLabels.indexOf(d.stage)),
    stageLabels,
    amountUnits: bigint ? BigInt64Array.from(units) : Float64Array.from(units, Number),
    amountScale: scale,
    enteredStageOn: Int32Array.from(deals, (d) => (d.entered_stage_on ? Date.parse(d.entered_stage_on) / DAY_MS : NO_DATE)),
    expectedCloseOn: Int32Array.from(deals, (d) => (d.expected_close_on ? Date.parse(d.expected_close_on) / DAY_MS : NO_DATE)),
    snoozedUntil: Int32Array.from(deals, (d) => (d.snoozed_until ? Date.parse(d.snoozed_until) / DAY_MS : NO_DATE)),
    lastActivityOn: Int32Array.from(deals, (d) => (d.last_activity_on ? Date.parse(d.last_activity_on) / DAY_MS : NO_DATE)),
    keys,
    // Per-deal inputs only when some deal has one, as a caller's frame would.
    ...(deals.some((d) => d.probability !== undefined)
      ? { probability: Float64Array.from(deals, (d) => (d.probability === undefined ? NaN : Number(d.probability))) }
      : {}),
    ...(deals.some((d) => d.category !== undefined)
      ? { category: { codes: Int32Array.from(deals, (d) => CATEGORIES.indexOf(d.category)), labels: CATEGORIES } }
      : {}),
  };
}

const CATEGORIES = ["pipeline", "best_case", "commit", "closed", "omitted"];

describe("forecastColumns gives forecast's stages, months, groups and totals", () => {
  // Cases whose amounts fit 64-bit integer units (not 1000 at 27 places, say).
  const fits = (c) => toColumns(c.config, c.input.deals, { bigint: true }).amountUnits.every((u, i) => String(u) === String(toUnits(c.input.deals, i)));
  const cases = files.filter((f) => f.function === "forecast").flatMap((f) => f.cases).filter((c) => c.expected && fits(c));
  for (const c of cases) {
    for (const bigint of [false, true]) {
      test(`${c.id} (${bigint ? "BigInt64Array" : "Float64Array"})`, () => {
        const want = crmkit.forecast(c.config, c.input.deals, c.as_of);
        const columns = toColumns(c.config, c.input.deals, { bigint });
        const got = crmkit.forecastColumns(c.config, columns, c.as_of);
        for (const part of ["as_of", "placement", "duration_unit", "stages", "months", "groups", "totals", "categories", "commit"]) {
          assert.deepEqual(got[part], want[part], part);
        }
        assert.deepEqual(got.deals, []);
      });
    }
  }
});

describe("forecastColumns errors", () => {
  const policy = {
    stages: [
      { name: "open", conversion: "0.25", duration: "10" },
      { name: "won", kind: "won" },
    ],
    duration_unit: "days",
    placement: "actual",
    group_by: ["owner"],
  };
  const asOf = "2026-01-05";
  const good = () => ({
    stage: Int32Array.of(0, 0, 1),
    stageLabels: ["open", "won"],
    amountUnits: Float64Array.of(10_000, 30_000, 5_000),
    amountScale: 2,
    enteredStageOn: Int32Array.of(20_450, NO_DATE, 20_453),
    keys: [{ codes: Int32Array.of(0, 1, -1), labels: ["ann", "bob"] }],
  });
  const run = (patch, p = { ...policy, undated: "half_elapsed" }) => crmkit.forecastColumns(p, { ...good(), ...patch }, asOf);

  test("the good columns forecast", () => {
    const r = run({});
    assert.equal(r.totals.open.weighted, "100.00");
    assert.equal(r.totals.won.amount, "50.00");
    assert.deepEqual(r.groups.map((g) => g.key), [{ owner: "ann" }, { owner: "bob" }]);
  });

  const bad = [
    ["stage code past the labels", { stage: Int32Array.of(0, 2, 1) }, "unknown_stage", "stage[1]"],
    ["stage label not in the policy", { stageLabels: ["open", "closed"] }, "unknown_stage", "stage[2]"],
    ["fractional float units", { amountUnits: Float64Array.of(1, 2.5, 3) }, "invalid_decimal", "amount[1]"],
    ["unsafe float units", { amountUnits: Float64Array.of(1, 2, 2 ** 60) }, "invalid_decimal", "amount[2]"],
    ["NaN units", { amountUnits: Float64Array.of(NaN, 2, 3) }, "invalid_type", "amount[0]"],
    ["negative units", { amountUnits: BigInt64Array.of(1n, -2n, 3n) }, "negative_amount", "amount[1]"],
    ["amount column too short", { amountUnits: Float64Array.of(1, 2) }, "invalid_value", "amount"],
    ["amounts as a plain array", { amountUnits: [1, 2, 3] }, "invalid_type", "amount"],
    ["stage as a plain array", { stage: [0, 0, 1] }, "invalid_type", "stage"],
    ["stage column missing", { stage: undefined }, "missing_field", "stage"],
    ["a label not a string", { stageLabels: ["open", 1] }, "invalid_type", "stage_labels[1]"],
    ["scale above 28", { amountScale: 29 }, "out_of_range", "amount_scale"],
    ["negative scale", { amountScale: -1 }, "out_of_range", "amount_scale"],
    ["scale as a string", { amountScale: "2" }, "invalid_type", "amount_scale"],
    ["entered after as_of", { enteredStageOn: Int32Array.of(20_450, 20_459, 0) }, "date_after_as_of", "entered_stage_on[1]"],
    ["entered column too long", { enteredStageOn: Int32Array.of(1, 2, 3, 4) }, "invalid_value", "entered_stage_on"],
    ["no key columns for group_by", { keys: undefined }, "invalid_value", "keys"],
    ["key code past its labels", { keys: [{ codes: Int32Array.of(0, 2, 0), labels: ["ann", "bob"] }] }, "invalid_value", "keys[0][1]"],
    ["key codes missing", { keys: [{ labels: ["ann"] }] }, "missing_field", "keys[0].codes"],
  ];
  for (const [name, patch, code, path] of bad) {
    test(name, () => assert.throws(() => run(patch), { name: "CrmkitError", code, path }));
  }

  test("float units of every size a Float64Array holds exactly give the BigInt64Array's report", () => {
    // Whole units below 2^52 are read from the floats' bits in place; from 2^52 to 2^53 - 1,
    // -0 and a column that starts inside its buffer take the exact check: the same report.
    const cases = [
      [0, 7, 2 ** 52 - 1],
      [2 ** 52, 2 ** 53 - 1, 1],
      [-0, 4, 5],
      [1, 2, 3],
    ];
    for (const units of cases) {
      const big = run({ amountUnits: BigInt64Array.from(units, (u) => BigInt(u)) });
      assert.deepEqual(run({ amountUnits: Float64Array.from(units) }), big, String(units));
      const inside = new Float64Array(8);
      inside.set(units, 3);
      assert.deepEqual(run({ amountUnits: inside.subarray(3, 6) }), big, `${units} at an offset`);
    }
    assert.throws(() => run({ amountUnits: Float64Array.of(1, -2, 3) }), { code: "negative_amount", path: "amount[1]" });
    assert.throws(() => run({ amountUnits: Float64Array.of(1, 2, -0.5) }), { code: "invalid_decimal", path: "amount[2]" });
    assert.throws(() => run({ amountUnits: Float64Array.of(1, Infinity, 3) }), { code: "invalid_type", path: "amount[1]" });
  });

  test("undated deal under actual placement", () => {
    assert.throws(() => run({}, policy), { code: "missing_value", path: "entered_stage_on[1]" });
  });
  test("policy and as_of errors as in forecast", () => {
    assert.throws(() => run({}, { ...policy, placement: "soon" }), { code: "invalid_value", path: "placement" });
    assert.throws(() => crmkit.forecastColumns(policy, good(), "2026-13-01"), { code: "invalid_date", path: "as_of" });
    assert.throws(() => crmkit.forecastColumns(policy, [good()], asOf), { code: "invalid_type", path: "columns" });
  });

  test("the caller's columns and policy are not changed", () => {
    const columns = good();
    const snapshot = structuredClone(columns);
    const p = { ...policy, undated: "half_elapsed" };
    const policySnapshot = structuredClone(p);
    crmkit.forecastColumns(p, columns, asOf);
    assert.deepEqual(columns, snapshot);
    assert.deepEqual(p, policySnapshot);
  });
});
