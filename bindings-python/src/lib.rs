//! `crmkit._native`: the compiled half of the `crmkit` Python package.
//!
//! Every function here converts its input, calls one crmkit function with the GIL released,
//! converts the output with [`to_python`] and maps the error with [`to_py_err`]. The Python
//! half (`python/crmkit/`) turns caller objects into the JSON text and columns taken here.

mod columns;
mod commission;
mod commission_batches;
mod dates;
mod days;
mod dedup;
mod dedup_out;
mod dedup_parts;
mod forecast_quota;
mod frame;
mod plan;
mod pool;
mod roi;
mod roi_campaigns;
mod scoring;
mod to_python;

use std::borrow::Cow;

use crmkit::forecast::{AmountColumn, ForecastPolicy};
use crmkit::wire::{from_json, parse_date, parse_decimal};
use crmkit::Decimal;
use numpy::{Element, PyReadonlyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

pub use to_python::to_python;

pyo3::create_exception!(
    crmkit,
    CrmkitError,
    PyValueError,
    "Raised by every crmkit function: `.code` is the stable snake_case error code, `.path` the \
     offending field (`stages[1].conversion`, `deals[3].amount`, `amount[3]`)."
);

/// Maps a crmkit error to `crmkit.CrmkitError` (message = the error's Display).
#[allow(clippy::needless_pass_by_value)] // by value so that `.map_err(to_py_err)` reads well
pub fn to_py_err(e: crmkit::Error) -> PyErr {
    Python::attach(|py| {
        let err = CrmkitError::new_err(e.to_string());
        let value = err.value(py);
        let set = value
            .setattr(pyo3::intern!(py, "code"), e.code())
            .and_then(|()| value.setattr(pyo3::intern!(py, "path"), e.path()));
        match set {
            Ok(()) => err,
            Err(other) => other,
        }
    })
}

/// Runs one core call with the GIL released, and converts its report or its error: the
/// common tail of every function here.
pub(crate) fn run<R: serde::Serialize + Send>(
    py: Python<'_>,
    call: impl FnOnce() -> crmkit::Result<R> + Send,
) -> PyResult<Bound<'_, PyAny>> {
    let report = py.detach(call).map_err(to_py_err)?;
    to_python(py, &report)
}

/// `forecast(policy_json, deals_json, as_of) -> dict`: [`crmkit::forecast::forecast`] over
/// JSON text (written by `crmkit._wire`), `as_of` as `YYYY-MM-DD`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
fn forecast(py: Python<'_>, policy_json: String, deals_json: String, as_of: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let deals: Vec<crmkit::forecast::Deal> = from_json(&deals_json, "deals")?;
        crmkit::forecast::forecast(&policy, &deals, parse_date(&as_of, "as_of")?)
    })
}

/// `allocate_target(policy_json, input_json, as_of) -> dict`:
/// [`crmkit::forecast::allocate_target`] over JSON text (written by `crmkit._wire`).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
fn allocate_target(
    py: Python<'_>,
    policy_json: String,
    input_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, input) =
            (crmkit::wire::from_json_arg(&policy_json, "policy")?, crmkit::wire::from_json_arg(&input_json, "input")?);
        crmkit::forecast::allocate_target(&policy, &input, parse_date(&as_of, "as_of")?)
    })
}

/// `allocate_tree(policy_json, input_json, as_of) -> dict`:
/// [`crmkit::forecast::allocate_tree`] over JSON text (written by `crmkit._wire`).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
fn allocate_tree(py: Python<'_>, policy_json: String, input_json: String, as_of: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, input) =
            (crmkit::wire::from_json_arg(&policy_json, "policy")?, crmkit::wire::from_json_arg(&input_json, "input")?);
        crmkit::forecast::allocate_tree(&policy, &input, parse_date(&as_of, "as_of")?)
    })
}

/// `forecast_ranges(policy_json, settings_json, deals_json, as_of) -> dict`:
/// [`crmkit::forecast::forecast_ranges`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
fn forecast_ranges(
    py: Python<'_>,
    policy_json: String,
    settings_json: String,
    deals_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, settings) = (
            crmkit::wire::from_json_arg(&policy_json, "policy")?,
            crmkit::wire::from_json_arg(&settings_json, "settings")?,
        );
        let deals: Vec<crmkit::forecast::Deal> = from_json(&deals_json, "deals")?;
        crmkit::forecast::forecast_ranges(&policy, &settings, &deals, parse_date(&as_of, "as_of")?)
    })
}

/// `funnel_history(policy_json, events_json, as_of) -> dict`:
/// [`crmkit::forecast::funnel_history`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
fn funnel_history(
    py: Python<'_>,
    policy_json: String,
    events_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let events: Vec<crmkit::forecast::StageEvent> = from_json(&events_json, "events")?;
        crmkit::forecast::funnel_history(&policy, &events, parse_date(&as_of, "as_of")?)
    })
}

/// `forecast_columns(...) -> dict`: [`crmkit::forecast::forecast_columns_parallel`] over
/// columns, on `threads` threads (same result for any count).
///
/// `stage_codes` (int32) index `stage_labels`; `amount` is an int64 array (units of
/// 10^-`amount_scale`, whole units when `None`), a float64 array (rounded once to
/// `amount_scale` places, the policy's `rounding.dp` when `None`) or a list of
/// decimal strings; `entered_days`, `close_days` and `snoozed_days` (int64 days since
/// 1970-01-01, `i64::MIN` for none: entered stage, expected close, stall snoozed until) may be
/// `None`; `keys` holds one `(int32 codes, labels)` pair per policy `group_by` entry;
/// `probability` (float64, NaN for the stage's own) and `category` (`(int32 codes, labels)`,
/// -1 for the stage's own) are the per-deal inputs, `None` without them; `activity_days`
/// (int64 days, `i64::MIN` for none) each deal's last activity.
/// Contiguous arrays are borrowed, others copied once.
#[pyfunction]
#[pyo3(signature = (policy_json, stage_codes, stage_labels, amount, amount_scale, entered_days, keys, as_of, threads = 1, close_days = None, snoozed_days = None, probability = None, category = None, activity_days = None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
fn forecast_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    stage_codes: PyReadonlyArray1<'py, i32>,
    stage_labels: Vec<String>,
    amount: Bound<'py, PyAny>,
    amount_scale: Option<u32>,
    entered_days: Option<PyReadonlyArray1<'py, i64>>,
    keys: Vec<forecast_quota::Coded<'py>>,
    as_of: String,
    threads: usize,
    close_days: Option<PyReadonlyArray1<'py, i64>>,
    snoozed_days: Option<PyReadonlyArray1<'py, i64>>,
    probability: Option<PyReadonlyArray1<'py, f64>>,
    category: Option<forecast_quota::Coded<'py>>,
    activity_days: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<Bound<'py, PyAny>> {
    let amount = Amount::extract(&amount)?;
    let data = forecast_quota::DealData::new(
        (&stage_codes, &stage_labels),
        (&amount, amount_scale),
        [&entered_days, &close_days, &snoozed_days, &activity_days].map(|d| d.as_ref().map(|values| (values, "D"))),
        keys.iter().map(|(codes, labels)| frame::KeyData::Codes(slice(codes), labels)).collect(),
        probability.as_ref(),
        category.as_ref(),
    );
    run(py, || {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let as_of = parse_date(&as_of, "as_of")?;
        data.with(&policy, |columns| crmkit::forecast::forecast_columns_parallel(&policy, columns, as_of, threads))
    })
}

/// The amount column as the caller's array or list holds it.
enum Amount<'py> {
    Units(PyReadonlyArray1<'py, i64>),
    Floats(PyReadonlyArray1<'py, f64>),
    Strings(Vec<String>),
}

/// Its data, readable with the GIL released.
enum AmountData<'a> {
    Units(Cow<'a, [i64]>),
    Floats(Cow<'a, [f64]>),
    Strings(&'a [String]),
}

impl<'py> Amount<'py> {
    fn extract(amount: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = amount.extract::<PyReadonlyArray1<'py, i64>>() {
            Ok(Self::Units(a))
        } else if let Ok(a) = amount.extract::<PyReadonlyArray1<'py, f64>>() {
            Ok(Self::Floats(a))
        } else if let Ok(strings) = amount.extract::<Vec<String>>() {
            Ok(Self::Strings(strings))
        } else {
            Err(PyTypeError::new_err("amount: an int64 or float64 numpy array, or a list of decimal strings"))
        }
    }
}

impl Amount<'_> {
    /// Its data, readable with the GIL released.
    fn data(&self) -> AmountData<'_> {
        match self {
            Self::Units(a) => AmountData::Units(slice(a)),
            Self::Floats(a) => AmountData::Floats(slice(a)),
            Self::Strings(s) => AmountData::Strings(s),
        }
    }
}

impl AmountData<'_> {
    /// The core's money column (issue 6.10): integers are whole units unless `scale` declares
    /// minor units; floats are rounded to `scale` places, else to the policy's `dp`; strings
    /// are parsed into `decimals` (errors at `field[i]`).
    fn column<'a>(
        &'a self,
        scale: Option<u32>,
        dp: u32,
        field: &str,
        decimals: &'a mut Vec<Decimal>,
    ) -> crmkit::Result<AmountColumn<'a>> {
        Ok(match self {
            Self::Units(units) => AmountColumn::Units { units, scale: scale.unwrap_or(0) },
            Self::Floats(values) => AmountColumn::Float { values, scale: scale.unwrap_or(dp) },
            Self::Strings(strings) => {
                *decimals = strings
                    .iter()
                    .enumerate()
                    .map(|(i, s)| parse_decimal(s, &format!("{field}[{i}]")))
                    .collect::<crmkit::Result<Vec<_>>>()?;
                AmountColumn::Decimal(decimals)
            }
        })
    }
}

/// The array's data: borrowed when contiguous, copied once otherwise (a strided view).
fn slice<'a, T: Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    array.as_slice().map_or_else(|_| Cow::Owned(array.as_array().to_vec()), Cow::Borrowed)
}

/// The module. numpy is imported on the first call of `forecast_columns`, not here, so
/// `import crmkit` works without it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crmkit::VERSION)?;
    m.add("CrmkitError", m.py().get_type::<CrmkitError>())?;
    m.add_function(wrap_pyfunction!(forecast, m)?)?;
    m.add_function(wrap_pyfunction!(forecast_columns, m)?)?;
    m.add_function(wrap_pyfunction!(frame::forecast_frame_columns, m)?)?;
    m.add_function(wrap_pyfunction!(frame::text_buffers, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_target, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_tree, m)?)?;
    m.add_function(wrap_pyfunction!(forecast_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(funnel_history, m)?)?;
    commission::register(m)?;
    m.add_function(wrap_pyfunction!(commission_batches::payment_interest_columns, m)?)?;
    m.add_function(wrap_pyfunction!(commission_batches::collections_columns, m)?)?;
    m.add_function(wrap_pyfunction!(days::datetime_days, m)?)?;
    roi::register(m)?;
    scoring::register(m)?;
    m.add_function(wrap_pyfunction!(plan::quota_attainment, m)?)?;
    m.add_function(wrap_pyfunction!(forecast_quota::quota_columns, m)?)?;
    m.add_function(wrap_pyfunction!(plan::forecast_hierarchy, m)?)?;
    m.add_function(wrap_pyfunction!(plan::fiscal_periods, m)?)?;
    m.add_function(wrap_pyfunction!(plan::backtest, m)?)?;
    dedup::register(m)?;
    m.add_function(wrap_pyfunction!(pool::evaluate_pool, m)?)?;
    m.add_function(wrap_pyfunction!(pool::check_claims, m)?)?;
    m.add_function(wrap_pyfunction!(pool::assign_records, m)?)?;
    m.add_function(wrap_pyfunction!(pool::lint_pool, m)?)?;
    m.add_function(wrap_pyfunction!(pool::simulate_pool, m)?)?;
    m.add_function(wrap_pyfunction!(pool::evaluate_pool_columns, m)?)?;
    m.add_function(wrap_pyfunction!(pool::simulate_pool_columns, m)?)?;
    m.add_function(wrap_pyfunction!(pool::assign_records_columns, m)?)?;
    m.add_function(wrap_pyfunction!(pool::check_claims_columns, m)?)?;
    Ok(())
}
