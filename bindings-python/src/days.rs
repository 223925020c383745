//! `datetime_days`: a datetime64 column (as its int64 view) read into days since 1970-01-01,
//! for every `*_frame` that takes dates (`crmkit._frame._days`). One pass in Rust instead of
//! numpy's four (cast to days, NaT mask, time-of-day and range checks).

use crmkit::wire::{MAX_EPOCH_DAY, MIN_EPOCH_DAY};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;

/// What is wrong with a row, if anything.
const TIME_OF_DAY: u8 = 1;
const OUT_OF_RANGE: u8 = 2;

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
    let result = py.detach(|| match per_day {
        // The common units by a constant divisor (a multiplication, not a division per row).
        1 => read::<1>(&values),
        86_400 => read::<86_400>(&values),
        86_400_000 => read::<86_400_000>(&values),
        86_400_000_000 => read::<86_400_000_000>(&values),
        86_400_000_000_000 => read::<86_400_000_000_000>(&values),
        _ => read_by(&values, per_day),
    });
    Ok(match result {
        Ok(days) => (Some(days.into_pyarray(py).into_any()), -1, 0),
        Err((i, problem)) => (None, i64::try_from(i).unwrap_or(i64::MAX), problem),
    })
}

fn read<const PER_DAY: i64>(values: &[i64]) -> Result<Vec<i64>, (usize, u8)> {
    read_by(values, PER_DAY)
}

/// The days, or the first row with a time of day, else the first out of range. The loop only
/// notes that something is wrong (no branch per row); a second pass finds where.
#[inline(always)] // into each `read::<PER_DAY>`, whose constant divisor is the point
#[allow(clippy::inline_always)]
fn read_by(values: &[i64], per_day: i64) -> Result<Vec<i64>, (usize, u8)> {
    let mut days = Vec::with_capacity(values.len());
    let mut wrong = false;
    #[allow(clippy::needless_bitwise_bool)] // no branch per row: `&` and `|` on purpose
    for &v in values {
        // numpy casts to a coarser unit by flooring, as div_euclid does; NaT stays NaT.
        let (day, rest) = (v.div_euclid(per_day), v.rem_euclid(per_day));
        let date = v != i64::MIN;
        wrong |= date & ((rest != 0) | !(MIN_EPOCH_DAY..=MAX_EPOCH_DAY).contains(&day));
        days.push(if date { day } else { v });
    }
    if !wrong {
        return Ok(days);
    }
    let dated = || values.iter().enumerate().filter(|(_, &v)| v != i64::MIN);
    if let Some((i, _)) = dated().find(|(_, &v)| v.rem_euclid(per_day) != 0) {
        return Err((i, TIME_OF_DAY));
    }
    let (i, _) = dated()
        .find(|(_, &v)| !(MIN_EPOCH_DAY..=MAX_EPOCH_DAY).contains(&v.div_euclid(per_day)))
        .map_or((0, 0), |(i, &v)| (i, v));
    Err((i, OUT_OF_RANGE))
}
