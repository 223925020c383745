//! `payment_interest_columns` and `collections_columns`: batches and payments as numpy arrays
//! (written by `crmkit.payment_interest_frame` / `crmkit.collections_frame`), the GIL
//! released; per-batch figures and the interest lines come back as numpy arrays built here.

use crmkit::commission::{BatchColumns, CollectionsPolicy, InterestPolicy, COLLECTION_REASONS, INTEREST_KINDS};
use crmkit::wire::{from_json_arg, parse_date};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use std::borrow::Cow;

use crate::{slice, Amount, AmountData};

/// The batch and payment columns, read once for either function.
struct Columns<'py> {
    customer: Option<PyReadonlyArray1<'py, i32>>,
    labels: Vec<String>,
    invoice_on: PyReadonlyArray1<'py, i64>,
    due_on: PyReadonlyArray1<'py, i64>,
    amount: Amount<'py>,
    amount_scale: Option<u32>,
    payment_batch: PyReadonlyArray1<'py, i64>,
    payment_on: PyReadonlyArray1<'py, i64>,
    payment_amount: Amount<'py>,
    payment_scale: Option<u32>,
}

/// The columns' data, readable with the GIL released.
struct View<'a> {
    customer: Option<Cow<'a, [i32]>>,
    labels: &'a [String],
    invoice_on: Cow<'a, [i64]>,
    due_on: Cow<'a, [i64]>,
    amount: AmountData<'a>,
    amount_scale: Option<u32>,
    payment_batch: Cow<'a, [i64]>,
    payment_on: Cow<'a, [i64]>,
    payment_amount: AmountData<'a>,
    payment_scale: Option<u32>,
}

impl Columns<'_> {
    fn view(&self) -> View<'_> {
        View {
            customer: self.customer.as_ref().map(slice),
            labels: &self.labels,
            invoice_on: slice(&self.invoice_on),
            due_on: slice(&self.due_on),
            amount: self.amount.data(),
            amount_scale: self.amount_scale,
            payment_batch: slice(&self.payment_batch),
            payment_on: slice(&self.payment_on),
            payment_amount: self.payment_amount.data(),
            payment_scale: self.payment_scale,
        }
    }
}

impl View<'_> {
    /// Calls `f` on the core's columns.
    fn with<R>(&self, dp: u32, f: impl FnOnce(&BatchColumns) -> crmkit::Result<R>) -> crmkit::Result<R> {
        let (mut decimals, mut paid_decimals) = (Vec::new(), Vec::new());
        let columns = BatchColumns {
            customer: self.customer.as_deref(),
            customer_labels: self.labels,
            invoice_on: &self.invoice_on,
            due_on: &self.due_on,
            amount: self.amount.column(self.amount_scale, dp, "amount", &mut decimals)?,
            payment_batch: &self.payment_batch,
            payment_on: &self.payment_on,
            payment_amount: self.payment_amount.column(
                self.payment_scale,
                dp,
                "payments.amount",
                &mut paid_decimals,
            )?,
        };
        f(&columns)
    }
}

impl<'py> Columns<'py> {
    /// The columns from the mapping `crmkit._batch_frame` writes: `customer` (int32 codes or
    /// None), `customer_labels`, `invoice_on`, `due_on` (int64 days), `amount` and
    /// `amount_scale`, `payment_batch` (int64 rows), `payment_on`, `payment_amount` and
    /// `payment_scale`.
    fn read(columns: &Bound<'py, PyDict>) -> PyResult<Self> {
        let item = crate::columns::items(columns, "batch");
        Ok(Self {
            customer: item("customer")?.extract()?,
            labels: item("customer_labels")?.extract()?,
            invoice_on: item("invoice_on")?.extract()?,
            due_on: item("due_on")?.extract()?,
            amount: Amount::extract(&item("amount")?)?,
            amount_scale: item("amount_scale")?.extract()?,
            payment_batch: item("payment_batch")?.extract()?,
            payment_on: item("payment_on")?.extract()?,
            payment_amount: Amount::extract(&item("payment_amount")?)?,
            payment_scale: item("payment_scale")?.extract()?,
        })
    }
}

/// `payment_interest_columns(policy_json, columns, as_of) -> dict`:
/// [`crmkit::commission::payment_interest_columns`] over the batch and payment columns (a
/// mapping, see `Columns::read`). Dates are int64 days since 1970-01-01 (`i64::MIN` for
/// none), amounts as `commission_columns` takes them.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn payment_interest_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    columns: Bound<'py, PyDict>,
    as_of: String,
) -> PyResult<Bound<'py, PyAny>> {
    let cols = Columns::read(&columns)?;
    let view = cols.view();
    let out = py
        .detach(|| {
            let policy: InterestPolicy = from_json_arg(&policy_json, "policy")?;
            let as_of = parse_date(&as_of, "as_of")?;
            view.with(policy.rounding.dp, |c| crmkit::commission::payment_interest_columns(&policy, c, as_of))
        })
        .map_err(crate::to_py_err)?;
    let dict = PyDict::new(py);
    let b = out.batches;
    dict.set_item("collected", b.collected.into_pyarray(py))?;
    dict.set_item("outstanding", b.outstanding.into_pyarray(py))?;
    dict.set_item("bonus", b.bonus.into_pyarray(py))?;
    dict.set_item("penalty", b.penalty.into_pyarray(py))?;
    dict.set_item("accrued_penalty", b.accrued_penalty.into_pyarray(py))?;
    dict.set_item("net", b.net.into_pyarray(py))?;
    dict.set_item("scale", out.scale)?;
    dict.set_item("currency", out.currency)?;
    dict.set_item("day_count", crate::to_python(py, &out.day_count)?)?;
    dict.set_item("totals", crate::to_python(py, &out.totals)?)?;
    dict.set_item("kind_labels", crate::to_python(py, &INTEREST_KINDS)?)?;
    let l = out.lines;
    let lines = PyDict::new(py);
    lines.set_item("batch", l.batch.into_pyarray(py))?;
    lines.set_item("payment", l.payment.into_pyarray(py))?;
    lines.set_item("kind", l.kind.into_pyarray(py))?;
    lines.set_item("days", l.days.into_pyarray(py))?;
    lines.set_item("interest_days", l.interest_days.into_pyarray(py))?;
    lines.set_item("interest", l.interest.into_pyarray(py))?;
    dict.set_item("lines", lines)?;
    Ok(dict.into_any())
}

/// `collections_columns(policy_json, columns, as_of) -> dict`:
/// [`crmkit::commission::collections_columns`] over the columns `payment_interest_columns`
/// takes.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn collections_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    columns: Bound<'py, PyDict>,
    as_of: String,
) -> PyResult<Bound<'py, PyAny>> {
    let cols = Columns::read(&columns)?;
    let view = cols.view();
    let (out, levels) = py
        .detach(|| {
            let policy: CollectionsPolicy = from_json_arg(&policy_json, "policy")?;
            let as_of = parse_date(&as_of, "as_of")?;
            let out = view.with(policy.rounding.dp, |c| crmkit::commission::collections_columns(&policy, c, as_of))?;
            Ok((out, policy.levels.into_iter().map(|l| l.name).collect::<Vec<_>>()))
        })
        .map_err(crate::to_py_err)?;
    let dict = PyDict::new(py);
    dict.set_item("collected", out.collected.into_pyarray(py))?;
    dict.set_item("outstanding", out.outstanding.into_pyarray(py))?;
    dict.set_item("days_past_due", out.days_past_due.into_pyarray(py))?;
    dict.set_item("bucket", out.bucket.into_pyarray(py))?;
    dict.set_item("bucket_labels", out.bucket_labels)?;
    dict.set_item("level", out.level.into_pyarray(py))?;
    dict.set_item("level_labels", levels)?;
    dict.set_item("reasons", out.reasons.into_pyarray(py))?;
    dict.set_item("reason_labels", crate::to_python(py, &COLLECTION_REASONS)?)?;
    dict.set_item("scale", out.scale)?;
    dict.set_item("aging", crate::to_python(py, &out.aging)?)?;
    dict.set_item("customers", crate::to_python(py, &out.customers)?)?;
    dict.set_item("dso", crate::to_python(py, &out.dso)?)?;
    Ok(dict.into_any())
}
