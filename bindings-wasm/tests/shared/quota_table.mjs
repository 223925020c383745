// quotaColumns' two outputs checked against each other, in Node and in Chromium: the table
// (`{ output: "columns" }`) must hold the report's lines exactly (money and rate units read
// back as the report's decimal strings, null cells marked), over seeded books, quotas and
// policies that reach every reason list a line can have (no quota, set, met, zero and met), keys
// missing, a company-wide quota, whole-unit and 4-place rounding, a roster, won deals given
// apart and a week-based year; and the same error (code and path) from both outputs.

import { book, generator, policy, thrown, units } from "./forecast_table.mjs";

const AS_OF = "2026-11-23";
const AS_OF_DAYS = Date.UTC(2026, 10, 23) / 86_400_000;
const WON = 4; // the "won" stage's code in book()'s labels

/** `book(n, seed)` with every won row closed on or before `AS_OF` (the quota counts it then). */
function wonBook(n, seed) {
  const b = book(n, seed);
  const close = Int32Array.from(b.expectedCloseOn);
  for (let i = 0; i < n; i++) if (b.stage[i] === WON) close[i] = AS_OF_DAYS - ((i * 7) % 500);
  return { ...b, expectedCloseOn: close };
}

/** Quotas for `keys` (each a `{ field: value }`) in `periods`: amounts of every kind (odd
 * places, zero, tiny ones soon met, large ones), some keys and periods left without one. */
function quotas(keys, periods, seed) {
  const next = generator(seed);
  const out = [];
  for (const key of keys) {
    for (const period of periods) {
      const pick = next(10);
      if (pick === 0) continue;
      const amount = pick === 1 ? "0" : pick === 2 ? "1.005" : pick === 3 ? `${next(100000)}.${String(next(1000)).padStart(3, "0")}` : String(100000 + next(90000000));
      out.push({ key, period, amount });
    }
  }
  return out;
}

const owners = (n) => Array.from({ length: n }, (_, k) => ({ owner: `rep${String(k).padStart(2, "0")}` }));
const teams = (n) => Array.from({ length: n }, (_, k) => ({ team: `team${String(k).padStart(2, "0")}` }));
const QUARTERS = ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"];
const MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"];

/** The cases the table is checked on: `{ name, policy, quota, columns, data, asOf }`. */
export function quotaCases() {
  const deals = wonBook(3000, 7);
  const columns = (groupBy) => {
    const { owner, team, ...rest } = deals;
    const byName = { owner, team };
    return { ...rest, keys: groupBy.map((k) => byName[k]) };
  };
  const won = [
    { id: "w1", amount: "1234.5", closed_on: "2026-10-02", owner: "rep03", team: "team03" },
    { id: "w2", amount: "99", closed_on: "2025-01-31", owner: "rep99" },
  ];
  return [
    ["by owner, quarters", ["owner"], { group_by: ["owner"], period: "quarter" }, quotas(owners(37), QUARTERS, 1), {}],
    ["by owner, months, won apart", ["owner"], { group_by: ["owner"], period: "month", rate_dp: 2 }, quotas(owners(30), MONTHS, 2), { won }],
    ["team quota over team and owner groups", ["team", "owner"], { group_by: ["team"], period: "quarter" }, quotas(teams(5), QUARTERS, 3), {}],
    ["company quota by year, whole units half-up", ["owner"], { group_by: [], period: "year" }, [{ key: {}, period: "2026", amount: "5000000000.5" }, { key: {}, period: "2027", amount: "0" }], {}, { rounding: { dp: 0, strategy: "half_up" } }],
    ["by team, 4 places, roster", ["team"], { group_by: ["team"], period: "quarter", rate_dp: 6, groups: [...teams(7)] }, quotas(teams(4), QUARTERS.slice(4), 4), {}, { rounding: { dp: 4 } }],
    ["by owner, 4-4-5 weeks", ["owner"], { group_by: ["owner"], period: "quarter" }, quotas(owners(10), ["FY2026-Q4", "FY2027-Q1"], 5), {}, { fiscal_year: { start_month: 2, weeks: { pattern: "4-4-5", ends_on: "saturday", year_end: "last_weekday" } } }],
  ].map(([name, groupBy, quota, qs, extra, policyExtra = {}]) => ({
    name,
    policy: policy(groupBy, policyExtra),
    quota,
    columns: columns(groupBy),
    data: { quotas: qs, ...extra },
    asOf: AS_OF,
  }));
}

/** Where `table` (quotaColumns with `{ output: "columns" }`) differs from `report` (the same call's report), or null. */
export function quotaTableMismatch(report, table, groupBy) {
  const json = (v) => JSON.stringify(v);
  for (const part of Object.keys(report)) {
    if (part === "lines") continue;
    if (json(table[part]) !== json(report[part])) return `${part}: ${json(table[part])} != ${json(report[part])}`;
  }
  const { scale, rateScale, keys, reasonLists, lines } = table;
  if (!Number.isInteger(scale) || !Number.isInteger(rateScale)) return `scale ${scale}, rateScale ${rateScale}`;
  if (keys.length !== groupBy.length) return `keys: ${keys.length} fields, ${groupBy.length} in group_by`;
  const n = report.lines.length;
  for (const [f, column] of Object.entries(lines)) {
    if (column.length !== n) return `lines.${f}: ${column.length} rows, ${n} lines`;
  }
  const typed = { key: Int32Array, period: Int32Array, wonDeals: Float64Array, openDeals: Float64Array, reasons: Uint8Array, quota: BigInt64Array, quotaMissing: Uint8Array };
  for (const [f, type] of Object.entries(typed)) if (!(lines[f] instanceof type)) return `lines.${f} is not a ${type.name}`;
  // Figures: [column, its scale, the line's figure, nullable].
  const figures = (l) => [
    ["quota", scale, l.quota, true],
    ["gap", scale, l.gap, true],
    ["wonAmount", scale, l.won.amount, false],
    ["openAmount", scale, l.open.amount, false],
    ["openWeighted", scale, l.open.weighted, false],
    ["attainment", rateScale, l.attainment, true],
    ["coverage", rateScale, l.coverage, true],
    ["weightedCoverage", rateScale, l.weighted_coverage, true],
  ];
  for (const [i, l] of report.lines.entries()) {
    const at = `lines[${i}]`;
    for (const [k, field] of groupBy.entries()) {
      const got = keys[k][lines.key[i]];
      if (got !== l.key[field]) return `${at}.key.${field}: ${got} != ${l.key[field]}`;
    }
    const total = table.totals[lines.period[i]];
    for (const f of ["period", "first_month", "last_month"]) {
      if (total?.[f] !== l[f]) return `${at}.${f}: ${total?.[f]} != ${l[f]}`;
    }
    if (lines.wonDeals[i] !== l.won.deals || lines.openDeals[i] !== l.open.deals) return `${at}: deals`;
    if (l.won.weighted !== l.won.amount) return `${at}: the report's won weighted differs from its amount`;
    for (const [f, s, want, nullable] of figures(l)) {
      const missing = nullable ? lines[`${f}Missing`][i] === 1 : false;
      if (missing !== (want === null)) return `${at}.${f}: missing ${missing}, report ${want}`;
      if (want === null) {
        if (lines[f][i] !== 0n) return `${at}.${f}: ${lines[f][i]} where null`;
      } else if (lines[f][i] !== units(want, s)) return `${at}.${f}: ${lines[f][i]} != ${want} at scale ${s}`;
    }
    if (json(reasonLists[lines.reasons[i]]) !== json(l.reasons)) return `${at}.reasons: ${json(reasonLists[lines.reasons[i]])} != ${json(l.reasons)}`;
  }
  return null;
}

/** Every case through `crmkit`: `{ name, lines, reasons, mismatch }` (mismatch null when the
 * table holds the report; reasons: the distinct reason lists its lines reach). */
export function checkQuotaTables(crmkit) {
  return quotaCases().map(({ name, policy, quota, columns, data, asOf }) => {
    const report = crmkit.quotaColumns(policy, quota, columns, data, asOf);
    const table = crmkit.quotaColumns(policy, quota, columns, data, asOf, { output: "columns" });
    return { name, lines: report.lines.length, reasons: new Set(table.lines.reasons).size, mismatch: quotaTableMismatch(report, table, quota.group_by) };
  });
}

/** The error each output throws for bad input: `{ name, report, table }`, each `code path`. */
export function checkQuotaErrors(crmkit) {
  const [c] = quotaCases();
  const badQuota = { ...c.data, quotas: c.data.quotas.map((q, i) => (i === 3 ? { ...q, amount: "-1" } : q)) };
  const close = Int32Array.from(c.columns.expectedCloseOn);
  const firstWon = c.columns.stage.indexOf(WON);
  close[firstWon] = -2147483648;
  const undated = { ...c.columns, expectedCloseOn: close };
  return [
    ["negative quota", c.columns, badQuota],
    ["won row without a close date", undated, c.data],
  ].map(([name, columns, data]) => ({
    name,
    report: thrown(() => crmkit.quotaColumns(c.policy, c.quota, columns, data, c.asOf)),
    table: thrown(() => crmkit.quotaColumns(c.policy, c.quota, columns, data, c.asOf, { output: "columns" })),
  }));
}
