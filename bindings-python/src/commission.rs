//! The commission functions of `crmkit._native`.

use crmkit::wire::{from_json, parse_date};
use pyo3::prelude::*;

use crate::run;

/// `compute_commission(plan_json, input_json, as_of) -> dict`:
/// [`crmkit::commission::compute_commission`] over JSON text (written by `crmkit._wire`).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn compute_commission(
    py: Python<'_>,
    plan_json: String,
    input_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (plan, input) =
            (crmkit::wire::from_json_arg(&plan_json, "plan")?, crmkit::wire::from_json_arg(&input_json, "input")?);
        crmkit::commission::compute_commission(&plan, &input, parse_date(&as_of, "as_of")?)
    })
}

/// `payment_interest(policy_json, batches_json, as_of) -> dict`:
/// [`crmkit::commission::payment_interest`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn payment_interest(
    py: Python<'_>,
    policy_json: String,
    batches_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let batches: Vec<crmkit::commission::Batch> = from_json(&batches_json, "batches")?;
        crmkit::commission::payment_interest(&policy, &batches, parse_date(&as_of, "as_of")?)
    })
}

/// `collections(policy_json, batches_json, as_of) -> dict`:
/// [`crmkit::commission::collections`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn collections(
    py: Python<'_>,
    policy_json: String,
    batches_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let batches: Vec<crmkit::commission::Batch> = from_json(&batches_json, "batches")?;
        crmkit::commission::collections(&policy, &batches, parse_date(&as_of, "as_of")?)
    })
}

/// `route_discount(policy_json, request_json) -> dict`: [`crmkit::commission::route_discount`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn route_discount(py: Python<'_>, policy_json: String, request_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, request) = (
            crmkit::wire::from_json_arg(&policy_json, "policy")?,
            crmkit::wire::from_json_arg(&request_json, "request")?,
        );
        crmkit::commission::route_discount(&policy, &request)
    })
}

/// Adds the commission functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compute_commission, m)?)?;
    m.add_function(wrap_pyfunction!(payment_interest, m)?)?;
    m.add_function(wrap_pyfunction!(collections, m)?)?;
    m.add_function(wrap_pyfunction!(route_discount, m)?)
}
