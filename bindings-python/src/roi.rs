//! Marketing ROI and attribution: [`crmkit::roi`] over the JSON text `crmkit._roi` writes.

use std::borrow::Cow;

use crmkit::roi::{AttributionPolicy, JourneyColumns};
use crmkit::wire::from_json;
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::{run, slice, to_py_err, to_python, Amount};

/// `campaign_roi(policy_json, campaigns_json) -> dict`: [`crmkit::roi::campaign_roi`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn campaign_roi(py: Python<'_>, policy_json: String, campaigns_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let campaigns: Vec<crmkit::roi::Campaign> = from_json(&campaigns_json, "campaigns")?;
        crmkit::roi::campaign_roi(&policy, &campaigns)
    })
}

/// `attribute(policy_json, journeys_json) -> dict`: [`crmkit::roi::attribute`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn attribute(py: Python<'_>, policy_json: String, journeys_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_json(&journeys_json, "journeys")?;
        crmkit::roi::attribute(&policy, &journeys)
    })
}

/// `compare_attribution(policy_json, journeys_json) -> dict`: [`crmkit::roi::compare_attribution`].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn compare_attribution(py: Python<'_>, policy_json: String, journeys_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_json(&journeys_json, "journeys")?;
        crmkit::roi::compare_attribution(&policy, &journeys)
    })
}

/// `attribute_columns(...) -> (dict, int64 array)`: [`crmkit::roi::attribute_columns`] over
/// columns, one row per touch; returns the report (no journey lines) and each row's credit in
/// units of 10^-`rounding.dp`. `journey` (int64) groups consecutive rows; `channel` (int8,
/// int16 or int32: a categorical's own codes) indexes `channel_labels`; `on` and
/// `converted_on` are int64 days since 1970-01-01 (`i64::MIN`: none), or a naive datetime64
/// column's int64 ticks when `on_ticks` / `converted_on_ticks` give its ticks per day (read
/// here, in the pass that turns them into days); `revenue` as `forecast_columns`' amount;
/// `milestone` int8 codes.
#[pyfunction]
#[pyo3(signature = (policy_json, journey, channel, channel_labels, on, revenue, revenue_scale, converted_on, milestone = None, on_ticks = None, converted_on_ticks = None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
pub fn attribute_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    journey: PyReadonlyArray1<'py, i64>,
    channel: Bound<'py, PyAny>,
    channel_labels: Vec<String>,
    on: PyReadonlyArray1<'py, i64>,
    revenue: Bound<'py, PyAny>,
    revenue_scale: Option<u32>,
    converted_on: PyReadonlyArray1<'py, i64>,
    milestone: Option<PyReadonlyArray1<'py, i8>>,
    on_ticks: Option<i64>,
    converted_on_ticks: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let revenue = Amount::extract(&revenue)?;
    let revenue_data = revenue.data();
    let codes = Codes::extract(&channel)?;
    let channel = codes.slice();
    let (journey, on, converted_on) = (slice(&journey), slice(&on), slice(&converted_on));
    let milestone = milestone.as_ref().map(slice);
    let out = py
        .detach(|| {
            let policy: AttributionPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
            let mut decimals = Vec::new();
            let revenue = revenue_data.column(revenue_scale, policy.rounding.dp, "revenue", &mut decimals)?;
            let on = days(on, on_ticks, "on")?;
            let converted_on = days(converted_on, converted_on_ticks, "converted_on")?;
            let columns = JourneyColumns {
                journey: &journey,
                channel: &channel,
                channel_labels: &channel_labels,
                on: &on,
                revenue,
                converted_on: &converted_on,
                milestone: milestone.as_deref(),
            };
            crmkit::roi::attribute_columns(&policy, &columns)
        })
        .map_err(to_py_err)?;
    let report = to_python(py, &out.report)?;
    let credits = out.credits.into_pyarray(py);
    (report, credits).into_pyobject(py).map(Bound::into_any)
}

/// Category codes as the frame holds them: int32 borrowed, int8 / int16 widened once.
enum Codes<'py> {
    Wide(PyReadonlyArray1<'py, i32>),
    Narrow(Vec<i32>),
}

impl<'py> Codes<'py> {
    fn extract(array: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = array.extract::<PyReadonlyArray1<'py, i32>>() {
            return Ok(Self::Wide(a));
        }
        if let Ok(a) = array.extract::<PyReadonlyArray1<'py, i8>>() {
            return Ok(Self::Narrow(a.as_array().iter().map(|&c| i32::from(c)).collect()));
        }
        let a: PyReadonlyArray1<'py, i16> = array.extract()?;
        Ok(Self::Narrow(a.as_array().iter().map(|&c| i32::from(c)).collect()))
    }

    fn slice(&self) -> Cow<'_, [i32]> {
        match self {
            Self::Wide(a) => slice(a),
            Self::Narrow(v) => Cow::Borrowed(v),
        }
    }
}

/// Days since 1970-01-01 from `ticks` per day (a datetime64 column's int64 view; NaT, the
/// i64 minimum, stays the missing day), or `values` as they are without `ticks`. A tick that
/// is not midnight is `invalid_date` at `field[i]`, as the pandas path says.
fn days<'a>(values: Cow<'a, [i64]>, ticks: Option<i64>, field: &str) -> crmkit::Result<Cow<'a, [i64]>> {
    let per_day = match ticks {
        None | Some(1) => return Ok(values),
        Some(t @ (24 | 1_440 | 86_400 | 86_400_000 | 86_400_000_000 | 86_400_000_000_000)) => t,
        Some(t) => {
            // Only numpy's own units reach here (crmkit._roi picks them).
            return Err(crmkit::Error::InvalidValue {
                path: format!("{field}_ticks"),
                reason: format!("{t} ticks per day is not a datetime64 unit (D, h, m, s, ms, us, ns)"),
            });
        }
    };
    match crate::dates::ticks_to_days(&values, per_day) {
        Ok(days) => Ok(Cow::Owned(days)),
        Err((i, crate::dates::BadTick::TimeOfDay)) => Err(crmkit::Error::Parse {
            kind: crmkit::ParseKind::Date,
            path: format!("{field}[{i}]"),
            message: "a time of day; pass dates (Series.dt.normalize())".into(),
        }),
        // The core's own day check words a date outside 0001..9999, as for day columns.
        Err((_, crate::dates::BadTick::OutOfRange)) => {
            Ok(Cow::Owned(values.iter().map(|&v| if v == i64::MIN { v } else { v.div_euclid(per_day) }).collect()))
        }
    }
}

/// Adds this module's functions to `crmkit._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(campaign_roi, m)?)?;
    m.add_function(wrap_pyfunction!(attribute, m)?)?;
    m.add_function(wrap_pyfunction!(compare_attribution, m)?)?;
    m.add_function(wrap_pyfunction!(attribute_columns, m)?)
}
