// The Node build's declarations, resolved through the package's own `exports`.
import {
  attribute,
  campaignRoi,
  campaignRoiColumns,
  forecast,
  forecastColumns,
  quotaColumns,
  version,
  CrmkitError,
  ColumnBuffer,
  type AttributionPolicy,
  type AttributionReport,
  type Campaign,
  type Deal,
  type DealColumns,
  type Decimal,
  type ForecastColumnsOptions,
  type ForecastPolicy,
  type ForecastReport,
  type ForecastTable,
  type QuotaReport,
  type QuotaTable,
  type IsoDate,
  type RoiReport,
  type RoiTable,
} from "crmkit";

const policy: ForecastPolicy = {
  stages: [
    { name: "open", conversion: "0.5", duration: "10" },
    { name: "won", kind: "won" },
  ],
  duration_unit: "days",
  placement: "half_elapsed",
  group_by: ["owner", "region"],
  rounding: { dp: 2, strategy: "half_up" },
};
const deals: Deal[] = [
  { id: "a", stage: "open", amount: "100.00", owner: "ann", attributes: { region: "north" } },
  { id: "b", stage: "won", amount: "5", entered_stage_on: "2026-11-01" },
];
const report: ForecastReport = forecast(policy, deals, "2026-11-23");
const weighted: Decimal = report.totals.open.weighted;
const asOf: IsoDate = report.as_of;
const month: string | null = report.deals[0].month;
const offset: number | null = report.deals[0].offset;
const owner: string | null | undefined = report.groups[0]?.key["owner"];
const reasons: string[] = report.deals[0].reasons;

const columns: DealColumns = {
  stage: Int32Array.of(0, 1),
  stageLabels: ["open", "won"],
  amountUnits: BigInt64Array.of(10_000n, 500n),
  amountScale: 2,
  enteredStageOn: Int32Array.of(-2147483648, 20_400),
  keys: [
    { codes: Int32Array.of(0, -1), labels: ["ann"] },
    { codes: Int32Array.of(0, 0), labels: ["north"] },
  ],
};
const fromColumns: ForecastReport = forecastColumns(policy, columns, "2026-11-23");
// The table output, told apart from the report by the option's literal type.
const sameReport: ForecastReport = forecastColumns(policy, columns, "2026-11-23", { output: "report" });
const table: ForecastTable = forecastColumns(policy, columns, "2026-11-23", { output: "columns" });
const lineUnits: BigInt64Array = table.lines.weighted;
const lineGroup: Int32Array = table.lines.group;
const lineMonth: string = table.months[table.lines.month[0]].month;
const groupOwner: string | null = table.groups.keys[0][0];
const beyond: BigInt64Array | undefined = table.groups.beyondHorizon?.amount;
const scale: number = table.scale;
const tableTotal: Decimal = table.totals.open.weighted;
const options: ForecastColumnsOptions = { output: "columns" };
const either: ForecastReport | ForecastTable = forecastColumns(policy, columns, "2026-11-23", options);
// The table has no deal lines, its groups are columns, a report is not a table, and there
// are two outputs only:
// @ts-expect-error
const tableDeals = table.deals;
// @ts-expect-error
const groupLines: ForecastReport["groups"] = table.groups;
// @ts-expect-error
const notTable: ForecastTable = forecastColumns(policy, columns, "2026-11-23");
// @ts-expect-error
forecastColumns(policy, columns, "2026-11-23", { output: "rows" });
// quotaColumns: the report, or with `{ output: "columns" }` its lines as typed arrays.
const quotaPolicy = { group_by: ["owner"], period: "quarter" as const };
const quotaData = { quotas: [{ key: { owner: "ann" }, period: "2026-Q4", amount: "100000" }] };
const quotaReport: QuotaReport = quotaColumns(policy, quotaPolicy, columns, quotaData, "2026-11-23");
const quotaTable: QuotaTable = quotaColumns(policy, quotaPolicy, columns, quotaData, "2026-11-23", { output: "columns" });
const quotaUnits: BigInt64Array = quotaTable.lines.quota;
const quotaMissing: Uint8Array = quotaTable.lines.quotaMissing;
const quotaPeriod: string = quotaTable.totals[quotaTable.lines.period[0]].period;
const quotaOwner: string | null = quotaTable.keys[0][quotaTable.lines.key[0]];
const quotaReasons: string[] = quotaTable.reasonLists[quotaTable.lines.reasons[0]];
const rateScale: number = quotaTable.rateScale;
// @ts-expect-error
const notQuotaTable: QuotaTable = quotaColumns(policy, quotaPolicy, columns, quotaData, "2026-11-23");
// @ts-expect-error
quotaColumns(policy, quotaPolicy, columns, quotaData, "2026-11-23", { output: "rows" });
const v: string = version();

function describe(e: unknown): string {
  if (!(e instanceof CrmkitError)) return String(e);
  return `${e.name} ${e.code} at ${e.path}: ${e.message}`;
}

// Money is a decimal string, never a number:
// @ts-expect-error
const floatMoney: Deal = { id: "c", stage: "open", amount: 100 };
// Placement is one of the declared names:
// @ts-expect-error
const typo: ForecastPolicy = { ...policy, placement: "halfway" };
// Columns want typed arrays:
// @ts-expect-error
const plainArrays: DealColumns = { ...columns, stage: [0, 1] };
// The report is not `any`:
// @ts-expect-error
const notANumber: number = report.totals.won.amount;

const campaigns: Campaign[] = [{ id: "c1", channel: "events", cost: "11400", won_revenue: "20000", leads: 3000, won: 260 }];
const roi: RoiReport = campaignRoi({ period: "quarter" }, campaigns);
const roiPct: Decimal | null = roi.total.roi_pct;
// campaignRoiColumns: the report, or with `{ output: "columns" }` its campaign lines as typed arrays.
const campaignColumns = { id: Int32Array.from([0]), idLabels: ["c1"], channel: Int32Array.from([0]), channelLabels: ["events"], cost: ["11400"] };
const roiColumnsReport: RoiReport = campaignRoiColumns({}, campaignColumns);
const roiTable: RoiTable = campaignRoiColumns({}, campaignColumns, { output: "columns" });
const roiUnits: BigInt64Array = roiTable.campaigns.roiPct;
const roiMissing: Uint8Array = roiTable.campaigns.roiPctMissing;
const roiChannel: string = roiTable.channelLabels[roiTable.campaigns.channel[0]];
const roiTotal: Decimal | null = roiTable.total.roi_pct;
const roiPercentScale: number = roiTable.percentScale;
// @ts-expect-error
const notRoiTable: RoiTable = campaignRoiColumns({}, campaignColumns);
// @ts-expect-error
campaignRoiColumns({}, campaignColumns, { output: "rows" });
const decay: AttributionPolicy = { model: { kind: "time_decay", half_life_days: "7" }, rounding: { dp: 1 } };
const credits: AttributionReport = attribute(decay, [
  { id: "j", revenue: "100", converted_on: "2026-03-15", touches: [{ channel: "search", on: "2026-03-01" }] },
]);
const credit: Decimal = credits.journeys[0].touches[0].credit;
// Campaign cost is a decimal string, never a number:
// @ts-expect-error
const floatCost: Campaign = { id: "c2", channel: "tv", cost: 100 };
// Models are the declared kinds:
// @ts-expect-error
const badModel: AttributionPolicy = { model: { kind: "last_click" } };

export { roiPct, credit, floatCost, badModel };
export { weighted, asOf, month, offset, owner, reasons, fromColumns, v, describe, floatMoney, typo, plainArrays, notANumber };

// Lead scoring: the policy, the leads and the report are typed.
import { scoreLeads, scoringFields, type Lead, type ScoreReport, type ScoringPolicy } from "crmkit";

const scoring: ScoringPolicy = {
  rules: [
    { id: "mfg", dimension: "fit", points: 20, when: [{ field: "industry", op: "in", values: ["制造"], ignore_case: false }] },
    { id: "web", dimension: "engagement", points: 5, event: { types: ["visit"], per_event: true, half_life_days: 7, min_count: 1 } },
  ],
  top_reasons: 3,
};
const someLeads: Lead[] = [{ id: "L1", industry: "制造", employees: 50, events: [{ type: "visit", on: "2026-11-20" }] }];
const scored: ScoreReport = scoreLeads(scoring, someLeads, "2026-11-23");
const firstScore: number = scored.leads[0].score;
const firstTier: string | null | undefined = scored.leads[0].tier;
// Operators are the declared names:
// @ts-expect-error
const badOp: ScoringPolicy = { rules: [{ id: "x", dimension: "fit", points: 1, when: [{ field: "a", op: "like" }] }] };

// Policy numbers may be decimal strings (what a Python Decimal travels as), absent or numbers.
const decimalNumbers: ScoringPolicy = {
  rules: [{ id: "d", dimension: "fit", points: "2.5", group: "g", when: [{ field: "n", op: "range", min: "1", bounds: "[]" }] }],
  groups: [{ id: "g", max: "2" }],
  tiers: [{ id: "hot", min_score: "1.5" }],
};
const fieldKinds: [string, string][] = scoringFields(decimalNumbers);

export { firstScore, firstTier, badOp, fieldKinds };

// Columns in crmkit's memory: a view is one of the three typed arrays, by the buffer's type.
const lentStage = new ColumnBuffer("int32", 2);
const lentView: Int32Array | Float64Array | BigInt64Array = lentStage.view();
const lentColumns: DealColumns = { ...columns, stage: lentStage.view() as Int32Array };
const lentLength: number = lentStage.length;
lentStage.free();
// @ts-expect-error
const lentInt16 = new ColumnBuffer("int16", 2);
