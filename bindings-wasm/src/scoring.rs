//! Lead scoring: `scoreLeads`.

use crmkit::scoring::{FieldColumn, GroupedEvents, OwnedLeadColumns};
use crmkit::Error;
use js_sys::Float64Array;
use wasm_bindgen::prelude::*;

use crate::columns::{get, int32, optional, strings, type_error};
use crate::convert::{from_js, from_js_arg, reply, string_arg};

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
        let policy = from_js_arg(policy, "policy")?;
        let leads: Vec<crmkit::scoring::Lead> = from_js(leads, "leads")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::scoring::score_leads(&policy, &leads, as_of)
    };
    reply(run())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_SCORING_COLUMNS: &str = r#"
/** A text column: per-row codes into `labels`, -1 for none. */
export interface TextColumn {
    codes: Int32Array;
    labels: string[];
}
/** A date column: days since 1970-01-01, -2147483648 for none. */
export interface DateColumn {
    days: Int32Array;
}
/** Leads as columns for `scoreLeadsColumns`: row `i` is one lead. */
export interface LeadColumns {
    /** Number of leads. */
    rows: number;
    /** The policy's fields: numbers (NaN for none), text or dates. */
    fields: Record<string, Float64Array | TextColumn | DateColumn>;
    /** Events, one entry per event: its lead's row, its type, its date. */
    events?: { lead: Int32Array; type: TextColumn; on: Int32Array };
}
"#;

/// Leads as columns read from JS (`LeadColumns`), into the core's owned form.
fn read_columns(value: &JsValue) -> Result<OwnedLeadColumns, Error> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(type_error("columns", "a columns object", value));
    }
    let rows = get(value, "rows", "columns.rows")?;
    #[allow(clippy::float_cmp)] // a whole number, exactly
    let rows = rows
        .as_f64()
        .filter(|r| r.trunc() == *r && *r >= 0.0 && *r <= f64::from(u32::MAX))
        .ok_or_else(|| type_error("columns.rows", "a whole number", &rows))? as usize;
    let fields_obj = get(value, "fields", "columns.fields")?;
    if !fields_obj.is_object() {
        return Err(type_error("columns.fields", "an object of columns", &fields_obj));
    }
    let mut fields = Vec::new();
    for key in js_sys::Object::keys(fields_obj.unchecked_ref::<js_sys::Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        let path = format!("columns.{name}");
        let col = get(&fields_obj, &name, &path)?;
        let column = if let Some(f) = col.dyn_ref::<Float64Array>() {
            FieldColumn::Number(f.to_vec())
        } else if let Some(days) = optional(&col, "days") {
            FieldColumn::Date(int32(&days, &format!("{path}.days"))?)
        } else if col.is_object() {
            let codes = int32(&get(&col, "codes", &format!("{path}.codes"))?, &format!("{path}.codes"))?;
            let labels = strings(&get(&col, "labels", &format!("{path}.labels"))?, &format!("{path}.labels"))?;
            FieldColumn::Text { codes, labels }
        } else {
            return Err(type_error(&path, "a Float64Array, {codes, labels} or {days}", &col));
        };
        fields.push((name, column));
    }
    let events = match optional(value, "events") {
        None => None,
        Some(ev) => {
            let lead: Vec<i64> =
                int32(&get(&ev, "lead", "events.lead")?, "events.lead")?.into_iter().map(i64::from).collect();
            let ty = get(&ev, "type", "events.type")?;
            let codes = int32(&get(&ty, "codes", "events.type.codes")?, "events.type.codes")?;
            let labels = strings(&get(&ty, "labels", "events.type.labels")?, "events.type.labels")?;
            let on = int32(&get(&ev, "on", "events.on")?, "events.on")?;
            Some((GroupedEvents::group(&lead, &codes, &on, rows)?, labels))
        }
    };
    Ok(OwnedLeadColumns { rows, fields, events })
}

/// Scores and ranks leads given as typed-array columns: score, fit, engagement, rank, grade
/// and tier codes and the top reasons as rule codes, one entry per lead. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = scoreLeadsColumns, unchecked_return_type = "ScoreColumns")]
pub fn score_leads_columns(
    #[wasm_bindgen(unchecked_param_type = "ScoringPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeadColumns")] columns: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let columns = read_columns(columns)?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::scoring::score_columns(&policy, &columns.view(), as_of)
    };
    reply(run())
}

/// The lead fields a scoring policy reads and the kind the core reads each as (`"text"`,
/// `"number"`, `"date"`, `"any"`: a tie-break no condition reads, `"presence"`: `exists` /
/// `missing` only), so a caller building `LeadColumns` for `scoreLeadsColumns` sends only
/// those, each as a column of its kind. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = scoringFields, unchecked_return_type = "[string, string][]")]
pub fn scoring_fields(
    #[wasm_bindgen(unchecked_param_type = "ScoringPolicy")] policy: &JsValue,
) -> Result<JsValue, JsValue> {
    let kinds = from_js_arg(policy, "policy").and_then(|p| crmkit::scoring::policy_field_kinds(&p));
    reply(kinds.map(|k| k.into_iter().map(|(name, kind)| (name, kind.as_str())).collect::<Vec<_>>()))
}

/// The lead columns `trainLeadModelColumns` reads under `config` (outcome, stage, team,
/// closing date with `half_life_days`, then each feature's), so a caller sends only those.
/// Throws a `CrmkitError`.
#[wasm_bindgen(js_name = modelFields, unchecked_return_type = "string[]")]
pub fn model_fields(
    #[wasm_bindgen(unchecked_param_type = "ModelConfig")] config: &JsValue,
) -> Result<JsValue, JsValue> {
    reply(from_js_arg(config, "config").and_then(|c| crmkit::scoring::model_fields(&c)))
}

/// Trains the learned model on closed leads given as typed-array columns (`LeadColumns`
/// without events; row `i` is one closed lead): the outcome, stage, team and closing-date
/// columns and one per configured field, the model `trainLeadModel` gives for the same leads
/// as objects. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = trainLeadModelColumns, unchecked_return_type = "LeadModel")]
pub fn train_lead_model_columns(
    #[wasm_bindgen(unchecked_param_type = "ModelConfig")] config: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeadColumns")] columns: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let config = from_js_arg(config, "config")?;
        let columns = read_columns(columns)?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::scoring::train_lead_model_columns(&config, &columns.view(), as_of)
    };
    reply(run())
}

/// Trains the learned model on closed leads (`outcome` "won" / "lost"): `odoo` (Odoo's
/// formula) or `bayes` (the improved naive Bayes). The model is plain data: store it and
/// pass it to `predictLeads`. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = trainLeadModel, unchecked_return_type = "LeadModel")]
pub fn train_lead_model(
    #[wasm_bindgen(unchecked_param_type = "ModelConfig")] config: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Lead[]")] leads: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let config = from_js_arg(config, "config")?;
        let leads: Vec<crmkit::scoring::Lead> = from_js(leads, "leads")?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::scoring::train_lead_model(&config, &leads, as_of)
    };
    reply(run())
}

/// Each lead's probability of winning under a trained model, with additive log-odds
/// contributions summing to its logit. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = predictLeads, unchecked_return_type = "PredictionReport")]
pub fn predict_leads(
    #[wasm_bindgen(unchecked_param_type = "LeadModel")] model: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Lead[]")] leads: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let model = from_js(model, "model")?;
        let leads: Vec<crmkit::scoring::Lead> = from_js(leads, "leads")?;
        crmkit::scoring::predict_leads(&model, &leads)
    };
    reply(run())
}

/// Calibration of predicted probabilities against outcomes: Brier score, log loss, AUC and
/// reliability bins (default 10). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = calibration, unchecked_return_type = "CalibrationReport")]
pub fn calibration(
    #[wasm_bindgen(unchecked_param_type = "Float64Array | number[]")] probabilities: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "boolean[]")] outcomes: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] bins: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let p: Vec<f64> = match probabilities.dyn_ref::<Float64Array>() {
            Some(f) => f.to_vec(),
            None => from_js(probabilities, "probabilities")?,
        };
        let outcomes: Vec<bool> = from_js(outcomes, "outcomes")?;
        let bins: Option<u32> = from_js(bins, "bins")?;
        crmkit::scoring::calibration(&p, &outcomes, bins.unwrap_or(10))
    };
    reply(run())
}

/// Indices of the leads closed before `cutoff` (train) and on or after it (test), by their
/// `dateField`. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = timeSplit, unchecked_return_type = "TimeSplit")]
pub fn time_split(
    #[wasm_bindgen(unchecked_param_type = "Lead[]")] leads: &JsValue,
    #[wasm_bindgen(js_name = dateField, unchecked_param_type = "string")] date_field: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] cutoff: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let leads: Vec<crmkit::scoring::Lead> = from_js(leads, "leads")?;
        let field = string_arg(date_field, "date_field")?;
        let cutoff = crmkit::wire::parse_date(&string_arg(cutoff, "cutoff")?, "cutoff")?;
        crmkit::scoring::time_split(&leads, &field, cutoff)
    };
    reply(run())
}
