//! Duplicate matching (查重): the normalisers and `compare`. Each value arrives as JSON text
//! (written by `crmkit._wire`) so that a wrong type gets the core's own `invalid_type` error
//! and path, as in Rust and JS.

use crmkit::wire::from_json;
use pyo3::prelude::*;

use crate::run;

/// Declares one `normalize_*(value_json, ...)` function over a core normaliser.
macro_rules! normalizer {
    ($(#[$doc:meta])* $name:ident, $path:literal) => {
        $(#[$doc])*
        #[pyfunction]
        #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
        pub fn $name(py: Python<'_>, value_json: String) -> PyResult<Bound<'_, PyAny>> {
            run(py, || crmkit::dedup::$name(&from_json::<String>(&value_json, $path)?))
        }
    };
}

normalizer!(
    /// `normalize_company(name_json) -> dict`: [`crmkit::dedup::normalize_company`].
    normalize_company,
    "name"
);
normalizer!(
    /// `normalize_email(email_json) -> dict`: [`crmkit::dedup::normalize_email`].
    normalize_email,
    "email"
);
normalizer!(
    /// `normalize_domain(domain_json) -> dict`: [`crmkit::dedup::normalize_domain`].
    normalize_domain,
    "domain"
);
normalizer!(
    /// `normalize_person_name(name_json) -> dict`: [`crmkit::dedup::normalize_person_name`].
    normalize_person_name,
    "name"
);
normalizer!(
    /// `normalize_credit_code(code_json) -> dict`: [`crmkit::dedup::normalize_credit_code`].
    normalize_credit_code,
    "credit_code"
);

/// `normalize_phone(phone_json, default_country_json) -> dict`: [`crmkit::dedup::normalize_phone`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn normalize_phone(py: Python<'_>, phone_json: String, default_country_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let phone: String = from_json(&phone_json, "phone")?;
        let country: String = from_json(&default_country_json, "default_country")?;
        crmkit::dedup::normalize_phone(&phone, &country)
    })
}

/// `compare(comparator_json, a_json, b_json) -> dict`: [`crmkit::dedup::compare`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn compare(py: Python<'_>, comparator_json: String, a_json: String, b_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let comparator = from_json(&comparator_json, "comparator")?;
        let (a, b): (String, String) = (from_json(&a_json, "a")?, from_json(&b_json, "b")?);
        crmkit::dedup::compare(&comparator, &a, &b)
    })
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(normalize_company, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_phone, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_email, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_domain, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_person_name, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_credit_code, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    Ok(())
}
