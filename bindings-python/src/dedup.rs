//! Duplicate matching (查重): the normalisers and `compare`. Each value arrives as JSON text
//! (written by `crmkit._wire`) so that a wrong type gets the core's own `invalid_type` error
//! and path, as in Rust and JS.

use crmkit::dedup::{DedupIndex, DedupRecord, MatchPolicy, RecordColumns};
use crmkit::wire::from_json;
use crmkit::ParseKind;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString, PyTuple};

use crate::dedup_out::{columns_out, ColumnsOut};
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

/// The policy argument of every dedup function (its errors at `policy.…`).
pub(crate) fn policy_arg(json: &str) -> crmkit::Result<MatchPolicy> {
    crmkit::wire::from_json_arg(json, "policy")
}

/// A batch function's policy, settings and records, read in that order (as every binding
/// reads them, so an input wrong in two places names the same one everywhere).
pub(crate) fn batch_args<S: serde::de::DeserializeOwned>(
    policy_json: &str,
    settings_json: &str,
    records_json: &str,
) -> crmkit::Result<(MatchPolicy, S, Vec<DedupRecord>)> {
    let policy = policy_arg(policy_json)?;
    let settings = from_json(settings_json, "settings")?;
    let records = from_json(records_json, "records")?;
    Ok((policy, settings, records))
}

/// Declares one `name(policy_json, settings_json, records_json) -> dict` function over the
/// core function of that name, its arguments read by [`batch_args`].
macro_rules! batch_function {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
        pub fn $name(
            py: Python<'_>,
            policy_json: String,
            settings_json: String,
            records_json: String,
        ) -> PyResult<Bound<'_, PyAny>> {
            run(py, || {
                let (policy, settings, records) = batch_args(&policy_json, &settings_json, &records_json)?;
                crmkit::dedup::$name(&policy, &settings, &records)
            })
        }
    };
}
pub(crate) use batch_function;

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
    crate::dedup_parts::register(m)?;
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
        let policy = policy_arg(&policy_json)?;
        let (a, b): (DedupRecord, DedupRecord) = (from_json(&a_json, "a")?, from_json(&b_json, "b")?);
        crmkit::dedup::match_records(&policy, &a, &b)
    })
}

batch_function!(
    /// `estimate_model(policy_json, settings_json, records_json) -> dict`: [`crmkit::dedup::estimate_model`].
    estimate_model
);
batch_function!(
    /// `find_duplicates(policy_json, settings_json, records_json) -> dict`: [`crmkit::dedup::find_duplicates`].
    find_duplicates
);

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
        let policy = policy_arg(&policy_json)?;
        let left: Vec<DedupRecord> = from_json(&left_json, "records")?;
        let right: Vec<DedupRecord> = from_json(&right_json, "right")?;
        crmkit::dedup::link_records(&policy, &left, &right, limit)
    })
}

/// `find_duplicates_columns(policy_json, settings_json, ids, owners, fields) -> (cluster, survivor, report)`:
/// [`crmkit::dedup::find_duplicates_columns`]; `cluster` (int64) and `survivor` (bool) are
/// numpy arrays built here, `report` the rest as a dict. The columns are read by
/// [`FrameColumns`]: Arrow buffers (in place), an int64 array, or an object array (a list also works).
#[pyfunction]
#[pyo3(signature = (policy_json, settings_json, ids, owners, fields))]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn find_duplicates_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    settings_json: String,
    ids: Bound<'py, PyAny>,
    owners: Option<Bound<'py, PyAny>>,
    fields: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<ColumnsOut<'py>> {
    let columns = FrameColumns::read(py, &ids, owners.as_ref(), &fields)?;
    let report = columns.run(py, |columns| {
        let policy = policy_arg(&policy_json)?;
        let settings = from_json(&settings_json, "settings")?;
        crmkit::dedup::find_duplicates_columns(&policy, &settings, columns)
    })?;
    columns_out(py, report)
}

/// A table's id, owner and field columns as `crmkit._dedup` hands them over, for every
/// columnar function of this binding (the batch and its parts): each column read once by
/// [`TextColumn::read`], then given to the core as `&str`s with the GIL released.
pub(crate) struct FrameColumns<'py> {
    ids: TextColumn<'py>,
    owners: Option<TextColumn<'py>>,
    fields: Vec<(String, TextColumn<'py>)>,
}

impl<'py> FrameColumns<'py> {
    /// Reads the columns (errors in column order: ids, owners, fields).
    pub(crate) fn read(
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
        owners: Option<&Bound<'py, PyAny>>,
        fields: &[(String, Bound<'py, PyAny>)],
    ) -> PyResult<Self> {
        let ids = TextColumn::read(py, ids, "ids")?;
        // Every row needs an id: checked here, before the other columns are read.
        if let Some(i) = ids.cells()?.texts("ids").map_err(to_py_err)?.iter().position(Option::is_none) {
            return Err(to_py_err(crmkit::Error::MissingValue {
                path: format!("ids[{i}]"),
                reason: "every row needs an id".into(),
            }));
        }
        let owners = owners.map(|o| TextColumn::read(py, o, "owners")).transpose()?;
        let fields = fields
            .iter()
            .map(|(name, column)| Ok((name.clone(), TextColumn::read(py, column, &format!("fields.{name}"))?)))
            .collect::<PyResult<_>>()?;
        Ok(Self { ids, owners, fields })
    }

    /// `call` over the columns as the core's `RecordColumns` of `&str`, with the GIL released.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(&RecordColumns<'_, &str>) -> crmkit::Result<T> + Send,
    ) -> PyResult<T> {
        let ids = self.ids.cells()?;
        let owners = self.owners.as_ref().map(TextColumn::cells).transpose()?;
        let fields =
            self.fields.iter().map(|(name, c)| Ok((name.as_str(), c.cells()?))).collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            // Checked by `read` already: every cell is text, every id present.
            let ids: Vec<&str> = ids.texts("ids")?.into_iter().map(Option::unwrap_or_default).collect();
            let owners = owners.map(|o| o.texts("owners")).transpose()?;
            let fields = fields
                .iter()
                .map(|(name, c)| Ok(((*name).to_owned(), c.texts(&format!("fields.{name}"))?)))
                .collect::<crmkit::Result<Vec<_>>>()?;
            call(&RecordColumns { ids: &ids, owners: owners.as_deref(), fields: &fields })
        })
        .map_err(to_py_err)
    }
}

/// One text column as `crmkit._dedup` hands it over, read without a Python object per row:
///
/// - `(offsets, data, valid)`: an Arrow large_string array's int64 offsets and UTF-8 bytes,
///   and its validity (bool, or `None` when no value is missing), read in place (checked
///   here: offsets in order and within the data, each value UTF-8);
/// - an int64 array: numbers written as their decimal text (phones, ids);
/// - an object array (or a list): `str` values, `None` / NaN / `pandas.NA` blank, integers as
///   their text; anything else is `invalid_type` at `{path}[i]`.
pub(crate) enum TextColumn<'py> {
    /// Offsets, data and validity of an Arrow large_string array.
    Arrow(PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, u8>, Option<PyReadonlyArray1<'py, bool>>),
    /// Values read one by one.
    Owned(Vec<Option<String>>),
}

/// A column's data as plain slices, which the core reads with the GIL released.
#[derive(Clone, Copy)]
pub(crate) enum Cells<'a> {
    Arrow { offsets: &'a [i64], data: &'a [u8], valid: Option<&'a [bool]> },
    Owned(&'a [Option<String>]),
}

impl<'py> TextColumn<'py> {
    pub(crate) fn read(py: Python<'py>, column: &Bound<'py, PyAny>, path: &str) -> PyResult<Self> {
        if let Ok(parts) = column.cast::<PyTuple>() {
            let column = Self::Arrow(
                parts.get_item(0)?.extract()?,
                parts.get_item(1)?.extract()?,
                parts.get_item(2)?.extract()?,
            );
            let cells = column.cells()?;
            py.detach(|| cells.texts(path).map(drop)).map_err(to_py_err)?;
            return Ok(column);
        }
        if let Ok(numbers) = column.extract::<PyReadonlyArray1<'_, i64>>() {
            return Ok(Self::Owned(numbers.as_slice()?.iter().map(|n| Some(n.to_string())).collect()));
        }
        let cells: Vec<Bound<'_, PyAny>> = if let Ok(objects) = column.extract::<PyReadonlyArray1<'_, Py<PyAny>>>() {
            objects.as_slice()?.iter().map(|o| o.bind(py).clone()).collect()
        } else {
            column.try_iter()?.collect::<PyResult<_>>()?
        };
        let values = cells.iter().enumerate().map(|(i, cell)| text_cell(cell, &format!("{path}[{i}]")));
        Ok(Self::Owned(values.collect::<PyResult<_>>()?))
    }

    pub(crate) fn cells(&self) -> PyResult<Cells<'_>> {
        Ok(match self {
            Self::Arrow(offsets, data, valid) => Cells::Arrow {
                offsets: offsets.as_slice()?,
                data: data.as_slice()?,
                valid: match valid {
                    Some(v) => Some(v.as_slice()?),
                    None => None,
                },
            },
            Self::Owned(values) => Cells::Owned(values),
        })
    }
}

impl<'a> Cells<'a> {
    /// The rows' text (`None` when missing), borrowed.
    pub(crate) fn texts(self, path: &str) -> crmkit::Result<Vec<Option<&'a str>>> {
        match self {
            Self::Arrow { offsets, data, valid } => arrow_text(offsets, data, valid, path),
            Self::Owned(values) => Ok(values.iter().map(Option::as_deref).collect()),
        }
    }
}

fn text_cell(cell: &Bound<'_, PyAny>, path: &str) -> PyResult<Option<String>> {
    if let Ok(s) = cell.cast::<PyString>() {
        return Ok(Some(s.to_cow()?.into_owned()));
    }
    if cell.is_none() || cell.cast::<PyFloat>().is_ok_and(|f| f.value().is_nan()) {
        return Ok(None);
    }
    if cell.cast::<PyInt>().is_ok() && cell.cast::<PyBool>().is_err() {
        return Ok(Some(cell.str()?.to_cow()?.into_owned()));
    }
    let type_name = cell.get_type().name()?.to_cow()?.into_owned();
    if type_name == "NAType" || type_name == "NaTType" {
        return Ok(None);
    }
    Err(to_py_err(crmkit::Error::Parse {
        kind: ParseKind::Type,
        path: path.to_owned(),
        message: format!("a {type_name} is not text; pass a string (or an integer for a phone or an id)"),
    }))
}

/// The rows of an Arrow large_string array (`offsets.len()` = rows + 1), borrowed.
fn arrow_text<'a>(
    offsets: &[i64],
    data: &'a [u8],
    valid: Option<&[bool]>,
    path: &str,
) -> crmkit::Result<Vec<Option<&'a str>>> {
    let broken = |reason: &str| crmkit::Error::Parse {
        kind: ParseKind::Value,
        path: path.to_owned(),
        message: format!("not an Arrow string column: {reason}"),
    };
    let rows = offsets.len().checked_sub(1).ok_or_else(|| broken("no offsets"))?;
    if valid.is_some_and(|v| v.len() != rows) {
        return Err(broken("validity of another length"));
    }
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        if valid.is_some_and(|v| !v[i]) {
            out.push(None);
            continue;
        }
        let (start, end) = (usize::try_from(offsets[i]), usize::try_from(offsets[i + 1]));
        let bytes = match (start, end) {
            (Ok(s), Ok(e)) if s <= e && e <= data.len() => &data[s..e],
            _ => return Err(broken("offsets out of order or beyond the data")),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| crmkit::Error::Parse {
            kind: ParseKind::Value,
            path: format!("{path}[{i}]"),
            message: "not UTF-8 text".into(),
        })?;
        out.push(Some(text));
    }
    Ok(out)
}

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
                let policy = policy_arg(&policy_json)?;
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
