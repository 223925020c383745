// The learned model, calibration, the time split and the typed-array batch from JS.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const closed = [
  { id: "a", outcome: "won", stage: "won", source: "x" },
  { id: "b", outcome: "lost", stage: "new", source: "x" },
  { id: "c", outcome: "lost", stage: "qualified", source: "y" },
  { id: "d", outcome: "won", stage: "won", source: "y" },
  { id: "e", outcome: "won", stage: "won", source: "y" },
];
const stages = [{ name: "new" }, { name: "qualified" }, { name: "won", won: true }];

test("trainLeadModel + predictLeads: Odoo's formula, contributions summing to the logit", () => {
  const model = crmkit.trainLeadModel({ method: "odoo", fields: [{ name: "source" }], stages }, closed, "2026-11-23");
  const stored = JSON.parse(JSON.stringify(model)); // plain data
  const [p] = crmkit.predictLeads(stored, [{ id: "q", stage: "qualified", source: "y" }]).leads;
  assert.ok(Math.abs(p.probability - 0.7871825876662636) < 1e-12);
  assert.equal(p.percent, "78.72");
  const sum = p.contributions.reduce((s, c) => s + c.log_odds, 0);
  assert.equal(sum, p.logit);
  assert.throws(() => crmkit.trainLeadModel({ method: "odoo", fields: [], stages }, closed.slice(0, 1), "2026-11-23"), {
    name: "CrmkitError",
    code: "invalid_value",
    path: "leads",
  });
});

test("calibration and timeSplit", () => {
  const c = crmkit.calibration(Float64Array.of(0.9, 0.2, 0.7, 0.4), [true, false, false, true], 2);
  assert.equal(c.auc, 0.75);
  assert.equal(c.bins.length, 2);
  assert.throws(() => crmkit.calibration([0.5, NaN], [true, false]), { code: "invalid_type", path: "probabilities[1]" });
  const s = crmkit.timeSplit([{ id: "a", closed_on: "2026-01-01" }, { id: "b", closed_on: "2026-06-01" }], "closed_on", "2026-03-01");
  assert.deepEqual(s, { train: [0], test: [1] });
});

test("scoreLeadsColumns agrees with scoreLeads", () => {
  const policy = {
    rules: [
      { id: "mfg", dimension: "fit", points: 20, when: [{ field: "industry", op: "equals", value: "制造" }] },
      { id: "big", dimension: "fit", points: 5, when: [{ field: "employees", op: "range", min: 100, bounds: "[]" }] },
      { id: "seen", dimension: "engagement", points: 3, when: [{ field: "seen_on", op: "within_days", days: 30 }] },
      { id: "pricing", dimension: "engagement", points: 16, event: { types: ["visit_pricing"], half_life_days: 7 } },
    ],
    grades: { fit: [{ label: "A", min: 20 }, { label: "B" }] },
  };
  const leads = [
    { id: "L1", industry: "制造", employees: 50, seen_on: "2026-11-20", events: [{ type: "visit_pricing", on: "2026-11-09" }] },
    { id: "L2", industry: "教育", employees: 500 },
  ];
  const day = (d) => Math.round(Date.parse(d) / 86400000);
  const cols = crmkit.scoreLeadsColumns(
    policy,
    {
      rows: 2,
      fields: {
        industry: { codes: Int32Array.of(0, 1), labels: ["制造", "教育"] },
        employees: Float64Array.of(50, 500),
        seen_on: { days: Int32Array.of(day("2026-11-20"), -2147483648) },
      },
      events: { lead: Int32Array.of(0), type: { codes: Int32Array.of(0), labels: ["visit_pricing"] }, on: Int32Array.of(day("2026-11-09")) },
    },
    "2026-11-23",
  );
  const records = crmkit.scoreLeads(policy, leads, "2026-11-23");
  assert.deepEqual(cols.score, records.leads.map((l) => l.score));
  assert.deepEqual(cols.rank, records.leads.map((l) => l.rank));
  assert.deepEqual(cols.grade.map((g) => cols.grade_labels[g]), records.leads.map((l) => l.grade));
  assert.deepEqual(cols.reasons[0].map((r) => cols.rule_ids[r]), records.leads.map((l) => l.top_reasons[0]));
  assert.throws(() => crmkit.scoreLeadsColumns(policy, { rows: 2, fields: { industry: Float64Array.of(1, 2) } }, "2026-11-23"), {
    name: "CrmkitError",
    code: "invalid_type",
    path: "columns.industry",
  });
});
