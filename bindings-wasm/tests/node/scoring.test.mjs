// Lead scoring from JS: plain objects in, plain objects out, thrown CrmkitErrors, untouched inputs.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as crmkit from "crmkit";

const policy = {
  rules: [
    { id: "mfg", dimension: "fit", points: 20, when: [{ field: "industry", op: "equals", value: "制造" }] },
    { id: "pricing", dimension: "engagement", points: 16, event: { types: ["visit_pricing"], half_life_days: 7 } },
  ],
  tiers: [{ id: "key_lead", label: "重点线索", min_score: 24 }],
};
const leads = [
  { id: "L2", industry: "教育" },
  { id: "L1", industry: "制造", events: [{ type: "visit_pricing", on: "2026-11-09" }] },
];

test("scoreLeads scores, ranks and explains", () => {
  const before = structuredClone(leads);
  const report = crmkit.scoreLeads(policy, leads, "2026-11-23");
  assert.deepEqual(leads, before);
  assert.deepEqual(report.ranking, ["L1", "L2"]);
  const l1 = report.leads[1];
  assert.equal(l1.score, 24);
  assert.equal(l1.tier_label, "重点线索");
  assert.deepEqual(
    l1.items.map((i) => [i.rule, i.points, i.decayed, i.reason]),
    [["mfg", 20, 20, "conditions_met"], ["pricing", 16, 4, "events_decayed"]],
  );
});

test("bad input throws CrmkitError with code and path", () => {
  const bad = { rules: [{ id: "r", dimension: "fit", points: 1, when: [{ field: "x", op: "regex", pattern: "(" }] }] };
  assert.throws(() => crmkit.scoreLeads(bad, leads, "2026-11-23"), {
    name: "CrmkitError",
    code: "invalid_value",
    path: "rules[0].when[0].pattern",
  });
  // NaN points arrive as null: a type error, not a silent zero.
  const nan = { rules: [{ ...policy.rules[0], points: NaN }] };
  assert.throws(() => crmkit.scoreLeads(nan, leads, "2026-11-23"), { code: "invalid_type", path: "rules[0].points" });
  assert.throws(() => crmkit.scoreLeads(policy, [{ id: "a", industry: 5 }], "2026-11-23"), {
    code: "invalid_type",
    path: "leads[0].industry",
  });
  assert.throws(() => crmkit.scoreLeads(policy, leads, new Date()), { code: "invalid_type", path: "as_of" });
});
