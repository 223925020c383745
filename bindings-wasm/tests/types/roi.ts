// Marketing ROI and attribution as a TypeScript user writes against them: records, columns,
// the comparison of models; decimal strings for money, the declared names for enums.
import {
  attribute,
  attributeColumns,
  campaignRoi,
  compareAttribution,
  compareAttributionColumns,
  type AttributionPolicy,
  type Campaign,
  type ColumnsAttribution,
  type Comparison,
  type ComparisonPolicy,
  type Decimal,
  type Journey,
  type JourneyColumns,
  type RoiPolicy,
  type RoiReport,
} from "crmkit";

const roiPolicy: RoiPolicy = {
  channels: [{ name: "events", group: "offline" }, { name: "search", group: "paid" }],
  period: "quarter",
  rounding: { dp: 2 },
};
const campaigns: Campaign[] = [
  { id: "c1", channel: "events", cost: "11400", won_revenue: "20000", leads: 3000, won: 260 },
  { id: "c2", channel: "search", cost: "5000.50", leads: 120 },
];
const roi: RoiReport = campaignRoi(roiPolicy, campaigns);
const roiPct: Decimal | null = roi.total.roi_pct;
const channelCost: Decimal = roi.channels[0].cost;
// @ts-expect-error: the period is one of the declared units
const badPeriod: RoiPolicy = { period: "fortnight" };
// @ts-expect-error: a count of leads is a number, not text
const textLeads: Campaign = { id: "c3", channel: "events", cost: "1", leads: "3000" };

const journeys: Journey[] = [
  {
    id: "j1",
    revenue: "1000",
    converted_on: "2026-03-15",
    touches: [
      { channel: "search", on: "2026-03-01", milestone: "lead_created" },
      { channel: "events", on: "2026-03-10" },
    ],
  },
  { id: "j2", revenue: "0", touches: [{ channel: "search", on: "2026-03-02" }] },
];
const linear: AttributionPolicy = { model: { kind: "linear" }, lookback_days: 30, cohorts: true };
const credited = attribute(linear, journeys);
const credit: Decimal = credited.channels[0].credit;
const touchCredit: Decimal = credited.journeys[0].touches[0].credit;
const removal: Decimal | null | undefined = credited.channels[0].removal_effect;
const cohortMonth: string = credited.cohorts[0].month;
const models: ComparisonPolicy = { models: [{ kind: "first_touch" }, { kind: "time_decay", half_life_days: "7" }, { kind: "markov" }] };
const compared: Comparison = compareAttribution(models, journeys);
const firstCredits: Decimal[] = compared.channels[0].credits;
const rowModel: string = compared.rows[0].model;

const day = (iso: string): number => Date.parse(iso) / 86_400_000;
const columns: JourneyColumns = {
  journey: Int32Array.of(0, 0, 1),
  channel: Int32Array.of(0, 1, 0),
  channelLabels: ["search", "events"],
  on: Int32Array.from(["2026-03-01", "2026-03-10", "2026-03-02"], day),
  revenueUnits: Float64Array.of(100_000, 100_000, 0),
  revenueScale: 2,
  convertedOn: Int32Array.of(day("2026-03-15"), day("2026-03-15"), -2147483648),
};
const fromColumns: ColumnsAttribution = attributeColumns(linear, columns);
const rowCredits: Float64Array = fromColumns.credits;
const comparedColumns: Comparison = compareAttributionColumns(models, columns);

// Revenue is a decimal string:
// @ts-expect-error
const floatRevenue: Journey = { id: "j3", revenue: 1000, touches: [] };
// A touch's milestone is one of the two:
// @ts-expect-error
const badMilestone: Journey = { id: "j4", revenue: "1", touches: [{ channel: "search", on: "2026-03-01", milestone: "won" }] };
// A time-decay half-life is a decimal string:
// @ts-expect-error
const floatHalfLife: AttributionPolicy = { model: { kind: "time_decay", half_life_days: 7 } };
// Columns are typed arrays:
// @ts-expect-error
const plainColumns: JourneyColumns = { ...columns, journey: [0, 0, 1] };

export {
  roiPct, channelCost, badPeriod, textLeads, credit, touchCredit, removal, cohortMonth, firstCredits, rowModel, rowCredits,
  comparedColumns, floatRevenue, badMilestone, floatHalfLife, plainColumns,
};
