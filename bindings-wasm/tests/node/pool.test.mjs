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

test("assignRecordsColumns agrees with assignRecords", () => {
  const policy = {
    teams: [
      { id: "a", strategy: "round_robin", reps: [{ id: "li" }, { id: "wang", active: false }, { id: "zhao", capacity: 1 }] },
      { id: "b", strategy: "weighted", reps: [{ id: "qian", weight: 3 }, { id: "sun" }] },
    ],
    routes: [
      { id: "north", when: { regions: ["north"] }, team: "a" },
      { id: "web", when: { sources: ["web"] }, team: "b" },
    ],
    fallback_queue: "queue",
  };
  const regions = ["north", null, "south", "north", "north", null];
  const sources = ["web", "web", null, "fair", null, "fair"];
  const records = regions.map((r, i) => ({ id: `x${i}`, ...(r ? { region: r } : {}), ...(sources[i] ? { source: sources[i] } : {}) }));
  const state = { load: [{ rep: "li", held: 1 }], cursors: { a: 1 }, seed: 9 };
  const report = crmkit.assignRecords(policy, { records, ...state });
  const codes = (values, labels) => Int32Array.from(values, (v) => (v === null ? -1 : labels.indexOf(v)));
  const out = crmkit.assignRecordsColumns(
    policy,
    { rows: 6, region: { codes: codes(regions, ["south", "north"]), labels: ["south", "north"] }, source: { codes: codes(sources, ["web", "fair"]), labels: ["web", "fair"] } },
    state,
  );
  assert.ok(out.rep instanceof Int32Array && out.choice instanceof Uint8Array && out.cursor instanceof Float64Array);
  report.assignments.forEach((a, i) => {
    assert.equal(out.rep[i] < 0 ? undefined : out.reps[out.rep[i]], a.rep);
    assert.equal(out.team[i] < 0 ? undefined : out.teams[out.team[i]], a.team);
    const choice = a.reasons[0].code === "routed" ? a.reasons[1] : a.reasons[0];
    assert.equal(out.choices[out.choice[i]], choice.code);
    if (choice.cursor !== undefined) assert.equal(out.cursor[i], choice.cursor);
    assert.equal(out.skippedInactive[i], a.reasons.find((r) => r.code === "skipped_inactive")?.count ?? 0);
    assert.equal(out.skippedFull[i], a.reasons.find((r) => r.code === "skipped_full")?.count ?? 0);
  });
  assert.deepEqual(out.cursors, report.cursors);
  assert.deepEqual(out.load, report.load);
  // No state: an empty load, cursors at 0, seed 0.
  assert.equal(crmkit.assignRecordsColumns(policy, { rows: 1 }).rep[0], -1);
  assert.throws(() => crmkit.assignRecordsColumns(policy, { rows: 1.5 }), { name: "CrmkitError", code: "invalid_type", path: "rows" });
  assert.throws(() => crmkit.assignRecordsColumns(policy, { rows: 2, region: { codes: Int32Array.from([0, 2]), labels: ["a", "b"] } }), {
    code: "out_of_range",
    path: "region[1]",
  });
});

test("checkClaimsColumns agrees with checkClaims", () => {
  const policy = {
    time_zone: "Asia/Shanghai",
    pools: [{ id: "p", scope: { everyone: true }, rules: [{ id: "r", kind: "no_follow_up", limit: 30 }], claims: { daily_limit: 1, holdings_limit: 2, cooldown: 5, embargo: 1 } }],
  };
  const input = {
    pooled: [
      { id: "c1", pool: "p", pooled_at: "2026-11-01T00:00:00+08:00" },
      { id: "c2", pool: "p", pooled_at: "2026-11-02T08:00:00+08:00" },
      { id: "c3", pool: "p", pooled_at: "2026-10-20T00:00:00+08:00" },
    ],
    holdings: [{ user: "li", owned: 2 }],
    ledger: [
      { at: "2026-10-31T10:00:00+08:00", user: "wang", record: "c3", pool: "p", event: "release" },
      { at: "2026-11-02T08:30:00+08:00", user: "zhao", record: "c8", pool: "p", event: "claim" },
    ],
    requests: [
      { user: "li", record: "c1" },
      { user: "zhao", record: "c2" },
      { user: "wang", record: "c3" },
      { user: "zhao", record: "c1" },
      { user: "zhao", record: "c9" },
    ],
  };
  const asOf = "2026-11-02T09:00:00+08:00";
  const report = crmkit.checkClaims(policy, input, asOf);
  const coded = (values) => {
    const labels = [...new Set(values)];
    return { codes: Int32Array.from(values, (v) => labels.indexOf(v)), labels };
  };
  const ms = (values) => Float64Array.from(values, (t) => Date.parse(t));
  const out = crmkit.checkClaimsColumns(
    policy,
    {
      pooled: { id: coded(input.pooled.map((p) => p.id)), pool: coded(input.pooled.map((p) => p.pool)), pooledAt: ms(input.pooled.map((p) => p.pooled_at)) },
      holdings: { user: coded(["li"]), owned: Float64Array.from([2]) },
      ledger: {
        at: ms(input.ledger.map((e) => e.at)),
        user: coded(input.ledger.map((e) => e.user)),
        record: coded(input.ledger.map((e) => e.record)),
        pool: coded(input.ledger.map((e) => e.pool)),
        event: coded(input.ledger.map((e) => e.event)),
      },
      requests: { user: coded(input.requests.map((r) => r.user)), record: coded(input.requests.map((r) => r.record)) },
    },
    asOf,
  );
  const codesSeen = new Set();
  report.decisions.forEach((d, k) => {
    assert.equal(out.accepted[k] === 1, d.accepted);
    assert.deepEqual(out.reasonLabels.filter((_, b) => (out.reasons[k] >>> b) & 1), d.reasons.map((r) => r.code));
    for (const r of d.reasons) {
      codesSeen.add(r.code);
      if (r.code === "embargoed") assert.equal(out.embargoUntil[k], Date.parse(r.until));
      if (r.code === "cooldown") assert.equal(out.cooldownSince[k], Date.parse(r.since));
      if (r.code === "holdings_limit") assert.deepEqual([out.holdingsCount[k], out.holdingsLimit[k]], [r.count, r.limit]);
      if (r.code === "daily_limit") assert.deepEqual([out.dailyCount[k], out.dailyLimit[k]], [r.count, r.limit]);
    }
  });
  assert.deepEqual([...codesSeen].sort(), ["cooldown", "daily_limit", "embargoed", "holdings_limit", "not_in_pool"]);
  assert.deepEqual(out.holdings, report.holdings);
  assert.throws(
    () => crmkit.checkClaimsColumns(policy, { pooled: { id: coded(["c1"]), pool: coded(["p"]), pooledAt: Float64Array.from([0.5]) }, requests: { user: coded([]), record: coded([]) } }, asOf),
    { name: "CrmkitError", code: "invalid_date", path: "pooled.pooled_at[0]" },
  );
  assert.throws(
    () => crmkit.checkClaimsColumns(policy, { pooled: { id: coded(["c1"]), pool: coded(["p"]), pooledAt: ms(["2026-11-01T00:00:00Z"]) }, holdings: { user: coded(["li"]), owned: Float64Array.from([1.5]) }, requests: { user: coded([]), record: coded([]) } }, asOf),
    { code: "invalid_type", path: "holdings.owned[0]" },
  );
});

test("assignRecords in several runs, each fed the cursors and load the last returned, is one run", () => {
  for (const strategy of ["round_robin", "weighted", "least_loaded"]) {
    const team = {
      teams: [{ id: "t", strategy, reps: [{ id: "a", weight: 3 }, { id: "b" }, { id: "c", active: false }, { id: "d", capacity: 4 }, { id: "e", weight: 0 }] }],
      routes: [{ id: "all", when: { any: true }, team: "t" }],
      fallback_queue: "q",
    };
    const recs = Array.from({ length: 97 }, (_, i) => ({ id: `x${i}` }));
    const start = { cursors: { t: 3 }, load: [{ rep: "b", held: 2 }], seed: 2n ** 64n - 59n };
    const whole = crmkit.assignRecords(team, { records: recs, ...start });
    let state = { cursors: start.cursors, load: start.load };
    const parts = [];
    for (const [lo, hi] of [[0, 10], [10, 11], [11, 60], [60, 97]]) {
      const got = crmkit.assignRecords(team, { records: recs.slice(lo, hi), seed: start.seed, ...state });
      parts.push(...got.assignments);
      state = { cursors: got.cursors, load: got.load.map((e) => ({ rep: e.rep, held: e.held + e.assigned })) };
    }
    assert.deepEqual(parts, whole.assignments, strategy);
    assert.deepEqual(state.cursors, whole.cursors, strategy);
    const counts = Object.fromEntries(whole.load.map((e) => [e.rep, e.assigned]));
    assert.equal(counts.c, 0, strategy);
    assert.ok(counts.d <= 4, strategy);
    if (strategy === "weighted") assert.equal(counts.e, 0);
  }
});
