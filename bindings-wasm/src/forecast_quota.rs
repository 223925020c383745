//! `quotaColumns`: quota attainment, gap and coverage over deal columns (the typed arrays
//! `forecastColumns` takes), computed from the forecast's own columnar pass.

use wasm_bindgen::prelude::*;

use crate::columns::Columns;
use crate::convert::{from_js_arg, string_arg, to_js, to_js_error};
use crate::forecast_table::Output;
use crate::quota_table;

/// Quota attainment, gap and pipeline coverage (weighted and not) per key and period of deals
/// given as typed-array columns (as `forecastColumns` takes them; `keys` are the policy's
/// `group_by`, the quota's `group_by` any of those fields) and of `data`'s `quotas` and `won`
/// deals given apart. A won row counts in the period of its `expectedCloseOn`. With
/// `options.output` `"columns"` the lines come as typed arrays (`QuotaTable`, see
/// quota_table.rs, which declares the TypeScript overloads). Error paths name the column and
/// row (`expected_close_on[3]`). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = quotaColumns, skip_typescript)]
pub fn quota_columns(
    policy: &JsValue,
    quota: &JsValue,
    columns: &JsValue,
    data: &JsValue,
    as_of: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy: crmkit::forecast::ForecastPolicy = from_js_arg(policy, "policy")?;
        let quota: crmkit::forecast::QuotaPolicy = from_js_arg(quota, "quota")?;
        let columns = Columns::read(columns)?;
        let data = from_js_arg(data, "data")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        let output = Output::read(options)?;
        let (_, report) =
            crmkit::forecast::forecast_quota_columns(&policy, &quota, &columns.as_deal_columns(), &data, as_of)?;
        Ok((report, output, policy, quota))
    };
    match run().map_err(|e| to_js_error(&e))? {
        (report, Output::Report, _, _) => to_js(&report),
        (report, Output::Columns, policy, quota) => {
            quota_table::table(report, &quota.group_by, policy.rounding.dp, quota.rate_dp)
        }
    }
}
