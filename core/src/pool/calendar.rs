//! Working-day calendars as data: a weekend, public holidays, and make-up working days
//! (调休: China moves weekend days to stretch a holiday, so 2026-09-27, a Sunday, is worked).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A working-day calendar.
///
/// # Examples
///
/// ```
/// let cal: crmkit::pool::HolidayCalendar = crmkit::wire::from_json(r#"{
///     "holidays": ["2026-10-01", "2026-10-02", "2026-10-05"],
///     "workdays": ["2026-09-27"]
/// }"#, "calendar")?;
/// cal.validate("calendar")?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct HolidayCalendar {
    /// Days of the week not worked, ISO numbers (1 = Monday ... 7 = Sunday). Default: 6, 7.
    #[serde(default = "HolidayCalendar::saturday_sunday")]
    pub weekend: Vec<i64>,
    /// Dates not worked although they are not weekend days (a holiday on a weekend day changes
    /// nothing and is allowed, as official lists give them).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate[]"))]
    pub holidays: Vec<Day>,
    /// Weekend dates that are worked (调休 make-up days). Each must fall on a weekend day and
    /// must not also be a holiday.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate[]"))]
    pub workdays: Vec<Day>,
}

/// A date on the wire (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(#[serde(with = "crate::wire::date")] pub NaiveDate);

impl HolidayCalendar {
    fn saturday_sunday() -> Vec<i64> {
        vec![6, 7]
    }

    /// Checks the calendar; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// `out_of_range` at `{path}.weekend[i]` for a day outside 1..=7; `invalid_value` at
    /// `{path}.weekend` when every day is a weekend day; `duplicate_name` for a date listed twice
    /// (`{path}.holidays[3]`); `invalid_value` at `{path}.workdays[j]` for a make-up day that is
    /// also a holiday (contradictory) or that is not a weekend day.
    pub fn validate(&self, path: &str) -> Result<()> {
        self.compile(path).map(|_| ())
    }

    pub(crate) fn compile(&self, path: &str) -> Result<WorkCalendar> {
        let mut weekend = [false; 7];
        for (i, &d) in self.weekend.iter().enumerate() {
            if !(1..=7).contains(&d) {
                return Err(Error::out_of_range(format!("{path}.weekend[{i}]"), d, 1, 7));
            }
            weekend[(d - 1) as usize] = true;
        }
        if weekend.iter().all(|&w| w) {
            return Err(Error::InvalidValue {
                path: format!("{path}.weekend"),
                reason: "every day of the week is a weekend day: no working day would ever come".into(),
            });
        }
        let mut seen: HashMap<NaiveDate, String> = HashMap::new();
        for (list, name) in [(&self.holidays, "holidays"), (&self.workdays, "workdays")] {
            for (i, day) in list.iter().enumerate() {
                let here = format!("{path}.{name}[{i}]");
                if let Some(first) = seen.get(&day.0) {
                    if first.starts_with(&format!("{path}.{name}[")) {
                        return Err(Error::DuplicateName { path: here, name: day_text(day.0), first: first.clone() });
                    }
                    return Err(Error::InvalidValue {
                        path: here,
                        reason: format!("{} is both a holiday ({first}) and a make-up working day", day_text(day.0)),
                    });
                }
                if name == "workdays" && !weekend[day.0.weekday().number_from_monday() as usize - 1] {
                    return Err(Error::InvalidValue {
                        path: here,
                        reason: format!("make-up working day {} is not a weekend day", day_text(day.0)),
                    });
                }
                seen.insert(day.0, here);
            }
        }
        let mut holidays: Vec<NaiveDate> = self
            .holidays
            .iter()
            .map(|d| d.0)
            .filter(|d| !weekend[d.weekday().number_from_monday() as usize - 1])
            .collect();
        holidays.sort_unstable();
        let mut workdays: Vec<NaiveDate> = self.workdays.iter().map(|d| d.0).collect();
        workdays.sort_unstable();
        let per_week = weekend.iter().filter(|&&w| !w).count() as i64;
        Ok(WorkCalendar { weekend, per_week, holidays, workdays })
    }
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A validated calendar, ready to count: holidays kept only where they remove a working day.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkCalendar {
    weekend: [bool; 7],
    per_week: i64,
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

impl WorkCalendar {
    /// Plain Monday-to-Friday weeks.
    pub(crate) fn weekdays() -> Self {
        let mut weekend = [false; 7];
        weekend[5] = true;
        weekend[6] = true;
        Self { weekend, per_week: 5, ..Self::default() }
    }

    fn is_weekend(&self, d: NaiveDate) -> bool {
        self.weekend[d.weekday().number_from_monday() as usize - 1]
    }

    /// Whether `d` is worked.
    pub(crate) fn is_working(&self, d: NaiveDate) -> bool {
        if self.is_weekend(d) {
            self.workdays.binary_search(&d).is_ok()
        } else {
            self.holidays.binary_search(&d).is_err()
        }
    }

    /// Working days in `(a, b]` (0 when `b <= a`).
    pub(crate) fn count(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b <= a {
            return 0;
        }
        let days = super::time::days_between(a, b);
        let mut n = days / 7 * self.per_week;
        let mut d = a + chrono::Duration::days(days / 7 * 7);
        while d < b {
            d = d.succ_opt().unwrap_or(d);
            if !self.is_weekend(d) {
                n += 1;
            }
        }
        let within =
            |list: &[NaiveDate]| (list.partition_point(|x| *x <= b) - list.partition_point(|x| *x <= a)) as i64;
        n - within(&self.holidays) + within(&self.workdays)
    }

    /// The first date `d >= a` with `count(a, d) >= n`; `None` past year 9999.
    pub(crate) fn advance(&self, a: NaiveDate, n: i64) -> Option<NaiveDate> {
        if n <= 0 {
            return Some(a);
        }
        // Every week has a working day, and each holiday removes at most one: the answer lies
        // within 7 × (n + holidays + 1) days.
        let span = 7i64.checked_mul(n.checked_add(self.holidays.len() as i64 + 1)?)?;
        let (mut lo, mut hi) = (0i64, span);
        let at = |k: i64| a.checked_add_signed(chrono::Duration::days(k));
        at(hi)?;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.count(a, at(mid)?) >= n {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        at(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cn_2026_national_day() -> WorkCalendar {
        let cal: HolidayCalendar = crate::wire::from_json(
            r#"{"holidays": ["2026-10-01","2026-10-02","2026-10-03","2026-10-04","2026-10-05","2026-10-06","2026-10-07"],
                "workdays": ["2026-09-27", "2026-10-10"]}"#,
            "c",
        )
        .unwrap();
        cal.compile("c").unwrap()
    }

    #[test]
    fn counts_match_a_day_by_day_walk() {
        let cal = cn_2026_national_day();
        let start = d("2026-09-20");
        for len in 0..40 {
            let end = start + chrono::Duration::days(len);
            let mut walk = 0;
            let mut x = start;
            while x < end {
                x = x.succ_opt().unwrap();
                let worked = (!cal.is_weekend(x) && !cal.holidays.contains(&x)) || cal.workdays.contains(&x);
                walk += i64::from(worked);
            }
            assert_eq!(cal.count(start, end), walk, "{end}");
            if walk > 0 {
                let first = cal.advance(start, walk).unwrap();
                assert_eq!(cal.count(start, first), walk);
                assert!(cal.count(start, first.pred_opt().unwrap()) < walk);
            }
        }
    }

    #[test]
    fn make_up_sunday_counts_and_golden_week_does_not() {
        let cal = cn_2026_national_day();
        // Fri 09-25 → Mon 09-28: Sun 09-27 is worked, so 2 working days (27, 28).
        assert_eq!(cal.count(d("2026-09-25"), d("2026-09-28")), 2);
        // 09-30 → 10-08: only 10-08 is worked.
        assert_eq!(cal.count(d("2026-09-30"), d("2026-10-08")), 1);
        assert_eq!(cal.advance(d("2026-09-30"), 1), Some(d("2026-10-08")));
    }

    #[test]
    fn contradictions_and_duplicates_are_refused() {
        let bad = |json: &str| {
            let cal: HolidayCalendar = crate::wire::from_json(json, "c").unwrap();
            let e = cal.validate("calendars.cn").unwrap_err();
            (e.code().to_owned(), e.path().to_owned())
        };
        assert_eq!(
            bad(r#"{"holidays": ["2026-10-01", "2026-10-01"]}"#),
            ("duplicate_name".into(), "calendars.cn.holidays[1]".into())
        );
        assert_eq!(
            bad(r#"{"holidays": ["2026-10-03"], "workdays": ["2026-10-03"]}"#),
            ("invalid_value".into(), "calendars.cn.workdays[0]".into())
        );
        assert_eq!(bad(r#"{"workdays": ["2026-09-28"]}"#), ("invalid_value".into(), "calendars.cn.workdays[0]".into()));
        assert_eq!(bad(r#"{"weekend": [6, 8]}"#), ("out_of_range".into(), "calendars.cn.weekend[1]".into()));
        assert_eq!(
            bad(r#"{"weekend": [1, 2, 3, 4, 5, 6, 7]}"#),
            ("invalid_value".into(), "calendars.cn.weekend".into())
        );
    }
}
