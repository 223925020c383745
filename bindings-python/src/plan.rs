//! The planning functions over a forecast (quota, hierarchy, backtest...): each converts its
//! JSON text, calls one core function with the GIL released and converts the report, through
//! the same [`run`](super::run) tail as every other function.

use crmkit::wire::parse_date;
use pyo3::prelude::*;

use super::run;

/// `quota_attainment(policy_json, quota_json, input_json, as_of) -> dict`:
/// [`crmkit::forecast::quota_attainment`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn quota_attainment(
    py: Python<'_>,
    policy_json: String,
    quota_json: String,
    input_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, quota, input) = (
            crmkit::wire::from_json_arg(&policy_json, "policy")?,
            crmkit::wire::from_json_arg(&quota_json, "quota")?,
            crmkit::wire::from_json_arg(&input_json, "input")?,
        );
        crmkit::forecast::quota_attainment(&policy, &quota, &input, parse_date(&as_of, "as_of")?)
    })
}

/// `forecast_hierarchy(policy_json, hierarchy_json, input_json, as_of) -> dict`:
/// [`crmkit::forecast::forecast_hierarchy`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn forecast_hierarchy(
    py: Python<'_>,
    policy_json: String,
    hierarchy_json: String,
    input_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let (hierarchy, input) = (
            crmkit::wire::from_json_arg(&hierarchy_json, "hierarchy")?,
            crmkit::wire::from_json_arg(&input_json, "input")?,
        );
        crmkit::forecast::forecast_hierarchy(&policy, &hierarchy, &input, parse_date(&as_of, "as_of")?)
    })
}

/// `fiscal_periods(fiscal_year_json, start, end) -> dict`:
/// [`crmkit::forecast::fiscal_periods`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn fiscal_periods(
    py: Python<'_>,
    fiscal_year_json: String,
    start: String,
    end: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let fiscal_year = crmkit::wire::from_json_arg(&fiscal_year_json, "fiscal_year")?;
        crmkit::forecast::fiscal_periods(&fiscal_year, parse_date(&start, "start")?, parse_date(&end, "end")?)
    })
}

/// `backtest(policy_json, settings_json, events_json, as_of) -> dict`:
/// [`crmkit::forecast::backtest`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn backtest(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    events_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let settings = crmkit::wire::from_json_arg(&settings_json, "settings")?;
        let events: Vec<crmkit::forecast::StageEvent> = crmkit::wire::from_json(&events_json, "events")?;
        crmkit::forecast::backtest(&policy, &settings, &events, parse_date(&as_of, "as_of")?)
    })
}
