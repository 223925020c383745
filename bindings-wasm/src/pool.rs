//! The public pool (公海池) exports.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, from_js_arg, reply, string_arg};

#[wasm_bindgen(typescript_custom_section)]
const TS_POOL_TYPES: &str = r#"
/** An instant: an RFC 3339 timestamp with its offset, e.g. `"2026-11-23T09:30:00+08:00"`; outputs are written in the pool's time zone. */
export type Instant = string;
"#;

/// One decision per record of the public pool: keep, warn, recycle or exempt, with `due_at`,
/// `warn_at` and reasons. `asOf` is `YYYY-MM-DD` (the end of that day in each pool's zone) or
/// an RFC 3339 timestamp with an offset. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = evaluatePool, unchecked_return_type = "PoolReport")]
pub fn evaluate_pool(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolActivity[]")] activities: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let records: Vec<crmkit::pool::PoolRecord> = from_js(records, "records")?;
        let activities: Vec<crmkit::pool::PoolActivity> = from_js(activities, "activities")?;
        let as_of = crmkit::pool::AsOf::parse(&string_arg(as_of, "as_of")?)?;
        crmkit::pool::evaluate_pool(&policy, &records, &activities, as_of)
    };
    reply(run())
}

/// Decides claims (领取) in order: holdings limit, daily limit from the ledger, cool-down over
/// the whole ownership history, embargo. A refused claim changes nothing. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = checkClaims, unchecked_return_type = "ClaimReport")]
pub fn check_claims(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "ClaimInput")] input: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let input = from_js_arg(input, "input")?;
        let as_of = crmkit::pool::AsOf::parse(&string_arg(as_of, "as_of")?)?;
        crmkit::pool::check_claims(&policy, &input, as_of)
    };
    reply(run())
}

/// Assigns records (分配): first matching route, then the team's strategy (round robin from
/// the cursors passed in, weighted seeded draws, least loaded), skipping inactive reps and
/// reps at capacity, else the fallback queue; returns the cursors for the next run. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = assignRecords, unchecked_return_type = "AssignReport")]
pub fn assign_records(
    #[wasm_bindgen(unchecked_param_type = "AssignPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "AssignInput")] input: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let input = from_js_arg(input, "input")?;
        crmkit::pool::assign_records(&policy, &input)
    };
    reply(run())
}

/// Lints a pool policy: findings (code, path, message) for settings that validate but
/// probably do not do what was meant. Throws a `CrmkitError` for an invalid policy.
#[wasm_bindgen(js_name = lintPool, unchecked_return_type = "LintReport")]
pub fn lint_pool(#[wasm_bindgen(unchecked_param_type = "PoolPolicy")] policy: &JsValue) -> Result<JsValue, JsValue> {
    let run = || crmkit::pool::lint_pool(&from_js_arg(policy, "policy")?);
    reply(run())
}

/// Replays a historical book from `from` to `to` (`YYYY-MM-DD`) under policies `a` and `b`:
/// recycled records per owner and day, side by side. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = simulatePool, unchecked_return_type = "SimulationReport")]
pub fn simulate_pool(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] b: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolActivity[]")] activities: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] from: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] to: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let (a, b) = (from_js(a, "a")?, from_js(b, "b")?);
        let records: Vec<crmkit::pool::PoolRecord> = from_js(records, "records")?;
        let activities: Vec<crmkit::pool::PoolActivity> = from_js(activities, "activities")?;
        let from = crmkit::wire::parse_date(&string_arg(from, "from")?, "from")?;
        let to = crmkit::wire::parse_date(&string_arg(to, "as_of")?, "as_of")?;
        crmkit::pool::simulate_pool(&a, &b, &records, &activities, from, to)
    };
    reply(run())
}
