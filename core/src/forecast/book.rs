//! The deals of a forecast as rows in periods: the second pass that quota, hierarchy and
//! backtest share. It runs [`forecast`](super::forecast) once (so placement, validation and
//! every rule are the forecast's own) and reads each deal line back with its exact amounts,
//! its key and the period it falls in; the columnar loop is not touched.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::calendar::{PeriodId, Periods};
use super::policy::{ForecastCategory, ForecastPolicy, StageKind};
use super::report::ForecastReport;
use super::{forecast, Deal};
use crate::error::{Error, Result};
use crate::money;

/// One deal, placed.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Its `group_by` values (`None`: the deal lacks the field).
    pub key: Vec<Option<String>>,
    pub kind: StageKind,
    /// Its forecast category: its own, or its stage's.
    pub category: ForecastCategory,
    pub amount: Decimal,
    /// `amount × probability`, exact (won: the amount; lost: 0).
    pub weighted: Decimal,
    /// Won: the period of its close date; open: of the month slot it is placed in; `None`:
    /// lost or unscheduled.
    pub period: Option<PeriodId>,
}

/// Runs the forecast and places every deal in a period of `periods`, keyed by `group_by`.
/// A won deal's close date is its `expected_close_on` (Salesforce's CloseDate: the expected
/// date while open, the actual one once won).
///
/// # Errors
///
/// Those of [`forecast`]; `missing_value` at `deals[i].expected_close_on` for a won deal
/// without it, `date_after_as_of` there for a won deal closed after `as_of`.
pub(crate) fn place(
    policy: &ForecastPolicy,
    deals: &[Deal],
    as_of: NaiveDate,
    periods: Periods,
    group_by: &[String],
) -> Result<(ForecastReport, Vec<Row>)> {
    let report = forecast(policy, deals, as_of)?;
    let kinds: std::collections::HashMap<&str, StageKind> =
        policy.stages.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    // The forecast's month slots: calendar months, or the periods of a week-based year.
    let slot0 = policy.fiscal_year.slot_of_day(as_of);
    let mut rows = Vec::with_capacity(deals.len());
    for (i, (deal, line)) in deals.iter().zip(&report.deals).enumerate() {
        let kind = kinds.get(deal.stage.as_str()).copied().unwrap_or_default();
        let key = group_by.iter().map(|k| deal.field(k).map(str::to_owned)).collect();
        let (weighted, period) = match kind {
            StageKind::Won => {
                let closed = won_on(deal.expected_close_on, as_of, &|| format!("deals[{i}].expected_close_on"))?;
                (deal.amount, Some(periods.of_day(closed)))
            }
            StageKind::Lost => (Decimal::ZERO, None),
            StageKind::Open => (
                money::mul(deal.amount, line.probability, || format!("deals[{i}].amount"))?,
                line.offset.map(|o| periods.of_slot(slot0 + i64::from(o))),
            ),
        };
        rows.push(Row { key, kind, category: line.category, amount: deal.amount, weighted, period });
    }
    Ok((report, rows))
}

/// The close date of a won deal: given, and not after `as_of`.
pub(crate) fn won_on(on: Option<NaiveDate>, as_of: NaiveDate, path: &dyn Fn() -> String) -> Result<NaiveDate> {
    let on = on.ok_or_else(|| Error::MissingValue {
        path: path(),
        reason: "a won deal needs its close date to count in a period".into(),
    })?;
    if on > as_of {
        return Err(Error::DateAfterAsOf { path: path(), date: on.to_string(), as_of: as_of.to_string() });
    }
    Ok(on)
}

/// Deals, amount and weighted amount, exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Exact {
    pub deals: u64,
    pub amount: Decimal,
    pub weighted: Decimal,
}

impl Exact {
    pub fn add(&mut self, amount: Decimal, weighted: Decimal, path: &dyn Fn() -> String) -> Result<()> {
        self.deals = self.deals.saturating_add(1);
        self.amount = money::add(self.amount, amount, path)?;
        self.weighted = money::add(self.weighted, weighted, path)?;
        Ok(())
    }

    pub fn merge(&mut self, other: &Exact, path: &dyn Fn() -> String) -> Result<()> {
        self.deals = self.deals.saturating_add(other.deals);
        self.amount = money::add(self.amount, other.amount, path)?;
        self.weighted = money::add(self.weighted, other.weighted, path)?;
        Ok(())
    }

    /// Rounded once each, as every report line is.
    pub fn sums(&self, rounding: crate::money::Rounding) -> super::Sums {
        super::Sums { deals: self.deals, amount: rounding.round(self.amount), weighted: rounding.round(self.weighted) }
    }
}
