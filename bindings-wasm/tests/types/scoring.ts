// Lead scoring as a TypeScript user writes against it: rules as data, the report, the columns
// batch, the learned model (stored as JSON and read back), calibration and the time split.
import {
  calibration,
  modelFields,
  predictLeads,
  scoreLeads,
  scoreLeadsColumns,
  timeSplit,
  trainLeadModel,
  type CalibrationReport,
  type Decimal,
  type Lead,
  type LeadColumns,
  type LeadModel,
  type ModelConfig,
  type PredictionReport,
  type ScoreColumns,
  type ScoreReport,
  type ScoringPolicy,
  type TimeSplit,
} from "crmkit";

const policy: ScoringPolicy = {
  rules: [
    { id: "mfg", dimension: "fit", points: 20, when: [{ field: "industry", op: "equals", value: "制造" }] },
    { id: "big", dimension: "fit", points: 5, when: [{ field: "employees", op: "range", min: 100, bounds: "[]" }] },
    { id: "seen", dimension: "engagement", points: 3, when: [{ field: "seen_on", op: "within_days", days: 30 }] },
    { id: "pricing", dimension: "engagement", points: 16, event: { types: ["visit_pricing"], half_life_days: 7 } },
  ],
  grades: { fit: [{ label: "A", min: 20 }, { label: "B" }] },
};
const leads: Lead[] = [
  { id: "L1", industry: "制造", employees: 50, seen_on: "2026-11-20", events: [{ type: "visit_pricing", on: "2026-11-09" }] },
  { id: "L2", industry: "教育", employees: 500 },
];
const report: ScoreReport = scoreLeads(policy, leads, "2026-11-23");
const rank: number = report.leads[0].rank;
const grade: string | null = report.leads[0].grade;
const itemPoints: number = report.leads[0].items[0].points;
const ranking: string[] = report.ranking;

const day = (iso: string): number => Math.round(Date.parse(iso) / 86_400_000);
const columns: LeadColumns = {
  rows: 2,
  fields: {
    industry: { codes: Int32Array.of(0, 1), labels: ["制造", "教育"] },
    employees: Float64Array.of(50, 500),
    seen_on: { days: Int32Array.of(day("2026-11-20"), -2147483648) },
  },
  events: { lead: Int32Array.of(0), type: { codes: Int32Array.of(0), labels: ["visit_pricing"] }, on: Int32Array.of(day("2026-11-09")) },
};
const scored: ScoreColumns = scoreLeadsColumns(policy, columns, "2026-11-23");
const scores: number[] = scored.score;

const stages = [{ name: "new" }, { name: "qualified" }, { name: "won", won: true }];
const config: ModelConfig = { method: "odoo", fields: [{ name: "source" }], stages };
const closed: Lead[] = [
  { id: "a", outcome: "won", stage: "won", source: "x" },
  { id: "b", outcome: "lost", stage: "new", source: "x" },
  { id: "c", outcome: "lost", stage: "qualified", source: "y" },
  { id: "d", outcome: "won", stage: "won", source: "y" },
];
const model: LeadModel = trainLeadModel(config, closed, "2026-11-23");
// A model stored as JSON and read back is a LeadModel again.
const stored: LeadModel = JSON.parse(JSON.stringify(model)) as LeadModel;
const predicted: PredictionReport = predictLeads(stored, [{ id: "q", stage: "qualified", source: "y" }]);
const probability: number | null = predicted.leads[0].probability;
const percent: Decimal | null = predicted.leads[0].percent;
const fields: string[] = modelFields(config);
const calibrated: CalibrationReport = calibration(Float64Array.of(0.9, 0.2, 0.7, 0.4), [true, false, false, true], 2);
const auc: number | null = calibrated.auc;
// The bins are optional (10):
const tenBins: CalibrationReport = calibration([0.9, 0.2], [true, false]);
const split: TimeSplit = timeSplit(closed, "closed_on", "2026-03-01");
const train: number[] = split.train;

// Operators, dimensions and methods are the declared names:
// @ts-expect-error
const badDimension: ScoringPolicy = { rules: [{ id: "x", dimension: "budget", points: 1, when: [{ field: "a", op: "exists" }] }] };
// @ts-expect-error
const badMethod: ModelConfig = { method: "logistic", fields: [], stages };
// Points are numbers or decimal strings (a Python Decimal's text), never booleans:
const textPoints: ScoringPolicy = { rules: [{ id: "x", dimension: "fit", points: "2.5", when: [{ field: "a", op: "exists" }] }] };
// @ts-expect-error
const boolPoints: ScoringPolicy = { rules: [{ id: "x", dimension: "fit", points: true, when: [{ field: "a", op: "exists" }] }] };
// Outcomes are booleans:
// @ts-expect-error
calibration([0.5], ["won"]);

export {
  tenBins, rank, grade, itemPoints, ranking, scores, probability, percent, fields, auc, train, badDimension, badMethod, textPoints, boolPoints,
};
