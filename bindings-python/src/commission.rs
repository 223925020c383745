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
        let (plan, input) = (from_json(&plan_json, "")?, from_json(&input_json, "")?);
        crmkit::commission::compute_commission(&plan, &input, parse_date(&as_of, "as_of")?)
    })
}

/// Adds the commission functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compute_commission, m)?)
}
