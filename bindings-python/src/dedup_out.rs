//! The columnar batches' answers (`find_duplicates_columns`, `cluster_pairs_columns`) built
//! for Python: each row's cluster and survivor flag as numpy arrays, the report as a dict.

use crmkit::dedup::ColumnsReport;
use numpy::PyArray1;
use pyo3::prelude::*;

use crate::to_python;

/// `(cluster, survivor, report)` of a columnar batch.
pub(crate) type ColumnsOut<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>, Bound<'py, PyAny>);

/// A columnar report as `(cluster, survivor, report)`: the two row columns as numpy arrays,
/// the rest as a dict.
pub(crate) fn columns_out(py: Python<'_>, mut report: ColumnsReport) -> PyResult<ColumnsOut<'_>> {
    let cluster = PyArray1::from_vec(py, std::mem::take(&mut report.cluster));
    let survivor = PyArray1::from_vec(py, std::mem::take(&mut report.survivor));
    Ok((cluster, survivor, to_python(py, &report)?))
}
