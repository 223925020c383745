// campaignRoiColumns' two outputs checked against each other, in Node and in Chromium: the table
// (`{ output: "columns" }`) must hold the report's campaign lines exactly (money and percentage
// units read back as the report's decimal strings, null cells marked, counts, funnel steps,
// labels, reason bits), over seeded campaigns and policies that reach every reason, budgets and
// expected revenues left empty, zero costs and counts, undated campaigns, a partial funnel,
// whole-unit and 4-place rounding, pro rata costs; and the same error (code and path) from both.

import { generator, thrown, units } from "./forecast_table.mjs";

const CHANNELS = ["web_ads", "search", "mobile", "email", "events", "print", "tv"];
const DAY_2026 = Date.UTC(2026, 0, 1) / 86_400_000;
const NO_DATE = -2147483648;

/** `n` seeded campaigns as campaignRoiColumns' columns (money as decimal strings or units). */
export function campaignColumns(n, seed, { unitsScale = null } = {}) {
  const next = generator(seed);
  const money = (pick) => (pick === 0 ? "0" : pick === 1 ? `${next(100)}.${String(next(1000)).padStart(3, "0")}` : `${next(5_000_000)}.${String(next(100)).padStart(2, "0")}`);
  const cost = [], won = [], budget = [], expected = [];
  const startOn = new Int32Array(n), endOn = new Int32Array(n);
  const [leads, customers, opportunities, wonCount, newCustomers] = Array.from({ length: 5 }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    cost.push(money(next(8)));
    won.push(money(next(5)));
    budget.push(next(3) === 0 ? null : money(next(6)));
    expected.push(next(3) === 0 ? null : money(next(6)));
    const dated = next(6) !== 0;
    startOn[i] = dated ? DAY_2026 + next(400) : NO_DATE;
    endOn[i] = dated && next(2) === 0 ? startOn[i] + next(150) : NO_DATE;
    leads[i] = next(5) === 0 ? 0 : next(5000);
    customers[i] = next(4) === 0 ? 0 : next(leads[i] + 1);
    opportunities[i] = next(6) === 0 ? 0 : next(customers[i] + 5);
    wonCount[i] = next(3) === 0 ? 0 : next(opportunities[i] + 1);
    newCustomers[i] = next(4) === 0 ? NaN : next(wonCount[i] + 3);
  }
  const columns = {
    id: Int32Array.from({ length: n }, (_, i) => n - 1 - i),
    idLabels: Array.from({ length: n }, (_, i) => `camp-${seed}-${i}`),
    channel: Int32Array.from({ length: n }, () => next(CHANNELS.length)),
    channelLabels: CHANNELS,
    wonRevenue: won,
    budget,
    expectedRevenue: expected,
    startOn,
    endOn,
    leads,
    customers,
    opportunities,
    won: wonCount,
    newCustomers,
  };
  if (unitsScale === null) return { ...columns, cost };
  return { ...columns, costUnits: BigInt64Array.from(cost, (c) => units(c, unitsScale) ?? 0n), amountScale: unitsScale };
}

/** The cases the table is checked on: `{ name, policy, columns }`. */
export function roiCases() {
  return [
    ["default policy", {}, campaignColumns(400, 1)],
    ["percent 2 places, money in units", { percent_rounding: { dp: 2 } }, campaignColumns(300, 2, { unitsScale: 3 })],
    ["whole units half up, quarters", { rounding: { dp: 0, strategy: "half_up" }, period: "quarter" }, campaignColumns(300, 3)],
    ["4 places, leads and won only, years", { rounding: { dp: 4 }, percent_rounding: { dp: 3 }, funnel: ["leads", "won"], period: "year" }, campaignColumns(200, 4)],
    ["pro rata by month", { cost_allocation: "pro_rata" }, campaignColumns(300, 5)],
    ["no campaigns", {}, campaignColumns(0, 6)],
  ].map(([name, policy, columns]) => ({ name, policy, columns }));
}

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

const MONEY = ["budget", "cost", "budget_variance", "expected_revenue", "won_revenue", "revenue_variance", "net_return", "roas", "cost_per_lead", "cost_per_opportunity", "cost_per_win", "cac"];
const NEVER_NULL = ["cost", "won_revenue", "net_return"];
const PERCENT = ["budget_used_pct", "revenue_attained_pct", "roi_pct"];
const COUNTS = ["campaigns", "leads", "customers", "opportunities", "won", "new_customers"];

/** Where `table` (campaignRoiColumns with `{ output: "columns" }`) differs from `report` (the same call's report over `columns`), or null. */
export function roiTableMismatch(report, table, columns) {
  const json = (v) => JSON.stringify(v);
  for (const part of Object.keys(report)) {
    if (part === "campaigns") continue;
    if (json(table[part]) !== json(report[part])) return `${part}: ${json(table[part])} != ${json(report[part])}`;
  }
  const { scale, percentScale, funnel, reasonCodes, idLabels, channelLabels, groupLabels, periodLabels, campaigns: c } = table;
  if (!Number.isInteger(scale) || !Number.isInteger(percentScale)) return `scale ${scale}, percentScale ${percentScale}`;
  if (idLabels !== columns.idLabels) return "idLabels is not the array given";
  const n = report.campaigns.length;
  for (const [f, column] of Object.entries(c)) {
    if (column.length !== n) return `campaigns.${f}: ${column.length} rows, ${n} lines`;
  }
  const typed = { id: Int32Array, channel: Int32Array, group: Int32Array, period: Int32Array, leads: Float64Array, cost: BigInt64Array, budgetMissing: Uint8Array, roiPct: BigInt64Array, reasons: Uint16Array };
  for (const [f, type] of Object.entries(typed)) if (!(c[f] instanceof type)) return `campaigns.${f} is not a ${type.name}`;
  for (const f of NEVER_NULL) if (`${camel(f)}Missing` in c) return `campaigns.${camel(f)}Missing: the report never leaves ${f} null`;
  const label = (labels, k) => (k === -1 ? null : labels[k]);
  const p = table.costPeriods;
  if (p.offsets.length !== n + 1 || p.offsets[0] !== 0) return `costPeriods.offsets: ${p.offsets.length} for ${n} lines`;
  for (const f of ["period", "days", "cost", "budget", "budgetMissing"]) {
    if (p[f].length !== p.offsets[n]) return `costPeriods.${f}: ${p[f].length} rows, ${p.offsets[n]} pieces`;
  }
  const places = (text) => (text.split(".")[1] ?? "").length;
  const pieceScale = Math.max(scale, ...report.campaigns.flatMap((l) => (l.cost_periods ?? []).flatMap((x) => [x.cost, x.budget ?? "0"]).map(places)));
  if (p.scale !== pieceScale) return `costPeriods.scale ${p.scale}, the pieces' places ${pieceScale}`;
  for (const [i, l] of report.campaigns.entries()) {
    const at = `campaigns[${i}]`;
    if (idLabels[c.id[i]] !== l.key) return `${at}.key: ${idLabels[c.id[i]]} != ${l.key}`;
    for (const [f, labels] of [["channel", channelLabels], ["group", groupLabels], ["period", periodLabels]]) {
      if (label(labels, c[f][i]) !== l[f]) return `${at}.${f}: ${label(labels, c[f][i])} != ${l[f]}`;
    }
    for (const f of COUNTS) if (c[camel(f)][i] !== l[f]) return `${at}.${f}: ${c[camel(f)][i]} != ${l[f]}`;
    const figures = [
      ...MONEY.map((f) => [camel(f), scale, l[f], !NEVER_NULL.includes(f)]),
      ...PERCENT.map((f) => [camel(f), percentScale, l[f], true]),
    ];
    if (json(l.funnel.map((s) => s.stage)) !== json(funnel)) return `${at}.funnel: ${json(l.funnel)} against stages ${json(funnel)}`;
    for (const s of l.funnel) {
      if (c[`${camel(s.stage)}Count`][i] !== s.count) return `${at}.funnel.${s.stage}.count`;
      figures.push([`${camel(s.stage)}FromTopPct`, percentScale, s.from_top_pct, true], [`${camel(s.stage)}FromPreviousPct`, percentScale, s.from_previous_pct, true]);
    }
    for (const [f, s, want, nullable] of figures) {
      const missing = nullable ? c[`${f}Missing`][i] === 1 : false;
      if (missing !== (want === null)) return `${at}.${f}: missing ${missing}, report ${want}`;
      if (want === null) {
        if (c[f][i] !== 0n) return `${at}.${f}: ${c[f][i]} where null`;
      } else if (c[f][i] !== units(want, s)) return `${at}.${f}: ${c[f][i]} != ${want} at scale ${s}`;
    }
    const pieces = l.cost_periods ?? [];
    if (p.offsets[i + 1] - p.offsets[i] !== pieces.length) return `${at}.cost_periods: ${p.offsets[i + 1] - p.offsets[i]} pieces, ${pieces.length} in the report`;
    for (const [k, x] of pieces.entries()) {
      const r = p.offsets[i] + k;
      const got = [periodLabels[p.period[r]], p.days[r], p.cost[r], p.budgetMissing[r] === 1 ? null : p.budget[r]];
      const want = [x.period, x.days, units(x.cost, p.scale), x.budget === null ? null : units(x.budget, p.scale)];
      if (p.budgetMissing[r] === 1 && p.budget[r] !== 0n) return `${at}.cost_periods[${k}].budget: ${p.budget[r]} where null`;
      if (got.some((v, j) => v !== want[j])) return `${at}.cost_periods[${k}]: ${got} != ${want}`;
    }
    const reasons = reasonCodes.filter((_, k) => (c.reasons[i] >> k) & 1);
    if (json(reasons) !== json(l.reasons)) return `${at}.reasons: ${json(reasons)} != ${json(l.reasons)}`;
  }
  return null;
}

/** Every case through `crmkit`: `{ name, lines, reasons, mismatch }` (mismatch null when the
 * table holds the report; reasons: the distinct reasons its lines reach). */
export function checkRoiTables(crmkit) {
  return roiCases().map(({ name, policy, columns }) => {
    const report = crmkit.campaignRoiColumns(policy, columns);
    const table = crmkit.campaignRoiColumns(policy, columns, { output: "columns" });
    const reached = new Set(report.campaigns.flatMap((l) => l.reasons));
    return { name, lines: report.campaigns.length, reasons: reached.size, mismatch: roiTableMismatch(report, table, columns) };
  });
}

/** The error each output throws for bad input: `{ name, report, table }`, each `code path`. */
export function checkRoiErrors(crmkit) {
  const [c] = roiCases();
  const negative = { ...c.columns, cost: c.columns.cost.map((x, i) => (i === 7 ? "-1" : x)) };
  const channel = Int32Array.from(c.columns.channel);
  channel[3] = -1;
  const noChannel = { ...c.columns, channel };
  return [
    ["negative cost", c.policy, negative],
    ["campaign without a channel", c.policy, noChannel],
    ["bad funnel", { funnel: ["won", "leads"] }, c.columns],
  ].map(([name, policy, columns]) => ({
    name,
    report: thrown(() => crmkit.campaignRoiColumns(policy, columns)),
    table: thrown(() => crmkit.campaignRoiColumns(policy, columns, { output: "columns" })),
  }));
}
