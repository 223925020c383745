//! The commission functions the npm package exports.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, reply, string_arg};

/// Each rep's commission for the period: provisional and final pay with one statement line
/// per computation step, the true-up, and who was credited what. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = computeCommission, unchecked_return_type = "CommissionReport")]
pub fn compute_commission(
    #[wasm_bindgen(unchecked_param_type = "CommissionPlan")] plan: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommissionInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let plan = from_js(plan, "")?;
        let input = from_js(input, "")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::commission::compute_commission(&plan, &input, as_of)
    };
    reply(run())
}
