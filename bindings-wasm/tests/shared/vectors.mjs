// The shared-vector matcher and caller, used unchanged in Node and in the browser page: the JS
// twin of `call` and `subset_mismatch` in tests/src/lib.rs.

/** Calls the crmkit function a vector file names, the way a JS user would. */
export function callVector(crmkit, fn, c) {
  switch (fn) {
    case "forecast":
      return crmkit.forecast(c.config, c.input?.deals, c.as_of);
    case "allocate_target":
      return crmkit.allocateTarget(c.config, c.input, c.as_of);
    case "allocate_tree":
      return crmkit.allocateTree(c.config, c.input, c.as_of);
    case "funnel_history":
      return crmkit.funnelHistory(c.config, c.input?.events, c.as_of);
    case "forecast_ranges":
      return crmkit.forecastRanges(c.config?.policy, c.config?.ranges, c.input?.deals, c.as_of);
    case "collections":
      return crmkit.collections(c.config, c.input?.batches, c.as_of);
    case "route_discount":
      return crmkit.routeDiscount(c.config, c.input);
    case "payment_interest":
      return crmkit.paymentInterest(c.config, c.input?.batches, c.as_of);
    case "compute_commission":
      return crmkit.computeCommission(c.config, c.input, c.as_of);
    case "commission_columns":
      return commissionColumns(crmkit, c);
    case "payment_interest_columns":
      return batchColumns(crmkit, c, true);
    case "collections_columns":
      return batchColumns(crmkit, c, false);
    case "campaign_roi":
      return crmkit.campaignRoi(c.config, c.input?.campaigns);
    case "attribute": {
      const report = crmkit.attribute(c.config, c.input?.journeys);
      // The same journeys as typed-array columns must give the same cents (issue 11.5:
      // attributeColumns in every JS runner, Chromium included).
      const disagree = attributeColumnsMismatch(crmkit, c.config, c.input?.journeys, report);
      if (disagree) throw new Error(`attributeColumns disagrees with attribute: ${disagree}`);
      return report;
    }
    case "compare_attribution":
      return crmkit.compareAttribution(c.config, c.input?.journeys);
    case "compare_attribution_columns":
      return crmkit.compareAttributionColumns(c.config, journeyColumns(c.input));
    case "campaign_roi_columns":
      return crmkit.campaignRoiColumns(c.config, campaignColumns(c.input));
    case "score_leads":
      return crmkit.scoreLeads(c.config, c.input?.leads, c.as_of);
    case "forecast_columns":
      return forecastColumnsVector(crmkit, c);
    case "quota_columns":
      return quotaColumnsVector(crmkit, c);
    case "quota_attainment":
      return crmkit.quotaAttainment(c.config?.policy, c.config?.quota, c.input, c.as_of);
    case "backtest":
      return crmkit.backtest(c.config?.policy, c.config?.backtest, c.input?.events, c.as_of);
    case "fiscal_periods":
      return crmkit.fiscalPeriods(c.config, c.input?.start, c.input?.end);
    case "forecast_hierarchy":
      return crmkit.forecastHierarchy(c.config?.policy, c.config?.hierarchy, c.input, c.as_of);
    case "lead_model": {
      // The model goes through JSON, as a caller would store it.
      const model = JSON.parse(JSON.stringify(crmkit.trainLeadModel(c.config, c.input?.leads, c.as_of)));
      return crmkit.predictLeads(model, c.input?.open);
    }
    case "lead_model_columns": {
      const model = JSON.parse(JSON.stringify(crmkit.trainLeadModelColumns(c.config, leadColumns(crmkit, c), c.as_of)));
      return crmkit.predictLeads(model, c.input?.open);
    }
    case "score_columns":
      return scoreColumns(crmkit, c);
    case "time_split":
      return crmkit.timeSplit(c.input?.leads, c.config?.date_field, c.config?.cutoff);
    case "calibration":
      return crmkit.calibration(c.input?.probabilities, c.input?.outcomes, c.config?.bins);
    case "normalize_company":
      return crmkit.normalizeCompany(c.input?.name);
    case "normalize_phone":
      return crmkit.normalizePhone(c.input?.phone, c.config?.default_country);
    case "normalize_email":
      return crmkit.normalizeEmail(c.input?.email);
    case "normalize_domain":
      return crmkit.normalizeDomain(c.input?.domain);
    case "normalize_person_name":
      return crmkit.normalizePersonName(c.input?.name);
    case "normalize_credit_code":
      return crmkit.normalizeCreditCode(c.input?.code);
    case "compare":
      return crmkit.compare(c.config, c.input?.a, c.input?.b);
    case "match_records":
      return crmkit.matchRecords(c.config, c.input?.a, c.input?.b);
    case "estimate_model":
      return crmkit.estimateModel(c.config?.policy, c.input?.records, c.config?.settings);
    case "find_duplicates":
      return crmkit.findDuplicates(c.config?.policy, c.input?.records, c.config?.settings);
    case "find_duplicates_columns":
      return crmkit.findDuplicatesColumns(
        c.config?.policy,
        // An absent column is null, as the Rust and Python runners pass it (so `invalid_type`
        // at `ids`, not `missing_field` at `columns`).
        { ids: c.input?.ids ?? null, owners: c.input?.owners ?? null, fields: c.input?.fields ?? null },
        c.config?.settings,
      );
    case "link_records":
      return crmkit.linkRecords(c.config?.policy, c.input?.left, c.input?.right, c.config?.limit);
    case "blocking_keys":
      return crmkit.blockingKeys(c.config?.policy, c.input?.records);
    case "score_block":
      return crmkit.scoreBlock(c.config?.policy, c.input?.records, c.config?.settings);
    case "cluster_pairs":
      return crmkit.clusterPairs(c.config?.policy, c.input?.records, c.input?.pairs, c.config?.settings);
    case "dedup_index":
      return dedupIndex(crmkit, c);
    case "lint_pool":
      return crmkit.lintPool(c.config);
    case "simulate_pool":
      return crmkit.simulatePool(c.config?.a, c.config?.b, c.input?.records, c.input?.activities, c.config?.from, c.as_of);
    case "assign_records":
      return crmkit.assignRecords(c.config, c.input);
    case "assign_records_columns":
      return assignColumns(crmkit, c);
    case "check_claims_columns":
      return claimColumns(crmkit, c);
    case "check_claims":
      return crmkit.checkClaims(c.config, c.input, c.as_of);
    case "evaluate_pool":
      return crmkit.evaluatePool(c.config, c.input?.records, c.input?.activities, c.as_of);
    default:
      throw new Error(`vector names unknown function ${JSON.stringify(fn)}`);
  }
}

/** Names (null: none) as `{codes, labels}`, labels in first-appearance order. */
function poolCodes(values, path) {
  const labels = [];
  const codes = listOf(values ?? null, path, (v) => typeof v === "string").map((n) => {
    if (n === null) return -1;
    const k = labels.indexOf(n);
    return k >= 0 ? k : labels.push(n) - 1;
  });
  return { codes: Int32Array.from(codes), labels };
}

/** The `assign_records_columns` vectors through `assignRecordsColumns`: names to codes; the
 * result in the vectors' shape (codes as labels, null for none). */
function assignColumns(crmkit, c) {
  const input = isObject(c.input) ? c.input : {};
  const records = { rows: input.rows ?? null };
  for (const [field, key] of [["region", "region"], ["product_line", "productLine"], ["level", "level"], ["source", "source"]]) {
    if (input[field] != null) records[key] = poolCodes(input[field], field);
  }
  const state = {};
  for (const k of ["load", "cursors", "seed"]) if (Object.hasOwn(input, k)) state[k] = input[k];
  const out = crmkit.assignRecordsColumns(c.config, records, state);
  const labels = (codes, names) => Array.from(codes, (k) => (k < 0 ? null : names[k]));
  return {
    route: labels(out.route, out.routes),
    team: labels(out.team, out.teams),
    rep: labels(out.rep, out.reps),
    choice: labels(out.choice, out.choices),
    cursor: Array.from(out.cursor),
    held: Array.from(out.held),
    skipped_inactive: Array.from(out.skippedInactive),
    skipped_full: Array.from(out.skippedFull),
    cursors: out.cursors,
    load: out.load,
  };
}

/** The `check_claims_columns` vectors through `checkClaimsColumns`: names to codes, instants
 * (RFC 3339 text) to ms, counts as a Float64Array; the result in the vectors' shape (instants
 * as ms, none as null). */
function claimColumns(crmkit, c) {
  const input = isObject(c.input) ? c.input : {};
  const table = (name) => {
    const t = input[name];
    if (t != null && !isObject(t)) throw refuse("invalid_type", name);
    return t;
  };
  // RFC 3339 with an offset, as the Rust runner reads them (Date.parse would take a bare date).
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const instants = (values, path) =>
    Float64Array.from(listOf(values ?? null, path, (v) => typeof v === "string"), (t, i) => {
      if (t === null) throw refuse("invalid_type", `${path}[${i}]`);
      const ms = rfc3339.test(t.trim()) ? Date.parse(t.trim()) : NaN;
      if (Number.isNaN(ms)) throw refuse("invalid_date", `${path}[${i}]`);
      return ms;
    });
  const counts = (values, path) => Float64Array.from(listOf(values ?? null, path, (v) => typeof v === "number"), (v) => v ?? NaN);
  const p = table("pooled") ?? {};
  const claims = {
    pooled: { id: poolCodes(p.id, "pooled.id"), pool: poolCodes(p.pool, "pooled.pool"), pooledAt: instants(p.pooled_at, "pooled.pooled_at") },
  };
  const h = table("holdings");
  if (h != null) {
    claims.holdings = { user: poolCodes(h.user, "holdings.user") };
    if (h.pool != null) claims.holdings.pool = poolCodes(h.pool, "holdings.pool");
    claims.holdings.owned = counts(h.owned, "holdings.owned");
    if (h.won != null) claims.holdings.won = counts(h.won, "holdings.won");
  }
  const l = table("ledger");
  if (l != null) {
    claims.ledger = {
      at: instants(l.at, "ledger.at"),
      user: poolCodes(l.user, "ledger.user"),
      record: poolCodes(l.record, "ledger.record"),
    };
    if (l.pool != null) claims.ledger.pool = poolCodes(l.pool, "ledger.pool");
    claims.ledger.event = poolCodes(l.event, "ledger.event");
  }
  const r = table("requests") ?? {};
  claims.requests = { user: poolCodes(r.user, "requests.user"), record: poolCodes(r.record, "requests.record") };
  const out = crmkit.checkClaimsColumns(c.config, claims, c.as_of);
  const ms = (v) => Array.from(v, (t) => (Number.isNaN(t) ? null : t));
  const count = (v) => Array.from(v, (n) => (n < 0 ? null : n));
  return {
    pool: Array.from(out.pool, (k) => (k < 0 ? null : out.pools[k])),
    accepted: Array.from(out.accepted, (a) => a === 1),
    reasons: Array.from(out.reasons, (bits) => out.reasonLabels.filter((_, b) => (bits >>> b) & 1)),
    embargo_since: ms(out.embargoSince),
    embargo_until: ms(out.embargoUntil),
    cooldown_since: ms(out.cooldownSince),
    cooldown_until: ms(out.cooldownUntil),
    holdings_count: count(out.holdingsCount),
    holdings_limit: count(out.holdingsLimit),
    daily_count: count(out.dailyCount),
    daily_limit: count(out.dailyLimit),
    claimed_at: ms(out.claimedAt),
    holdings: out.holdings,
  };
}

/** A CrmkitError-shaped error, for what the runner itself refuses (as the Rust runner does). */
function refuse(code, path) {
  return Object.assign(new Error(`${path}: ${code}`), { name: "CrmkitError", code, path });
}

/** A list column as the Rust runner reads it: an array whose cells pass `ok` (or are null). */
function listOf(value, path, ok) {
  if (!Array.isArray(value)) throw refuse("invalid_type", path);
  value.forEach((v, i) => {
    if (v !== null && !ok(v)) throw refuse("invalid_type", `${path}[${i}]`);
  });
  return value;
}

/** Days since 1970-01-01 of a strict `YYYY-MM-DD` (years 0001 to 9999), else invalid_date. */
function days(text, path) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const d = new Date(0);
  if (m) d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const valid =
    m && Number(m[1]) >= 1 && d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  if (!valid) throw refuse("invalid_date", path);
  return Math.round(d.getTime() / 86400000);
}

/** Integer units as a decimal string with `scale` places (as Rust's `Decimal::new`). */
function unitsText(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The batch columns vectors through `paymentInterestColumns` / `collectionsColumns`: dates to
 * days, amounts as decimal strings; the result in the vectors' shape. */
function batchColumns(crmkit, c, interest) {
  const input = c.input !== null && typeof c.input === "object" && !Array.isArray(c.input) ? c.input : {};
  const pays = input.payments ?? { batch: [], on: [], amount: [] };
  if (pays === null || typeof pays !== "object" || Array.isArray(pays)) throw refuse("invalid_type", "payments");
  const isString = (v) => typeof v === "string";
  const dates = (v, name) => listOf(v ?? null, name, isString).map((d, i) => (d === null ? -2147483648 : days(d, `${name}[${i}]`)));
  const money = (v, name) =>
    listOf(v ?? null, name, () => true).map((a, i) => {
      if (typeof a === "string") return a;
      if (typeof a === "number" && Number.isSafeInteger(a)) return String(a);
      throw refuse(typeof a === "number" ? "invalid_decimal" : "invalid_type", `${name}[${i}]`);
    });
  const columns = {
    invoiceOn: Int32Array.from(dates(input.invoice_on, "invoice_on")),
    dueOn: Int32Array.from(dates(input.due_on, "due_on")),
    amount: money(input.amount, "amount"),
    paymentOn: Int32Array.from(dates(pays.on, "payments.on")),
    paymentAmount: money(pays.amount, "payments.amount"),
  };
  const rows = listOf(pays.batch ?? null, "payments.batch", (v) => Number.isSafeInteger(v));
  rows.forEach((v, i) => {
    if (v === null) throw refuse("invalid_type", `payments.batch[${i}]`);
  });
  // A row beyond Int32 names no batch, as -1 does: the core says so after its length checks.
  columns.paymentBatch = Int32Array.from(rows, (v) => (v < -2147483648 || v > 2147483647 ? -1 : v));
  if (input.customer != null) {
    const labels = [];
    const code = (name) => {
      if (name == null) return -1;
      const k = labels.indexOf(name);
      return k >= 0 ? k : labels.push(name) - 1;
    };
    columns.customer = Int32Array.from(listOf(input.customer, "customer", isString).map(code));
    columns.customerLabels = labels;
  }
  if (interest) {
    const out = crmkit.paymentInterestColumns(c.config, columns, c.as_of);
    const texts = (units) => Array.from(units, (u) => unitsText(u, out.scale));
    const l = out.lines;
    return {
      scale: out.scale,
      currency: out.currency,
      day_count: out.dayCount,
      totals: out.totals,
      collected: texts(out.collected),
      outstanding: texts(out.outstanding),
      bonus: texts(out.bonus),
      penalty: texts(out.penalty),
      accrued_penalty: texts(out.accruedPenalty),
      net: texts(out.net),
      lines: Array.from(l.batch, (batch, j) => ({
        batch,
        payment: l.payment[j],
        kind: out.kindLabels[l.kind[j]],
        days: l.days[j],
        interest_days: l.interestDays[j],
        interest: unitsText(l.interest[j], out.scale),
      })),
    };
  }
  const out = crmkit.collectionsColumns(c.config, columns, c.as_of);
  return {
    scale: out.scale,
    collected: Array.from(out.collected, (u) => unitsText(u, out.scale)),
    outstanding: Array.from(out.outstanding, (u) => unitsText(u, out.scale)),
    days_past_due: Array.from(out.daysPastDue),
    bucket: Array.from(out.bucket, (k) => out.bucketLabels[k]),
    level: Array.from(out.level, (k) => (k < 0 ? null : out.levelLabels[k])),
    reasons: Array.from(out.reasons, (bits) => out.reasonLabels.filter((_, b) => (bits >>> b) & 1)),
    aging: out.aging,
    customers: out.customers,
    dso: out.dso,
  };
}

/** The `commission_columns` vectors through `commissionColumns`: names to codes, dates to
 * days, decimal strings to units at their largest scale; the result in the vectors' shape. */
function commissionColumns(crmkit, c) {
  const input = c.input !== null && typeof c.input === "object" && !Array.isArray(c.input) ? c.input : {};
  const labels = [];
  const code = (name) => {
    if (name == null) return -1;
    const k = labels.indexOf(name);
    return k >= 0 ? k : labels.push(name) - 1;
  };
  const isString = (v) => typeof v === "string";
  const rep = listOf(input.rep ?? null, "rep", isString).map(code);
  const on = listOf(input.on ?? null, "on", isString).map((d, i) => (d === null ? -2147483648 : days(d, `on[${i}]`)));
  // Money as the wire reads it: decimal strings or integers (whole units); a float is
  // invalid_decimal, anything else invalid_type.
  const amounts = listOf(input.amount ?? null, "amount", () => true).map((a, i) => {
    if (typeof a === "string") return a;
    if (typeof a === "number" && Number.isSafeInteger(a)) return String(a);
    throw refuse(typeof a === "number" ? "invalid_decimal" : "invalid_type", `amount[${i}]`);
  });
  const columns = { rep: Int32Array.from(rep), repLabels: labels, on: Int32Array.from(on), amount: amounts };
  if (input.refund != null) {
    const flags = listOf(input.refund, "refund", (v) => typeof v === "boolean");
    flags.forEach((v, i) => {
      if (v === null) throw refuse("invalid_type", `refund[${i}]`);
    });
    columns.refund = Uint8Array.from(flags.map(Number));
  }
  // Products and customer types coded like the reps; rows as int32 (null: -1; a whole number
  // beyond int32 names no row either: -2).
  for (const [field, key] of [["product", "product"], ["customer_type", "customerType"]]) {
    if (input[field] == null) continue;
    const names = [];
    const codes = listOf(input[field], field, isString).map((n) => {
      if (n == null) return -1;
      const k = names.indexOf(n);
      return k >= 0 ? k : names.push(n) - 1;
    });
    columns[key] = Int32Array.from(codes);
    columns[`${key}Labels`] = names;
  }
  if (input.refers_to != null) {
    const rows = listOf(input.refers_to, "refers_to", (v) => Number.isSafeInteger(v));
    columns.refersTo = Int32Array.from(rows.map((r) => (r === null ? -1 : r >= -1 && r <= 2147483647 ? r : -2)));
  }
  // As they are: crmkit reads strings or nulls and refuses anything else at original_rate[i].
  if (input.original_rate != null) columns.originalRate = input.original_rate;
  const out = crmkit.commissionColumns(c.config, columns, c.as_of, { reps: input.reps, statements: true });
  const l = out.lines;
  const lines = Array.from(l.amount, (amount, j) => ({
    statement: l.provisional[j] ? "provisional" : "final",
    rep: out.reps[l.rep[j]].rep,
    step: l.step[j],
    kind: out.kindLabels[l.kind[j]],
    row: l.row[j],
    tier: l.tier[j],
    from: unitsText(l.from[j], out.creditScale),
    to: unitsText(l.to[j], out.creditScale),
    base: unitsText(l.base[j], out.creditScale),
    rate: l.rate[j] < 0 ? null : out.rateLabels[l.rate[j]],
    multiplier: out.multiplierLabels[l.multiplier[j]],
    amount: unitsText(amount, out.scale),
    reasons: out.reasonLabels.filter((_, b) => (l.reasons[j] >>> b) & 1),
  }));
  return {
    scale: out.scale,
    credit_scale: out.creditScale,
    reps: out.reps,
    totals: out.totals,
    provisional: Array.from(out.provisional, (u) => unitsText(u, out.scale)),
    final: Array.from(out.final, (u) => unitsText(u, out.scale)),
    lines,
  };
}

/** The bytes alterations the `dedup_index` vectors name (the same in every runner). */
export function alterBytes(bytes, how) {
  const b = new Uint8Array(bytes);
  switch (how) {
    case "flip_last":
      b[b.length - 1] ^= 1;
      return b;
    case "truncate":
      return b.slice(0, Math.max(0, b.length - 10));
    case "version_2":
      new DataView(b.buffer).setUint32(8, 2, true);
      return b;
    case "garbage":
      return new TextEncoder().encode("not an index at all, no");
    default:
      return b;
  }
}

/**
 * The closed leads of a `lead_model_columns` vector as `LeadColumns`: each column the config
 * trains on that some lead has; the closing-date field as days, all-number columns as a
 * Float64Array (NaN for none), anything else as text codes in first-appearance order.
 */
function leadColumns(crmkit, c) {
  const leads = c.input?.leads ?? [];
  const closedOn = c.config?.closed_on_field ?? "closed_on";
  const fields = {};
  for (const name of crmkit.modelFields(c.config)) {
    const values = leads.map((lead) => lead[name] ?? null);
    if (values.every((v) => v === null)) continue;
    if (name === closedOn) {
      fields[name] = { days: Int32Array.from(values, (v) => (v === null ? -2147483648 : Date.parse(`${v}T00:00:00Z`) / 86400000)) };
    } else if (values.every((v) => v === null || typeof v === "number")) {
      fields[name] = Float64Array.from(values, (v) => (v === null ? NaN : v));
    } else {
      const labels = [];
      const codes = Int32Array.from(values, (v) => {
        if (v === null) return -1;
        const text = typeof v === "string" ? v : JSON.stringify(v);
        if (!labels.includes(text)) labels.push(text);
        return labels.indexOf(text);
      });
      fields[name] = { codes, labels };
    }
  }
  return { rows: leads.length, fields };
}

/**
 * A `score_columns` vector through `scoreLeadsColumns`: `input.fields` (name -> {number |
 * text | date: cells}) as a Float64Array (NaN for none), {codes, labels} (first appearance)
 * or {days}; the long events table as typed arrays. Read in the Rust runner's order, refusing
 * what it refuses (a mutated case): the fields in name order, then the events' lead, type and
 * on cells. The answer with labels for grades, tiers and reasons (null for none).
 */
function scoreColumns(crmkit, c) {
  const inp = isObject(c.input) ? c.input : {};
  const whole = (v) => typeof v === "number" && Number.isFinite(v) && Math.trunc(v) === v;
  const rows = inp.rows;
  if (!whole(rows) || rows < 0 || rows > 4294967295) throw refuse("invalid_type", "columns.rows");
  // A date cell: null, YYYY-MM-DD, or a whole day number (beyond 32 bits: invalid_date).
  const day = (v, path) => {
    if (v === null) return NO_DAY;
    if (typeof v === "string") return days(v, path);
    if (!whole(v)) throw refuse("invalid_type", path);
    if (v < -2147483647 || v > 2147483647) throw refuse("invalid_date", path);
    return v;
  };
  const texts = (cells, path) => {
    const labels = [];
    const codes = Int32Array.from(cells, (v, i) => {
      if (v === null) return -1;
      if (typeof v !== "string") throw refuse("invalid_type", `${path}[${i}]`);
      if (!labels.includes(v)) labels.push(v);
      return labels.indexOf(v);
    });
    return { codes, labels };
  };
  const fields = {};
  const given = inp.fields ?? {};
  if (!isObject(given)) throw refuse("invalid_type", "columns.fields");
  // Name order by UTF-8 bytes, as Rust's map iterates (UTF-16 order differs only past U+FFFF).
  for (const name of Object.keys(given).sort()) {
    const path = `columns.${name}`;
    const column = given[name];
    const kinds = isObject(column) ? Object.keys(column) : [];
    if (kinds.length !== 1 || !Array.isArray(column[kinds[0]])) throw refuse("invalid_type", path);
    const cells = column[kinds[0]];
    if (kinds[0] === "number") {
      fields[name] = Float64Array.from(cells, (v, i) => {
        if (v === null) return NaN;
        if (typeof v !== "number") throw refuse("invalid_type", `${path}[${i}]`);
        return v;
      });
    } else if (kinds[0] === "text") {
      fields[name] = texts(cells, path);
    } else if (kinds[0] === "date") {
      fields[name] = { days: Int32Array.from(cells, (v, i) => day(v, `${path}[${i}]`)) };
    } else {
      throw refuse("invalid_type", path);
    }
  }
  const columns = { rows, fields };
  if (inp.events != null) {
    const ev = inp.events;
    if (!isObject(ev)) throw refuse("invalid_type", "events");
    const cells = (name) => {
      if (!Array.isArray(ev[name])) throw refuse("invalid_type", `events.${name}`);
      return ev[name];
    };
    // A row beyond 32 bits is out of range as much as -1 is (the core names it alike).
    const lead = Int32Array.from(cells("lead"), (v, i) => {
      if (!whole(v)) throw refuse("invalid_type", `events.lead[${i}]`);
      return v < -2147483648 || v > 2147483647 ? -1 : v;
    });
    const type = texts(cells("type"), "events.type");
    const on = Int32Array.from(cells("on"), (v, i) => day(v, `events.on[${i}]`));
    columns.events = { lead, type, on };
  }
  const out = crmkit.scoreLeadsColumns(c.config, columns, c.as_of);
  const label = (labels, k) => (k >= 0 && k < labels.length ? labels[k] : null);
  return {
    score: Array.from(out.score),
    fit: Array.from(out.fit),
    engagement: Array.from(out.engagement),
    rank: Array.from(out.rank),
    grade: Array.from(out.grade, (g) => label(out.grade_labels, g)),
    tier: Array.from(out.tier, (t) => label(out.tier_labels, t)),
    reasons: Array.from(out.score, (_, i) => out.reasons.map((col) => label(out.rule_ids, col[i])).filter((r) => r !== null)),
  };
}

/** The `dedup_index` vectors: build, apply `ops`, optionally go through (altered) bytes, query. */
function dedupIndex(crmkit, c) {
  let index = new crmkit.DedupIndex(c.config?.policy, c.input?.book);
  // An op is read by the key it has, whatever its value (`{ update: "" }` is an update of
  // "", refused), as the Rust and Python runners read it.
  for (const op of c.input?.ops ?? []) {
    const has = (key) => isObject(op) && Object.hasOwn(op, key);
    if (has("add")) index.add(op.add);
    else if (has("update")) index.update(op.update);
    else if (has("remove")) index.remove(op.remove);
  }
  if (c.input?.bytes) index = crmkit.DedupIndex.fromBytes(alterBytes(index.toBytes(), c.input.bytes));
  if (!c.input?.query) return {};
  return index.query(c.input.query, c.config?.limit);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function jsonEqual(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

/**
 * `null` when every key of `expected` is in `actual` with a matching value (recursively;
 * arrays must have equal length and match element by element); otherwise where and how they
 * differ. Money is compared as exact decimal strings.
 */
export function subsetMismatch(expected, actual, at = "", tolerance = 0) {
  if (isObject(expected) && isObject(actual)) {
    for (const [k, v] of Object.entries(expected)) {
      if (!Object.hasOwn(actual, k)) {
        if (v === null) continue; // an expected null: the output leaves the key out (or gives null)
        return `${at}.${k}: missing in output`;
      }
      const m = subsetMismatch(v, actual[k], `${at}.${k}`, tolerance);
      if (m !== null) return m;
    }
    return null;
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    for (let i = 0; i < expected.length; i++) {
      const m = subsetMismatch(expected[i], actual[i], `${at}[${i}]`, tolerance);
      if (m !== null) return m;
    }
    return null;
  }
  if (jsonEqual(expected, actual)) return null;
  // A case's `tolerance`: float scores and probabilities from an independent model.
  if (tolerance > 0 && typeof expected === "number" && typeof actual === "number" && Math.abs(expected - actual) <= tolerance) {
    return null;
  }
  return `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

const DAY_MS = 86_400_000;
const NO_DAY = -2147483648;

/** A decimal string as [BigInt units, scale]. */
function decimalUnits(text) {
  const [whole, frac = ""] = String(text).split(".");
  return [BigInt(whole + frac), frac.length];
}

/**
 * A `compare_attribution_columns` vector's columns as typed arrays: channel names coded in
 * order of first appearance, dates as days since 1970-01-01 (null: did not convert), revenue
 * as BigInt units at the largest scale written (null: 0).
 */
function journeyColumns(input) {
  // Read in the Rust runner's order, refusing what it refuses (a mutated case).
  const inp = input !== null && typeof input === "object" && !Array.isArray(input) ? input : {};
  const isString = (v) => typeof v === "string";
  const journeys = listOf(inp.journey ?? null, "journey", (v) => Number.isSafeInteger(v));
  journeys.forEach((v, i) => {
    if (v === null) throw refuse("invalid_type", `journey[${i}]`);
  });
  const names = listOf(inp.channel ?? null, "channel", isString);
  names.forEach((v, i) => {
    if (v === null) throw refuse("invalid_type", `channel[${i}]`);
  });
  const dayColumn = (name) => listOf(inp[name] ?? null, name, isString).map((d, i) => (d === null ? NO_DAY : days(d, `${name}[${i}]`)));
  const on = dayColumn("on");
  const convertedOn = dayColumn("converted_on");
  const revenue = listOf(inp.revenue ?? null, "revenue", isString);
  revenue.forEach((r, i) => {
    if (r !== null && !/^-?[0-9]+(\.[0-9]+)?$/.test(r)) throw refuse("invalid_decimal", `revenue[${i}]`);
  });
  let milestone = null;
  if (inp.milestone != null) {
    milestone = listOf(inp.milestone, "milestone", isString).map((m, i) => {
      if (m === null) return 0;
      const code = { lead_created: 1, deal_created: 2 }[m];
      if (code === undefined) throw refuse("invalid_value", `milestone[${i}]`);
      return code;
    });
  }
  // Journey values coded in order of first appearance: equal values stay equal, so the
  // journeys and the "rows are consecutive" check are the same as over the values.
  const seen = new Map();
  const journey = journeys.map((v) => (seen.has(v) ? seen.get(v) : (seen.set(v, seen.size), seen.size - 1)));
  const labels = [...new Set(names)];
  const scale = Math.max(0, ...revenue.filter((r) => r != null).map((r) => decimalUnits(r)[1]));
  const units = (r) => {
    if (r == null) return 0n;
    const [u, s] = decimalUnits(r);
    return u * 10n ** BigInt(scale - s);
  };
  const columns = {
    journey: Int32Array.from(journey),
    channel: Int32Array.from(names, (n) => labels.indexOf(n)),
    channelLabels: labels,
    on: Int32Array.from(on),
    revenueUnits: BigInt64Array.from(revenue, units),
    revenueScale: scale,
    convertedOn: Int32Array.from(convertedOn),
  };
  if (milestone) columns.milestone = Int8Array.from(milestone);
  return columns;
}

/**
 * A `campaign_roi_columns` vector's columns as `campaignRoiColumns` takes them: ids and
 * channels coded in order of first appearance (null: -1), money as decimal strings (null in
 * budget / expected revenue: none), dates as days (null: NO_DAY), counts as a Float64Array
 * (null in new_customers: NaN). Read in the Rust runner's order, refusing what it refuses.
 */
function campaignColumns(input) {
  const inp = input !== null && typeof input === "object" && !Array.isArray(input) ? input : {};
  const isString = (v) => typeof v === "string";
  const coded = (name) => {
    const names = listOf(inp[name] ?? null, name, isString);
    const labels = [...new Set(names.filter((n) => n !== null))];
    return [Int32Array.from(names, (n) => (n === null ? -1 : labels.indexOf(n))), labels];
  };
  const [id, idLabels] = coded("id");
  const [channel, channelLabels] = coded("channel");
  const money = (name, sparse) => {
    if (!(name in inp)) return undefined;
    const cells = inp[name];
    if (!Array.isArray(cells)) throw refuse("invalid_type", name);
    const texts = cells.map((v, i) => {
      if (v === null && sparse) return null;
      if (typeof v === "string") return v;
      if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
      throw refuse(typeof v === "number" ? "invalid_decimal" : "invalid_type", `${name}[${i}]`);
    });
    if (texts.some((t) => t !== null && !/^-?[0-9]+(\.[0-9]+)?$/.test(t))) flags.bad = true;
    return texts;
  };
  // A decimal text the Rust runner refuses: its money is parsed column by column before the
  // dates, so the columns go to crmkit as they are up to that one, and crmkit (which reads the
  // money columns first, in that order) refuses the same cell itself.
  const flags = { bad: false };
  const columns = { id, idLabels, channel, channelLabels, cost: money("cost", false) ?? [] };
  for (const [name, key, sparse] of [["won_revenue", "wonRevenue", false], ["budget", "budget", true], ["expected_revenue", "expectedRevenue", true]]) {
    if (flags.bad) return columns;
    const texts = money(name, sparse);
    if (texts) columns[key] = texts;
  }
  if (flags.bad) return columns;
  for (const [name, key] of [["start_on", "startOn"], ["end_on", "endOn"]]) {
    if (!(name in inp)) continue;
    columns[key] = Int32Array.from(listOf(inp[name], name, isString), (d, i) => (d === null ? NO_DAY : days(d, `${name}[${i}]`)));
  }
  for (const [name, key] of [["leads", "leads"], ["customers", "customers"], ["opportunities", "opportunities"], ["won", "won"], ["new_customers", "newCustomers"]]) {
    if (!(name in inp)) continue;
    const cells = listOf(inp[name], name, (v) => Number.isSafeInteger(v));
    // A null count is "none" for new_customers; elsewhere the core refuses it (i64::MIN).
    columns[key] = Float64Array.from(cells, (v) => (v === null ? NaN : v));
  }
  return columns;
}

/**
 * A `forecast_columns` / `quota_columns` vector's columns as `forecastColumns` takes them,
 * read and refused line for line as the Rust runner reads them (tests/src/forecast_columns.rs):
 * names coded in order of first appearance, amounts as BigInt units at the largest scale
 * written, dates as days since 1970-01-01, keys in the order of `config.policy.group_by`.
 */
function dealColumns(c) {
  const inp = isObject(c.input) ? c.input : {};
  const isString = (v) => typeof v === "string";
  const coded = (values, path) => {
    const labels = [];
    const codes = listOf(values ?? null, path, isString).map((n) => {
      if (n === null) return -1;
      const k = labels.indexOf(n);
      return k >= 0 ? k : labels.push(n) - 1;
    });
    return { codes: Int32Array.from(codes), labels };
  };
  const stage = coded(inp.stage, "stage");
  const texts = listOf(inp.amount ?? null, "amount", isString);
  const parts = texts.map((t, i) => {
    if (t === null) throw refuse("invalid_type", `amount[${i}]`);
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(t)) throw refuse("invalid_decimal", `amount[${i}]`);
    const negative = t.startsWith("-");
    const [whole, frac = ""] = (negative ? t.slice(1) : t).split(".");
    return [negative ? -1n : 1n, BigInt(whole + frac), frac.length];
  });
  const scale = Math.max(0, ...parts.map((p) => p[2]));
  const units = parts.map(([sign, value, places], i) => {
    const u = sign * value * 10n ** BigInt(scale - places);
    if (u < -(2n ** 63n) || u >= 2n ** 63n) throw refuse("overflow", `amount[${i}]`);
    return u;
  });
  const columns = { stage: stage.codes, stageLabels: stage.labels, amountUnits: BigInt64Array.from(units), amountScale: scale };
  for (const [field, name] of [
    ["entered_stage_on", "enteredStageOn"],
    ["expected_close_on", "expectedCloseOn"],
    ["snoozed_until", "snoozedUntil"],
    ["last_activity_on", "lastActivityOn"],
  ]) {
    if (inp[field] == null) continue;
    columns[name] = Int32Array.from(listOf(inp[field], field, isString).map((d, i) => (d === null ? NO_DAY : days(d, `${field}[${i}]`))));
  }
  const groupBy = Array.isArray(c.config?.policy?.group_by) ? c.config.policy.group_by.filter(isString) : [];
  columns.keys = groupBy.map((name) => {
    const keys = inp.keys;
    const column = isObject(keys) && Object.hasOwn(keys, name) ? keys[name] : undefined;
    if (column === undefined) throw refuse("missing_field", name);
    return coded(column, name);
  });
  if (inp.probability != null) {
    const ps = listOf(inp.probability, "probability", (v) => typeof v === "number");
    columns.probability = Float64Array.from(ps, (p) => (p === null ? NaN : p));
  }
  if (inp.category != null) columns.category = coded(inp.category, "category");
  return columns;
}

function forecastColumnsVector(crmkit, c) {
  const columns = dealColumns(c);
  return crmkit.forecastColumns(c.config?.policy, columns, c.as_of);
}

function quotaColumnsVector(crmkit, c) {
  const columns = dealColumns(c);
  const inp = isObject(c.input) ? c.input : {};
  return crmkit.quotaColumns(c.config?.policy, c.config?.quota, columns, { quotas: inp.quotas, won: inp.won }, c.as_of);
}

/**
 * `attributeColumns` on `journeys` laid out as columns (one row per touch, revenue as BigInt
 * units at the largest scale written) against `attribute`'s `report`: `null` when every
 * row's credit, the channel lines, the total and the cohorts agree; else where they differ.
 */
function attributeColumnsMismatch(crmkit, policy, journeys, report) {
  const labels = [...new Set(journeys.flatMap((j) => j.touches.map((t) => t.channel)))];
  const rows = journeys.flatMap((j, k) => j.touches.map((t) => ({ j, k, t })));
  const scale = Math.max(0, ...journeys.map((j) => (j.converted_on && j.revenue !== undefined ? decimalUnits(j.revenue)[1] : 0)));
  const units = (j) => {
    if (!j.converted_on || j.revenue === undefined) return 0n;
    const [u, s] = decimalUnits(j.revenue);
    return u * 10n ** BigInt(scale - s);
  };
  const day = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
  const cents = rows.map((r) => units(r.j));
  if (cents.some((u) => u > 2n ** 63n - 1n)) return null; // beyond int64 columns
  const columns = {
    journey: Int32Array.from(rows, (r) => r.k),
    channel: Int32Array.from(rows, (r) => labels.indexOf(r.t.channel)),
    channelLabels: labels,
    on: Int32Array.from(rows, (r) => day(r.t.on)),
    revenueUnits: BigInt64Array.from(cents),
    revenueScale: scale,
    convertedOn: Int32Array.from(rows, (r) => (r.j.converted_on ? day(r.j.converted_on) : NO_DAY)),
    milestone: Int8Array.from(rows, (r) => ({ lead_created: 1, deal_created: 2 })[r.t.milestone] ?? 0),
  };
  const want = report.journeys.flatMap((j) => j.touches.map((t) => decimalUnits(t.credit)[0]));
  if (want.some((u) => u > 2n ** 53n - 1n || u < 1n - 2n ** 53n)) {
    // A credit beyond 2^53 units has no exact JS number: attributeColumns refuses it, typed.
    try {
      crmkit.attributeColumns(policy, columns);
    } catch (e) {
      return e?.name === "CrmkitError" && e.code === "invalid_decimal" ? null : `threw ${e?.name} ${e?.code}: ${e?.message}`;
    }
    return "a credit beyond 2^53 units came back as a JS number";
  }
  const got = crmkit.attributeColumns(policy, columns);
  const credits = Array.from(got.credits, (u) => BigInt(u));
  const row = credits.findIndex((u, i) => u !== want[i]);
  if (row >= 0) return `row ${row}: ${credits[row]} units, attribute gives ${want[row]}`;
  for (const key of ["total", "conversions", "unattributed", "channels", "cohorts"]) {
    if (JSON.stringify(got[key]) !== JSON.stringify(report[key])) return `${key}: ${JSON.stringify(got[key])} vs ${JSON.stringify(report[key])}`;
  }
  return null;
}

/**
 * Runs one case: `null` when it passes, else why not. An `expected_error` must come as an
 * instance of the package's `CrmkitError` class (a real `Error`) with that `code` and `path`.
 */
export function checkCase(crmkit, fn, c) {
  let output;
  try {
    output = callVector(crmkit, fn, c);
  } catch (e) {
    if (!c.expected_error) return `threw ${e?.name}: ${e?.message} (code ${e?.code}, path ${e?.path})`;
    if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
    if (e.name !== "CrmkitError") return `threw ${e.name}, not CrmkitError: ${e.message}`;
    if (!(e instanceof crmkit.CrmkitError)) return `threw an Error named CrmkitError that is not an instance of crmkit.CrmkitError`;
    const { code, path } = c.expected_error;
    if (e.code !== code || e.path !== path) {
      return `expected error ${code} at ${JSON.stringify(path)}, got ${e.code} at ${JSON.stringify(e.path)}: ${e.message}`;
    }
    return null;
  }
  if (c.expected_error) {
    return `expected error ${c.expected_error.code} at ${JSON.stringify(c.expected_error.path)}, got a result`;
  }
  return subsetMismatch(c.expected, output, "", c.tolerance ?? 0);
}
