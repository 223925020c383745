//! Lead scoring: `score_leads` over JSON text.

use crmkit::scoring::{Lead, ScoringPolicy};
use crmkit::wire::{from_json, parse_date};
use pyo3::prelude::*;

use crate::run;

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
        let policy: ScoringPolicy = from_json(&policy_json, "")?;
        let leads: Vec<Lead> = from_json(&leads_json, "leads")?;
        crmkit::scoring::score_leads(&policy, &leads, parse_date(&as_of, "as_of")?)
    })
}
