//! The columnar batches' answers (`find_duplicates_columns`, `cluster_pairs_columns`) built
//! for Python: each row's cluster and survivor flag as numpy arrays, the report as a dict.

use crmkit::dedup::{Cluster, ColumnsReport, SurvivorReason};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::to_python;

/// `(cluster, survivor, report)` of a columnar batch.
pub(crate) type ColumnsOut<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>, Bound<'py, PyAny>);

/// A columnar report as `(cluster, survivor, report)`: the two row columns as numpy arrays,
/// the rest as a dict, its clusters written by [`clusters`] (a million-row table has some
/// 200,000: through the generic serializer they were half a second with the GIL held).
pub(crate) fn columns_out(py: Python<'_>, mut report: ColumnsReport) -> PyResult<ColumnsOut<'_>> {
    let cluster = PyArray1::from_vec(py, std::mem::take(&mut report.cluster));
    let survivor = PyArray1::from_vec(py, std::mem::take(&mut report.survivor));
    let found = std::mem::take(&mut report.clusters);
    let dict = to_python(py, &report)?;
    // The key stays where the serializer put it (an empty list): the dict reads as before.
    dict.set_item(pyo3::intern!(py, "clusters"), clusters(py, &found)?)?;
    Ok((cluster, survivor, dict))
}

/// The clusters as the serializer writes them (a dict each, keys in field order), with each
/// key, survivor reason and merged field name made once for all clusters.
fn clusters<'py, 'c>(py: Python<'py>, found: &'c [Cluster]) -> PyResult<Bound<'py, PyList>> {
    let key = |k: &str| PyString::intern(py, k);
    let keys = [
        key("id"),
        key("members"),
        key("survivor"),
        key("survivor_reason"),
        key("merged"),
        key("owners"),
        key("min_score"),
    ];
    let reasons = [key("most_complete"), key("owned"), key("lowest_id")];
    let mut fields: Vec<(&str, Bound<'py, PyString>)> = Vec::new();
    let mut field = |name: &'c str| -> Bound<'py, PyString> {
        if let Some((_, s)) = fields.iter().find(|(n, _)| *n == name) {
            return s.clone();
        }
        let s = PyString::new(py, name);
        fields.push((name, s.clone()));
        s
    };
    let list = PyList::empty(py);
    for c in found {
        let d = PyDict::new(py);
        d.set_item(&keys[0], c.id)?;
        d.set_item(&keys[1], PyList::new(py, c.members.iter().map(|m| PyString::new(py, m)))?)?;
        d.set_item(&keys[2], PyString::new(py, &c.survivor))?;
        let reason = match c.survivor_reason {
            SurvivorReason::MostComplete => &reasons[0],
            SurvivorReason::Owned => &reasons[1],
            SurvivorReason::LowestId => &reasons[2],
        };
        d.set_item(&keys[3], reason)?;
        let merged = PyDict::new(py);
        for (name, value) in &c.merged {
            merged.set_item(field(name), PyString::new(py, value))?;
        }
        d.set_item(&keys[4], merged)?;
        d.set_item(&keys[5], PyList::new(py, c.owners.iter().map(|o| PyString::new(py, o)))?)?;
        d.set_item(&keys[6], c.min_score)?;
        list.append(d)?;
    }
    Ok(list)
}
