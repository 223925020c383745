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
