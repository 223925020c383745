//! Marketing ROI and attribution: [`crmkit::roi`] over the JSON text `crmkit._roi` writes.

use crmkit::wire::from_json;
use pyo3::prelude::*;

use crate::run;

/// `campaign_roi(policy_json, campaigns_json) -> dict`: [`crmkit::roi::campaign_roi`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn campaign_roi(py: Python<'_>, policy_json: String, campaigns_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = from_json(&policy_json, "")?;
        let campaigns: Vec<crmkit::roi::Campaign> = from_json(&campaigns_json, "campaigns")?;
        crmkit::roi::campaign_roi(&policy, &campaigns)
    })
}

/// `attribute(policy_json, journeys_json) -> dict`: [`crmkit::roi::attribute`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn attribute(py: Python<'_>, policy_json: String, journeys_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = from_json(&policy_json, "")?;
        let journeys: Vec<crmkit::roi::Journey> = from_json(&journeys_json, "journeys")?;
        crmkit::roi::attribute(&policy, &journeys)
    })
}

/// Adds this module's functions to `crmkit._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(campaign_roi, m)?)?;
    m.add_function(wrap_pyfunction!(attribute, m)?)
}
