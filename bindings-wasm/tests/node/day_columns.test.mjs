// Issue 6, the one date rule in typed-array columns: a day number (days since 1970-01-01) or an
// instant (ms) outside 0001-01-01..9999-12-31 is invalid_date at the column and row, in every
// domain's columnar entry point (the core checks them in crmkit::wire::check_days /
// check_millis, so Rust callers get the same).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as crmkit from "crmkit";

const FIRST = -719162; // 0001-01-01
const LAST = 2932896; // 9999-12-31
const NONE = -2147483648;
const DAY_MS = 86_400_000;
const asOf = "2026-01-05";
const day = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const invalidDate = (fn, path) => assert.throws(fn, (e) => (e.name === "CrmkitError" && e.code === "invalid_date" && e.path === path) || assert.fail(`${e.code} at ${e.path}: ${e.message}`));

describe("day columns outside the years 0001-9999", () => {
  const policy = { stages: [{ name: "a", conversion: "0.5", duration: "10" }, { name: "won", kind: "won" }], duration_unit: "days", placement: "actual", undated: "half_elapsed" };
  const deals = (entered, extra = {}) => ({ stage: Int32Array.of(0, 0), stageLabels: ["a", "won"], amountUnits: Float64Array.of(100, 200), enteredStageOn: entered, ...extra });

  test("forecastColumns: each date column, first bad row", () => {
    assert.equal(crmkit.forecastColumns(policy, deals(Int32Array.of(day("2026-01-01"), NONE)), asOf).totals.open.deals, 2);
    // The bounds themselves are dates (9999-12-31 is in the future: no stall, placed as if just entered).
    crmkit.forecastColumns(policy, deals(Int32Array.of(FIRST, NONE), { snoozedUntil: Int32Array.of(LAST, NONE) }), asOf);
    invalidDate(() => crmkit.forecastColumns(policy, deals(Int32Array.of(day("2026-01-01"), LAST + 1)), asOf), "entered_stage_on[1]");
    invalidDate(() => crmkit.forecastColumns(policy, deals(Int32Array.of(FIRST - 1, 0)), asOf), "entered_stage_on[0]");
    invalidDate(() => crmkit.forecastColumns(policy, deals(Int32Array.of(0, 0), { snoozedUntil: Int32Array.of(NONE, 2 ** 31 - 1) }), asOf), "snoozed_until[1]");
    const byClose = { ...policy, placement: "expected_close" };
    invalidDate(() => crmkit.forecastColumns(byClose, deals(undefined, { expectedCloseOn: Int32Array.of(-2147483647, 0) }), asOf), "expected_close_on[0]");
  });

  test("scoreLeadsColumns: date fields and event days", () => {
    const scoring = { rules: [{ id: "seen", dimension: "engagement", points: 3, when: [{ field: "seen_on", op: "within_days", days: 30 }] }] };
    const leads = (seen, events) => ({ rows: 2, fields: { seen_on: { days: seen } }, ...(events ? { events } : {}) });
    assert.equal(crmkit.scoreLeadsColumns(scoring, leads(Int32Array.of(day("2026-01-01"), NONE)), asOf).score.length, 2);
    invalidDate(() => crmkit.scoreLeadsColumns(scoring, leads(Int32Array.of(NONE, LAST + 1)), asOf), "columns.seen_on[1]");
    const withEvents = { ...scoring, rules: [...scoring.rules, { id: "visit", dimension: "engagement", points: 5, event: { types: ["visit"] } }] };
    const events = { lead: Int32Array.of(0), type: { codes: Int32Array.of(0), labels: ["visit"] }, on: Int32Array.of(FIRST - 1) };
    invalidDate(() => crmkit.scoreLeadsColumns(withEvents, leads(Int32Array.of(NONE, NONE), events), asOf), "events.on[0]");
  });

  test("attributeColumns: touch days and conversion days", () => {
    const touches = (on, convertedOn) => ({
      journey: Int32Array.of(0, 0),
      channel: Int32Array.of(0, 0),
      channelLabels: ["search"],
      on,
      revenueUnits: Float64Array.of(100, 100),
      revenueScale: 2,
      convertedOn,
    });
    const ok = crmkit.attributeColumns({ model: { kind: "linear" } }, touches(Int32Array.of(day("2026-01-01"), day("2026-01-02")), Int32Array.of(day("2026-01-03"), day("2026-01-03"))));
    assert.equal(ok.total, "1.00"); // 100 cents
    // Converted (revenue without a conversion is its own error, and the journey's first row is read first).
    invalidDate(() => crmkit.attributeColumns({ model: { kind: "linear" } }, touches(Int32Array.of(0, LAST + 1), Int32Array.of(LAST, LAST))), "on[1]");
    invalidDate(() => crmkit.attributeColumns({ model: { kind: "linear" } }, touches(Int32Array.of(0, 0), Int32Array.of(FIRST - 1, FIRST - 1))), "converted_on[0]");
  });

  test("evaluatePoolColumns: instants in ms", () => {
    const pool = { time_zone: "UTC", pools: [{ id: "all", scope: { everyone: true }, rules: [{ id: "30d", kind: "no_follow_up", limit: 30 }] }] };
    const users = { codes: Int32Array.of(0), labels: ["wang"] };
    const acts = (at) => ({ record: Int32Array.of(0), at, type: { codes: Int32Array.of(0), labels: ["call"] }, actor: { codes: Int32Array.of(0), labels: ["wang"] } });
    const now = day("2025-12-01") * DAY_MS;
    assert.equal(crmkit.evaluatePoolColumns(pool, { owner: users, claimedAt: Float64Array.of(now) }, acts(Float64Array.of(now)), asOf).decision.length, 1);
    const beyond = (LAST + 1) * DAY_MS; // 10000-01-01T00:00Z
    invalidDate(() => crmkit.evaluatePoolColumns(pool, { owner: users, claimedAt: Float64Array.of(beyond) }, acts(Float64Array.of(now)), asOf), "claimed_at[0]");
    invalidDate(() => crmkit.evaluatePoolColumns(pool, { owner: users, claimedAt: Float64Array.of(now), lastWonAt: Float64Array.of(FIRST * DAY_MS - 1) }, acts(Float64Array.of(now)), asOf), "last_won_at[0]");
    invalidDate(() => crmkit.evaluatePoolColumns(pool, { owner: users, claimedAt: Float64Array.of(now) }, acts(Float64Array.of(-(2 ** 53) + 1)), asOf), "activity_at[0]");
  });
});
