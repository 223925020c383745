//! Week-based fiscal calendars: every year has 52 or 53 weeks, its quarters and periods cover
//! it exactly, day by day, and every bucketing function reads the same periods.

use chrono::NaiveDate;
use crmkit::forecast::{
    fiscal_periods, quota_attainment, DayOfWeek, FiscalPeriod, FiscalYear, FiscalYearName, ForecastPolicy, QuotaInput,
    QuotaPolicy, WeekPattern, WeekRule, YearEnd,
};
use proptest::prelude::*;

const DAYS: [DayOfWeek; 7] = [
    DayOfWeek::Monday,
    DayOfWeek::Tuesday,
    DayOfWeek::Wednesday,
    DayOfWeek::Thursday,
    DayOfWeek::Friday,
    DayOfWeek::Saturday,
    DayOfWeek::Sunday,
];

fn calendar() -> impl Strategy<Value = FiscalYear> {
    (1u32..=12, any::<bool>(), 0usize..3, 0usize..7, any::<bool>()).prop_map(|(start_month, end, p, d, nearest)| {
        FiscalYear {
            start_month,
            named_by: if end { FiscalYearName::End } else { FiscalYearName::Start },
            weeks: Some(WeekRule {
                pattern: [WeekPattern::W445, WeekPattern::W454, WeekPattern::W544][p],
                ends_on: DAYS[d],
                year_end: if nearest { YearEnd::Nearest } else { YearEnd::LastWeekday },
            }),
        }
    })
}

/// The lines cover `start ..= end` of their first and last without a gap or an overlap.
fn contiguous(lines: &[&FiscalPeriod], start: NaiveDate, end: NaiveDate) -> bool {
    lines.first().is_some_and(|l| l.start == start)
        && lines.last().is_some_and(|l| l.end == end)
        && lines.windows(2).all(|w| w[0].end.succ_opt() == Some(w[1].start))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_year_has_52_or_53_weeks_and_its_quarters_and_periods_cover_it(
        fy in calendar(),
        day in 0i64..(200 * 365),
    ) {
        let day = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") + chrono::Days::new(day as u64);
        let cal = fiscal_periods(&fy, day, day).expect("calendar");
        prop_assert_eq!((cal.years.len(), cal.quarters.len(), cal.periods.len()), (1, 1, 1));
        let year = &cal.years[0];
        prop_assert!(year.start <= day && day <= year.end);
        prop_assert!(year.weeks == Some(52) || year.weeks == Some(53));
        prop_assert_eq!(year.days, year.weeks.expect("weeks") * 7);
        let whole = fiscal_periods(&fy, year.start, year.end).expect("year");
        prop_assert_eq!(whole.years.len(), 1);
        let quarters: Vec<&FiscalPeriod> = whole.quarters.iter().collect();
        prop_assert_eq!(quarters.len(), 4);
        prop_assert!(contiguous(&quarters, year.start, year.end));
        let weeks: Vec<u32> = quarters.iter().map(|q| q.weeks.expect("weeks")).collect();
        prop_assert_eq!(&weeks[..3], &[13, 13, 13]);
        prop_assert_eq!(weeks[3], year.weeks.expect("weeks") - 39);
        for q in &quarters {
            let periods: Vec<&FiscalPeriod> = whole.periods.iter().filter(|p| p.start >= q.start && p.end <= q.end).collect();
            prop_assert_eq!(periods.len(), 3);
            prop_assert!(contiguous(&periods, q.start, q.end));
            prop_assert!(periods.iter().all(|p| p.year == year.period && p.weeks.is_some_and(|w| w == 4 || w == 5 || w == 6)));
        }
        prop_assert_eq!(whole.periods.len(), 12);
        // The day's own period is one of its year's.
        prop_assert!(whole.periods.contains(&cal.periods[0]));
    }

    #[test]
    fn quotas_read_the_calendar_labels(fy in calendar(), day in 0i64..(30 * 365), kind in 0usize..3) {
        let day = NaiveDate::from_ymd_opt(2010, 1, 1).expect("date") + chrono::Days::new(day as u64);
        let cal = fiscal_periods(&fy, day, day).expect("calendar");
        let (label, period) = match kind {
            0 => (&cal.periods[0].period, "month"),
            1 => (&cal.quarters[0].period, "quarter"),
            _ => (&cal.years[0].period, "year"),
        };
        let mut policy: ForecastPolicy = crmkit::wire::from_json(
            r#"{"stages": [{"name": "a", "probability": "0.5"}, {"name": "won", "kind": "won"}],
                "duration_unit": "days", "placement": "expected_close"}"#, "").expect("policy");
        policy.fiscal_year = fy;
        let quota: QuotaPolicy = crmkit::wire::from_json(&format!(r#"{{"period": "{period}"}}"#), "").expect("quota");
        let input: QuotaInput = crmkit::wire::from_json(&format!(
            r#"{{"deals": [{{"id": "w", "stage": "won", "amount": "7", "expected_close_on": "{day}"}}],
                "quotas": [{{"key": {{}}, "period": "{label}", "amount": "10"}}]}}"#), "").expect("input");
        let r = quota_attainment(&policy, &quota, &input, day).expect("quota");
        // The won deal falls in the period the calendar gives its day, the one with the quota.
        prop_assert_eq!(r.lines.len(), 1);
        prop_assert_eq!(&*r.lines[0].period, label.as_str());
        prop_assert_eq!(r.lines[0].won.amount.to_string(), "7.00");
    }
}
