// forecastColumns' two outputs checked against each other, in Node and in Chromium: the table
// (`{ output: "columns" }`) must hold the report's lines, groups and figures exactly (money
// units read back as the report's decimal strings), over seeded books and policies that reach
// every shape of the table (grouped by one or two keys, keys missing, dense months, a horizon,
// no group_by, whole-unit and 4-place rounding, per-deal probabilities, a week-based year).

const NO_DATE = -2147483648;
const AS_OF = "2026-11-23";
const AS_OF_DAYS = Date.UTC(2026, 10, 23) / 86_400_000;
const STAGES = ["prospect", "qualify", "proposal", "negotiate", "won", "lost"];

/** A small seeded generator (mulberry32): the same books in every runtime. */
export function generator(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

/** `n` deals as forecastColumns' columns: owners (some deals without one), teams, close dates for 70 %. */
export function book(n, seed, { owners = 37, teams = 5, perDeal = false } = {}) {
  const next = generator(seed);
  const stage = new Int32Array(n);
  const units = new BigInt64Array(n);
  const entered = new Int32Array(n);
  const close = new Int32Array(n);
  const owner = new Int32Array(n);
  const team = new Int32Array(n);
  const probability = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    stage[i] = next(STAGES.length);
    units[i] = BigInt(next(50_000_000)) * 7n + BigInt(next(1000));
    entered[i] = AS_OF_DAYS - next(200);
    close[i] = next(10) < 7 ? AS_OF_DAYS - 40 + next(400) : NO_DATE;
    owner[i] = next(50) === 0 ? -1 : next(owners);
    team[i] = owner[i] < 0 ? next(teams) : owner[i] % teams;
    // Own probabilities on open deals only (a closed stage fixes its own: 1 won, 0 lost).
    probability[i] = perDeal && stage[i] < 4 && next(20) === 0 ? next(1001) / 1000 : NaN;
  }
  const labels = (count, name) => Array.from({ length: count }, (_, k) => `${name}${String(k).padStart(2, "0")}`);
  return {
    stage,
    stageLabels: STAGES,
    amountUnits: units,
    amountScale: 3,
    enteredStageOn: entered,
    expectedCloseOn: close,
    owner: { codes: owner, labels: labels(owners, "rep") },
    team: { codes: team, labels: labels(teams, "team") },
    ...(perDeal ? { probability } : {}),
  };
}

export function policy(groupBy, extra = {}) {
  return {
    stages: [
      { name: "prospect", conversion: "0.5", duration: "3" },
      { name: "qualify", conversion: "0.6", duration: "2" },
      { name: "proposal", conversion: "0.75", duration: "1" },
      { name: "negotiate", conversion: "0.85", duration: "0.5" },
      { name: "won", kind: "won" },
      { name: "lost", kind: "lost" },
    ],
    duration_unit: "months",
    placement: "expected_close",
    undated: "half_elapsed",
    group_by: groupBy,
    ...extra,
  };
}

/** The books and policies the table is checked on: `{ name, policy, columns, asOf }`. */
export function tableCases() {
  const deals = book(3000, 7);
  const perDeal = book(2000, 11, { perDeal: true });
  const columns = (b, groupBy) => {
    const { owner, team, ...rest } = b;
    const byName = { owner, team };
    return { ...rest, keys: groupBy.map((k) => byName[k]) };
  };
  const cases = [
    ["by owner", ["owner"], {}],
    ["by team and owner, dense, 6-month horizon", ["team", "owner"], { dense: true, horizon_months: 6 }],
    ["by owner, 3-month horizon", ["owner"], { horizon_months: 3 }],
    ["no group_by", [], {}],
    ["no group_by, dense", [], { dense: true }],
    ["by team, whole units, half-up", ["team"], { rounding: { dp: 0, strategy: "half_up" } }],
    ["by owner, 4 places", ["owner"], { rounding: { dp: 4 } }],
    ["by team, 4-4-5 weeks", ["team"], { fiscal_year: { start_month: 2, weeks: { pattern: "4-4-5", ends_on: "saturday", year_end: "last_weekday" } } }],
  ].map(([name, groupBy, extra]) => ({ name, policy: policy(groupBy, extra), columns: columns(deals, groupBy), asOf: AS_OF }));
  cases.push({ name: "by owner, per-deal probabilities", policy: policy(["owner"]), columns: columns(perDeal, ["owner"]), asOf: AS_OF });
  return cases;
}

/** A report's decimal string as integer units of 10^-scale (null when it has more places). */
export function units(text, scale) {
  const negative = text.startsWith("-");
  const [int, frac = ""] = (negative ? text.slice(1) : text).split(".");
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) return null;
  const value = BigInt(int + frac.slice(0, scale).padEnd(scale, "0"));
  return negative ? -value : value;
}

/** Where `table` (forecastColumns with `{ output: "columns" }`) differs from `report` (the same call's report), or null. */
export function tableMismatch(report, table, groupBy) {
  const json = (v) => JSON.stringify(v);
  for (const part of Object.keys(report)) {
    if (part === "groups" || part === "deals") continue;
    if (json(table[part]) !== json(report[part])) return `${part}: ${json(table[part])} != ${json(report[part])}`;
  }
  if ("deals" in table) return "the table has deal lines";
  const { scale, lines, groups } = table;
  if (!Number.isInteger(scale)) return `scale: ${scale}`;
  const sums = (cols, k, want, at) => {
    if (cols.deals[k] !== want.deals) return `${at}.deals: ${cols.deals[k]} != ${want.deals}`;
    for (const f of ["amount", "weighted"]) {
      if (cols[f][k] !== units(want[f], scale)) return `${at}.${f}: ${cols[f][k]} != ${want[f]} at scale ${scale}`;
    }
    return null;
  };
  const expected = groupBy.length
    ? report.groups.flatMap((g, i) => g.months.map((m) => [i, m]))
    : report.months.map((m) => [-1, m]);
  for (const f of ["group", "month", "offset", "deals", "amount", "weighted"]) {
    if (lines[f].length !== expected.length) return `lines.${f}: ${lines[f].length} rows, ${expected.length} lines`;
  }
  for (const [k, [g, m]] of expected.entries()) {
    const at = `lines[${k}]`;
    if (lines.group[k] !== g) return `${at}.group: ${lines.group[k]} != ${g}`;
    if (table.months[lines.month[k]]?.month !== m.month) return `${at}.month: ${lines.month[k]} is not ${m.month}`;
    if (lines.offset[k] !== m.offset) return `${at}.offset: ${lines.offset[k]} != ${m.offset}`;
    const bad = sums(lines, k, m, at);
    if (bad) return bad;
  }
  if (groups.deals.length !== report.groups.length) return `groups: ${groups.deals.length} rows, ${report.groups.length} groups`;
  if (groups.keys.length !== groupBy.length) return `groups.keys: ${groups.keys.length} columns`;
  const horizon = report.groups.some((g) => g.beyond_horizon);
  if (horizon !== (groups.beyondHorizon !== null)) return `groups.beyondHorizon: ${groups.beyondHorizon}`;
  for (const [g, line] of report.groups.entries()) {
    for (const [k, name] of groupBy.entries()) {
      if (groups.keys[k][g] !== line.key[name]) return `groups.keys[${k}][${g}]: ${groups.keys[k][g]} != ${line.key[name]}`;
    }
    const bad = sums(groups, g, line, `groups[${g}]`) ?? (horizon ? sums(groups.beyondHorizon, g, line.beyond_horizon, `groups[${g}].beyondHorizon`) : null);
    if (bad) return bad;
  }
  return null;
}

/** Every table case through `crmkit`: `{ name, lines, mismatch }` (mismatch null when the table holds the report). */
export function checkTables(crmkit) {
  return tableCases().map(({ name, policy, columns, asOf }) => {
    const report = crmkit.forecastColumns(policy, columns, asOf);
    const table = crmkit.forecastColumns(policy, columns, asOf, { output: "columns" });
    return { name, lines: table.lines.group.length, mismatch: tableMismatch(report, table, policy.group_by) };
  });
}

/** `columns` with each typed array (stage, amounts, dates, key and category codes,
 * probabilities) copied into a crmkit `ColumnBuffer`: `views()` gives the same columns as
 * fresh views of the buffers (forecastColumns reads them in place), `free()` frees them. */
export function lend(crmkit, columns) {
  const buffers = [];
  const copy = (array) => {
    const type = array instanceof Int32Array ? "int32" : array instanceof Float64Array ? "float64" : "bigint64";
    const buffer = new crmkit.ColumnBuffer(type, array.length);
    // Filled at once: a later buffer may grow the memory and detach this view.
    buffer.view().set(array);
    buffers.push(buffer);
    return buffer;
  };
  const lent = (value) => {
    if (ArrayBuffer.isView(value)) return copy(value);
    if (Array.isArray(value)) return value.map(lent);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lent(v)]));
    return value;
  };
  const held = lent(columns);
  const views = (value) => {
    if (value instanceof crmkit.ColumnBuffer) return value.view();
    if (Array.isArray(value)) return value.map(views);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, views(v)]));
    return value;
  };
  return { views: () => views(held), free: () => buffers.forEach((b) => b.free()) };
}

/** JSON text of a report or a table (typed arrays as arrays of strings). */
const text = (value) => JSON.stringify(value, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v, String) : typeof v === "bigint" ? String(v) : v));

/** Every table case with its columns in ColumnBuffers, read in place, against the same typed
 * arrays copied in: `{ name, mismatch }`, mismatch null when reports and tables are equal. */
export function checkInPlace(crmkit) {
  return tableCases().map(({ name, policy, columns, asOf }) => {
    const lent = lend(crmkit, columns);
    try {
      for (const options of [undefined, { output: "columns" }]) {
        const want = text(crmkit.forecastColumns(policy, columns, asOf, options));
        const got = text(crmkit.forecastColumns(policy, lent.views(), asOf, options));
        if (got !== want) return { name, mismatch: `${options ? "table" : "report"} in place: ${got.slice(0, 200)} != ${want.slice(0, 200)}` };
      }
      return { name, mismatch: null };
    } finally {
      lent.free();
    }
  });
}

/** What `f()` throws, as `name code path` ("no error" when it returns). */
export function thrown(f) {
  try {
    f();
    return "no error";
  } catch (e) {
    return `${e.name} ${e.code} ${e.path}`;
  }
}
