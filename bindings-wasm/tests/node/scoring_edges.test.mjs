// Lead scoring's edge cases from JS, as test_reference_scoring.py checks them from Python: records
// and columns agree, policy numbers may be decimal strings, errors carry the same code and path.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const asOf = "2026-11-23";

test("a tie-break of decimal strings ranks as numbers, from records and from columns", () => {
  const policy = { rules: [], tie_break: [{ field: "revenue", descending: true }] };
  const values = ["9", "10", "9.50", null, "100.0", "9.00"];
  const ids = ["a", "b", "c", "d", "e", "f"];
  const want = ["e", "b", "c", "a", "f", "d"]; // 9 and 9.00 are one number: then by id
  const leads = ids.map((id, i) => (values[i] === null ? { id } : { id, revenue: values[i] }));
  const records = crmkit.scoreLeads(policy, leads, asOf);
  assert.deepEqual(records.ranking, want);
  // The same values as JS numbers rank the same.
  const numbers = leads.map((l) => (l.revenue === undefined ? l : { ...l, revenue: Number(l.revenue) }));
  assert.deepEqual(crmkit.scoreLeads(policy, numbers, asOf).ranking, want);
  const id = { codes: Int32Array.from(ids.keys()), labels: ids };
  const labels = ["9", "10", "9.50", "100.0", "9.00"];
  const text = { codes: Int32Array.of(0, 1, 2, -1, 3, 4), labels };
  const asText = crmkit.scoreLeadsColumns(policy, { rows: 6, fields: { id, revenue: text } }, asOf);
  assert.deepEqual([...asText.rank], records.leads.map((l) => l.rank));
  const asNumbers = Float64Array.from(values, (v) => (v === null ? NaN : Number(v)));
  const asFloat = crmkit.scoreLeadsColumns(policy, { rows: 6, fields: { id, revenue: asNumbers } }, asOf);
  assert.deepEqual([...asFloat.rank], records.leads.map((l) => l.rank));
  // Other text among the labels in use: text order ("10" before "9").
  const mixed = { codes: Int32Array.of(0, 1, 2), labels: ["9", "10", "n/a"] };
  const id3 = { codes: Int32Array.of(0, 1, 2), labels: ["a", "b", "c"] };
  const cols = crmkit.scoreLeadsColumns({ rules: [], tie_break: [{ field: "revenue" }] }, { rows: 3, fields: { id: id3, revenue: mixed } }, asOf);
  assert.deepEqual([...cols.rank], [2, 1, 3]);
});

test("policy numbers may be decimal strings; other text is invalid_type at the member", () => {
  const numbers = {
    rules: [
      { id: "r", dimension: "fit", points: 2.5, group: "g", when: [{ field: "f", op: "exists" }] },
      { id: "v", dimension: "engagement", points: 16, event: { types: ["visit"], half_life_days: 7 } },
    ],
    groups: [{ id: "g", max: 2 }],
    grades: { fit: [{ label: "A", min: 1.5 }, { label: "B" }] },
    tiers: [{ id: "hot", min_score: 5, min_engagement: 3.5 }],
  };
  const strings = JSON.parse(JSON.stringify(numbers), (k, v) => (typeof v === "number" ? String(v) : v));
  const leads = [{ id: "a", f: "x", events: [{ type: "visit", on: "2026-11-09" }] }, { id: "b" }];
  assert.deepEqual(crmkit.scoreLeads(strings, leads, asOf), crmkit.scoreLeads(numbers, leads, asOf));
  const bad = { rules: [{ id: "r", dimension: "fit", points: "1e3", when: [{ field: "f", op: "exists" }] }] };
  const where = { name: "CrmkitError", code: "invalid_type", path: "rules[0].points" };
  assert.throws(() => crmkit.scoreLeads(bad, leads, asOf), where);
  assert.throws(() => crmkit.scoreLeadsColumns(bad, { rows: 0, fields: {} }, asOf), where);
  const model = { method: "bayes", fields: [{ name: "size", bins: ["10", "50.5"] }], smoothing: "0.5", half_life_days: "90" };
  const closed = [
    { id: "w", outcome: "won", size: 20, closed_on: "2026-10-01" },
    { id: "l", outcome: "lost", size: 60, closed_on: "2026-09-01" },
  ];
  const same = { ...model, fields: [{ name: "size", bins: [10, 50.5] }], smoothing: 0.5, half_life_days: 90 };
  assert.deepEqual(crmkit.trainLeadModel(model, closed, asOf), crmkit.trainLeadModel(same, closed, asOf));
});

test("scoringFields: each field's kind, computed by the core", () => {
  const policy = {
    rules: [
      { id: "a", dimension: "fit", points: 1, when: [{ field: "industry", op: "equals", value: "x" }] },
      { id: "b", dimension: "fit", points: 1, when: [{ field: "employees", op: "range", min: 1, bounds: "[]" }] },
      { id: "c", dimension: "fit", points: 1, when: [{ field: "seen_on", op: "within_days", days: 3 }, { field: "phone", op: "exists" }] },
    ],
    tie_break: [{ field: "revenue" }, { field: "employees" }],
  };
  assert.deepEqual(crmkit.scoringFields(policy), [
    ["industry", "text"],
    ["employees", "number"],
    ["seen_on", "date"],
    ["phone", "presence"],
    ["revenue", "any"],
  ]);
  const twice = { rules: [{ ...policy.rules[0] }, { ...policy.rules[1], when: [{ field: "industry", op: "range", min: 1, bounds: "[]" }] }] };
  assert.throws(() => crmkit.scoringFields(twice), { name: "CrmkitError", code: "invalid_value", path: "rules[1].when[0].op" });
});
