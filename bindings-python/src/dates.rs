//! Dates from numpy datetime64 buffers, read in Rust: the one conversion every frame entry
//! point needs (forecast, `_frame._days` for the other domains, attribution), without the
//! numpy passes and temporaries it took in Python.

use crmkit::error::ParseKind;
use crmkit::wire::{MAX_EPOCH_DAY, MIN_EPOCH_DAY};
use crmkit::Error;

/// Ticks per day of a numpy datetime64 unit (`np.datetime_data(dtype)[0]`); `None` for the
/// calendar units (`W`, `M`, `Y`) and anything else, which the caller converts its own way.
pub(crate) fn ticks_per_day(unit: &str) -> Option<i64> {
    Some(match unit {
        "D" => 1,
        "h" => 24,
        "m" => 1_440,
        "s" => 86_400,
        "ms" => 86_400_000,
        "us" => 86_400_000_000,
        "ns" => 86_400_000_000_000,
        _ => return None,
    })
}

/// What is wrong with the first bad row [`ticks_to_days`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadTick {
    /// The value is not a whole number of days.
    TimeOfDay,
    /// The day is outside the years 0001 to 9999.
    OutOfRange,
}

/// Days since 1970-01-01 of datetime64 ticks, `per_day` (> 0) of which make a day; numpy's NaT
/// (`i64::MIN`) stays `i64::MIN`. The one datetime64 reader of the Python bindings: the
/// forecast frame and `_frame._days` (every other `*_frame`) call it; `attribute_columns` hands
/// its ticks to the core, which reads them in its own pass (`crmkit::roi::DayColumn`).
///
/// # Errors
///
/// The first row with a time of day, else the first outside the years 0001 to 9999.
pub(crate) fn ticks_to_days(values: &[i64], per_day: i64) -> Result<Vec<i64>, (usize, BadTick)> {
    debug_assert!(per_day > 0);
    // numpy's units by a constant divisor (a multiplication, not a division per row).
    match per_day {
        1 => read::<1>(values),
        24 => read::<24>(values),
        1_440 => read::<1_440>(values),
        86_400 => read::<86_400>(values),
        86_400_000 => read::<86_400_000>(values),
        86_400_000_000 => read::<86_400_000_000>(values),
        86_400_000_000_000 => read::<86_400_000_000_000>(values),
        _ => read_by(values, per_day),
    }
}

fn read<const PER_DAY: i64>(values: &[i64]) -> Result<Vec<i64>, (usize, BadTick)> {
    read_by(values, PER_DAY)
}

/// The loop only notes that something is wrong (no branch per row); a second pass finds where.
#[inline(always)] // into each `read::<PER_DAY>`, whose constant divisor is the point
#[allow(clippy::inline_always)]
fn read_by(values: &[i64], per_day: i64) -> Result<Vec<i64>, (usize, BadTick)> {
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
        return Err((i, BadTick::TimeOfDay));
    }
    let i =
        dated().find(|(_, &v)| !(MIN_EPOCH_DAY..=MAX_EPOCH_DAY).contains(&v.div_euclid(per_day))).map_or(0, |(i, _)| i);
    Err((i, BadTick::OutOfRange))
}

/// [`ticks_to_days`] for a datetime64 column in `unit`, with crmkit's errors.
///
/// # Errors
///
/// `invalid_date` at `field[i]` for the first value with a time of day, or outside the years
/// 0001 to 9999; `invalid_value` at `field` for a unit that is not a day or a fraction of one.
pub(crate) fn days_from_datetime64(values: &[i64], unit: &str, field: &str) -> crmkit::Result<Vec<i64>> {
    let per_day = ticks_per_day(unit).ok_or_else(|| Error::InvalidValue {
        path: field.to_owned(),
        reason: format!("datetime64[{unit}] is not a unit of days or of a fraction of one"),
    })?;
    ticks_to_days(values, per_day).map_err(|(i, bad)| match bad {
        BadTick::TimeOfDay => Error::Parse {
            kind: ParseKind::Date,
            path: format!("{field}[{i}]"),
            message: format!(
                "datetime64[{unit}] value {} has a time of day; pass dates (Series.dt.normalize())",
                values[i]
            ),
        },
        // Worded as every other day column's range error.
        BadTick::OutOfRange => {
            crmkit::wire::check_days(&[values[i].div_euclid(per_day)], None, |_| format!("{field}[{i}]"))
                .expect_err("the day is out of range")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime64_values_become_days_or_typed_errors() {
        let ns = 86_400_000_000_000i64;
        let days = days_from_datetime64(&[0, ns * 20_000, -ns, i64::MIN], "ns", "on").unwrap();
        assert_eq!(days, [0, 20_000, -1, i64::MIN]);
        let e = days_from_datetime64(&[0, ns + 1], "ns", "on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"));
        let e = days_from_datetime64(&[0, 3_000_000], "D", "on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"));
        let e = days_from_datetime64(&[0, 3_000_000 * 86_400], "s", "on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"));
        // A time of day is named before a later row out of range, as numpy's checks did.
        assert_eq!(ticks_to_days(&[3_000_000 * 24, 25], 24), Err((1, BadTick::TimeOfDay)));
        assert_eq!(ticks_to_days(&[-25, 48, i64::MIN], 24), Err((0, BadTick::TimeOfDay)));
        // Every unit floors before 1970 as numpy does; an odd divisor takes the general loop.
        assert_eq!(ticks_to_days(&[-48, 48, i64::MIN], 24), Ok(vec![-2, 2, i64::MIN]));
        assert_eq!(ticks_to_days(&[-14, 21], 7), Ok(vec![-2, 3]));
        let e = days_from_datetime64(&[0], "M", "on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_value", "on"));
    }
}
