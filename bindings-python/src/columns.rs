//! The column mappings `crmkit`'s frame functions hand to the native `*_columns` functions.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A reader of `columns`' items by name: a missing item is a `KeyError` naming the mapping
/// (`touch columns lack "on"`), which the Python half always fills (a bug there, not bad data).
pub(crate) fn items<'a, 'py>(
    columns: &'a Bound<'py, PyDict>,
    what: &'a str,
) -> impl Fn(&str) -> PyResult<Bound<'py, PyAny>> + 'a {
    move |name| {
        columns
            .get_item(name)?
            .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(format!("{what} columns lack {name:?}")))
    }
}
