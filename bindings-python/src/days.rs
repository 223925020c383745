//! `datetime_days`: a datetime64 column (as its int64 view) read into days since 1970-01-01,
//! for every `*_frame` that takes dates (`crmkit._frame._days`). One pass in Rust instead of
//! numpy's four (cast to days, NaT mask, time-of-day and range checks), by [`ticks_to_days`].

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;

use crmkit::wire::BadDay;

use crate::dates::ticks_to_days;

/// `datetime_days(values, per_day) -> (days | None, row, problem)`: `values` are a datetime64
/// column's int64 view (numpy's NaT is `i64::MIN`) in units of which `per_day` make a day.
/// Returns the days (NaT kept as `i64::MIN`), or `None` with the first row that has a time of
/// day (`problem` 1) or, when none has, the first outside the years 0001 to 9999 (2): the
/// caller words the error as it always has.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
pub fn datetime_days<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, i64>,
    per_day: i64,
) -> PyResult<(Option<Bound<'py, PyAny>>, i64, u8)> {
    if per_day <= 0 {
        return Err(pyo3::exceptions::PyValueError::new_err("per_day must be positive"));
    }
    let values = crate::slice(&values);
    let result = py.detach(|| ticks_to_days(&values, per_day));
    Ok(match result {
        Ok(days) => (Some(days.into_pyarray(py).into_any()), -1, 0),
        Err((i, bad)) => {
            let problem = match bad {
                BadDay::TimeOfDay => 1,
                BadDay::Range => 2,
            };
            (None, i64::try_from(i).unwrap_or(i64::MAX), problem)
        }
    })
}
