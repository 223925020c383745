//! `quotaColumns(..., { output: "columns" })`: the quota report with its lines as typed-array
//! columns (`QuotaTable`), money as `BigInt64Array` units of the policy's rounding places and
//! rates as units of the quota's `rate_dp`. A 500-owner × 9-quarter book's 4,500 lines cross
//! as a few typed arrays instead of 1.76 MB of JSON text parsed into objects.

use crmkit::forecast::{QuotaReport, QuotaTable, UnitColumn, QUOTA_REASON_LISTS};
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{to_js, to_js_error};

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

/// A count per line: exact in a double (far fewer than 2^53 deals).
#[allow(clippy::cast_precision_loss)]
fn counts(values: &[u64]) -> Float64Array {
    let doubles: Vec<f64> = values.iter().map(|&d| d as f64).collect();
    Float64Array::from(&doubles[..])
}

/// A nullable column: `{name}` (units, 0 where null) and `{name}Missing` (1 where null).
fn nullable(lines: &Object, name: &str, column: &UnitColumn) -> Result<(), JsValue> {
    set(lines, name, &BigInt64Array::from(&column.units[..]))?;
    let missing: Vec<u8> = column.missing.iter().map(|&m| u8::from(m)).collect();
    set(lines, &format!("{name}Missing"), &Uint8Array::from(&missing[..]))
}

/// `report` (of a forecast policy rounding to `scale` places and a quota policy grouping by
/// `group_by` with `rate_dp` places) as a `QuotaTable`.
pub fn table(mut report: QuotaReport, group_by: &[String], scale: u32, rate_dp: u32) -> Result<JsValue, JsValue> {
    let t = QuotaTable::new(&report, scale, rate_dp).map_err(|e| to_js_error(&e))?;
    // The rest of the report (as_of, period, totals, unscheduled): a line per period.
    report.lines.clear();
    let object: Object = to_js(&report)?.unchecked_into();
    set(&object, "scale", &JsValue::from(scale))?;
    set(&object, "rateScale", &JsValue::from(rate_dp))?;
    let keys: Array = group_by
        .iter()
        .map(|field| -> JsValue {
            t.keys
                .iter()
                .map(|k| k.get(field).cloned().flatten().map_or(JsValue::NULL, |v| JsValue::from_str(&v)))
                .collect::<Array>()
                .into()
        })
        .collect();
    set(&object, "keys", &keys)?;
    let lists: Array = QUOTA_REASON_LISTS
        .iter()
        .map(|list| -> JsValue { list.iter().map(|r| JsValue::from_str(r.code())).collect::<Array>().into() })
        .collect();
    set(&object, "reasonLists", &lists)?;
    let lines = Object::new();
    // Indexes as Int32Array, as ForecastTable's (a report holds far fewer than 2^31 keys).
    let index =
        |v: &[u32]| Int32Array::from(&v.iter().map(|&i| i32::try_from(i).unwrap_or(-1)).collect::<Vec<i32>>()[..]);
    set(&lines, "key", &index(&t.key))?;
    set(&lines, "period", &index(&t.period))?;
    nullable(&lines, "quota", &t.quota)?;
    nullable(&lines, "gap", &t.gap)?;
    set(&lines, "wonDeals", &counts(&t.won_deals))?;
    set(&lines, "wonAmount", &BigInt64Array::from(&t.won_amount[..]))?;
    set(&lines, "openDeals", &counts(&t.open_deals))?;
    set(&lines, "openAmount", &BigInt64Array::from(&t.open_amount[..]))?;
    set(&lines, "openWeighted", &BigInt64Array::from(&t.open_weighted[..]))?;
    nullable(&lines, "attainment", &t.attainment)?;
    nullable(&lines, "coverage", &t.coverage)?;
    nullable(&lines, "weightedCoverage", &t.weighted_coverage)?;
    set(&lines, "reasons", &Uint8Array::from(&t.reasons[..]))?;
    set(&object, "lines", &lines)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_QUOTA_TABLE: &str = r#"
/** Quota attainment, gap and pipeline coverage (weighted and not) per key and period of deals given as typed-array columns (as `forecastColumns` takes them; `keys` are the policy's `group_by`, the quota's `group_by` any of those fields) and of `data`'s `quotas` and `won` deals given apart. A won row counts in the period of its `expectedCloseOn`. Error paths name the column and row (`expected_close_on[3]`). Throws a `CrmkitError`. */
export function quotaColumns(policy: ForecastPolicy, quota: QuotaPolicy, columns: DealColumns, data: QuotaData, asOf: string): QuotaReport;
/** With `{ output: "columns" }`: the same report with its lines as typed-array columns (`QuotaTable`). */
export function quotaColumns(policy: ForecastPolicy, quota: QuotaPolicy, columns: DealColumns, data: QuotaData, asOf: string, options: { output: "columns" }): QuotaTable;
export function quotaColumns(policy: ForecastPolicy, quota: QuotaPolicy, columns: DealColumns, data: QuotaData, asOf: string, options?: { output?: "report" } | null): QuotaReport;
export function quotaColumns(policy: ForecastPolicy, quota: QuotaPolicy, columns: DealColumns, data: QuotaData, asOf: string, options?: QuotaColumnsOptions | null): QuotaReport | QuotaTable;
/** `quotaColumns`' options. */
export interface QuotaColumnsOptions {
    /** "report" (the default): a `QuotaReport`; "columns": a `QuotaTable`. */
    output?: "report" | "columns";
}
/** The report's lines as columns, in the report's order (by key, then period). Money as integer units of 10^-`scale`, rates as units of 10^-`rateScale`; where the report's figure is null, the unit is 0 and its `*Missing` is 1. */
export interface QuotaLineColumns {
    /** The line's key: an index into each of the table's `keys`. */
    key: Int32Array;
    /** The line's period: an index into the table's `totals` (whose `period`, `first_month` and `last_month` are the line's). */
    period: Int32Array;
    quota: BigInt64Array;
    quotaMissing: Uint8Array;
    gap: BigInt64Array;
    gapMissing: Uint8Array;
    wonDeals: Float64Array;
    /** The won deals' amount (their weighted amount is the same). */
    wonAmount: BigInt64Array;
    openDeals: Float64Array;
    openAmount: BigInt64Array;
    openWeighted: BigInt64Array;
    attainment: BigInt64Array;
    attainmentMissing: Uint8Array;
    coverage: BigInt64Array;
    coverageMissing: Uint8Array;
    weightedCoverage: BigInt64Array;
    weightedCoverageMissing: Uint8Array;
    /** The line's reasons: an index into the table's `reasonLists`. */
    reasons: Uint8Array;
}
/** What `quotaColumns` returns with `{ output: "columns" }`: the report without its `lines` object array, its lines as columns. Each unit is the report's figure, exactly. */
export interface QuotaTable extends Omit<QuotaReport, "lines"> {
    /** Decimal places of every money column (the policy's `rounding.dp`). */
    scale: number;
    /** Decimal places of the rate columns (the quota's `rate_dp`). */
    rateScale: number;
    /** Per quota `group_by` field, in its order: each key's value (null when its deals lack it); `lines.key` indexes them. */
    keys: (string | null)[][];
    /** The reason lists `lines.reasons` indexes. */
    reasonLists: QuotaReason[][];
    lines: QuotaLineColumns;
}
"#;
