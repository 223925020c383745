//! The functions the npm package exports.

use wasm_bindgen::prelude::*;

use crate::columns::Columns;
use crate::convert::{from_js, from_js_arg, reply, string_arg, to_js, to_js_error};
use crate::forecast_table::{self, Output};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A decimal number written out in full, e.g. `"1250.00"`. Money and rates are never floats. */
export type Decimal = string;
/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** What every crmkit function throws: a real `Error` with a stable `code` and the `path` of the offending field. */
export interface CrmkitError extends Error {
    name: "CrmkitError";
    /** Stable snake_case code, the same in Rust, Python and JS (`invalid_decimal`, `unknown_stage`...). */
    code: string;
    /** Where: `stages[1].conversion`, `deals[3].amount`, `amount[7]`. */
    path: string;
}

/** Deals as columns for `forecastColumns`: row `i` is one deal. */
export interface DealColumns {
    /** Stage of each deal, an index into `stageLabels`. */
    stage: Int32Array;
    /** Stage names the codes refer to. */
    stageLabels: string[];
    /** Amounts as integer units of 10^-amountScale: safe integers in a Float64Array, or a BigInt64Array. */
    amountUnits: Float64Array | BigInt64Array;
    /** Decimal places of `amountUnits`, 0 to 28: absent or 0, whole units (yuan); 2, cents. */
    amountScale?: number;
    /** Date each deal entered its stage, in days since 1970-01-01; -2147483648 for none. */
    enteredStageOn?: Int32Array;
    /** Date each deal is expected to close (placement `expected_close`), in days since 1970-01-01; -2147483648 for none. */
    expectedCloseOn?: Int32Array;
    /** Date until which each deal's stall warning is snoozed, in days since 1970-01-01; -2147483648 for none. */
    snoozedUntil?: Int32Array;
    /** Date of each deal's last activity (read by the stages' `idle_after`), in days since 1970-01-01; -2147483648 for none. */
    lastActivityOn?: Int32Array;
    /** One column per `group_by` key of the policy, in the same order. */
    keys?: KeyColumn[];
    /** Each deal's own probability of winning in [0, 1], replacing its stage's; NaN for the stage's own. */
    probability?: Float64Array;
    /** Each deal's own forecast category: codes into labels such as "commit", -1 for the stage's own. */
    category?: KeyColumn;
}

/** A group-by column: per-row codes into `labels`, -1 for none. */
export interface KeyColumn {
    codes: Int32Array;
    labels: string[];
}
"#;

/// Forecasts a pipeline of deals: the weighted pipeline by stage and group, month buckets
/// from `asOf`, and one explained line per deal. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = forecast, unchecked_return_type = "ForecastReport")]
pub fn forecast(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Deal[]")] deals: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let deals: Vec<crmkit::forecast::Deal> = from_js(deals, "deals")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::forecast(&policy, &deals, as_of)
    };
    reply(run())
}

/// Forecasts deals given as typed-array columns: the report of `forecast` without deal
/// lines, in one pass; with `options.output` `"columns"` its group × month lines and groups
/// as typed arrays (`ForecastTable`, see forecast_table.rs, which declares the TypeScript
/// overloads). Error paths name the column and row (`amount[3]`). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = forecastColumns, skip_typescript)]
pub fn forecast_columns(
    policy: &JsValue,
    columns: &JsValue,
    as_of: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy: crmkit::forecast::ForecastPolicy = from_js_arg(policy, "policy")?;
        let columns = Columns::read(columns)?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        let output = Output::read(options)?;
        let report = crmkit::forecast::forecast_columns(&policy, &columns.as_deal_columns(), as_of)?;
        Ok((report, output, policy))
    };
    match run().map_err(|e| to_js_error(&e))? {
        (report, Output::Report, _) => to_js(&report),
        (report, Output::Columns, policy) => forecast_table::table(report, &policy.group_by, policy.rounding.dp),
    }
}

/// Target allocation (指标分摊): `input.target` split across keys by their share of
/// `input.history` in the policy's window up to `asOf`, plus `input.adjustments`; the lines'
/// targets sum exactly to the target. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = allocateTarget, unchecked_return_type = "AllocationReport")]
pub fn allocate_target(
    #[wasm_bindgen(unchecked_param_type = "AllocationPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "AllocationInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::allocate_target(&policy, &input, as_of)
    };
    reply(run())
}

/// Hierarchical target allocation: `input.target` split down the tree of `input.history`'s
/// paths, each level by its own window, floors raised, every node's children summing exactly
/// to it. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = allocateTree, unchecked_return_type = "AllocationTreeReport")]
pub fn allocate_tree(
    #[wasm_bindgen(unchecked_param_type = "AllocationTreePolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "AllocationTreeInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::allocate_tree(&policy, &input, as_of)
    };
    reply(run())
}

/// Seeded Monte Carlo ranges of the forecast: quantiles and mean of the won amount, in total
/// and per month. Same seed, same ranges. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = forecastRanges, unchecked_return_type = "RangeReport")]
pub fn forecast_ranges(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "RangeSettings")] settings: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Deal[]")] deals: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings = from_js_arg(settings, "settings")?;
        let deals: Vec<crmkit::forecast::Deal> = from_js(deals, "deals")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::forecast_ranges(&policy, &settings, &deals, as_of)
    };
    reply(run())
}

/// The funnel learned from a stage-change log: conversions (open deals censored), time in
/// stage, win rate, cycle length, average won amount. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = funnelHistory, unchecked_return_type = "HistoryReport")]
pub fn funnel_history(
    #[wasm_bindgen(unchecked_param_type = "HistoryPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "StageEvent[]")] events: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let events: Vec<crmkit::forecast::StageEvent> = from_js(events, "events")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::funnel_history(&policy, &events, as_of)
    };
    reply(run())
}

/// The crmkit version; the crate, the Python and the npm packages carry the same one.
#[wasm_bindgen]
pub fn version() -> String {
    crmkit::VERSION.to_owned()
}
