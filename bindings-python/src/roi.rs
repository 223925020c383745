//! Marketing ROI and attribution: [`crmkit::roi`] over the JSON text `crmkit._roi` writes.

use std::borrow::Cow;

use crmkit::roi::{AttributionPolicy, CodeColumn, ComparisonPolicy, DayColumn, JourneyColumns};
use crmkit::wire::from_json;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

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

/// `attribute_columns(policy_json, columns) -> (dict, int64 array)`:
/// [`crmkit::roi::attribute_columns`] over the touch columns (a mapping, see `Touches::read`),
/// one row per touch; returns the report (no journey lines) and each row's credit in units of
/// 10^-`rounding.dp`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn attribute_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    columns: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let (touches, policy): (_, AttributionPolicy) = columns_args(&columns, Touches::read, &policy_json)?;
    // numpy's array, written in place: its allocator asks for huge pages for a large array,
    // so the 40 MB of a million journeys' credits fault a few pages, not ten thousand (a
    // fifth of the call's time when Rust allocated them).
    let credits = PyArray1::<i64>::zeros(py, touches.journey.as_array().len(), false);
    let mut written = credits.readwrite();
    let out = written.as_slice_mut().map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let report =
        touches.with(py, policy.rounding.dp, |columns| crmkit::roi::attribute_columns_into(&policy, columns, out))?;
    drop(written);
    let report = to_python(py, &report)?;
    (report, credits).into_pyobject(py).map(Bound::into_any)
}

/// `compare_attribution_columns(policy_json, columns) -> (dict, [int64 array])`:
/// [`crmkit::roi::compare_attribution_columns_into`] over the columns [`attribute_columns`]
/// takes, with a comparison policy; returns the comparison and, per model, each row's credit
/// in units of 10^-`rounding.dp` (numpy's arrays, written in place as `attribute_columns`'
/// one).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn compare_attribution_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    columns: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let (touches, policy): (_, ComparisonPolicy) = columns_args(&columns, Touches::read, &policy_json)?;
    let rows = touches.journey.as_array().len();
    let arrays: Vec<_> = policy.models.iter().map(|_| PyArray1::<i64>::zeros(py, rows, false)).collect();
    let mut written: Vec<_> = arrays.iter().map(PyArrayMethods::readwrite).collect();
    let mut buffers = written
        .iter_mut()
        .map(|w| w.as_slice_mut().map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string())))
        .collect::<PyResult<Vec<&mut [i64]>>>()?;
    let comparison = touches.with(py, policy.rounding.dp, |columns| {
        crmkit::roi::compare_attribution_columns_into(&policy, columns, &mut buffers)
    })?;
    drop(buffers);
    drop(written);
    let comparison = to_python(py, &comparison)?;
    (comparison, arrays).into_pyobject(py).map(Bound::into_any)
}

/// A columns function's arguments in the order each of them reads them: its columns (by
/// `read`; a missing one is a `KeyError` naming it), then its policy's JSON.
pub(crate) fn columns_args<'py, C, P: serde::de::DeserializeOwned>(
    columns: &Bound<'py, PyDict>,
    read: impl FnOnce(&Bound<'py, PyDict>) -> PyResult<C>,
    policy_json: &str,
) -> PyResult<(C, P)> {
    let read = read(columns)?;
    let policy = crmkit::wire::from_json_arg(policy_json, "policy").map_err(to_py_err)?;
    Ok((read, policy))
}

/// The touch columns as numpy hands them over.
struct Touches<'py> {
    journey: PyReadonlyArray1<'py, i64>,
    channel: Codes<'py>,
    channel_labels: Vec<String>,
    on: PyReadonlyArray1<'py, i64>,
    revenue: Amount<'py>,
    revenue_scale: Option<u32>,
    converted_on: PyReadonlyArray1<'py, i64>,
    milestone: Option<PyReadonlyArray1<'py, i8>>,
    on_ticks: Option<i64>,
    converted_on_ticks: Option<i64>,
}

impl<'py> Touches<'py> {
    /// The columns from the mapping `crmkit._roi` / `crmkit._arrow_frames` write: `journey`
    /// (int64, consecutive rows with one value are a journey), `channel` (int8, int16 or
    /// int32: a categorical's own codes, borrowed) indexing `channel_labels`; `on` and
    /// `converted_on`, int64 days since 1970-01-01 (`i64::MIN`: none), or a naive datetime64
    /// column's int64 ticks when `on_ticks` / `converted_on_ticks` give its ticks per day (the
    /// core reads them as days in its one pass: nothing is converted or copied); `revenue` and
    /// `revenue_scale` as `forecast_columns`' amount; `milestone` int8 codes or None.
    fn read(columns: &Bound<'py, PyDict>) -> PyResult<Self> {
        let item = crate::columns::items(columns, "touch");
        Ok(Self {
            journey: item("journey")?.extract()?,
            channel: Codes::extract(&item("channel")?)?,
            channel_labels: item("channel_labels")?.extract()?,
            on: item("on")?.extract()?,
            revenue: Amount::extract(&item("revenue")?)?,
            revenue_scale: item("revenue_scale")?.extract()?,
            converted_on: item("converted_on")?.extract()?,
            milestone: item("milestone")?.extract()?,
            on_ticks: item("on_ticks")?.extract()?,
            converted_on_ticks: item("converted_on_ticks")?.extract()?,
        })
    }
}

impl Touches<'_> {
    /// `f` over the columns with the GIL released; `dp`: the policy's places (float revenue
    /// is rounded to them unless `revenue_scale` says otherwise).
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        dp: u32,
        f: impl FnOnce(&JourneyColumns) -> crmkit::Result<T> + Send,
    ) -> PyResult<T> {
        let revenue_data = self.revenue.data();
        let codes = self.channel.slices();
        let (journey, on, converted_on) = (slice(&self.journey), slice(&self.on), slice(&self.converted_on));
        let milestone = self.milestone.as_ref().map(slice);
        let (labels, scale) = (&self.channel_labels, self.revenue_scale);
        let (on_ticks, converted_on_ticks) = (self.on_ticks.unwrap_or(1), self.converted_on_ticks.unwrap_or(1));
        py.detach(|| {
            let mut decimals = Vec::new();
            let revenue = revenue_data.column(scale, dp, "revenue", &mut decimals)?;
            let columns = JourneyColumns {
                journey: &journey,
                channel: codes.column(),
                channel_labels: labels,
                on: DayColumn { values: &on, per_day: on_ticks },
                revenue,
                converted_on: DayColumn { values: &converted_on, per_day: converted_on_ticks },
                milestone: milestone.as_deref(),
            };
            f(&columns)
        })
        .map_err(to_py_err)
    }
}

/// Category codes as the frame holds them: int8, int16 or int32, borrowed.
enum Codes<'py> {
    I8(PyReadonlyArray1<'py, i8>),
    I16(PyReadonlyArray1<'py, i16>),
    I32(PyReadonlyArray1<'py, i32>),
}

/// [`Codes`]' values (copied only when numpy's array is not contiguous).
enum CodeSlices<'a> {
    I8(Cow<'a, [i8]>),
    I16(Cow<'a, [i16]>),
    I32(Cow<'a, [i32]>),
}

impl<'py> Codes<'py> {
    fn extract(array: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = array.extract::<PyReadonlyArray1<'py, i8>>() {
            return Ok(Self::I8(a));
        }
        if let Ok(a) = array.extract::<PyReadonlyArray1<'py, i16>>() {
            return Ok(Self::I16(a));
        }
        Ok(Self::I32(array.extract()?))
    }

    fn slices(&self) -> CodeSlices<'_> {
        match self {
            Self::I8(a) => CodeSlices::I8(slice(a)),
            Self::I16(a) => CodeSlices::I16(slice(a)),
            Self::I32(a) => CodeSlices::I32(slice(a)),
        }
    }
}

impl CodeSlices<'_> {
    fn column(&self) -> CodeColumn<'_> {
        match self {
            Self::I8(c) => CodeColumn::I8(c),
            Self::I16(c) => CodeColumn::I16(c),
            Self::I32(c) => CodeColumn::I32(c),
        }
    }
}

/// Adds this module's functions to `crmkit._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(campaign_roi, m)?)?;
    m.add_function(wrap_pyfunction!(attribute, m)?)?;
    m.add_function(wrap_pyfunction!(compare_attribution, m)?)?;
    m.add_function(wrap_pyfunction!(attribute_columns, m)?)?;
    m.add_function(wrap_pyfunction!(compare_attribution_columns, m)?)?;
    m.add_function(wrap_pyfunction!(crate::roi_campaigns::campaign_roi_columns, m)?)
}
