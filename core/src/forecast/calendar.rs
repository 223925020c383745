//! Periods of a fiscal calendar as numbers: every function that buckets by date (quota,
//! hierarchy, backtest) maps a day or a month to one integer per period and back to the
//! labels the forecast report uses (`2026-11`, `2026-Q4`, `FY2027-Q3`, `FY2027`).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::policy::{FiscalYear, FiscalYearName};
use super::weeks;
use crate::error::{Error, Result};

/// The length of the periods a report is bucketed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Calendar months, `2026-11`.
    Month,
    /// (Fiscal) quarters, `2026-Q4` or `FY2027-Q3`.
    #[default]
    Quarter,
    /// (Fiscal) years, `2026` or `FY2027`.
    Year,
}

impl PeriodKind {
    fn months(self) -> i64 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }
}

/// A period of one kind as one integer: months, quarters or years counted from the start of
/// the fiscal year that starts in calendar year 0.
pub(crate) type PeriodId = i64;

/// Month-based periods of one fiscal year.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Periods {
    pub fiscal_year: FiscalYear,
    pub kind: PeriodKind,
}

impl Periods {
    /// Months since year 0 (January of year 0 is 0) minus the fiscal year's shift.
    fn shift(self) -> i64 {
        i64::from(self.fiscal_year.start_month) - 1
    }

    /// The period holding the forecast's month slot `slot` (see [`FiscalYear::slot_of_day`]):
    /// a calendar month (months since year 0) under a month-based year, a 4/5-week period
    /// (`year × 12 + p`) under a week-based one, so that a quarter or year sums exactly the
    /// periods it is made of.
    pub fn of_slot(self, slot: i64) -> PeriodId {
        if self.fiscal_year.weeks.is_some() {
            return match self.kind {
                PeriodKind::Month => slot,
                PeriodKind::Quarter => slot.div_euclid(12) * 4 + slot.rem_euclid(12) / 3,
                PeriodKind::Year => slot.div_euclid(12),
            };
        }
        match self.kind {
            PeriodKind::Month => slot,
            kind => (slot - self.shift()).div_euclid(kind.months()),
        }
    }

    /// The period holding `day`.
    pub fn of_day(self, day: NaiveDate) -> PeriodId {
        match self.fiscal_year.weeks {
            Some(rule) => weeks::id_of_day(rule, self.fiscal_year.start_month, self.kind, day),
            None => self.of_slot(month_index(day)),
        }
    }

    /// First and last day of `id` (`None` only beyond chrono's dates).
    pub fn bounds(self, id: PeriodId) -> Option<(NaiveDate, NaiveDate)> {
        if let Some(rule) = self.fiscal_year.weeks {
            return weeks::bounds(rule, self.fiscal_year.start_month, self.kind, id);
        }
        let (first, last) = self.months(id);
        let day1 =
            |m: i64| NaiveDate::from_ymd_opt(i32::try_from(m.div_euclid(12)).ok()?, m.rem_euclid(12) as u32 + 1, 1);
        Some((day1(first)?, day1(last + 1)?.pred_opt()?))
    }

    /// First and last calendar months (months since year 0) of `id`.
    pub fn months(self, id: PeriodId) -> (i64, i64) {
        if let Some(rule) = self.fiscal_year.weeks {
            return weeks::months(rule, self.fiscal_year.start_month, self.kind, id);
        }
        match self.kind {
            PeriodKind::Month => (id, id),
            kind => {
                let first = id * kind.months() + self.shift();
                (first, first + kind.months() - 1)
            }
        }
    }

    /// The label the forecast report gives the period.
    pub fn label(self, id: PeriodId) -> String {
        if self.fiscal_year.weeks.is_some() {
            return weeks::label(self.fiscal_year, self.kind, id);
        }
        let fiscal = self.fiscal_year.start_month != 1;
        let year = |start_year: i64| {
            let named =
                if fiscal && self.fiscal_year.named_by == FiscalYearName::End { start_year + 1 } else { start_year };
            if fiscal {
                format!("FY{named}")
            } else {
                format!("{named}")
            }
        };
        match self.kind {
            PeriodKind::Month => month_label(id),
            PeriodKind::Quarter => format!("{}-Q{}", year(id.div_euclid(4)), id.rem_euclid(4) + 1),
            PeriodKind::Year => year(id),
        }
    }

    /// Reads a label written as [`Periods::label`] writes it; `invalid_value` at `path`
    /// otherwise (a quarter label for a monthly quota, `FY` on a calendar year...).
    pub fn parse(self, label: &str, path: &str) -> Result<PeriodId> {
        let bad = || Error::InvalidValue {
            path: path.to_owned(),
            reason: format!(
                "{label:?} is not a {} of this calendar (e.g. {:?})",
                match self.kind {
                    PeriodKind::Month if self.fiscal_year.weeks.is_some() => "fiscal period",
                    PeriodKind::Month => "month",
                    PeriodKind::Quarter => "quarter",
                    PeriodKind::Year => "year",
                },
                self.label(self.of_slot(2026 * 12))
            ),
        };
        let id = match self.kind {
            PeriodKind::Month if self.fiscal_year.weeks.is_some() => {
                let (y, p) = label.split_once("-P").ok_or_else(bad)?;
                let p = p.parse::<i64>().ok().filter(|p| (1..=12).contains(p)).ok_or_else(bad)?;
                self.year_of_label(y).ok_or_else(bad)? * 12 + p - 1
            }
            PeriodKind::Month => {
                let (y, m) = label.split_once('-').ok_or_else(bad)?;
                let (y, m) = (year_number(y).ok_or_else(bad)?, digits(m, 2).ok_or_else(bad)?);
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
                y * 12 + m - 1
            }
            PeriodKind::Quarter => {
                let (y, q) = label.split_once("-Q").ok_or_else(bad)?;
                let q = digits(q, 1).filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
                self.year_of_label(y).ok_or_else(bad)? * 4 + q - 1
            }
            PeriodKind::Year => self.year_of_label(label).ok_or_else(bad)?,
        };
        // Round trip: rejects `2026-011`, `FY2026` on a calendar year and the like.
        if self.label(id) == label {
            Ok(id)
        } else {
            Err(bad())
        }
    }

    /// The fiscal-year index (its start year) of a year label.
    fn year_of_label(self, text: &str) -> Option<i64> {
        let fiscal = self.fiscal_year.start_month != 1 || self.fiscal_year.weeks.is_some();
        let named = if fiscal { year_number(text.strip_prefix("FY")?)? } else { year_number(text)? };
        let shifted = self.fiscal_year.start_month != 1 && self.fiscal_year.named_by == FiscalYearName::End;
        Some(if shifted { named - 1 } else { named })
    }
}

fn digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// A year of 4 digits, 1 to 9999 (the dates crmkit accepts).
fn year_number(text: &str) -> Option<i64> {
    digits(text, 4).filter(|y| *y >= 1)
}

impl FiscalYear {
    /// The forecast's month slot holding `day`, as one integer: its calendar month (months
    /// since year 0), or under a week-based year its 4/5-week period (`year × 12 + p`). The
    /// report's `months` are these slots, so a deal dated at the end of a calendar month that
    /// a retail period has already left lands in the next period, not the month's.
    pub(crate) fn slot_of_day(self, day: NaiveDate) -> i64 {
        match self.weeks {
            Some(rule) => weeks::id_of_day(rule, self.start_month, PeriodKind::Month, day),
            None => month_index(day),
        }
    }

    /// The first day of slot `slot` (`None` beyond chrono's dates).
    pub(crate) fn slot_start(self, slot: i64) -> Option<NaiveDate> {
        match self.weeks {
            Some(rule) => weeks::bounds(rule, self.start_month, PeriodKind::Month, slot).map(|(first, _)| first),
            None => {
                NaiveDate::from_ymd_opt(i32::try_from(slot.div_euclid(12)).ok()?, slot.rem_euclid(12) as u32 + 1, 1)
            }
        }
    }

    /// The label of slot `slot`: `2026-11`, or `FY2026-P10` under a week-based year.
    pub(crate) fn slot_label(self, slot: i64) -> String {
        if self.weeks.is_some() {
            weeks::label(self, PeriodKind::Month, slot)
        } else {
            month_label(slot)
        }
    }
}

/// Months since year 0: a calendar month as one integer.
pub(crate) fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// `YYYY-MM` of a month counted from year 0.
pub(crate) fn month_label(month: i64) -> String {
    format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periods(start_month: u32, named_by: FiscalYearName, kind: PeriodKind) -> Periods {
        Periods { fiscal_year: FiscalYear { start_month, named_by, weeks: None }, kind }
    }

    #[test]
    fn labels_match_the_report_and_parse_back() {
        let nov = 2026 * 12 + 10;
        let p = periods(1, FiscalYearName::End, PeriodKind::Quarter);
        assert_eq!(p.label(p.of_slot(nov)), "2026-Q4");
        let p = periods(4, FiscalYearName::End, PeriodKind::Quarter);
        assert_eq!(p.label(p.of_slot(nov)), "FY2027-Q3");
        assert_eq!(p.months(p.of_slot(nov)), (2026 * 12 + 9, 2026 * 12 + 11));
        let p = periods(4, FiscalYearName::Start, PeriodKind::Year);
        assert_eq!(p.label(p.of_slot(2027 * 12 + 1)), "FY2026");
        for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
            for start in [1, 2, 4, 7, 12] {
                for named in [FiscalYearName::End, FiscalYearName::Start] {
                    let p = periods(start, named, kind);
                    for m in (2020 * 12)..(2023 * 12) {
                        let id = p.of_slot(m);
                        assert_eq!(p.parse(&p.label(id), "q").unwrap(), id);
                        let (a, b) = p.months(id);
                        assert!(a <= m && m <= b);
                    }
                }
            }
        }
    }

    #[test]
    fn bad_labels_are_refused() {
        let cal = periods(1, FiscalYearName::End, PeriodKind::Quarter);
        let fy = periods(4, FiscalYearName::End, PeriodKind::Quarter);
        for (p, bad) in [(cal, "2026-Q5"), (cal, "FY2026-Q1"), (fy, "2026-Q1"), (cal, "2026"), (cal, "26-Q1")] {
            let e = p.parse(bad, "quotas[0].period").unwrap_err();
            assert_eq!((e.code(), e.path()), ("invalid_value", "quotas[0].period"), "{bad}");
        }
        let m = periods(1, FiscalYearName::End, PeriodKind::Month);
        for bad in ["2026-13", "2026-1", "2026-00", "0000-01"] {
            assert!(m.parse(bad, "p").is_err(), "{bad}");
        }
    }
}
