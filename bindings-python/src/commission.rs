//! The commission functions of `crmkit._native`.

use crmkit::commission::{Category, CommissionPlan, RepInput, TransactionColumns, LINE_KINDS, LINE_REASONS};
use crmkit::wire::{from_json, from_json_arg, parse_date};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{run, slice, Amount};

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

/// `commission_columns(...) -> dict`: [`crmkit::commission::commission_columns`] over numpy
/// arrays (written by `crmkit.commission_frame`), the GIL released; per-row pay and the line
/// columns come back as numpy arrays built here.
///
/// `rep_codes` (int32) index `rep_labels`; `on_days` are int64 days since 1970-01-01
/// (`i64::MIN` for none); `amount` an int64 array (units of 10^-`amount_scale`, whole units
/// when `None`), a float64 array (rounded once to `amount_scale` places, the plan's places
/// and at least 2 when `None`) or a list of decimal strings; `refund` a bool array or `None`.
#[pyfunction]
///
/// `extra` (optional) holds the optional columns: `product` and `customer_type` as (int32
/// codes, labels), `refers_to` as int64 rows (-1 for none), `original_rate` as (int64 rows,
/// decimal strings) for the rows that have one.
#[pyo3(signature = (plan_json, reps_json, rep_codes, rep_labels, on_days, amount, amount_scale, refund, as_of, statements, extra=None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
pub fn commission_columns<'py>(
    py: Python<'py>,
    plan_json: String,
    reps_json: String,
    rep_codes: PyReadonlyArray1<'py, i32>,
    rep_labels: Vec<String>,
    on_days: PyReadonlyArray1<'py, i64>,
    amount: Bound<'py, PyAny>,
    amount_scale: Option<u32>,
    refund: Option<PyReadonlyArray1<'py, bool>>,
    as_of: String,
    statements: bool,
    extra: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let amount = Amount::extract(&amount)?;
    let amount_data = amount.data();
    let (rep, on) = (slice(&rep_codes), slice(&on_days));
    let refund = refund.as_ref().map(slice);
    let extra = Extra::read(extra.as_ref())?;
    let (product, customer_type) = (extra.category(0), extra.category(1));
    let refers_to = extra.refers_to.as_ref().map(slice);
    let rates = extra.original_rate.as_ref().map(|(rows, texts)| (slice(rows), texts.as_slice()));
    let result = py.detach(|| {
        let plan: CommissionPlan = from_json_arg(&plan_json, "plan")?;
        let reps: Vec<RepInput> = from_json(&reps_json, "reps")?;
        let as_of = parse_date(&as_of, "as_of")?;
        let mut decimals = Vec::new();
        // Floats without a declared scale are read to cents at least: a whole-yuan plan pays
        // whole yuan but credits 49,999.99 as 49,999.99 (tiers read the amount, not the pay).
        let amount = amount_data.column(amount_scale, plan.rounding.dp.max(2), "amount", &mut decimals)?;
        let original_rate = rates.as_ref().map(|(rows, texts)| original_rate(rows, texts, rep.len())).transpose()?;
        let columns = TransactionColumns {
            refund: refund.as_deref(),
            product: product.as_ref().map(|(codes, labels)| Category { codes, labels }),
            customer_type: customer_type.as_ref().map(|(codes, labels)| Category { codes, labels }),
            refers_to: refers_to.as_deref(),
            original_rate: original_rate.as_deref(),
            ..TransactionColumns::new(&rep, &rep_labels, &on, amount)
        };
        crmkit::commission::commission_columns(&plan, &reps, &columns, as_of, statements)
    });
    let out = result.map_err(crate::to_py_err)?;
    let dict = PyDict::new(py);
    dict.set_item("provisional", out.provisional.into_pyarray(py))?;
    dict.set_item("final", out.final_pay.into_pyarray(py))?;
    dict.set_item("scale", out.scale)?;
    dict.set_item("credit_scale", out.credit_scale)?;
    dict.set_item("currency", out.currency)?;
    dict.set_item("reps", crate::to_python(py, &out.reps)?)?;
    dict.set_item("totals", crate::to_python(py, &out.totals)?)?;
    dict.set_item("rate_labels", out.rate_labels.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    dict.set_item("multiplier_labels", out.multiplier_labels.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    dict.set_item("kind_labels", crate::to_python(py, &LINE_KINDS)?)?;
    dict.set_item("reason_labels", crate::to_python(py, &LINE_REASONS)?)?;
    if let Some(l) = out.lines {
        let lines = PyDict::new(py);
        lines.set_item("provisional", l.provisional.into_pyarray(py))?;
        lines.set_item("rep", l.rep.into_pyarray(py))?;
        lines.set_item("step", l.step.into_pyarray(py))?;
        lines.set_item("kind", l.kind.into_pyarray(py))?;
        lines.set_item("row", l.row.into_pyarray(py))?;
        lines.set_item("tier", l.tier.into_pyarray(py))?;
        lines.set_item("from", l.from.into_pyarray(py))?;
        lines.set_item("to", l.to.into_pyarray(py))?;
        lines.set_item("base", l.base.into_pyarray(py))?;
        lines.set_item("rate", l.rate.into_pyarray(py))?;
        lines.set_item("multiplier", l.multiplier.into_pyarray(py))?;
        lines.set_item("amount", l.amount.into_pyarray(py))?;
        lines.set_item("reasons", l.reasons.into_pyarray(py))?;
        dict.set_item("lines", lines)?;
    } else {
        dict.set_item("lines", py.None())?;
    }
    Ok(dict.into_any())
}

/// `commission_columns`' optional columns, as `commission_frame` passes them.
#[derive(Default)]
struct Extra<'py> {
    /// Product, customer type: (codes, labels).
    categories: [Option<(PyReadonlyArray1<'py, i32>, Vec<String>)>; 2],
    refers_to: Option<PyReadonlyArray1<'py, i64>>,
    /// The rows that have one, and their rates as decimal strings.
    original_rate: Option<(PyReadonlyArray1<'py, i64>, Vec<String>)>,
}

impl<'py> Extra<'py> {
    fn read(extra: Option<&Bound<'py, PyDict>>) -> PyResult<Self> {
        let mut out = Self::default();
        let Some(extra) = extra else { return Ok(out) };
        for (k, name) in ["product", "customer_type"].into_iter().enumerate() {
            if let Some(v) = extra.get_item(name)? {
                out.categories[k] = Some(v.extract()?);
            }
        }
        if let Some(v) = extra.get_item("refers_to")? {
            out.refers_to = Some(v.extract()?);
        }
        if let Some(v) = extra.get_item("original_rate")? {
            out.original_rate = Some(v.extract()?);
        }
        Ok(out)
    }

    fn category(&self, k: usize) -> Option<(std::borrow::Cow<'_, [i32]>, &[String])> {
        self.categories[k].as_ref().map(|(codes, labels)| (slice(codes), labels.as_slice()))
    }
}

/// The rates per row (`None` for rows without one) from the rows that have one; errors at
/// `original_rate[i]`.
fn original_rate(rows: &[i64], texts: &[String], n: usize) -> crmkit::Result<Vec<Option<crmkit::prelude::Decimal>>> {
    let mut out = vec![None; n];
    for (&i, text) in rows.iter().zip(texts) {
        let path = format!("original_rate[{i}]");
        let slot = usize::try_from(i).ok().and_then(|i| out.get_mut(i)).ok_or_else(|| crmkit::Error::InvalidValue {
            path: path.clone(),
            reason: format!("row {i} is not in the columns ({n} rows)"),
        })?;
        *slot = Some(crmkit::wire::parse_decimal(text, &path)?);
    }
    Ok(out)
}

/// Adds the commission functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compute_commission, m)?)?;
    m.add_function(wrap_pyfunction!(commission_columns, m)?)?;
    m.add_function(wrap_pyfunction!(payment_interest, m)?)?;
    m.add_function(wrap_pyfunction!(collections, m)?)?;
    m.add_function(wrap_pyfunction!(route_discount, m)?)
}
