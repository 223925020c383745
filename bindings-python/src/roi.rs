//! Marketing ROI and attribution: [`crmkit::roi`] over the JSON text `crmkit._roi` writes.

use crmkit::roi::{AttributionPolicy, JourneyColumns};
use crmkit::wire::from_json;
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::{run, slice, to_py_err, to_python, Amount};

/// `campaign_roi(policy_json, campaigns_json) -> dict`: [`crmkit::roi::campaign_roi`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn campaign_roi(py: Python<'_>, policy_json: String, campaigns_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let campaigns: Vec<crmkit::roi::Campaign> = from_json(&campaigns_json, "campaigns")?;
        crmkit::roi::campaign_roi(&policy, &campaigns)
    })
}

/// `attribute(policy_json, journeys_json) -> dict`: [`crmkit::roi::attribute`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn attribute(py: Python<'_>, policy_json: String, journeys_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_json(&journeys_json, "journeys")?;
        crmkit::roi::attribute(&policy, &journeys)
    })
}

/// `compare_attribution(policy_json, journeys_json) -> dict`: [`crmkit::roi::compare_attribution`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn compare_attribution(py: Python<'_>, policy_json: String, journeys_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_json(&journeys_json, "journeys")?;
        crmkit::roi::compare_attribution(&policy, &journeys)
    })
}

/// `attribute_columns(...) -> (dict, int64 array)`: [`crmkit::roi::attribute_columns`] over
/// columns, one row per touch; returns the report (no journey lines) and each row's credit in
/// units of 10^-`rounding.dp`. `journey` (int64) groups consecutive rows; `channel` (int32)
/// indexes `channel_labels`; `on` and `converted_on` are int64 days since 1970-01-01
/// (`i64::MIN`: none); `revenue` as `forecast_columns`' amount; `milestone` int8 codes.
#[pyfunction]
#[pyo3(signature = (policy_json, journey, channel, channel_labels, on, revenue, revenue_scale, converted_on, milestone = None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
pub fn attribute_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    journey: PyReadonlyArray1<'py, i64>,
    channel: PyReadonlyArray1<'py, i32>,
    channel_labels: Vec<String>,
    on: PyReadonlyArray1<'py, i64>,
    revenue: Bound<'py, PyAny>,
    revenue_scale: Option<u32>,
    converted_on: PyReadonlyArray1<'py, i64>,
    milestone: Option<PyReadonlyArray1<'py, i8>>,
) -> PyResult<Bound<'py, PyAny>> {
    let revenue = Amount::extract(&revenue)?;
    let revenue_data = revenue.data();
    let (journey, channel, on, converted_on) = (slice(&journey), slice(&channel), slice(&on), slice(&converted_on));
    let milestone = milestone.as_ref().map(slice);
    let out = py
        .detach(|| {
            let policy: AttributionPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
            let mut decimals = Vec::new();
            let revenue = revenue_data.column(revenue_scale, policy.rounding.dp, "revenue", &mut decimals)?;
            let columns = JourneyColumns {
                journey: &journey,
                channel: &channel,
                channel_labels: &channel_labels,
                on: &on,
                revenue,
                converted_on: &converted_on,
                milestone: milestone.as_deref(),
            };
            crmkit::roi::attribute_columns(&policy, &columns)
        })
        .map_err(to_py_err)?;
    let report = to_python(py, &out.report)?;
    let credits = out.credits.into_pyarray(py);
    (report, credits).into_pyobject(py).map(Bound::into_any)
}

/// Adds this module's functions to `crmkit._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(campaign_roi, m)?)?;
    m.add_function(wrap_pyfunction!(attribute, m)?)?;
    m.add_function(wrap_pyfunction!(compare_attribution, m)?)?;
    m.add_function(wrap_pyfunction!(attribute_columns, m)?)
}
