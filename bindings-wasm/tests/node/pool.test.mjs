// The public pool's typed-array entry point agrees with the record one, and refuses what it
// cannot read exactly.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const policy = {
  time_zone: "Asia/Shanghai",
  pools: [{ id: "all", scope: { everyone: true }, warn_before: 3, follow_up: { types: ["call"] }, rules: [{ id: "30d", kind: "no_follow_up", limit: 30 }] }],
};
const records = [
  { id: "a", owner: "wang", claimed_at: "2026-09-01T10:00:00+08:00" },
  { id: "b", owner: "li", claimed_at: "2026-10-20T10:00:00+08:00" },
  { id: "c", owner: "li", claimed_at: "2026-09-01T10:00:00+08:00", locked: true },
];
const activities = [
  { record: "a", at: "2026-10-01T09:00:00+08:00", type: "call", actor: "wang" },
  { record: "b", at: "2026-10-25T09:00:00+08:00", type: "note", actor: "li" },
];
const ms = (s) => Date.parse(s);
const users = { codes: Int32Array.of(0, 1, 1), labels: ["wang", "li"] };
const columns = {
  owner: users,
  claimedAt: Float64Array.from(records.map((r) => ms(r.claimed_at))),
  locked: Uint8Array.of(0, 0, 1),
};
const acts = {
  record: Int32Array.of(0, 1),
  at: Float64Array.from(activities.map((a) => ms(a.at))),
  type: { codes: Int32Array.of(0, 1), labels: ["call", "note"] },
  actor: { codes: Int32Array.of(0, 1), labels: ["wang", "li"] },
};

test("evaluatePoolColumns agrees with evaluatePool", () => {
  const report = crmkit.evaluatePool(policy, records, activities, "2026-11-01");
  const out = crmkit.evaluatePoolColumns(policy, columns, acts, "2026-11-01");
  const names = ["keep", "warn", "recycle", "exempt"];
  assert.deepEqual([...out.decision].map((d) => names[d]), report.decisions.map((d) => d.decision));
  report.decisions.forEach((d, i) => {
    assert.equal(Number.isNaN(out.dueAt[i]) ? undefined : out.dueAt[i], d.due_at === undefined ? undefined : ms(d.due_at));
  });
  assert.equal(out.lastFollowUpAt[0], ms(report.decisions[0].last_follow_up_at));
  assert.ok(Number.isNaN(out.lastFollowUpAt[1]));
  assert.deepEqual(out.totals, report.totals);
  assert.deepEqual(out.pools, ["all"]);
});

test("evaluatePoolColumns refuses fractional instants and bad codes with paths", () => {
  const bad = { ...columns, claimedAt: Float64Array.of(0.5, 0, 0) };
  assert.throws(() => crmkit.evaluatePoolColumns(policy, bad, acts, "2026-11-01"), { name: "CrmkitError", code: "invalid_date", path: "claimed_at[0]" });
  const codes = { ...acts, record: Int32Array.of(0, 7) };
  assert.throws(() => crmkit.evaluatePoolColumns(policy, columns, codes, "2026-11-01"), { code: "out_of_range", path: "activity_record[1]" });
  assert.throws(() => crmkit.evaluatePoolColumns(policy, { ...columns, claimedAt: [1, 2, 3] }, acts, "2026-11-01"), { code: "invalid_type", path: "claimed_at" });
});

test("evaluatePoolColumns counts team follow-ups and exempt tags as evaluatePool does", () => {
  const teamPolicy = {
    time_zone: "Asia/Shanghai",
    pools: [{ id: "all", scope: { everyone: true }, follow_up: { actor: "team" }, exempt: { tags: ["vip"] }, rules: [{ id: "30d", kind: "no_follow_up", limit: 30 }] }],
  };
  const recs = [
    { id: "a", owner: "wang", claimed_at: "2026-09-01T10:00:00+08:00", team: ["zhao"] },
    { id: "b", owner: "li", claimed_at: "2026-09-01T10:00:00+08:00", tags: ["vip", "x"] },
    { id: "c", owner: "li", claimed_at: "2026-09-01T10:00:00+08:00", team: ["wang"], tags: ["x"] },
  ];
  const logs = [
    { record: "a", at: "2026-10-20T09:00:00+08:00", type: "call", actor: "zhao" },
    { record: "c", at: "2026-10-21T09:00:00+08:00", type: "call", actor: "zhao" },
  ];
  const report = crmkit.evaluatePool(teamPolicy, recs, logs, "2026-11-01");
  const cols = {
    owner: { codes: Int32Array.of(0, 1, 1), labels: ["wang", "li"] },
    claimedAt: Float64Array.from(recs.map((r) => ms(r.claimed_at))),
    team: { record: Int32Array.of(0, 2), user: { codes: Int32Array.of(0, 1), labels: ["zhao", "wang"] } },
    tags: { record: Int32Array.of(1, 1, 2), tag: { codes: Int32Array.of(0, 1, 1), labels: ["vip", "x"] } },
  };
  const acts2 = {
    record: Int32Array.of(0, 2),
    at: Float64Array.from(logs.map((a) => ms(a.at))),
    type: { codes: Int32Array.of(0, 0), labels: ["call"] },
    actor: { codes: Int32Array.of(0, 0), labels: ["zhao"] },
  };
  const out = crmkit.evaluatePoolColumns(teamPolicy, cols, acts2, "2026-11-01");
  const names = ["keep", "warn", "recycle", "exempt"];
  assert.deepEqual([...out.decision].map((d) => names[d]), report.decisions.map((d) => d.decision));
  assert.deepEqual(report.decisions.map((d) => d.decision), ["keep", "exempt", "recycle"]);
  assert.deepEqual(out.totals, report.totals);
  const badTags = { ...cols, tags: { record: Int32Array.of(1, 9), tag: { codes: Int32Array.of(0, 1), labels: ["vip", "x"] } } };
  assert.throws(() => crmkit.evaluatePoolColumns(teamPolicy, badTags, acts2, "2026-11-01"), { code: "out_of_range", path: "tag_record[1]" });
});

test("simulatePoolColumns gives simulatePool's report", () => {
  const sim = (days) => ({
    time_zone: "Asia/Shanghai",
    pools: [{ id: "all", scope: { everyone: true }, follow_up: { actor: "team", backdate_limit_hours: 72 }, exempt: { tags: ["vip"] }, rules: [{ id: "r", kind: "no_follow_up", limit: days }] }],
  });
  const recs = [
    { id: "a", owner: "wang", claimed_at: "2026-09-01T10:00:00+08:00", team: ["zhao"] },
    { id: "b", owner: "li", claimed_at: "2026-09-20T10:00:00+08:00", tags: ["vip"] },
    { id: "c", owner: "li", claimed_at: "2026-09-01T10:00:00+08:00", locked: true },
    { id: "d", owner: "zhao", claimed_at: "2026-09-05T10:00:00+08:00" },
  ];
  const logs = [
    { record: "a", at: "2026-10-01T09:00:00+08:00", type: "call", actor: "zhao" },
    { record: "d", at: "2026-10-03T09:00:00+08:00", logged_at: "2026-10-09T09:00:00+08:00", type: "call", actor: "zhao" },
  ];
  const report = crmkit.simulatePool(sim(30), sim(15), recs, logs, "2026-09-01", "2026-11-30");
  assert.ok(report.total.b > 0);
  const cols = {
    owner: { codes: Int32Array.of(0, 1, 1, 2), labels: ["wang", "li", "zhao"] },
    claimedAt: Float64Array.from(recs.map((r) => ms(r.claimed_at))),
    locked: Uint8Array.of(0, 0, 1, 0),
    team: { record: Int32Array.of(0), user: { codes: Int32Array.of(0), labels: ["zhao"] } },
    tags: { record: Int32Array.of(1), tag: { codes: Int32Array.of(0), labels: ["vip"] } },
  };
  const logCols = {
    record: Int32Array.of(0, 3),
    at: Float64Array.from(logs.map((a) => ms(a.at))),
    loggedAt: Float64Array.of(NaN, ms(logs[1].logged_at)),
    type: { codes: Int32Array.of(0, 0), labels: ["call"] },
    actor: { codes: Int32Array.of(0, 0), labels: ["zhao"] },
  };
  assert.deepEqual(crmkit.simulatePoolColumns(sim(30), sim(15), cols, logCols, "2026-09-01", "2026-11-30"), report);
  assert.throws(() => crmkit.simulatePoolColumns(sim(30), sim(15), cols, { ...logCols, record: Int32Array.of(0, 9) }, "2026-09-01", "2026-11-30"), {
    code: "out_of_range",
    path: "activity_record[1]",
  });
  assert.throws(() => crmkit.simulatePoolColumns(sim(30), sim(15), cols, logCols, "2026-09-01", "2026-10-01"), {
    code: "date_after_as_of",
    path: "activity_at[1]",
  });
});
