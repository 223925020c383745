//! Week-based fiscal calendars (retail 4-4-5, 4-5-4, 5-4-4; 52/53-week years), as data beside
//! the month-based fiscal year: [`WeekRule`] inside [`FiscalYear::weeks`], and
//! [`fiscal_periods`], the calendar's years, quarters and periods with their first and last days.
//!
//! A week-based year ends on a fixed weekday (`ends_on`) at the end of the month before the
//! fiscal year's `start_month`: on the last such weekday of that month (`last_weekday`), or on
//! the one nearest to the month's last day, up to 3 days into the next month (`nearest`, the
//! NRF retail calendar's rule). The year starts the day after the previous one ended, so it has
//! 52 weeks, or 53 when the drift of the weekday has accumulated a whole week. Each quarter is
//! 13 weeks split into three periods by the pattern (4-5-4: 4, 5 and 4 weeks); a 53rd week joins
//! the last period of the year (P12, hence Q4), as the NRF calendar adds it to January.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::{month_index, PeriodKind};
use super::policy::{FiscalYear, FiscalYearName};
use crate::error::{Error, Result};

/// How a week-based fiscal year is cut: the weekday it ends on, the rule that places its last
/// week, and the weeks of each period in a quarter.
///
/// # Examples
///
/// The NRF retail calendar (4-5-4, years ending on the Saturday nearest to January 31,
/// named by the year they start in):
///
/// ```
/// use crmkit::forecast::{fiscal_periods, FiscalYear};
///
/// let nrf: FiscalYear = crmkit::wire::from_json(r#"{"start_month": 2, "named_by": "start",
///     "weeks": {"pattern": "4-5-4", "ends_on": "saturday", "year_end": "nearest"}}"#, "fiscal_year")?;
/// let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
/// let cal = fiscal_periods(&nrf, day, day)?;
/// assert_eq!(cal.periods[0].period, "FY2026-P10");
/// assert_eq!((cal.years[0].start.to_string(), cal.years[0].end.to_string()), ("2026-02-01".into(), "2027-01-30".into()));
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct WeekRule {
    /// Weeks of the three periods of each quarter.
    pub pattern: WeekPattern,
    /// The weekday every week (and the year) ends on; the next day starts a week.
    pub ends_on: DayOfWeek,
    /// Which `ends_on` weekday ends the year.
    pub year_end: YearEnd,
}

/// The weeks of the three periods of a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub enum WeekPattern {
    /// 4, 4 and 5 weeks.
    #[serde(rename = "4-4-5")]
    W445,
    /// 4, 5 and 4 weeks (the NRF retail calendar).
    #[serde(rename = "4-5-4")]
    W454,
    /// 5, 4 and 4 weeks.
    #[serde(rename = "5-4-4")]
    W544,
}

impl WeekPattern {
    fn weeks(self) -> [u32; 3] {
        match self {
            Self::W445 => [4, 4, 5],
            Self::W454 => [4, 5, 4],
            Self::W544 => [5, 4, 4],
        }
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum DayOfWeek {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl DayOfWeek {
    fn chrono(self) -> Weekday {
        match self {
            Self::Monday => Weekday::Mon,
            Self::Tuesday => Weekday::Tue,
            Self::Wednesday => Weekday::Wed,
            Self::Thursday => Weekday::Thu,
            Self::Friday => Weekday::Fri,
            Self::Saturday => Weekday::Sat,
            Self::Sunday => Weekday::Sun,
        }
    }
}

/// The declared rule for the last day of a week-based year (and so for its 53rd week).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum YearEnd {
    /// The last `ends_on` weekday of the month before `start_month`.
    LastWeekday,
    /// The `ends_on` weekday nearest to that month's last day (at most 3 days before or after).
    Nearest,
}

impl WeekRule {
    /// The last day of the fiscal year that starts (nominally) in `start_month` of `year`.
    fn year_end(self, start_month: u32, year: i32) -> Option<NaiveDate> {
        // The nominal last day: the end of the month before start_month, a year on.
        let first_after = if start_month == 1 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year + 1, start_month, 1)?
        };
        let last = first_after.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() - self.ends_on.chrono().num_days_from_monday()) % 7;
        let on_or_before = last.checked_sub_days(Days::new(u64::from(back)))?;
        match self.year_end {
            YearEnd::Nearest if back > 3 => on_or_before.checked_add_days(Days::new(7)),
            _ => Some(on_or_before),
        }
    }

    /// First and last day of the year that starts (nominally) in `year`.
    fn year_bounds(self, start_month: u32, year: i32) -> Option<(NaiveDate, NaiveDate)> {
        Some((self.year_end(start_month, year - 1)?.succ_opt()?, self.year_end(start_month, year)?))
    }

    /// The year holding `day`, with its first and last day.
    fn year_of(self, start_month: u32, day: NaiveDate) -> Option<(i32, NaiveDate, NaiveDate)> {
        // The month-based fiscal year of the day; the week rule moves its ends by < 7 days.
        let mut year = if day.month() >= start_month { day.year() } else { day.year() - 1 };
        let (start, end) = self.year_bounds(start_month, year)?;
        if day > end {
            year += 1;
        } else if day < start {
            year -= 1;
        }
        let (start, end) = self.year_bounds(start_month, year)?;
        Some((year, start, end))
    }

    /// The first week (from 0) and the number of weeks of period `p` (0 to 11) in a year of
    /// `weeks` weeks: the 53rd week joins the last period.
    fn period_weeks(self, p: u32, weeks: u32) -> (u32, u32) {
        let pattern = self.pattern.weeks();
        let quarter = p / 3;
        let before: u32 = pattern[..(p % 3) as usize].iter().sum();
        let len = pattern[(p % 3) as usize] + u32::from(p == 11 && weeks == 53);
        (quarter * 13 + before, len)
    }

    /// The period (0 to 11) holding week `w` (from 0).
    fn period_of_week(self, w: u32) -> u32 {
        if w >= 52 {
            return 11;
        }
        let (quarter, mut rest) = (w / 13, w % 13);
        for (i, len) in self.pattern.weeks().into_iter().enumerate() {
            if rest < len {
                return quarter * 3 + i as u32;
            }
            rest -= len;
        }
        quarter * 3 + 2
    }
}

/// A period of a week-based calendar as one integer (see [`calendar`](super::calendar)):
/// periods `year × 12 + p`, quarters `year × 4 + q`, years `year`, `year` the calendar year
/// the fiscal year nominally starts in.
pub(crate) fn id_of_day(rule: WeekRule, start_month: u32, kind: PeriodKind, day: NaiveDate) -> i64 {
    let Some((year, start, _)) = rule.year_of(start_month, day) else {
        // Only at the far ends of chrono's range, beyond crmkit's dates.
        return i64::from(day.year()) * 12;
    };
    let week = ((day - start).num_days() / 7) as u32;
    let p = rule.period_of_week(week);
    let year = i64::from(year);
    match kind {
        PeriodKind::Month => year * 12 + i64::from(p),
        PeriodKind::Quarter => year * 4 + i64::from(p / 3),
        PeriodKind::Year => year,
    }
}

/// First and last day of period `id` of `kind`, and its weeks.
pub(crate) fn bounds(rule: WeekRule, start_month: u32, kind: PeriodKind, id: i64) -> Option<(NaiveDate, NaiveDate)> {
    let (year, first, last) = match kind {
        PeriodKind::Month => (id.div_euclid(12), id.rem_euclid(12) as u32, id.rem_euclid(12) as u32),
        PeriodKind::Quarter => (id.div_euclid(4), id.rem_euclid(4) as u32 * 3, id.rem_euclid(4) as u32 * 3 + 2),
        PeriodKind::Year => (id, 0, 11),
    };
    let (start, end) = rule.year_bounds(start_month, i32::try_from(year).ok()?)?;
    let weeks = ((end - start).num_days() + 1) as u32 / 7;
    let (w0, _) = rule.period_weeks(first, weeks);
    let (w1, len) = rule.period_weeks(last, weeks);
    let from = start.checked_add_days(Days::new(u64::from(w0) * 7))?;
    let to = start.checked_add_days(Days::new(u64::from(w1 + len) * 7 - 1))?;
    Some((from, to))
}

/// The label of a week-based period: `FY2026-P10`, `FY2026-Q4`, `FY2026` (always `FY`: the
/// periods are never calendar ones).
pub(crate) fn label(fy: FiscalYear, kind: PeriodKind, id: i64) -> String {
    let year = |start_year: i64| {
        let named = if fy.start_month != 1 && fy.named_by == FiscalYearName::End { start_year + 1 } else { start_year };
        format!("FY{named}")
    };
    match kind {
        PeriodKind::Month => format!("{}-P{}", year(id.div_euclid(12)), id.rem_euclid(12) + 1),
        PeriodKind::Quarter => format!("{}-Q{}", year(id.div_euclid(4)), id.rem_euclid(4) + 1),
        PeriodKind::Year => year(id),
    }
}

/// The calendar returned by [`fiscal_periods`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct FiscalCalendar {
    /// The fiscal years overlapping the dates asked for, in order.
    pub years: Vec<FiscalPeriod>,
    /// Their quarters.
    pub quarters: Vec<FiscalPeriod>,
    /// Their periods: fiscal months of 4 or 5 weeks (calendar months for a month-based year).
    pub periods: Vec<FiscalPeriod>,
}

/// One year, quarter or period of a fiscal calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct FiscalPeriod {
    /// Its label, as every report bucketing by this calendar writes it: `FY2026-P10`,
    /// `FY2026-Q4`, `FY2026` (month-based: `2026-11`, `FY2027-Q3`...).
    pub period: String,
    /// The label of the fiscal year it belongs to.
    pub year: String,
    /// First day.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub start: NaiveDate,
    /// Last day.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub end: NaiveDate,
    /// Days from `start` to `end`, both included.
    pub days: u32,
    /// Whole weeks (week-based calendars; `null` for month-based ones).
    pub weeks: Option<u32>,
    /// Why: `week_based` or `month_based`, and `extra_week` for the year, quarter and period
    /// holding a 53rd week.
    pub reasons: Vec<CalendarReason>,
}

/// Why a fiscal period is as long as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CalendarReason {
    /// Cut in whole weeks by the fiscal year's `weeks` rule.
    WeekBased,
    /// Cut in calendar months from the fiscal year's `start_month`.
    MonthBased,
    /// Holds the 53rd week of its year.
    ExtraWeek,
}

/// The years, quarters and periods of a fiscal calendar that overlap `start ..= end`, each with
/// its first and last day: what a week-based calendar (or a month-based one) buckets dates by.
///
/// # Errors
///
/// `out_of_range` at `start_month` unless 1 to 12; `date_order` at `end` when it is
/// before `start`; `out_of_range` at `start` (`end`) when the fiscal year holding it begins
/// before 0001-01-01 (ends after 9999-12-31).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{fiscal_periods, FiscalYear};
///
/// // A 4-4-5 calendar whose years end on the last Sunday of December.
/// let fy: FiscalYear = crmkit::wire::from_json(r#"{"weeks":
///     {"pattern": "4-4-5", "ends_on": "sunday", "year_end": "last_weekday"}}"#, "fiscal_year")?;
/// let on = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// let cal = fiscal_periods(&fy, on(2026, 1, 1), on(2026, 12, 31))?;
/// let q1 = &cal.quarters[0];
/// assert_eq!((q1.period.as_str(), q1.start.to_string(), q1.weeks), ("FY2026-Q1", "2025-12-29".into(), Some(13)));
/// assert_eq!(cal.years[0].weeks, Some(52));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn fiscal_periods(fiscal_year: &FiscalYear, start: NaiveDate, end: NaiveDate) -> Result<FiscalCalendar> {
    // The fiscal year is the whole argument here: its fields are reported bare, as parsing does.
    if !(1..=12).contains(&fiscal_year.start_month) {
        return Err(Error::out_of_range("start_month", fiscal_year.start_month, 1, 12));
    }
    if end < start {
        return Err(Error::DateOrder { path: "end".into(), date: end.to_string(), earlier: start.to_string() });
    }
    let fy = *fiscal_year;
    let periods = |kind| super::calendar::Periods { fiscal_year: fy, kind };
    // The years asked for must lie within crmkit's dates: the first may not begin before
    // 0001-01-01, the last may not end after 9999-12-31.
    let years = periods(PeriodKind::Year);
    let (first_year, last_year) = (years.of_day(start), years.of_day(end));
    match years.bounds(first_year) {
        Some((s, _)) if s >= crate::wire::MIN_DATE => {}
        _ => {
            return Err(Error::out_of_range(
                "start",
                start,
                "a day of a fiscal year starting on or after 0001-01-01",
                "-",
            ))
        }
    }
    match years.bounds(last_year) {
        Some((_, e)) if e <= crate::wire::MAX_DATE => {}
        _ => return Err(Error::out_of_range("end", end, "-", "a day of a fiscal year ending by 9999-12-31")),
    }
    let mut out = FiscalCalendar { years: Vec::new(), quarters: Vec::new(), periods: Vec::new() };
    for (kind, per_year) in [(PeriodKind::Year, 1), (PeriodKind::Quarter, 4), (PeriodKind::Month, 12)] {
        let p = periods(kind);
        // Month-based months are calendar months (months since year 0): a fiscal year's twelve
        // start with its start_month, not with January (the months before start_month of the
        // last year's calendar year belong to it; those of the first one's to the year before).
        let shift = if kind == PeriodKind::Month && fy.weeks.is_none() { i64::from(fy.start_month) - 1 } else { 0 };
        for id in first_year * per_year + shift..(last_year + 1) * per_year + shift {
            let (s, e) = p.bounds(id).ok_or_else(|| Error::overflow("end"))?;
            if e < start || s > end {
                continue;
            }
            let days = ((e - s).num_days() + 1) as u32;
            let mut reasons = Vec::with_capacity(2);
            let weeks = fy.weeks.map(|_| days / 7);
            if fy.weeks.is_some() {
                reasons.push(CalendarReason::WeekBased);
                let year_weeks = periods(PeriodKind::Year)
                    .bounds(id.div_euclid(per_year))
                    .map_or(52, |(ys, ye)| ((ye - ys).num_days() + 1) / 7);
                let last = id.rem_euclid(per_year) == per_year - 1;
                if year_weeks == 53 && last {
                    reasons.push(CalendarReason::ExtraWeek);
                }
            } else {
                reasons.push(CalendarReason::MonthBased);
            }
            let line = FiscalPeriod {
                period: p.label(id),
                year: periods(PeriodKind::Year).label((id - shift).div_euclid(per_year)),
                start: s,
                end: e,
                days,
                weeks,
                reasons,
            };
            match kind {
                PeriodKind::Year => out.years.push(line),
                PeriodKind::Quarter => out.quarters.push(line),
                PeriodKind::Month => out.periods.push(line),
            }
        }
    }
    Ok(out)
}

/// The calendar month (months since year 0) of a week-based period's first and last day.
pub(crate) fn months(rule: WeekRule, start_month: u32, kind: PeriodKind, id: i64) -> (i64, i64) {
    bounds(rule, start_month, kind, id).map_or((0, 0), |(s, e)| (month_index(s), month_index(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nrf() -> FiscalYear {
        FiscalYear {
            start_month: 2,
            named_by: FiscalYearName::Start,
            weeks: Some(WeekRule {
                pattern: WeekPattern::W454,
                ends_on: DayOfWeek::Saturday,
                year_end: YearEnd::Nearest,
            }),
        }
    }

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn nrf_calendar() {
        let cal = fiscal_periods(&nrf(), on(2026, 11, 23), on(2026, 11, 23)).unwrap();
        assert_eq!(cal.periods[0].period, "FY2026-P10");
        assert_eq!((cal.periods[0].start, cal.periods[0].end), (on(2026, 11, 1), on(2026, 11, 28)));
        // NRF: fiscal 2023 had 53 weeks (2023-01-29 to 2024-02-03).
        let y = &fiscal_periods(&nrf(), on(2023, 6, 1), on(2023, 6, 1)).unwrap().years[0];
        assert_eq!((y.start, y.end, y.weeks), (on(2023, 1, 29), on(2024, 2, 3), Some(53)));
        assert!(y.reasons.contains(&CalendarReason::ExtraWeek));
    }

    #[test]
    fn month_based_months_from_start_month() {
        // April years: a day of February 2027 is in FY2027 and its month is listed, with its year.
        let fy = FiscalYear { start_month: 4, named_by: FiscalYearName::End, weeks: None };
        let cal = fiscal_periods(&fy, on(2027, 2, 10), on(2027, 2, 10)).unwrap();
        assert_eq!(cal.periods.len(), 1);
        assert_eq!((cal.periods[0].period.as_str(), cal.periods[0].year.as_str()), ("2027-02", "FY2027"));
        let cal = fiscal_periods(&fy, on(2026, 3, 31), on(2026, 4, 1)).unwrap();
        let months: Vec<_> = cal.periods.iter().map(|p| (p.period.as_str(), p.year.as_str())).collect();
        assert_eq!(months, [("2026-03", "FY2026"), ("2026-04", "FY2027")]);
    }

    #[test]
    fn last_weekday_rule() {
        let mut fy = nrf();
        fy.weeks = Some(WeekRule { year_end: YearEnd::LastWeekday, ..fy.weeks.unwrap() });
        // Last Saturday of January 2027 is the 30th; of January 2026 the 31st.
        let y = &fiscal_periods(&fy, on(2026, 6, 1), on(2026, 6, 1)).unwrap().years[0];
        assert_eq!((y.start, y.end), (on(2026, 2, 1), on(2027, 1, 30)));
    }
}
