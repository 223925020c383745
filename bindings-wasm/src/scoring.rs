//! Lead scoring: `scoreLeads`.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, reply, string_arg};

#[wasm_bindgen(typescript_custom_section)]
const TS_SCORING: &str = r#"
/** A field value of a lead: text (dates as `YYYY-MM-DD`), a number, a boolean or null. */
export type FieldValue = string | number | boolean | null;

/** A lead for `scoreLeads`: `id`, `events`, and any other members as its fields. */
export interface Lead {
    id: string;
    events?: LeadEvent[];
    [field: string]: FieldValue | LeadEvent[] | undefined;
}
"#;

/// Scores and ranks leads under a rule policy at `asOf`: fit, engagement, total, grade, tier,
/// rank and the itemised contributions of every lead. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = scoreLeads, unchecked_return_type = "ScoreReport")]
pub fn score_leads(
    #[wasm_bindgen(unchecked_param_type = "ScoringPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Lead[]")] leads: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js(policy, "")?;
        let leads: Vec<crmkit::scoring::Lead> = from_js(leads, "leads")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::scoring::score_leads(&policy, &leads, as_of)
    };
    reply(run())
}
