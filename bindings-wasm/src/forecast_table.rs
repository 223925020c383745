//! `forecastColumns(..., { output: "columns" })`: the report with its group × month lines and
//! its groups as typed-array columns, money as `BigInt64Array` units of the policy's rounding
//! places. On a book of 500 owners × 17 months the report's 8,000 line objects (JSON text
//! parsed by JS) cost more than the forecast itself; columns are a few typed arrays.

use crmkit::forecast::{ForecastReport, MonthLine, Sums};
use crmkit::{Decimal, Error, ParseKind};
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Object, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::columns::{optional, type_error};
use crate::convert::{to_js, to_js_error};

/// What `forecastColumns` returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The `ForecastReport`, as `forecast` gives it (without deal lines).
    Report,
    /// A `ForecastTable`.
    Columns,
}

impl Output {
    /// Reads `options`: `undefined`, `null` or `{ output?: "report" | "columns" }`.
    pub fn read(options: &JsValue) -> Result<Self, Error> {
        if options.is_undefined() || options.is_null() {
            return Ok(Self::Report);
        }
        if !options.is_object() || Array::is_array(options) {
            return Err(type_error("options", "an options object", options));
        }
        let Some(value) = optional(options, "output") else { return Ok(Self::Report) };
        match value.as_string().as_deref() {
            Some("report") => Ok(Self::Report),
            Some("columns") => Ok(Self::Columns),
            Some(other) => Err(Error::Parse {
                kind: ParseKind::Value,
                path: "options.output".into(),
                message: format!("expected \"report\" or \"columns\", got {other:?}"),
            }),
            None => Err(type_error("options.output", "\"report\" or \"columns\"", &value)),
        }
    }
}

/// `d` as integer units of 10^-`scale`; `overflow` at `path()` beyond 64 bits (the path is
/// only written then: a table has thousands of lines).
fn units(d: Decimal, scale: u32, path: impl FnOnce() -> String) -> Result<i64, Error> {
    crmkit::forecast::exact_units(d, scale).ok_or_else(|| Error::Overflow { path: path() })
}

/// Deal counts and money units of a run of lines.
#[derive(Default)]
struct SumColumns {
    deals: Vec<f64>,
    amount: Vec<i64>,
    weighted: Vec<i64>,
}

impl SumColumns {
    fn with_capacity(n: usize) -> Self {
        Self { deals: Vec::with_capacity(n), amount: Vec::with_capacity(n), weighted: Vec::with_capacity(n) }
    }

    /// Appends a line's figures; `at()` names the line in an error.
    fn push(&mut self, sums: &Sums, scale: u32, at: impl Fn() -> String) -> Result<(), Error> {
        // A count of rows: exact in a double (arrays are far shorter than 2^53).
        #[allow(clippy::cast_precision_loss)]
        self.deals.push(sums.deals as f64);
        self.amount.push(units(sums.amount, scale, || format!("{}.amount", at()))?);
        self.weighted.push(units(sums.weighted, scale, || format!("{}.weighted", at()))?);
        Ok(())
    }

    fn to_object(&self) -> Result<Object, JsValue> {
        let object = Object::new();
        set(&object, "deals", &Float64Array::from(&self.deals[..]))?;
        set(&object, "amount", &BigInt64Array::from(&self.amount[..]))?;
        set(&object, "weighted", &BigInt64Array::from(&self.weighted[..]))?;
        Ok(object)
    }
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

/// The columns of `report`, whose policy groups by `group_by` and rounds to `scale` places.
struct Table {
    /// Per line: its group (-1 without `group_by`), its index in the report's months, its
    /// offset.
    group: Vec<i32>,
    month: Vec<i32>,
    offset: Vec<u32>,
    lines: SumColumns,
    groups: SumColumns,
    beyond: Option<SumColumns>,
}

impl Table {
    fn new(report: &ForecastReport, grouped: bool, scale: u32) -> Result<Self, Error> {
        let index = |m: &MonthLine| {
            // Every line's month is one of the report's (which run from the first to the last
            // month any line has); -1 would say otherwise.
            report.months.binary_search_by_key(&m.offset, |x| x.offset).map_or(-1, |i| i32::try_from(i).unwrap_or(-1))
        };
        let lines: Vec<(i32, &MonthLine)> = if grouped {
            let mut lines = Vec::with_capacity(report.groups.iter().map(|g| g.months.len()).sum());
            for (g, line) in report.groups.iter().enumerate() {
                let g = i32::try_from(g).map_err(|_| Error::Overflow { path: "groups".into() })?;
                lines.extend(line.months.iter().map(|m| (g, m)));
            }
            lines
        } else {
            report.months.iter().map(|m| (-1, m)).collect()
        };
        let mut table = Self {
            group: lines.iter().map(|(g, _)| *g).collect(),
            month: lines.iter().map(|(_, m)| index(m)).collect(),
            offset: lines.iter().map(|(_, m)| m.offset).collect(),
            lines: SumColumns::with_capacity(lines.len()),
            groups: SumColumns::with_capacity(report.groups.len()),
            beyond: report.groups.iter().any(|g| g.beyond_horizon.is_some()).then(SumColumns::default),
        };
        for (i, (_, m)) in lines.iter().enumerate() {
            table.lines.push(&m.sums, scale, || format!("lines[{i}]"))?;
        }
        for (g, line) in report.groups.iter().enumerate() {
            table.groups.push(&line.sums, scale, || format!("groups[{g}]"))?;
            if let Some(beyond) = &mut table.beyond {
                let sums = line.beyond_horizon.clone().unwrap_or_default();
                beyond.push(&sums, scale, || format!("groups[{g}].beyond_horizon"))?;
            }
        }
        Ok(table)
    }
}

/// `report` (from `forecast_columns` under a policy grouping by `group_by`, rounding to
/// `scale` places) as a `ForecastTable`.
pub fn table(mut report: ForecastReport, group_by: &[String], scale: u32) -> Result<JsValue, JsValue> {
    let t = Table::new(&report, !group_by.is_empty(), scale).map_err(|e| to_js_error(&e))?;
    let keys: Array = group_by
        .iter()
        .map(|name| -> JsValue {
            report
                .groups
                .iter()
                .map(|g| g.key.get(name).cloned().flatten().map_or(JsValue::NULL, |v| JsValue::from_str(&v)))
                .collect::<Array>()
                .into()
        })
        .collect();
    // The rest of the report (stages, months, quarters, years, totals, categories, commit) as
    // `forecastColumns` gives it: a few dozen lines.
    report.groups.clear();
    let object: Object = to_js(&report)?.unchecked_into();
    Reflect::delete_property(&object, &JsValue::from_str("deals"))?;
    set(&object, "scale", &JsValue::from(scale))?;
    let lines = t.lines.to_object()?;
    set(&lines, "group", &Int32Array::from(&t.group[..]))?;
    set(&lines, "month", &Int32Array::from(&t.month[..]))?;
    set(&lines, "offset", &Uint32Array::from(&t.offset[..]))?;
    set(&object, "lines", &lines)?;
    let groups = t.groups.to_object()?;
    set(&groups, "keys", &keys)?;
    let beyond = t.beyond.as_ref().map(SumColumns::to_object).transpose()?;
    set(&groups, "beyondHorizon", &beyond.map_or(JsValue::NULL, JsValue::from))?;
    set(&object, "groups", &groups)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_FORECAST_TABLE: &str = r#"
/** Forecasts deals given as typed-array columns: the report of `forecast` without deal lines, in one pass. Error paths name the column and row (`amount[3]`). Throws a `CrmkitError`. */
export function forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string): ForecastReport;
/** With `{ output: "columns" }`: the same report with its group × month lines and its groups as typed-array columns (`ForecastTable`). */
export function forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string, options: { output: "columns" }): ForecastTable;
export function forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string, options?: { output?: "report" } | null): ForecastReport;
export function forecastColumns(policy: ForecastPolicy, columns: DealColumns, asOf: string, options?: ForecastColumnsOptions | null): ForecastReport | ForecastTable;
/** `forecastColumns`' options. */
export interface ForecastColumnsOptions {
    /** "report" (the default): a `ForecastReport`; "columns": a `ForecastTable`. */
    output?: "report" | "columns";
}
/** Figures of a run of lines as columns: deal counts, and money as integer units of 10^-`scale` (the table's). */
export interface ForecastSumColumns {
    deals: Float64Array;
    amount: BigInt64Array;
    weighted: BigInt64Array;
}
/** The group × month lines (the report's `groups[g].months`, group after group), or the report's months without `group_by`. */
export interface ForecastLineColumns extends ForecastSumColumns {
    /** The line's row of `groups`; -1 without `group_by`. */
    group: Int32Array;
    /** The line's month: an index into the table's `months` (its label there). */
    month: Int32Array;
    /** Months (periods) after the one holding `asOf`. */
    offset: Uint32Array;
}
/** The report's groups as columns, sorted by key. */
export interface ForecastGroupColumns extends ForecastSumColumns {
    /** Per `group_by` key, in the policy's order: each group's value (null when its deals lack it). */
    keys: (string | null)[][];
    /** With the policy's `horizon_months`: each group's open deals placed past it; otherwise null. */
    beyondHorizon: ForecastSumColumns | null;
}
/** What `forecastColumns` returns with `{ output: "columns" }`: the report, its lines and groups as columns. Each money unit is the report's rounded figure, exactly. */
export interface ForecastTable extends Omit<ForecastReport, "groups" | "deals"> {
    /** Decimal places of every money column (the policy's `rounding.dp`). */
    scale: number;
    lines: ForecastLineColumns;
    groups: ForecastGroupColumns;
}
"#;
