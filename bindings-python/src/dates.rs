//! Dates from numpy datetime64 buffers, read in Rust: the conversion the frame entry points
//! need (`_frame._days`), without the numpy passes and temporaries it took in Python. The
//! forecast frame hands its ticks to the core instead, which reads them in place
//! (`crmkit::forecast::DateColumn::Ticks`).

use crmkit::wire::{BadDay, DayTicks, MAX_EPOCH_DAY, MIN_EPOCH_DAY};

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

/// Days since 1970-01-01 of datetime64 ticks, `per_day` (> 0) of which make a day; numpy's NaT
/// (`i64::MIN`) stays `i64::MIN`. The datetime64 reader of `_frame._days` (the `*_frame`
/// functions whose core takes days); `forecast_frame` and `attribute_columns` hand their ticks
/// to the core, which reads them in its own pass (`crmkit::forecast::DateColumn`,
/// `crmkit::roi::DayColumn`).
///
/// # Errors
///
/// The first row with a time of day, else the first outside the years 0001 to 9999 (the core's
/// [`BadDay`]).
pub(crate) fn ticks_to_days(values: &[i64], per_day: i64) -> Result<Vec<i64>, (usize, BadDay)> {
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

fn read<const PER_DAY: i64>(values: &[i64]) -> Result<Vec<i64>, (usize, BadDay)> {
    read_by(values, PER_DAY)
}

/// The loop only notes that something is wrong (no branch per row); a second pass finds where.
///
/// No division per row: [`DayTicks`] reads a tick as its day by a multiplication and tells a
/// value that is no whole day of the years 0001 to 9999 by a rotation and a comparison, exactly
/// for any unit (a division per row took 2.2 ms per million nanosecond values, the
/// multiplication 1.3, measured when it came).
#[inline(always)] // into each `read::<PER_DAY>`, whose constant divisor is the point
#[allow(clippy::inline_always)]
fn read_by(values: &[i64], per_day: i64) -> Result<Vec<i64>, (usize, BadDay)> {
    let ticks = DayTicks::new(per_day);
    let mut wrong = false;
    #[allow(clippy::needless_bitwise_bool)] // no branch per row: `&` and `|` on purpose
    let days: Vec<i64> = values
        .iter()
        .map(|&v| {
            let x = ticks.index(v);
            // NaT stays NaT.
            let date = v != i64::MIN;
            wrong |= date & (x > ticks.limit);
            if date {
                ticks.base_day.wrapping_add(x as i64)
            } else {
                v
            }
        })
        .collect();
    if !wrong {
        return Ok(days);
    }
    let dated = || values.iter().enumerate().filter(|&(_, &v)| v != i64::MIN);
    if let Some((i, _)) = dated().find(|&(_, &v)| v.rem_euclid(per_day) != 0) {
        return Err((i, BadDay::TimeOfDay));
    }
    let i = dated()
        .find(|&(_, &v)| !(MIN_EPOCH_DAY..=MAX_EPOCH_DAY).contains(&v.div_euclid(per_day)))
        .map_or(0, |(i, _)| i);
    Err((i, BadDay::Range))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crmkit::wire::inverse_mod_2_64;

    #[test]
    fn datetime64_values_become_days_or_where_they_are_wrong() {
        let ns = 86_400_000_000_000i64;
        // A time of day is named before a later row out of range, as numpy's checks did.
        assert_eq!(ticks_to_days(&[3_000_000 * 24, 25], 24), Err((1, BadDay::TimeOfDay)));
        assert_eq!(ticks_to_days(&[-25, 48, i64::MIN], 24), Err((0, BadDay::TimeOfDay)));
        // Every unit floors before 1970 as numpy does; an odd divisor takes the general loop.
        assert_eq!(ticks_to_days(&[-48, 48, i64::MIN], 24), Ok(vec![-2, 2, i64::MIN]));
        assert_eq!(ticks_to_days(&[-14, 21], 7), Ok(vec![-2, 3]));
        // A huge odd factor: 2,900,000 × per_day wrapped modulo 2^64 multiplies back to a day
        // in range, yet is no whole day.
        let per_day = (1i64 << 60) + 1;
        assert_eq!(
            ticks_to_days(&[3 * per_day, 2_900_000i64.wrapping_mul(per_day)], per_day),
            Err((1, BadDay::TimeOfDay))
        );
        assert_eq!(ticks_to_days(&[3 * per_day, i64::MIN], per_day), Ok(vec![3, i64::MIN]));
        // Every unit, whole days at the range's ends and one tick off them.
        for per_day in [1i64, 24, 1_440, 86_400, 86_400_000, 86_400_000_000, ns, 7, 48] {
            assert_eq!(
                inverse_mod_2_64((per_day >> per_day.trailing_zeros()) as u64)
                    .wrapping_mul((per_day >> per_day.trailing_zeros()) as u64),
                1
            );
            for day in [MIN_EPOCH_DAY, -1, 0, 1, 20_000, MAX_EPOCH_DAY] {
                let Some(v) = day.checked_mul(per_day) else { continue };
                assert_eq!(ticks_to_days(&[v, i64::MIN], per_day), Ok(vec![day, i64::MIN]), "{per_day} {day}");
                if per_day > 1 {
                    assert_eq!(ticks_to_days(&[v + 1], per_day), Err((0, BadDay::TimeOfDay)), "{per_day} {day}");
                    assert_eq!(ticks_to_days(&[v - 1], per_day), Err((0, BadDay::TimeOfDay)), "{per_day} {day}");
                }
            }
            for day in [MIN_EPOCH_DAY - 1, MAX_EPOCH_DAY + 1] {
                if let Some(v) = day.checked_mul(per_day) {
                    assert_eq!(ticks_to_days(&[v], per_day), Err((0, BadDay::Range)), "{per_day} {day}");
                }
            }
            assert!(ticks_to_days(&[i64::MAX], per_day).is_err(), "{per_day}");
        }
    }
}
