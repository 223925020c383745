//! The shared vectors in `tests/vectors/<domain>/*.json` are crmkit's cross-language
//! specification: this crate runs every case in Rust, `bindings-python/tests` and
//! `bindings-wasm/tests` run the same files in Python, Node and Chromium.
//!
//! A file is `{"function", "description", "cases": [...]}`; a case has `id`, `config`,
//! `input`, `as_of` and either `expected` (matched as a subset, see [`subset_mismatch`]) or
//! `expected_error: {code, path}`.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod commission_batches;
mod forecast_columns;
mod pool_batches;
pub mod quota_book;
mod scoring_columns;

/// Calls the crmkit function a vector file names, the way the bindings do: config and input
/// go through [`crmkit::wire::from_json`], `as_of` through [`crmkit::wire::parse_date`].
///
/// # Errors
///
/// The crmkit error of the call.
pub fn call(function: &str, config: &Value, input: &Value, as_of: &str) -> crmkit::Result<Value> {
    let field_of = member;
    let field = |name: &str| member(input, name);
    let output = match function {
        "forecast" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let deals: Vec<crmkit::forecast::Deal> = crmkit::wire::from_json(&field("deals"), "deals")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::forecast(&policy, &deals, as_of)?)
        }
        "allocate_target" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::allocate_target(&policy, &input, as_of)?)
        }
        "allocate_tree" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::allocate_tree(&policy, &input, as_of)?)
        }
        "forecast_ranges" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let settings = crmkit::wire::from_json_arg(&field_of(config, "ranges"), "settings")?;
            let deals: Vec<crmkit::forecast::Deal> = crmkit::wire::from_json(&field("deals"), "deals")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::forecast_ranges(&policy, &settings, &deals, as_of)?)
        }
        "funnel_history" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let events: Vec<crmkit::forecast::StageEvent> = crmkit::wire::from_json(&field("events"), "events")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::funnel_history(&policy, &events, as_of)?)
        }
        "compute_commission" => {
            let plan = crmkit::wire::from_json_arg(&config.to_string(), "plan")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::commission::compute_commission(&plan, &input, as_of)?)
        }
        "campaign_roi" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let campaigns: Vec<crmkit::roi::Campaign> = crmkit::wire::from_json(&field("campaigns"), "campaigns")?;
            serde_json::to_value(crmkit::roi::campaign_roi(&policy, &campaigns)?)
        }
        "attribute" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let journeys: Vec<crmkit::roi::Journey> = crmkit::wire::from_json(&field("journeys"), "journeys")?;
            serde_json::to_value(crmkit::roi::attribute(&policy, &journeys)?)
        }
        "compare_attribution" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let journeys: Vec<crmkit::roi::Journey> = crmkit::wire::from_json(&field("journeys"), "journeys")?;
            serde_json::to_value(crmkit::roi::compare_attribution(&policy, &journeys)?)
        }
        "compare_attribution_columns" => compare_attribution_columns(config, input)?,
        "campaign_roi_columns" => campaign_roi_columns(config, input)?,
        "score_leads" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let leads: Vec<crmkit::scoring::Lead> = crmkit::wire::from_json(&field("leads"), "leads")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::scoring::score_leads(&policy, &leads, as_of)?)
        }
        "forecast_columns" => forecast_columns::forecast(config, input, as_of)?,
        "quota_columns" => forecast_columns::quota(config, input, as_of)?,
        "quota_attainment" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let quota = crmkit::wire::from_json_arg(&field_of(config, "quota"), "quota")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::quota_attainment(&policy, &quota, &input, as_of)?)
        }
        "backtest" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let settings = crmkit::wire::from_json_arg(&field_of(config, "backtest"), "settings")?;
            let events: Vec<crmkit::forecast::StageEvent> = crmkit::wire::from_json(&field("events"), "events")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::backtest(&policy, &settings, &events, as_of)?)
        }
        "fiscal_periods" => {
            let fiscal_year = crmkit::wire::from_json_arg(&config.to_string(), "fiscal_year")?;
            let date = |name: &str| {
                let text: String = crmkit::wire::from_json(&field(name), name)?;
                crmkit::wire::parse_date(&text, name)
            };
            let (start, end) = (date("start")?, date("end")?);
            serde_json::to_value(crmkit::forecast::fiscal_periods(&fiscal_year, start, end)?)
        }
        "forecast_hierarchy" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let hierarchy = crmkit::wire::from_json_arg(&field_of(config, "hierarchy"), "hierarchy")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::forecast::forecast_hierarchy(&policy, &hierarchy, &input, as_of)?)
        }
        "lead_model_columns" => lead_model_columns(config, input, as_of)?,
        "score_columns" => scoring_columns::score_columns(config, input, as_of)?,
        "lead_model" => {
            let config = crmkit::wire::from_json_arg(&config.to_string(), "config")?;
            let leads: Vec<crmkit::scoring::Lead> = crmkit::wire::from_json(&field("leads"), "leads")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            let model = crmkit::scoring::train_lead_model(&config, &leads, as_of)?;
            // Read after training, as the Python and JS runners do (train, then predict):
            // an input bad in both places gives the same first error everywhere.
            let open: Vec<crmkit::scoring::Lead> = crmkit::wire::from_json(&field("open"), "leads")?;
            // The model is plain data: it goes through JSON as a caller would store it.
            let stored = serde_json::to_string(&model).expect("a model serialises");
            let model = crmkit::wire::from_json(&stored, "model")?;
            serde_json::to_value(crmkit::scoring::predict_leads(&model, &open)?)
        }
        "time_split" => {
            let leads: Vec<crmkit::scoring::Lead> = crmkit::wire::from_json(&field("leads"), "leads")?;
            let date_field: String = crmkit::wire::from_json(&field_of(config, "date_field"), "date_field")?;
            let cutoff: String = crmkit::wire::from_json(&field_of(config, "cutoff"), "cutoff")?;
            let cutoff = crmkit::wire::parse_date(&cutoff, "cutoff")?;
            serde_json::to_value(crmkit::scoring::time_split(&leads, &date_field, cutoff)?)
        }
        "calibration" => {
            let probabilities: Vec<f64> = crmkit::wire::from_json(&field("probabilities"), "probabilities")?;
            let outcomes: Vec<bool> = crmkit::wire::from_json(&field("outcomes"), "outcomes")?;
            let bins: Option<u32> = crmkit::wire::from_json(&field_of(config, "bins"), "bins")?;
            serde_json::to_value(crmkit::scoring::calibration(&probabilities, &outcomes, bins.unwrap_or(10))?)
        }
        "commission_columns" => commission_columns(config, input, as_of)?,
        "payment_interest_columns" => commission_batches::interest(config, input, as_of)?,
        "collections_columns" => commission_batches::collections(config, input, as_of)?,
        "payment_interest" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let batches: Vec<crmkit::commission::Batch> = crmkit::wire::from_json(&field("batches"), "batches")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::commission::payment_interest(&policy, &batches, as_of)?)
        }
        "collections" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let batches: Vec<crmkit::commission::Batch> = crmkit::wire::from_json(&field("batches"), "batches")?;
            let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
            serde_json::to_value(crmkit::commission::collections(&policy, &batches, as_of)?)
        }
        "route_discount" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let request = crmkit::wire::from_json_arg(&input.to_string(), "request")?;
            serde_json::to_value(crmkit::commission::route_discount(&policy, &request)?)
        }
        "normalize_company" => {
            let name: String = crmkit::wire::from_json(&field("name"), "name")?;
            serde_json::to_value(crmkit::dedup::normalize_company(&name)?)
        }
        "normalize_phone" => {
            let phone: String = crmkit::wire::from_json(&field("phone"), "phone")?;
            let country = config.get("default_country").map_or(Ok("86".to_owned()), |c| {
                crmkit::wire::from_json::<String>(&c.to_string(), "default_country")
            })?;
            serde_json::to_value(crmkit::dedup::normalize_phone(&phone, &country)?)
        }
        "normalize_email" => {
            let email: String = crmkit::wire::from_json(&field("email"), "email")?;
            serde_json::to_value(crmkit::dedup::normalize_email(&email)?)
        }
        "normalize_domain" => {
            let domain: String = crmkit::wire::from_json(&field("domain"), "domain")?;
            serde_json::to_value(crmkit::dedup::normalize_domain(&domain)?)
        }
        "normalize_person_name" => {
            let name: String = crmkit::wire::from_json(&field("name"), "name")?;
            serde_json::to_value(crmkit::dedup::normalize_person_name(&name)?)
        }
        "normalize_credit_code" => {
            let code: String = crmkit::wire::from_json(&field("code"), "credit_code")?;
            serde_json::to_value(crmkit::dedup::normalize_credit_code(&code)?)
        }
        "compare" => {
            let comparator = crmkit::wire::from_json(&config.to_string(), "comparator")?;
            let a: String = crmkit::wire::from_json(&field("a"), "a")?;
            let b: String = crmkit::wire::from_json(&field("b"), "b")?;
            serde_json::to_value(crmkit::dedup::compare(&comparator, &a, &b)?)
        }
        "match_records" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let a = crmkit::wire::from_json(&field("a"), "a")?;
            let b = crmkit::wire::from_json(&field("b"), "b")?;
            serde_json::to_value(crmkit::dedup::match_records(&policy, &a, &b)?)
        }
        "estimate_model" => {
            let (policy, settings, records) = dedup_batch(config, input)?;
            serde_json::to_value(crmkit::dedup::estimate_model(&policy, &settings, &records)?)
        }
        "find_duplicates" => {
            let (policy, settings, records) = dedup_batch(config, input)?;
            serde_json::to_value(crmkit::dedup::find_duplicates(&policy, &settings, &records)?)
        }
        "find_duplicates_columns" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let settings = crmkit::wire::from_json(&field_of(config, "settings"), "settings")?;
            let ids: Vec<String> = crmkit::wire::from_json(&field("ids"), "ids")?;
            let owners: Option<Vec<Option<String>>> = crmkit::wire::from_json(&field("owners"), "owners")?;
            let fields: std::collections::BTreeMap<String, Vec<Option<String>>> =
                crmkit::wire::from_json(&field("fields"), "fields")?;
            let fields: Vec<(String, Vec<Option<String>>)> = fields.into_iter().collect();
            let columns = crmkit::dedup::RecordColumns { ids: &ids, owners: owners.as_deref(), fields: &fields };
            serde_json::to_value(crmkit::dedup::find_duplicates_columns(&policy, &settings, &columns)?)
        }
        "blocking_keys" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let records: Vec<crmkit::dedup::DedupRecord> = crmkit::wire::from_json(&field("records"), "records")?;
            serde_json::to_value(crmkit::dedup::blocking_keys(&policy, &records)?)
        }
        "score_block" => {
            let (policy, settings, records) = dedup_batch(config, input)?;
            serde_json::to_value(crmkit::dedup::score_block(&policy, &settings, &records)?)
        }
        "cluster_pairs" => {
            let (policy, settings, records) = dedup_batch(config, input)?;
            let pairs: Vec<[String; 2]> = crmkit::wire::from_json(&field("pairs"), "pairs")?;
            serde_json::to_value(crmkit::dedup::cluster_pairs(&policy, &settings, &records, &pairs)?)
        }
        "link_records" => {
            let policy = crmkit::wire::from_json_arg(&field_of(config, "policy"), "policy")?;
            let limit: usize = crmkit::wire::from_json(&field_of(config, "limit"), "limit")?;
            let left: Vec<crmkit::dedup::DedupRecord> = crmkit::wire::from_json(&field("left"), "records")?;
            let right: Vec<crmkit::dedup::DedupRecord> = crmkit::wire::from_json(&field("right"), "right")?;
            serde_json::to_value(crmkit::dedup::link_records(&policy, &left, &right, limit)?)
        }
        "dedup_index" => dedup_index(config, input)?,
        "evaluate_pool" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let records: Vec<crmkit::pool::PoolRecord> = crmkit::wire::from_json(&field("records"), "records")?;
            let activities: Vec<crmkit::pool::PoolActivity> =
                crmkit::wire::from_json(&field("activities"), "activities")?;
            let as_of = crmkit::pool::AsOf::parse(as_of)?;
            serde_json::to_value(crmkit::pool::evaluate_pool(&policy, &records, &activities, as_of)?)
        }
        "check_claims" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            let as_of = crmkit::pool::AsOf::parse(as_of)?;
            serde_json::to_value(crmkit::pool::check_claims(&policy, &input, as_of)?)
        }
        "lint_pool" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            serde_json::to_value(crmkit::pool::lint_pool(&policy)?)
        }
        "simulate_pool" => {
            let a = crmkit::wire::from_json(&field_of(config, "a"), "a")?;
            let b = crmkit::wire::from_json(&field_of(config, "b"), "b")?;
            let records: Vec<crmkit::pool::PoolRecord> = crmkit::wire::from_json(&field("records"), "records")?;
            let activities: Vec<crmkit::pool::PoolActivity> =
                crmkit::wire::from_json(&field("activities"), "activities")?;
            let from = config.get("from").and_then(Value::as_str).unwrap_or_default();
            let (from, to) = (crmkit::wire::parse_date(from, "from")?, crmkit::wire::parse_date(as_of, "as_of")?);
            serde_json::to_value(crmkit::pool::simulate_pool(&a, &b, &records, &activities, from, to)?)
        }
        "assign_records" => {
            let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
            let input = crmkit::wire::from_json_arg(&input.to_string(), "input")?;
            serde_json::to_value(crmkit::pool::assign_records(&policy, &input)?)
        }
        "assign_records_columns" => pool_batches::assign(config, input)?,
        "check_claims_columns" => pool_batches::claims(config, input, as_of)?,
        other => panic!("vector names unknown function {other:?}"),
    };
    Ok(output.expect("crmkit outputs serialise to JSON"))
}

/// Names as a caller's categorical holds them: each name's code into `labels` (appended in
/// order of first appearance after the labels given, which no row need use), -1 for none.
pub fn first_seen_codes<'a>(
    names: impl IntoIterator<Item = Option<&'a str>>,
    mut labels: Vec<String>,
) -> (Vec<i32>, Vec<String>) {
    let codes = names
        .into_iter()
        .map(|n| {
            n.map_or(-1, |n| {
                labels.iter().position(|l| l == n).unwrap_or_else(|| {
                    labels.push(n.to_owned());
                    labels.len() - 1
                }) as i32
            })
        })
        .collect();
    (codes, labels)
}

/// A member's JSON text (`null` when absent, so the core reports its own type error).
fn member(v: &Value, name: &str) -> String {
    v.get(name).map_or_else(|| "null".to_owned(), Value::to_string)
}

/// The arguments of the dedup batch functions (`estimate_model`, `find_duplicates`,
/// `score_block`, `cluster_pairs`), read in the order every runner reads them: `config.policy`,
/// `config.settings`, `input.records`.
fn dedup_batch<S: serde::de::DeserializeOwned>(
    config: &Value,
    input: &Value,
) -> crmkit::Result<(crmkit::dedup::MatchPolicy, S, Vec<crmkit::dedup::DedupRecord>)> {
    let policy = crmkit::wire::from_json_arg(&member(config, "policy"), "policy")?;
    let settings = crmkit::wire::from_json(&member(config, "settings"), "settings")?;
    let records = crmkit::wire::from_json(&member(input, "records"), "records")?;
    Ok((policy, settings, records))
}

/// The `dedup_index` vectors: build, apply `ops`, optionally go through (altered) bytes, query.
fn dedup_index(config: &Value, input: &Value) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::dedup::{DedupIndex, DedupRecord};
    let json = |v: Option<&Value>| v.map_or_else(|| "null".to_owned(), Value::to_string);
    let policy = crmkit::wire::from_json_arg(&json(config.get("policy")), "policy")?;
    // No book is an empty index, as `new DedupIndex(policy)` and `DedupIndex(policy)` take it.
    let book: Vec<DedupRecord> = if input.get("book").is_none() {
        Vec::new()
    } else {
        crmkit::wire::from_json(&json(input.get("book")), "records")?
    };
    let mut index = DedupIndex::build(&policy, &book)?;
    for op in input.get("ops").and_then(Value::as_array).into_iter().flatten() {
        if let Some(r) = op.get("add") {
            index.add(&crmkit::wire::from_json(&r.to_string(), "record")?)?;
        } else if let Some(r) = op.get("update") {
            index.update(&crmkit::wire::from_json(&r.to_string(), "record")?)?;
        } else if let Some(id) = op.get("remove") {
            index.remove(&crmkit::wire::from_json::<String>(&id.to_string(), "id")?);
        }
    }
    if let Some(how) = input.get("bytes").and_then(Value::as_str) {
        index = DedupIndex::from_bytes(&alter_bytes(index.to_bytes(), how))?;
    }
    let Some(query) = input.get("query") else { return Ok(Ok(serde_json::json!({}))) };
    let limit: usize = crmkit::wire::from_json(&json(config.get("limit")), "limit")?;
    let record: DedupRecord = crmkit::wire::from_json(&query.to_string(), "record")?;
    Ok(serde_json::to_value(index.query(&record, limit)?))
}

/// The `lead_model_columns` vectors: `input.leads` as columns (each column the config trains
/// on that some lead has: the closing-date field as days, all-number columns as f64 with NaN
/// for none, anything else as text codes), trained by `train_lead_model_columns`, then
/// `predict_leads` over `input.open` as `lead_model` does.
fn lead_model_columns(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::scoring::{FieldData, LeadColumns, ModelConfig, NO_DATE};
    enum Column {
        Text(Vec<i32>, Vec<String>),
        Number(Vec<f64>),
        Date(Vec<i32>),
    }
    let config: ModelConfig = crmkit::wire::from_json_arg(&config.to_string(), "config")?;
    let leads = input.get("leads").and_then(Value::as_array).cloned().unwrap_or_default();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut columns = Vec::new();
    for name in crmkit::scoring::model_fields(&config)? {
        let values: Vec<&Value> = leads.iter().map(|l| l.get(&name).unwrap_or(&Value::Null)).collect();
        if values.iter().all(|v| v.is_null()) {
            continue;
        }
        let column = if name == config.closed_on_field {
            let days = values.iter().enumerate().map(|(i, v)| match v.as_str() {
                None => Ok(NO_DATE),
                Some(d) => Ok(crmkit::wire::parse_date(d, &format!("columns.{name}[{i}]"))?
                    .signed_duration_since(epoch)
                    .num_days() as i32),
            });
            Column::Date(days.collect::<crmkit::Result<_>>()?)
        } else if values.iter().all(|v| v.is_null() || v.is_number()) {
            Column::Number(values.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        } else {
            let mut labels: Vec<String> = Vec::new();
            let codes = values
                .iter()
                .map(|v| {
                    let text = match v {
                        Value::Null => return -1,
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    labels.iter().position(|l| *l == text).unwrap_or_else(|| {
                        labels.push(text);
                        labels.len() - 1
                    }) as i32
                })
                .collect();
            Column::Text(codes, labels)
        };
        columns.push((name, column));
    }
    let view = LeadColumns {
        rows: leads.len(),
        fields: columns
            .iter()
            .map(|(name, c)| {
                let data = match c {
                    Column::Text(codes, labels) => FieldData::Text { codes, labels },
                    Column::Number(v) => FieldData::Number(v),
                    Column::Date(v) => FieldData::Date(v),
                };
                (name.as_str(), data)
            })
            .collect(),
        events: None,
    };
    let model = crmkit::scoring::train_lead_model_columns(&config, &view, crmkit::wire::parse_date(as_of, "as_of")?)?;
    let open: Vec<crmkit::scoring::Lead> =
        crmkit::wire::from_json(&input.get("open").map_or_else(|| "null".to_owned(), Value::to_string), "leads")?;
    let stored = serde_json::to_string(&model).expect("a model serialises");
    let model = crmkit::wire::from_json(&stored, "model")?;
    Ok(serde_json::to_value(crmkit::scoring::predict_leads(&model, &open)?))
}

/// The `commission_columns` vectors: `input.rep` / `on` / `amount` / `refund` as columns
/// (reps as codes in first-appearance order, dates as days, amounts as decimals), `input.reps`
/// and `config` (the plan); the result in the shape every runner writes: per-row pay and
/// line money as decimal strings, codes as their labels (`tests/commission_columns_props.rs`
/// checks each case against `compute_commission` on the same transactions).
fn commission_columns(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::commission::{TransactionColumns, LINE_KINDS, LINE_REASONS};
    // Read in the order the JS runner and `commissionColumns` read, so that a case wrong in
    // two places names the same one: the columns' kinds, then the plan, the amounts' digits,
    // the original rates, the reps.
    let json = |v: Option<&Value>| v.map_or_else(|| "null".to_owned(), Value::to_string);
    let names: Vec<Option<String>> = crmkit::wire::from_json(&json(input.get("rep")), "rep")?;
    let (codes, labels) = first_seen_codes(names.iter().map(Option::as_deref), Vec::new());
    let on = day_column(input.get("on"), "on")?;
    let amounts = money_texts(input.get("amount"), "amount")?;
    let refund: Option<Vec<bool>> = crmkit::wire::from_json(&json(input.get("refund")), "refund")?;
    // Products and customer types as names (null: none), coded like the reps.
    let category = |name: &str| -> crmkit::Result<Option<(Vec<i32>, Vec<String>)>> {
        let Some(v) = input.get(name).filter(|v| !v.is_null()) else { return Ok(None) };
        let names: Vec<Option<String>> = crmkit::wire::from_json(&v.to_string(), name)?;
        Ok(Some(first_seen_codes(names.iter().map(Option::as_deref), Vec::new())))
    };
    let (product, customer_type) = (category("product")?, category("customer_type")?);
    // Rows (null or -1: none) and rates as decimal strings (null: none).
    let refers_to: Option<Vec<Option<i64>>> = crmkit::wire::from_json(&json(input.get("refers_to")), "refers_to")?;
    let refers_to: Option<Vec<i64>> = refers_to.map(|r| r.into_iter().map(|x| x.unwrap_or(-1)).collect());
    let plan = crmkit::wire::from_json_arg(&config.to_string(), "plan")?;
    let amounts = parse_texts(&amounts, "amount")?;
    let rates: Option<Vec<Option<String>>> =
        crmkit::wire::from_json(&json(input.get("original_rate")), "original_rate")?;
    let original_rate = rates
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, x)| {
                    x.as_ref().map(|t| crmkit::wire::parse_decimal(t, &format!("original_rate[{i}]"))).transpose()
                })
                .collect::<crmkit::Result<Vec<_>>>()
        })
        .transpose()?;
    let reps = input.get("reps").filter(|r| !r.is_null()).map_or_else(|| "[]".to_owned(), Value::to_string);
    let reps: Vec<crmkit::commission::RepInput> = crmkit::wire::from_json(&reps, "reps")?;
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    let columns = TransactionColumns {
        refund: refund.as_deref(),
        product: category_of(product.as_ref()),
        customer_type: category_of(customer_type.as_ref()),
        refers_to: refers_to.as_deref(),
        original_rate: original_rate.as_deref(),
        ..TransactionColumns::new(&codes, &labels, &on, crmkit::forecast::AmountColumn::Decimal(&amounts))
    };
    let out = crmkit::commission::commission_columns(&plan, &reps, &columns, as_of, true)?;
    let money = |units: i64, scale: u32| rust_decimal::Decimal::new(units, scale).to_string();
    let l = out.lines.as_ref().expect("asked for lines");
    let lines: Vec<Value> = (0..l.amount.len())
        .map(|j| {
            let reasons: Vec<_> = LINE_REASONS
                .iter()
                .enumerate()
                .filter(|(b, _)| l.reasons[j] & (1 << b) != 0)
                .map(|(_, r)| *r)
                .collect();
            serde_json::json!({
                "statement": if l.provisional[j] { "provisional" } else { "final" },
                "rep": out.reps[l.rep[j] as usize].rep, "step": l.step[j], "kind": LINE_KINDS[l.kind[j] as usize],
                "row": l.row[j], "tier": l.tier[j], "from": money(l.from[j], out.credit_scale),
                "to": money(l.to[j], out.credit_scale), "base": money(l.base[j], out.credit_scale),
                "rate": usize::try_from(l.rate[j]).ok().map(|c| out.rate_labels[c].to_string()),
                "multiplier": out.multiplier_labels[l.multiplier[j] as usize].to_string(),
                "amount": money(l.amount[j], out.scale), "reasons": reasons,
            })
        })
        .collect();
    Ok(serde_json::to_value(serde_json::json!({
        "scale": out.scale,
        "credit_scale": out.credit_scale,
        "reps": out.reps,
        "totals": out.totals,
        "provisional": out.provisional.iter().map(|&u| money(u, out.scale)).collect::<Vec<_>>(),
        "final": out.final_pay.iter().map(|&u| money(u, out.scale)).collect::<Vec<_>>(),
        "lines": lines,
    })))
}

/// A date column (`YYYY-MM-DD` or null) as days since 1970-01-01, `i64::MIN` for null.
pub(crate) fn day_column(value: Option<&Value>, name: &str) -> crmkit::Result<Vec<i64>> {
    let text = value.map_or_else(|| "null".to_owned(), Value::to_string);
    let dates: Vec<Option<String>> = crmkit::wire::from_json(&text, name)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    dates
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Some(d) => {
                Ok(crmkit::wire::parse_date(d, &format!("{name}[{i}]"))?.signed_duration_since(epoch).num_days())
            }
            None => Ok(i64::MIN),
        })
        .collect()
}

/// `compare_attribution_columns` over the vector's columns: channel names coded in order of
/// first appearance, dates as days, revenue as decimal strings (null: 0, where the journey did
/// not convert); read in the order the Python runner reads them.
fn compare_attribution_columns(config: &Value, input: &Value) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::roi::{CodeColumn, DayColumn, JourneyColumns};
    let json = |name: &str| input.get(name).map_or_else(|| "null".to_owned(), Value::to_string);
    let journey: Vec<i64> = crmkit::wire::from_json(&json("journey"), "journey")?;
    let names: Vec<String> = crmkit::wire::from_json(&json("channel"), "channel")?;
    let mut labels: Vec<String> = Vec::new();
    let channel: Vec<i32> = names
        .iter()
        .map(|n| {
            labels.iter().position(|l| l == n).unwrap_or_else(|| {
                labels.push(n.clone());
                labels.len() - 1
            }) as i32
        })
        .collect();
    let on = day_column(input.get("on"), "on")?;
    let converted_on = day_column(input.get("converted_on"), "converted_on")?;
    let revenue: Vec<Option<String>> = crmkit::wire::from_json(&json("revenue"), "revenue")?;
    let milestone: Option<Vec<Option<String>>> = crmkit::wire::from_json(&json("milestone"), "milestone")?;
    let milestone = milestone
        .map(|m| {
            m.iter()
                .enumerate()
                .map(|(i, m)| match m.as_deref() {
                    None => Ok(0i8),
                    Some("lead_created") => Ok(1),
                    Some("deal_created") => Ok(2),
                    Some(other) => Err(crmkit::Error::InvalidValue {
                        path: format!("milestone[{i}]"),
                        reason: format!("{other:?} is not lead_created or deal_created"),
                    }),
                })
                .collect::<crmkit::Result<Vec<i8>>>()
        })
        .transpose()?;
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let revenue = revenue
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.as_deref()
                .map_or(Ok(rust_decimal::Decimal::ZERO), |t| crmkit::wire::parse_decimal(t, &format!("revenue[{i}]")))
        })
        .collect::<crmkit::Result<Vec<_>>>()?;
    let columns = JourneyColumns {
        journey: &journey,
        channel: CodeColumn::I32(&channel),
        channel_labels: &labels,
        on: DayColumn::days(&on),
        revenue: crmkit::forecast::AmountColumn::Decimal(&revenue),
        converted_on: DayColumn::days(&converted_on),
        milestone: milestone.as_deref(),
    };
    Ok(serde_json::to_value(crmkit::roi::compare_attribution_columns(&policy, &columns)?))
}

/// `campaign_roi_columns` over the vector's columns: ids and channels coded in order of first
/// appearance (null: -1), money as decimal strings (null in `budget` / `expected_revenue`: none),
/// dates as days (null: none), counts as integers (null in `new_customers`: none); read in the
/// order the Python runner reads them.
fn campaign_roi_columns(config: &Value, input: &Value) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::forecast::{AmountColumn, KeyColumn};
    use crmkit::roi::CampaignColumns;
    let json = |name: &str| input.get(name).map_or_else(|| "null".to_owned(), Value::to_string);
    let names = |name: &str| -> crmkit::Result<(Vec<i32>, Vec<String>)> {
        let cells: Vec<Option<String>> = crmkit::wire::from_json(&json(name), name)?;
        Ok(first_seen_codes(cells.iter().map(Option::as_deref), Vec::new()))
    };
    let (id, id_labels) = names("id")?;
    let (channel, channel_labels) = names("channel")?;
    // Money cells: decimal strings; null where the field is left out (sparse columns only).
    let money = |name: &str, sparse: bool| -> crmkit::Result<Option<(Vec<rust_decimal::Decimal>, Vec<bool>)>> {
        let Some(v) = input.get(name) else { return Ok(None) };
        let cells: Vec<Value> = crmkit::wire::from_json(&v.to_string(), name)?;
        let missing: Vec<bool> = cells.iter().map(|c| sparse && c.is_null()).collect();
        let filled: Vec<Value> =
            cells.into_iter().map(|c| if sparse && c.is_null() { Value::from("0") } else { c }).collect();
        let texts = money_texts(Some(&Value::Array(filled)), name)?;
        Ok(Some((parse_texts(&texts, name)?, missing)))
    };
    let cost = money("cost", false)?.unwrap_or_default();
    let won_revenue = money("won_revenue", false)?;
    let budget = money("budget", true)?;
    let expected = money("expected_revenue", true)?;
    let days = |name: &str| input.get(name).map(|v| day_column(Some(v), name)).transpose();
    let (start_on, end_on) = (days("start_on")?, days("end_on")?);
    let count = |name: &str| -> crmkit::Result<Option<Vec<i64>>> {
        let Some(v) = input.get(name) else { return Ok(None) };
        let cells: Vec<Option<i64>> = crmkit::wire::from_json(&v.to_string(), name)?;
        Ok(Some(cells.into_iter().map(|c| c.unwrap_or(i64::MIN)).collect()))
    };
    let counts = ["leads", "customers", "opportunities", "won", "new_customers"].map(count);
    let [leads, customers, opportunities, won, new_customers] = counts;
    let (leads, customers, opportunities, won, new_customers) =
        (leads?, customers?, opportunities?, won?, new_customers?);
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = CampaignColumns {
        id: KeyColumn { codes: &id, labels: &id_labels },
        channel: KeyColumn { codes: &channel, labels: &channel_labels },
        cost: AmountColumn::Decimal(&cost.0),
        won_revenue: won_revenue.as_ref().map(|(d, _)| AmountColumn::Decimal(d)),
        budget: sparse_decimals(budget.as_ref()),
        expected_revenue: sparse_decimals(expected.as_ref()),
        start_on: start_on.as_deref(),
        end_on: end_on.as_deref(),
        leads: leads.as_deref(),
        customers: customers.as_deref(),
        opportunities: opportunities.as_deref(),
        won: won.as_deref(),
        new_customers: new_customers.as_deref(),
    };
    Ok(serde_json::to_value(crmkit::roi::campaign_roi_columns(&policy, &columns)?))
}

/// Decimals with their empty rows as a sparse amount column.
fn sparse_decimals(m: Option<&(Vec<rust_decimal::Decimal>, Vec<bool>)>) -> Option<crmkit::roi::SparseAmounts<'_>> {
    m.map(|(d, missing)| crmkit::roi::SparseAmounts {
        amounts: crmkit::forecast::AmountColumn::Decimal(d),
        missing: Some(missing),
    })
}

/// A money column's cells as the wire takes money: decimal strings, or integers (whole
/// units) as their text; a float is `invalid_decimal`, anything else `invalid_type`. The
/// digits are read later ([`parse_texts`]), where the bindings read them.
pub(crate) fn money_texts(value: Option<&Value>, name: &str) -> crmkit::Result<Vec<String>> {
    let text = value.map_or_else(|| "null".to_owned(), Value::to_string);
    let cells: Vec<Value> = crmkit::wire::from_json(&text, name)?;
    cells
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let refused = |kind, message: &str| crmkit::Error::Parse {
                kind,
                path: format!("{name}[{i}]"),
                message: message.into(),
            };
            match a {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
                Value::Number(_) => Err(refused(crmkit::ParseKind::Decimal, "a float is not money")),
                _ => Err(refused(crmkit::ParseKind::Type, "expected a decimal string")),
            }
        })
        .collect()
}

/// [`money_texts`]' cells as decimals (`invalid_decimal` at `name[i]`).
pub(crate) fn parse_texts(texts: &[String], name: &str) -> crmkit::Result<Vec<rust_decimal::Decimal>> {
    texts.iter().enumerate().map(|(i, t)| crmkit::wire::parse_decimal(t, &format!("{name}[{i}]"))).collect()
}

fn category_of(c: Option<&(Vec<i32>, Vec<String>)>) -> Option<crmkit::commission::Category<'_>> {
    c.map(|(codes, labels)| crmkit::commission::Category { codes, labels })
}

/// The alterations the `dedup_index` vectors name (the same in every runner).
pub fn alter_bytes(mut bytes: Vec<u8>, how: &str) -> Vec<u8> {
    match how {
        "flip_last" => {
            if let Some(b) = bytes.last_mut() {
                *b ^= 1;
            }
        }
        "truncate" => bytes.truncate(bytes.len().saturating_sub(10)),
        "version_2" => bytes[8..12].copy_from_slice(&2u32.to_le_bytes()),
        "garbage" => bytes = b"not an index at all, no".to_vec(),
        _ => {}
    }
    bytes
}

/// `None` when every key of `expected` is in `actual` with a matching value (recursively;
/// arrays must have equal length and match element by element; a key expected `null` may be
/// left out); otherwise where and how they differ.
pub fn subset_mismatch(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    subset_mismatch_within(expected, actual, at, 0.0)
}

/// [`subset_mismatch`], with numbers equal when within `tolerance` of each other (a case's
/// `tolerance` member: float scores and probabilities computed by an independent model).
pub fn subset_mismatch_within(expected: &Value, actual: &Value, at: &str, tolerance: f64) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, v)| match a.get(k) {
            Some(av) => subset_mismatch_within(v, av, &format!("{at}.{k}"), tolerance),
            // An expected null: the output leaves the key out (or gives null).
            None if v.is_null() => None,
            None => Some(format!("{at}.{k}: missing in output")),
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| subset_mismatch_within(ev, av, &format!("{at}[{i}]"), tolerance)),
        (e, a) if e == a => None,
        (Value::Number(e), Value::Number(a))
            if tolerance > 0.0 && e.as_f64().zip(a.as_f64()).is_some_and(|(e, a)| (e - a).abs() <= tolerance) =>
        {
            None
        }
        (e, a) => Some(format!("{at}: expected {e}, got {a}")),
    }
}

/// Every vector file, sorted.
pub fn vector_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/vectors exists")
        .map(|d| d.expect("readable").path())
        .filter(|p| p.is_dir())
        .flat_map(|d| std::fs::read_dir(d).expect("domain folder"))
        .map(|f| f.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The `n`-th node of `v` (pre-order, `v` itself is node 0), replaced by `with`: how the fuzz
/// test and the parity example mutate a vector case. False when `v` has `n` nodes or fewer
/// (`n` is then decreased by their count).
pub fn replace_nth(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|x| replace_nth(x, n, with)),
        Value::Object(map) => map.values_mut().any(|x| replace_nth(x, n, with)),
        _ => false,
    }
}
