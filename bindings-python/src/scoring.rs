//! Lead scoring: rules (`score_leads`, `score_columns`), the learned model
//! (`train_lead_model`, `predict_leads`) and its evaluation (`calibration`, `time_split`).

use std::borrow::Cow;

use crmkit::scoring::{FieldData, GroupedEvents, Lead, LeadColumns, ModelConfig, ScoringPolicy};
use crmkit::wire::{from_json, parse_date};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::{run, slice};

/// `score_leads(policy_json, leads_json, as_of) -> dict`: [`crmkit::scoring::score_leads`]
/// over JSON text (written by `crmkit._wire`), `as_of` as `YYYY-MM-DD`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn score_leads(
    py: Python<'_>,
    policy_json: String,
    leads_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: ScoringPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let leads: Vec<Lead> = from_json(&leads_json, "leads")?;
        crmkit::scoring::score_leads(&policy, &leads, parse_date(&as_of, "as_of")?)
    })
}

/// `scoring_fields(policy_json) -> list[tuple[str, str]]`: the lead fields a policy reads and
/// the kind the core reads each as (`"text"`, `"number"`, `"date"`, `"any"`, `"presence"`:
/// [`crmkit::scoring::policy_field_kinds`]), so the Python side sends only those columns, a
/// column of `Decimal` objects as numbers where numbers may be read, without walking the
/// policy itself.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn scoring_fields(policy_json: String) -> PyResult<Vec<(String, &'static str)>> {
    let policy: ScoringPolicy = crmkit::wire::from_json_arg(&policy_json, "policy").map_err(crate::to_py_err)?;
    let kinds = crmkit::scoring::policy_field_kinds(&policy).map_err(crate::to_py_err)?;
    Ok(kinds.into_iter().map(|(name, kind)| (name, kind.as_str())).collect())
}

/// One column as the DataFrame holds it.
enum Column<'py> {
    Number(PyReadonlyArray1<'py, f64>),
    Date(PyReadonlyArray1<'py, i32>),
    Text(PyReadonlyArray1<'py, i32>, Vec<String>),
}

impl<'py> Column<'py> {
    /// `("number", float64)`, `("date", int32 days)` or `("text", (int32 codes, labels))`.
    fn extract(kind: &str, data: &Bound<'py, PyAny>) -> PyResult<Self> {
        match kind {
            "number" => Ok(Self::Number(data.extract()?)),
            "date" => Ok(Self::Date(data.extract()?)),
            "text" => {
                let (codes, labels): (PyReadonlyArray1<'py, i32>, Vec<String>) = data.extract()?;
                Ok(Self::Text(codes, labels))
            }
            other => Err(PyTypeError::new_err(format!("column kind {other:?}"))),
        }
    }
}

enum Data<'a> {
    Number(Cow<'a, [f64]>),
    Date(Cow<'a, [i32]>),
    Text(Cow<'a, [i32]>, &'a [String]),
}

/// The `[(name, kind, data)]` columns of `score_columns` / `train_lead_model_columns`, read
/// (numpy arrays borrowed where contiguous).
fn extract_columns<'a, 'py>(
    fields: &'a [(String, String, Bound<'py, PyAny>)],
) -> PyResult<Vec<(&'a str, Column<'py>)>> {
    fields.iter().map(|(name, kind, data)| Ok((name.as_str(), Column::extract(kind, data)?))).collect()
}

/// The slices of [`extract_columns`]' arrays, taken before the GIL is released.
fn column_data<'a>(columns: &'a [(&'a str, Column<'_>)]) -> Vec<(&'a str, Data<'a>)> {
    columns
        .iter()
        .map(|(name, c)| {
            let d = match c {
                Column::Number(a) => Data::Number(slice(a)),
                Column::Date(a) => Data::Date(slice(a)),
                Column::Text(a, labels) => Data::Text(slice(a), labels),
            };
            (*name, d)
        })
        .collect()
}

/// The core's view of [`column_data`].
fn field_data<'a>(data: &'a [(&'a str, Data<'a>)]) -> Vec<(&'a str, FieldData<'a>)> {
    data.iter()
        .map(|(name, d)| {
            let f = match d {
                Data::Number(v) => FieldData::Number(v),
                Data::Date(v) => FieldData::Date(v),
                Data::Text(codes, labels) => FieldData::Text { codes, labels },
            };
            (*name, f)
        })
        .collect()
}

/// `score_columns(policy_json, rows, fields, events, as_of) -> dict of columns`:
/// [`crmkit::scoring::score_columns`]. `fields` is `[(name, kind, data)]` (see
/// [`Column::extract`]); `events` is `None` or `(lead_rows int64, (type codes int32, labels),
/// on int32 days)`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value, clippy::type_complexity)]
pub fn score_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    rows: usize,
    fields: Vec<(String, String, Bound<'py, PyAny>)>,
    events: Option<(PyReadonlyArray1<'py, i64>, (PyReadonlyArray1<'py, i32>, Vec<String>), PyReadonlyArray1<'py, i32>)>,
    as_of: String,
) -> PyResult<Bound<'py, PyAny>> {
    let columns = extract_columns(&fields)?;
    let data = column_data(&columns);
    let events = events.as_ref().map(|(lead, (types, labels), on)| (slice(lead), slice(types), labels, slice(on)));
    let result = py.detach(|| {
        let policy: ScoringPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let grouped = match &events {
            Some((lead, types, labels, on)) => Some((GroupedEvents::group(lead, types, on, rows)?, *labels)),
            None => None,
        };
        let columns = LeadColumns {
            rows,
            fields: field_data(&data),
            events: grouped.as_ref().map(|(g, labels)| g.columns(labels)),
        };
        crmkit::scoring::score_columns(&policy, &columns, parse_date(&as_of, "as_of")?)
    });
    let out = result.map_err(crate::to_py_err)?;
    // Columns as numpy arrays built here: a million-row answer as Python lists would cost
    // more than the scoring.
    let dict = PyDict::new(py);
    dict.set_item("score", out.score.into_pyarray(py))?;
    dict.set_item("fit", out.fit.into_pyarray(py))?;
    dict.set_item("engagement", out.engagement.into_pyarray(py))?;
    dict.set_item("rank", out.rank.into_iter().map(i64::from).collect::<Vec<_>>().into_pyarray(py))?;
    dict.set_item("grade", out.grade.into_pyarray(py))?;
    dict.set_item("grade_labels", out.grade_labels)?;
    dict.set_item("tier", out.tier.into_pyarray(py))?;
    dict.set_item("tier_labels", out.tier_labels)?;
    let reasons = PyList::empty(py);
    for column in out.reasons {
        reasons.append(column.into_pyarray(py))?;
    }
    dict.set_item("reasons", reasons)?;
    dict.set_item("rule_ids", out.rule_ids)?;
    Ok(dict.into_any())
}

/// `train_lead_model(config_json, leads_json, as_of) -> dict`: the trained model.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn train_lead_model(
    py: Python<'_>,
    config_json: String,
    leads_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let config: ModelConfig = crmkit::wire::from_json_arg(&config_json, "config")?;
        let leads: Vec<Lead> = from_json(&leads_json, "leads")?;
        crmkit::scoring::train_lead_model(&config, &leads, parse_date(&as_of, "as_of")?)
    })
}

/// `model_fields(config_json) -> list[str]`: the lead columns training reads, so the Python
/// side sends only those.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn model_fields(config_json: String) -> PyResult<Vec<String>> {
    let config: ModelConfig = crmkit::wire::from_json_arg(&config_json, "config").map_err(crate::to_py_err)?;
    crmkit::scoring::model_fields(&config).map_err(crate::to_py_err)
}

/// `train_lead_model_columns(config_json, rows, fields, as_of) -> dict`:
/// [`crmkit::scoring::train_lead_model_columns`], the columns as `score_columns` takes them.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn train_lead_model_columns<'py>(
    py: Python<'py>,
    config_json: String,
    rows: usize,
    fields: Vec<(String, String, Bound<'py, PyAny>)>,
    as_of: String,
) -> PyResult<Bound<'py, PyAny>> {
    let columns = extract_columns(&fields)?;
    let data = column_data(&columns);
    run(py, || {
        let config: ModelConfig = crmkit::wire::from_json_arg(&config_json, "config")?;
        let columns = LeadColumns { rows, fields: field_data(&data), events: None };
        crmkit::scoring::train_lead_model_columns(&config, &columns, parse_date(&as_of, "as_of")?)
    })
}

/// `predict_leads(model_json, leads_json) -> dict`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn predict_leads(py: Python<'_>, model_json: String, leads_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let model = from_json(&model_json, "model")?;
        let leads: Vec<Lead> = from_json(&leads_json, "leads")?;
        crmkit::scoring::predict_leads(&model, &leads)
    })
}

/// `calibration(probabilities float64, outcomes bool, bins) -> dict`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arrays
pub fn calibration<'py>(
    py: Python<'py>,
    probabilities: PyReadonlyArray1<'py, f64>,
    outcomes: PyReadonlyArray1<'py, bool>,
    bins: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let (p, w) = (slice(&probabilities), slice(&outcomes));
    run(py, || crmkit::scoring::calibration(&p, &w, bins))
}

/// `calibration_json(probabilities_json, outcomes_json, bins) -> dict`: the same over JSON
/// text, for inputs that are not float and bool arrays (the core names the bad entry).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn calibration_json(
    py: Python<'_>,
    probabilities_json: String,
    outcomes_json: String,
    bins: u32,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let p: Vec<f64> = from_json(&probabilities_json, "probabilities")?;
        let w: Vec<bool> = from_json(&outcomes_json, "outcomes")?;
        crmkit::scoring::calibration(&p, &w, bins)
    })
}

/// `time_split(leads_json, date_field, cutoff) -> dict`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub fn time_split(
    py: Python<'_>,
    leads_json: String,
    date_field: String,
    cutoff: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let leads: Vec<Lead> = from_json(&leads_json, "leads")?;
        crmkit::scoring::time_split(&leads, &date_field, parse_date(&cutoff, "cutoff")?)
    })
}

/// Adds the scoring functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(score_leads, m)?)?;
    m.add_function(wrap_pyfunction!(scoring_fields, m)?)?;
    m.add_function(wrap_pyfunction!(score_columns, m)?)?;
    m.add_function(wrap_pyfunction!(train_lead_model, m)?)?;
    m.add_function(wrap_pyfunction!(model_fields, m)?)?;
    m.add_function(wrap_pyfunction!(train_lead_model_columns, m)?)?;
    m.add_function(wrap_pyfunction!(predict_leads, m)?)?;
    m.add_function(wrap_pyfunction!(calibration, m)?)?;
    m.add_function(wrap_pyfunction!(calibration_json, m)?)?;
    m.add_function(wrap_pyfunction!(time_split, m)?)?;
    Ok(())
}
