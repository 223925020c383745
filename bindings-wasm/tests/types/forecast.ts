// The root README's JS examples of the forecast family (history, stalls, backtest, fiscal
// calendars, quota, hierarchy, columns) as a TypeScript user writes them: the same inputs, with
// the declared types named where TypeScript would otherwise widen a literal, and what the
// examples print read at its declared type. Then the wrong inputs the types must refuse.
import {
  allocateTarget,
  allocateTree,
  backtest,
  fiscalPeriods,
  forecast,
  forecastColumns,
  forecastHierarchy,
  forecastRanges,
  funnelHistory,
  quotaAttainment,
  quotaColumns,
  CrmkitError,
  type AllocationPolicy,
  type AllocationReport,
  type AllocationTreePolicy,
  type AllocationTreeReport,
  type BacktestReport,
  type CrmkitErrorCode,
  type Deal,
  type DealColumns,
  type Decimal,
  type FiscalCalendar,
  type FiscalYear,
  type ForecastPolicy,
  type HierarchyReport,
  type HistoryReport,
  type IsoDate,
  type QuotaReport,
  type RangeReport,
  type StageEvent,
} from "crmkit";

// README "Quickstart": the forecast, and the error a typo gives.
const policy: ForecastPolicy = {
  stages: [
    { name: "潜在客户", conversion: "0.5", duration: "2" },
    { name: "项目投标", conversion: "0.8", duration: "1" },
    { name: "商务洽谈", conversion: "0.9", duration: "1" },
    { name: "签订合同", kind: "won" },
  ],
  duration_unit: "months",
  placement: "half_elapsed",
};
const deals: Deal[] = [
  { id: "A", stage: "潜在客户", amount: "500000" },
  { id: "B", stage: "项目投标", amount: "250000" },
  { id: "C", stage: "商务洽谈", amount: "200000" },
];
const months: string[] = forecast(policy, deals, "2026-11-23").months.map((m) => `${m.month} ${m.weighted}`);
try {
  // @ts-expect-error: the placement is one of the declared names
  forecast({ ...policy, placement: "halfway" }, deals, "2026-11-23");
} catch (e) {
  if (e instanceof CrmkitError) {
    const code: CrmkitErrorCode = e.code;
    const path: string = e.path;
    // @ts-expect-error: a code the README's table does not list
    const typo: boolean = e.code === "invalid_placement";
    void [code, path, typo];
  }
}

// README "Batches": dense groups over typed-array columns, days since 1970-01-01.
const day = (iso: string): number => Date.parse(iso) / 86_400_000;
const dense = forecastColumns(
  {
    stages: [{ name: "open", probability: "0.5" }, { name: "won", kind: "won" }],
    duration_unit: "days", placement: "expected_close", group_by: ["owner"],
    horizon_months: 3, dense: true,
  },
  {
    stage: new Int32Array([0, 0, 0]),
    stageLabels: ["open", "won"],
    amountUnits: new Float64Array([100, 200, 400]),
    amountScale: 0,
    expectedCloseOn: new Int32Array(["2026-11-30", "2027-01-15", "2027-05-01"].map(day)),
    keys: [{ codes: new Int32Array([0, 1, 1]), labels: ["7", "9"] }],
  },
  "2026-11-23",
);
const denseGroups: string[] = dense.groups.map((g) => `${g.key["owner"]}: ${g.months.map((m) => m.weighted).join(" ")}`);
const beyond: number = dense.totals.beyond_horizon.deals;

// README "Week-based fiscal calendars".
const nrf: FiscalYear = { start_month: 2, named_by: "start", weeks: { pattern: "4-5-4", ends_on: "saturday", year_end: "nearest" } };
const calendar: FiscalCalendar = fiscalPeriods(nrf, "2026-11-23", "2026-11-23");
const { periods, years } = calendar;
const period: string = periods[0].period;
const periodStart: IsoDate = periods[0].start;
const periodEnd: IsoDate = periods[0].end;
const weeks: number | null = years[0].weeks;
// @ts-expect-error: the week pattern is one of the three
const badPattern: FiscalYear = { start_month: 2, weeks: { pattern: "4-4-4", ends_on: "saturday", year_end: "nearest" } };

// README "History": a stage-change log, its cohorts, and its stages as a policy's.
const events: StageEvent[] = ([["a", "lead", "2026-01-01"], ["a", "won", "2026-01-11"], ["b", "lead", "2026-01-01"],
  ["b", "lost", "2026-01-31"], ["c", "lead", "2026-02-01"], ["c", "won", "2026-02-21"],
  ["d", "lead", "2026-02-01"], ["d", "lost", "2026-02-11"]] as const)
  .map(([deal, stage, on]) => ({ deal, stage, on }));
const h: HistoryReport = funnelHistory(
  { stages: [{ name: "lead" }, { name: "won", kind: "won" }, { name: "lost", kind: "lost" }], cohort: "month", stall_percentile: "90" },
  events,
  "2026-03-01",
);
const cohorts: string[] = h.groups.map((g) => `${g.cohort} ${g.win_rate}`);
const learned: ForecastPolicy = { stages: h.forecast_stages, duration_unit: "days", placement: "half_elapsed" };
const stallAfter: Decimal | null | undefined = h.forecast_stages[0].stall_after;
const fromHistory: Decimal = forecast(learned, [{ id: "n", stage: "lead", amount: "300" }], "2026-03-01").totals.open.weighted;
// @ts-expect-error: a cohort is a declared period
const badCohort = funnelHistory({ stages: [{ name: "lead" }], cohort: "fortnight" }, events, "2026-03-01");

// README "Stall thresholds": the flags of one deal.
const stalling: ForecastPolicy = {
  stages: [{ name: "lead", probability: "0.3", duration: "20", stall_after: "30", idle_after: 14 }, { name: "won", kind: "won" }],
  duration_unit: "days",
  placement: "half_elapsed",
};
const [line] = forecast(stalling, [{ id: "d", stage: "lead", amount: "100", entered_stage_on: "2026-10-01", last_activity_on: "2026-11-01" }], "2026-11-23").deals;
const stalls: string[] = line.stalls.map((f) => `${f.rule} ${f.value} > ${f.threshold}`);

// README "Backtest".
const backtested: BacktestReport = backtest(
  {
    stages: [{ name: "deal", probability: "0.5", category: "commit" }, { name: "won", kind: "won" }, { name: "lost", kind: "lost" }],
    duration_unit: "days",
    placement: "expected_close",
  },
  { dates: ["2026-01-01"], seed: 7 },
  [
    { deal: "a", stage: "deal", on: "2025-12-01", amount: "100", expected_close_on: "2026-01-20" },
    { deal: "a", stage: "won", on: "2026-01-20" },
    { deal: "b", stage: "deal", on: "2025-12-05", amount: "300", expected_close_on: "2026-01-25" },
    { deal: "b", stage: "lost", on: "2026-01-25" },
  ],
  "2026-03-01",
);
const [first] = backtested.lines;
const backtestLine: string = `${first.method} ${first.forecast} ${first.actual} ${first.ape}`;
// @ts-expect-error: an event's amount is a decimal string
const floatEvent: StageEvent = { deal: "a", stage: "deal", on: "2025-12-01", amount: 100 };

// README "Quota": attainment from deal rows, then from columns.
const proposal: ForecastPolicy = {
  stages: [{ name: "proposal", probability: "0.4" }, { name: "won", kind: "won" }],
  duration_unit: "days",
  placement: "expected_close",
};
const quotas = [{ key: { owner: "li" }, period: "2026-Q4", amount: "100000" }];
const quota: QuotaReport = quotaAttainment(
  proposal,
  { group_by: ["owner"] },
  {
    deals: [
      { id: "a", stage: "won", amount: "30000", owner: "li", expected_close_on: "2026-10-15" },
      { id: "b", stage: "proposal", amount: "80000", owner: "li", expected_close_on: "2026-12-10" },
    ],
    quotas,
  },
  "2026-11-23",
);
const li = quota.lines[0];
const attainment: Decimal | null = li.attainment;
const quotaLine: string = `${li.gap} ${li.coverage} ${li.weighted_coverage}`;
const quotaDeals: DealColumns = {
  stage: new Int32Array([1, 0]),
  stageLabels: ["proposal", "won"],
  amountUnits: new Float64Array([30000, 80000]),
  expectedCloseOn: new Int32Array(["2026-10-15", "2026-12-10"].map(day)),
  keys: [{ codes: new Int32Array([0, 0]), labels: ["li"] }],
};
const fromColumns: QuotaReport = quotaColumns({ ...proposal, group_by: ["owner"] }, { group_by: ["owner"] }, quotaDeals, { quotas }, "2026-11-23");
// @ts-expect-error: a quota amount is a decimal string
quotaAttainment(proposal, { group_by: ["owner"] }, { deals: [], quotas: [{ key: { owner: "li" }, period: "2026-Q4", amount: 100000 }] }, "2026-11-23");

// README "Forecast hierarchy": the VP's line with the manager's adjustment.
const hierarchy: HierarchyReport = forecastHierarchy(
  { stages: [{ name: "negotiation", probability: "0.6", category: "commit" }, { name: "won", kind: "won" }], duration_unit: "days", placement: "expected_close" },
  { owners: [{ owner: "vp" }, { owner: "ann", manager: "vp" }, { owner: "bob", manager: "vp" }] },
  {
    deals: [
      { id: "1", stage: "negotiation", amount: "100", owner: "ann", expected_close_on: "2026-12-01" },
      { id: "2", stage: "negotiation", amount: "50", owner: "bob", expected_close_on: "2026-12-15" },
    ],
    adjustments: [{ by: "vp", owner: "bob", category: "commit", period: "2026-Q4", amount: "20" }],
  },
  "2026-11-23",
);
const [vp] = hierarchy.lines;
const call: Decimal = vp.forecasts[1].call;
const adjusted: Decimal = vp.forecasts[1].adjusted;
// @ts-expect-error: an adjustment's amount is a decimal string
forecastHierarchy(policy, { owners: [] }, { deals: [], adjustments: [{ by: "vp", owner: "bob", category: "commit", period: "2026-Q4", amount: 20 }] }, "2026-11-23");

// README "Target allocation": by share of history, and down a tree.
const share: AllocationPolicy = { window: "ytd" };
const allocated: AllocationReport = allocateTarget(
  share,
  { target: "1000000", history: [{ key: "east", on: "2026-03-01", amount: "600" }, { key: "west", on: "2026-04-01", amount: "400" }], adjustments: [{ key: "new", amount: "50000" }] },
  "2026-11-23",
);
const allocatedTarget: Decimal = allocated.lines[0].target;
const treePolicy: AllocationTreePolicy = {
  levels: [{ name: "product" }, { name: "region", window: "ytd", floor: "250000" }, { name: "channel", window: "qtd" }],
  rounding: { dp: 0 },
};
const tree: AllocationTreeReport = allocateTree(
  treePolicy,
  { target: "1000000", history: [{ path: ["云", "华东", "直销"], on: "2026-10-10", amount: "200000" }], floors: [{ path: ["云", "华北", "渠道"], amount: "60000" }] },
  "2026-11-23",
);
const targets: Record<string, number> = Object.fromEntries(tree.lines.map((l) => [l.path.join("/"), Number(l.target)]));
// @ts-expect-error: a floor is a decimal string
const floatFloor: AllocationTreePolicy = { levels: [{ name: "product", floor: 250000 }] };
// @ts-expect-error: the window is one of the declared names
const badWindow: AllocationPolicy = { window: "last_year" };

// README "Ranges": seeded Monte Carlo over the same deals.
const ranges: RangeReport = forecastRanges(policy, { simulations: 1000, seed: 7 }, deals, "2026-11-23");

export {
  months, denseGroups, beyond, period, periodStart, periodEnd, weeks, badPattern, cohorts, stallAfter, fromHistory, badCohort,
  stalls, backtestLine, floatEvent, attainment, quotaLine, fromColumns, call, adjusted, allocatedTarget, targets, floatFloor,
  badWindow, ranges,
};
