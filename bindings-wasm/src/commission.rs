//! The commission functions the npm package exports.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, from_js_arg, reply, string_arg};

/// Each rep's commission for the period: provisional and final pay with one statement line
/// per computation step, the true-up, and who was credited what. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = computeCommission, unchecked_return_type = "CommissionReport")]
pub fn compute_commission(
    #[wasm_bindgen(unchecked_param_type = "CommissionPlan")] plan: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommissionInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let plan = from_js_arg(plan, "plan")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::commission::compute_commission(&plan, &input, as_of)
    };
    reply(run())
}

/// Early-payment bonus and late-payment penalty interest per invoice / shipment batch, on a
/// declared day-count basis with grace days. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = paymentInterest, unchecked_return_type = "InterestReport")]
pub fn payment_interest(
    #[wasm_bindgen(unchecked_param_type = "InterestPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Batch[]")] batches: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let batches: Vec<crmkit::commission::Batch> = from_js(batches, "batches")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::commission::payment_interest(&policy, &batches, as_of)
    };
    reply(run())
}

/// Receivables at `asOf`: per batch days past due, aging bucket and warning level; aging
/// totals; per customer the credit grade with its published thresholds; DSO. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = collections, unchecked_return_type = "CollectionsReport")]
pub fn collections(
    #[wasm_bindgen(unchecked_param_type = "CollectionsPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Batch[]")] batches: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let batches: Vec<crmkit::commission::Batch> = from_js(batches, "batches")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::commission::collections(&policy, &batches, as_of)
    };
    reply(run())
}

/// Discount approval routing: the bands a price falls below add their approvers to the
/// chain, each with the reason. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = routeDiscount, unchecked_return_type = "DiscountRoute")]
pub fn route_discount(
    #[wasm_bindgen(unchecked_param_type = "DiscountPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DiscountRequest")] request: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let request = from_js_arg(request, "request")?;
        crmkit::commission::route_discount(&policy, &request)
    };
    reply(run())
}
