//! `quotaColumns`: quota attainment, gap and coverage over deal columns (the typed arrays
//! `forecastColumns` takes), computed from the forecast's own columnar pass.

use wasm_bindgen::prelude::*;

use crate::columns::Columns;
use crate::convert::{from_js_arg, reply, string_arg};

/// Quota attainment, gap and pipeline coverage (weighted and not) per key and period of deals
/// given as typed-array columns (as `forecastColumns` takes them; `keys` are the policy's
/// `group_by`, the quota's `group_by` any of those fields) and of `data`'s `quotas` and `won`
/// deals given apart. A won row counts in the period of its `expectedCloseOn`. Error paths
/// name the column and row (`expected_close_on[3]`). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = quotaColumns, unchecked_return_type = "QuotaReport")]
pub fn quota_columns(
    #[wasm_bindgen(unchecked_param_type = "ForecastPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "QuotaPolicy")] quota: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DealColumns")] columns: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "QuotaData")] data: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let quota = from_js_arg(quota, "quota")?;
        let columns = Columns::read(columns)?;
        let data = from_js_arg(data, "data")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        let (_, report) =
            crmkit::forecast::forecast_quota_columns(&policy, &quota, &columns.as_deal_columns(), &data, as_of)?;
        Ok(report)
    };
    reply(run())
}
