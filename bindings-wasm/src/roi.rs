//! Marketing ROI and attribution exports.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, reply};

/// ROI metrics per campaign, channel, channel group, period and in total, with the funnel in
/// both views; a ratio over zero is `null` with a reason, never infinite. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = campaignRoi, unchecked_return_type = "RoiReport")]
pub fn campaign_roi(
    #[wasm_bindgen(unchecked_param_type = "RoiPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Campaign[]")] campaigns: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js(policy, "")?;
        let campaigns: Vec<crmkit::roi::Campaign> = from_js(campaigns, "campaigns")?;
        crmkit::roi::campaign_roi(&policy, &campaigns)
    };
    reply(run())
}

/// Attribution of each journey's revenue to its touches under `policy.model`; credits are
/// decimal strings summing exactly to each journey's rounded revenue. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = attribute, unchecked_return_type = "AttributionReport")]
pub fn attribute(
    #[wasm_bindgen(unchecked_param_type = "AttributionPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Journey[]")] journeys: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js(policy, "")?;
        let journeys: Vec<crmkit::roi::Journey> = from_js(journeys, "journeys")?;
        crmkit::roi::attribute(&policy, &journeys)
    };
    reply(run())
}
