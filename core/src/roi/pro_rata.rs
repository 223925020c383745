//! A campaign's cost spread over the periods its run crosses, pro rata by days: what a period
//! line holds under [`CostAllocation::ProRata`](super::CostAllocation).

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::policy::PeriodUnit;
use crate::error::Result;
use crate::money::{split_largest_remainder, Rounding, RoundingStrategy};

/// Most periods one campaign's cost is spread over (a run of 833 years by month).
pub const MAX_COST_PERIODS: usize = 10_000;

/// One period's piece of a campaign's cost, on the campaign's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PeriodCost {
    /// The period (`2026-09`, `2026-Q3`, `2026`).
    pub period: String,
    /// The campaign's days inside it (its run is `start_on` to `end_on`, both included).
    pub days: u32,
    /// `cost × days ÷ run days`, exact: the pieces sum to the campaign's cost (largest
    /// remainder at the cost's own places, or the policy's money places if more).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub cost: Decimal,
    /// The budget's piece, the same way (`null` without a budget).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub budget: Option<Decimal>,
}

/// The first day of the period after the one `d` is in (`None` past 9999).
fn next_period(unit: PeriodUnit, d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = match unit {
        PeriodUnit::Month => (d.year(), d.month()),
        PeriodUnit::Quarter => (d.year(), (d.month() - 1) / 3 * 3 + 3),
        PeriodUnit::Year => (d.year(), 12),
    };
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// The days of the run `start..=end` in each period it crosses, in time order.
pub(super) fn run_days(
    unit: PeriodUnit,
    start: NaiveDate,
    end: NaiveDate,
    key: impl Fn(NaiveDate) -> String,
    path: &str,
) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    let mut from = start;
    loop {
        if out.len() == MAX_COST_PERIODS {
            crate::limits::check(path, MAX_COST_PERIODS + 1, MAX_COST_PERIODS as u64, "periods a cost is spread over")?;
        }
        let next = next_period(unit, from);
        let last = match next.and_then(|n| n.pred_opt()) {
            Some(l) if l < end => l,
            _ => end,
        };
        // At most a year of days: fits u32.
        out.push((key(from), ((last - from).num_days() + 1) as u32));
        if last == end {
            return Ok(out);
        }
        from = last.checked_add_days(Days::new(1)).unwrap_or(end);
    }
}

/// `amount` split over `days` (weights) exactly: largest remainder at the amount's own places,
/// or `dp` if more, so the pieces sum to `amount`.
pub(super) fn spread(amount: Decimal, days: &[(String, u32)], dp: u32, path: &str) -> Result<Vec<Decimal>> {
    let weights: Vec<Decimal> = days.iter().map(|(_, d)| Decimal::from(*d)).collect();
    let places = Rounding { dp: amount.scale().max(dp), strategy: RoundingStrategy::HalfEven };
    let mut pieces = split_largest_remainder(amount, &weights, places, path)?;
    // Every piece written at the same places (a whole share would show none).
    for p in &mut pieces {
        p.rescale(places.dp);
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn runs_are_cut_at_period_ends_and_pieces_sum_exactly() {
        let key = |d: NaiveDate| format!("{}-{:02}", d.year(), d.month());
        let days = run_days(PeriodUnit::Month, date("2026-01-20"), date("2026-03-05"), key, "x").unwrap();
        assert_eq!(days, [("2026-01".into(), 12), ("2026-02".into(), 28), ("2026-03".into(), 5)]);
        let pieces = spread(Decimal::new(1000, 0), &days, 2, "x").unwrap();
        assert_eq!(pieces.iter().map(ToString::to_string).collect::<Vec<_>>(), ["266.67", "622.22", "111.11"]);
        assert_eq!(pieces.iter().sum::<Decimal>(), Decimal::new(1000, 0));
        let q = run_days(PeriodUnit::Quarter, date("2026-03-31"), date("2026-04-01"), |d| d.to_string(), "x").unwrap();
        assert_eq!(q.iter().map(|p| p.1).collect::<Vec<_>>(), [1, 1]);
        let y = run_days(PeriodUnit::Year, date("9999-12-01"), date("9999-12-31"), |d| d.to_string(), "x").unwrap();
        assert_eq!(y, [("9999-12-01".into(), 31)]);
        let e = run_days(PeriodUnit::Month, date("0001-01-01"), date("9999-12-31"), key, "c.end_on").unwrap_err();
        assert_eq!((e.code(), e.path()), ("limit_exceeded", "c.end_on"));
    }
}
