//! The batch de-duplication in parts, for `crmkit.spark.find_duplicates`: blocking keys, one
//! block's pairs, one component's clusters ([`crmkit::dedup::blocking_keys_columns`] and
//! its siblings). Columns arrive as `crmkit._dedup` reads them ([`FrameColumns`]); the output
//! columns are numpy arrays built here.

use crmkit::dedup::{BatchSettings, DedupRecord};
use crmkit::wire::from_json;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::dedup::{batch_args, batch_function, policy_arg, FrameColumns};
use crate::dedup_out::{columns_out, ColumnsOut};
use crate::{run, to_py_err, to_python};

/// `(row, key, report)` of `blocking_keys_columns`: row (int64) and key (int64) numpy arrays.
type KeysOut<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>, Bound<'py, PyAny>);

/// `blocking_keys_columns(policy_json, ids, fields) -> (row, key, report)`:
/// [`crmkit::dedup::blocking_keys_columns`]; `report` holds `max_block_size` and `issues` (its `row` and `key` empty).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn blocking_keys_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    ids: Bound<'py, PyAny>,
    fields: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<KeysOut<'py>> {
    let columns = FrameColumns::read(py, &ids, None, &fields)?;
    let mut keys = columns.run(py, |columns| {
        let policy = policy_arg(&policy_json)?;
        crmkit::dedup::blocking_keys_columns(&policy, columns)
    })?;
    let row = PyArray1::from_vec(py, std::mem::take(&mut keys.row).into_iter().map(i64::from).collect());
    let key = PyArray1::from_vec(py, std::mem::take(&mut keys.key));
    Ok((row, key, to_python(py, &keys)?))
}

/// `(left, right, score, verdict)` of `score_block_columns`.
type PairsOut<'py> =
    (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>, Vec<&'static str>);

/// `score_block_columns(policy_json, keys, skipped, ids, fields) -> (left, right, score,
/// verdict)`: [`crmkit::dedup::score_block_columns`] (`keys`: each row's block, int64); rows
/// as int64, scores as float64, the verdicts as a list of `"DUPLICATE"` / `"RELATED"`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn score_block_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    keys: PyReadonlyArray1<'py, i64>,
    skipped: PyReadonlyArray1<'py, i64>,
    ids: Bound<'py, PyAny>,
    fields: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<PairsOut<'py>> {
    let columns = FrameColumns::read(py, &ids, None, &fields)?;
    let (skipped, keys) = (skipped.as_slice()?, keys.as_slice()?);
    let pairs = columns.run(py, |columns| {
        let policy = policy_arg(&policy_json)?;
        crmkit::dedup::score_block_columns(&policy, keys, skipped, columns)
    })?;
    let verdict = pairs
        .verdict
        .iter()
        .map(|v| match v {
            crmkit::dedup::Verdict::Duplicate => "DUPLICATE",
            crmkit::dedup::Verdict::Related => "RELATED",
            crmkit::dedup::Verdict::Distinct => "DISTINCT",
        })
        .collect();
    Ok((
        PyArray1::from_vec(py, pairs.left.iter().map(|&r| i64::from(r)).collect()),
        PyArray1::from_vec(py, pairs.right.iter().map(|&r| i64::from(r)).collect()),
        PyArray1::from_vec(py, pairs.score),
        verdict,
    ))
}

/// `cluster_pairs_columns(policy_json, settings_json, ids, owners, fields, left, right) ->
/// (cluster, survivor, report)`: [`crmkit::dedup::cluster_pairs_columns`] over the pairs of
/// rows `(left[k], right[k])`; a row outside `0..2^32` is `invalid_value` at `pairs[k]`.
#[pyfunction]
#[pyo3(signature = (policy_json, settings_json, ids, owners, fields, left, right))]
#[allow(clippy::needless_pass_by_value, clippy::too_many_arguments)] // pyo3 extracts owned values
pub fn cluster_pairs_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    settings_json: String,
    ids: Bound<'py, PyAny>,
    owners: Option<Bound<'py, PyAny>>,
    fields: Vec<(String, Bound<'py, PyAny>)>,
    left: PyReadonlyArray1<'py, i64>,
    right: PyReadonlyArray1<'py, i64>,
) -> PyResult<ColumnsOut<'py>> {
    let columns = FrameColumns::read(py, &ids, owners.as_ref(), &fields)?;
    let (left, right) = (left.as_slice()?, right.as_slice()?);
    if left.len() != right.len() {
        return Err(to_py_err(crmkit::Error::InvalidValue {
            path: "pairs".into(),
            reason: format!("{} left rows, {} right ones", left.len(), right.len()),
        }));
    }
    let pairs = left
        .iter()
        .zip(right)
        .enumerate()
        .map(|(k, (&a, &b))| match (u32::try_from(a), u32::try_from(b)) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            _ => Err(to_py_err(crmkit::Error::InvalidValue {
                path: format!("pairs[{k}]"),
                reason: format!("({a}, {b}) are not rows"),
            })),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let report = columns.run(py, |columns| {
        let policy = policy_arg(&policy_json)?;
        let settings: BatchSettings = from_json(&settings_json, "settings")?;
        crmkit::dedup::cluster_pairs_columns(&policy, &settings, columns, &pairs)
    })?;
    columns_out(py, report)
}

/// `blocking_keys(policy_json, records_json) -> dict`: [`crmkit::dedup::blocking_keys`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn blocking_keys(py: Python<'_>, policy_json: String, records_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = policy_arg(&policy_json)?;
        let records: Vec<DedupRecord> = from_json(&records_json, "records")?;
        crmkit::dedup::blocking_keys(&policy, &records)
    })
}

batch_function!(
    /// `score_block(policy_json, settings_json, records_json) -> dict`: [`crmkit::dedup::score_block`].
    score_block
);

/// `cluster_pairs(policy_json, settings_json, records_json, pairs_json) -> dict`:
/// [`crmkit::dedup::cluster_pairs`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn cluster_pairs(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    records_json: String,
    pairs_json: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, settings, records) = batch_args::<BatchSettings>(&policy_json, &settings_json, &records_json)?;
        let pairs: Vec<[String; 2]> = from_json(&pairs_json, "pairs")?;
        crmkit::dedup::cluster_pairs(&policy, &settings, &records, &pairs)
    })
}

/// Registers the functions on `crmkit._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(blocking_keys_columns, m)?)?;
    m.add_function(wrap_pyfunction!(score_block_columns, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_pairs_columns, m)?)?;
    m.add_function(wrap_pyfunction!(blocking_keys, m)?)?;
    m.add_function(wrap_pyfunction!(score_block, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_pairs, m)?)?;
    Ok(())
}
