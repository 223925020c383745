//! The planning functions over a forecast (quota, hierarchy, backtest...), exported as the
//! others are: plain objects in, one core call, a plain object out or a `CrmkitError` thrown.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js_arg, reply, string_arg};

/// Quota attainment, gap and pipeline coverage (weighted and not) per key and period: a second
/// pass over the forecast's deal lines. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = quotaAttainment, unchecked_return_type = "QuotaReport")]
pub fn quota_attainment(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "QuotaPolicy")] quota: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "QuotaInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let quota = from_js_arg(quota, "quota")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::quota_attainment(&policy, &quota, &input, as_of)
    };
    reply(run())
}

/// Collaborative forecasting: the owner tree's roll-up of the reps' own call, the managers'
/// adjustments and the stage-weighted forecast per cumulative category and period. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = forecastHierarchy, unchecked_return_type = "HierarchyReport")]
pub fn forecast_hierarchy(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HierarchyPolicy")] hierarchy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "HierarchyInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let hierarchy = from_js_arg(hierarchy, "hierarchy")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::forecast_hierarchy(&policy, &hierarchy, &input, as_of)
    };
    reply(run())
}

/// The years, quarters and periods of a fiscal calendar (month-based, or week-based 4-4-5 /
/// 4-5-4 / 5-4-4 with 52/53-week years) overlapping `start ..= end`, with their first and last
/// days. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = fiscalPeriods, unchecked_return_type = "FiscalCalendar")]
pub fn fiscal_periods(
    #[wasm_bindgen(js_name = fiscalYear, unchecked_param_type = "FiscalYear")] fiscal_year: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] start: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] end: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let fiscal_year = from_js_arg(fiscal_year, "fiscal_year")?;
        let start = crmkit::wire::parse_date(&string_arg(start, "start")?, "start")?;
        let end = crmkit::wire::parse_date(&string_arg(end, "end")?, "end")?;
        crmkit::forecast::fiscal_periods(&fiscal_year, start, end)
    };
    reply(run())
}

/// Backtest: the open pipeline rebuilt from the stage-change log on past dates, forecast by
/// stage weights, commit category and Monte Carlo median, scored against what closed (MAPE,
/// WAPE, bias). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = backtest, unchecked_return_type = "BacktestReport")]
pub fn backtest(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "BacktestPolicy")] settings: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "StageEvent[]")] events: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings = from_js_arg(settings, "settings")?;
        let events: Vec<crmkit::forecast::StageEvent> = crate::convert::from_js(events, "events")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::forecast::backtest(&policy, &settings, &events, as_of)
    };
    reply(run())
}
