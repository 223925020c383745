//! Dates from numpy datetime64 buffers, read in Rust: the one conversion every frame entry
//! point needs (forecast, and any domain whose columns hold datetime64 dates), without the
//! three numpy passes and temporaries it took in Python.

use crmkit::error::ParseKind;
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

/// Days since 1970-01-01 of datetime64 values in `unit` (`i64::MIN`, numpy's NaT, stays
/// `i64::MIN`): the same rule as every crmkit date, a date and no time of day.
///
/// # Errors
///
/// `invalid_date` at `field[i]` for the first value with a time of day, or outside the years
/// 0001 to 9999; `invalid_value` at `field` for a unit that is not a day or a fraction of one.
pub(crate) fn days_from_datetime64(values: &[i64], unit: &str, field: &str) -> crmkit::Result<Vec<i64>> {
    // Blocks without an early exit; the first bad row is looked for only in a bad block.
    const BLOCK: usize = 4096;
    let per_day = ticks_per_day(unit).ok_or_else(|| Error::InvalidValue {
        path: field.to_owned(),
        reason: format!("datetime64[{unit}] is not a unit of days or of a fraction of one"),
    })?;
    if per_day == 1 {
        crmkit::wire::check_days(values, Some(i64::MIN), |i| format!("{field}[{i}]"))?;
        return Ok(values.to_vec());
    }
    // One division per value: a whole number of days divides exactly, so truncation is the
    // floor there, and any other value is the error below. (A 64-bit division by a constant
    // is a multiply, but not a vector one: two of them cost a million dates ~8 ms.)
    let mut days = Vec::with_capacity(values.len());
    for (k, block) in values.chunks(BLOCK).enumerate() {
        let mut bad = false;
        for &v in block {
            let d = v / per_day;
            bad |= v != i64::MIN && d * per_day != v;
            days.push(if v == i64::MIN { v } else { d });
        }
        if bad {
            let j = block.iter().position(|&v| v != i64::MIN && v % per_day != 0).unwrap_or(0);
            let i = k * BLOCK + j;
            return Err(Error::Parse {
                kind: ParseKind::Date,
                path: format!("{field}[{i}]"),
                message: format!(
                    "datetime64[{unit}] value {} has a time of day; pass dates (Series.dt.normalize())",
                    values[i]
                ),
            });
        }
    }
    crmkit::wire::check_days(&days, Some(i64::MIN), |i| format!("{field}[{i}]"))?;
    Ok(days)
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
        let e = days_from_datetime64(&[0], "M", "on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_value", "on"));
    }
}
