// The public pool's declarations as a TypeScript user writes against them.
import {
  assignRecordsColumns,
  checkClaimsColumns,
  evaluatePool,
  type AssignPolicy,
  type AssignmentColumns,
  type ClaimDecisionColumns,
  type PoolActivity,
  type Instant,
  type PoolPolicy,
  type PoolRecord,
  type PoolReport,
} from "crmkit";

const policy: PoolPolicy = {
  time_zone: "Asia/Shanghai",
  calendars: { cn: { holidays: ["2026-10-01"], workdays: ["2026-09-27"] } },
  pools: [
    {
      id: "east",
      priority: 1,
      scope: { departments: ["east"] },
      unit: "working_days",
      calendar: "cn",
      boundary: "inclusive",
      warn_before: 3,
      follow_up: { types: ["call"], actor: "team", backdate_limit_hours: 48 },
      exempt: { locked: true, won: true, open_contract: true, tags: ["vip"] },
      rules: [{ id: "30d", kind: "no_follow_up", limit: 30, clock: "since_claim", levels: ["A"] }],
    },
  ],
};
const records: PoolRecord[] = [{ id: "c1", owner: "wang", claimed_at: "2026-10-01T10:00:00+08:00", department: "east" }];
const activities: PoolActivity[] = [{ record: "c1", at: "2026-10-02T10:00:00+08:00", type: "call", actor: "wang" }];
const report: PoolReport = evaluatePool(policy, records, activities, "2026-11-01");
const due: Instant | undefined = report.decisions[0].due_at;
const decision: "keep" | "warn" | "recycle" | "exempt" = report.decisions[0].decision;
const recycled: number = report.totals.recycle;
const first: string | undefined = report.decisions[0].reasons[0]?.code;

// @ts-expect-error: a limit is a number of units, not a string
const bad: PoolPolicy = { time_zone: "UTC", pools: [{ id: "x", scope: {}, rules: [{ id: "r", kind: "no_follow_up", limit: "30" }] }] };

const assignPolicy: AssignPolicy = {
  teams: [{ id: "t", strategy: "round_robin", reps: [{ id: "li" }, { id: "wang", capacity: 3 }] }],
  routes: [{ id: "north", when: { regions: ["north"] }, team: "t" }],
  fallback_queue: "queue",
};
const assigned: AssignmentColumns = assignRecordsColumns(
  assignPolicy,
  { rows: 2, region: { codes: Int32Array.from([0, -1]), labels: ["north"] } },
  { load: [{ rep: "li", held: 2 }], cursors: { t: 1 }, seed: 42 },
);
const repIndex: number = assigned.rep[0];
const claims: ClaimDecisionColumns = checkClaimsColumns(
  policy,
  {
    pooled: { id: { codes: Int32Array.from([0]), labels: ["c1"] }, pool: { codes: Int32Array.from([0]), labels: ["east"] }, pooledAt: Float64Array.from([0]) },
    requests: { user: { codes: Int32Array.from([0]), labels: ["li"] }, record: { codes: Int32Array.from([0]), labels: ["c1"] } },
  },
  "2026-11-01",
);
const refusedFor: string[] = claims.reasonLabels;
// @ts-expect-error: instants are a Float64Array of ms, not text
const badClaims = checkClaimsColumns(policy, { pooled: { id: { codes: Int32Array.from([0]), labels: ["c1"] }, pool: { codes: Int32Array.from([0]), labels: ["east"] }, pooledAt: ["2026-11-01"] }, requests: { user: { codes: Int32Array.from([0]), labels: ["li"] }, record: { codes: Int32Array.from([0]), labels: ["c1"] } } }, "2026-11-01");

export { due, decision, recycled, first, bad, repIndex, refusedFor, badClaims };
