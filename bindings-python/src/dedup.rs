//! Duplicate matching (查重): the normalisers and `compare`. Each value arrives as JSON text
//! (written by `crmkit._wire`) so that a wrong type gets the core's own `invalid_type` error
//! and path, as in Rust and JS.

use crmkit::dedup::{DedupIndex, DedupRecord, MatchPolicy, RecordColumns};
use crmkit::wire::from_json;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::{run, to_py_err, to_python};

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
    m.add_function(wrap_pyfunction!(match_records, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_model, m)?)?;
    m.add_function(wrap_pyfunction!(find_duplicates, m)?)?;
    m.add_function(wrap_pyfunction!(find_duplicates_columns, m)?)?;
    m.add_function(wrap_pyfunction!(link_records, m)?)?;
    m.add_class::<PyDedupIndex>()?;
    Ok(())
}

/// `match_records(policy_json, a_json, b_json) -> dict`: [`crmkit::dedup::match_records`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn match_records(
    py: Python<'_>,
    policy_json: String,
    a_json: String,
    b_json: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let (a, b): (DedupRecord, DedupRecord) = (from_json(&a_json, "a")?, from_json(&b_json, "b")?);
        crmkit::dedup::match_records(&policy, &a, &b)
    })
}

/// `estimate_model(policy_json, settings_json, records_json) -> dict`: [`crmkit::dedup::estimate_model`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn estimate_model(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    records_json: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let settings = from_json(&settings_json, "settings")?;
        let records: Vec<DedupRecord> = from_json(&records_json, "records")?;
        crmkit::dedup::estimate_model(&policy, &settings, &records)
    })
}

/// `find_duplicates(policy_json, settings_json, records_json) -> dict`: [`crmkit::dedup::find_duplicates`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn find_duplicates(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    records_json: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let settings = from_json(&settings_json, "settings")?;
        let records: Vec<DedupRecord> = from_json(&records_json, "records")?;
        crmkit::dedup::find_duplicates(&policy, &settings, &records)
    })
}

/// `link_records(policy_json, left_json, right_json, limit) -> dict`: [`crmkit::dedup::link_records`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn link_records(
    py: Python<'_>,
    policy_json: String,
    left_json: String,
    right_json: String,
    limit: usize,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let left: Vec<DedupRecord> = from_json(&left_json, "records")?;
        let right: Vec<DedupRecord> = from_json(&right_json, "right")?;
        crmkit::dedup::link_records(&policy, &left, &right, limit)
    })
}

/// `find_duplicates_columns(policy_json, settings_json, ids, owners, fields) -> (cluster, survivor, report)`:
/// [`crmkit::dedup::find_duplicates_columns`]; `cluster` (int64) and `survivor` (bool) are
/// numpy arrays built here, `report` the rest as a dict.
#[pyfunction]
#[pyo3(signature = (policy_json, settings_json, ids, owners, fields))]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn find_duplicates_columns(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    ids: Vec<String>,
    owners: Option<Vec<Option<String>>>,
    fields: Vec<(String, Vec<Option<String>>)>,
) -> PyResult<ColumnsOut<'_>> {
    let mut report = py
        .detach(|| {
            let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
            let settings = from_json(&settings_json, "settings")?;
            let columns = RecordColumns { ids: &ids, owners: owners.as_deref(), fields: &fields };
            crmkit::dedup::find_duplicates_columns(&policy, &settings, &columns)
        })
        .map_err(to_py_err)?;
    let cluster = PyArray1::from_vec(py, std::mem::take(&mut report.cluster));
    let survivor = PyArray1::from_vec(py, std::mem::take(&mut report.survivor));
    Ok((cluster, survivor, to_python(py, &report)?))
}

/// `(cluster, survivor, report)` of `find_duplicates_columns`.
type ColumnsOut<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>, Bound<'py, PyAny>);

/// `DedupIndex(policy_json, records_json)`: [`crmkit::dedup::DedupIndex`] held by Python.
#[pyclass(module = "crmkit._native", name = "DedupIndex")]
pub struct PyDedupIndex {
    inner: DedupIndex,
}

#[pymethods]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
impl PyDedupIndex {
    #[new]
    fn new(py: Python<'_>, policy_json: String, records_json: String) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let policy: MatchPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
                let records: Vec<DedupRecord> = from_json(&records_json, "records")?;
                DedupIndex::build(&policy, &records)
            })
            .map_err(to_py_err)?;
        Ok(Self { inner })
    }

    fn add<'py>(&mut self, py: Python<'py>, record_json: String) -> PyResult<Bound<'py, PyAny>> {
        let issues =
            from_json::<DedupRecord>(&record_json, "record").and_then(|r| self.inner.add(&r)).map_err(to_py_err)?;
        to_python(py, &issues)
    }

    fn update<'py>(&mut self, py: Python<'py>, record_json: String) -> PyResult<Bound<'py, PyAny>> {
        let issues =
            from_json::<DedupRecord>(&record_json, "record").and_then(|r| self.inner.update(&r)).map_err(to_py_err)?;
        to_python(py, &issues)
    }

    fn remove(&mut self, id: String) -> bool {
        self.inner.remove(&id)
    }

    fn query<'py>(&self, py: Python<'py>, record_json: String, limit: usize) -> PyResult<Bound<'py, PyAny>> {
        let inner = &self.inner;
        run(py, || inner.query(&from_json::<DedupRecord>(&record_json, "record")?, limit))
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let inner = py.detach(|| DedupIndex::from_bytes(data)).map_err(to_py_err)?;
        Ok(Self { inner })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}
