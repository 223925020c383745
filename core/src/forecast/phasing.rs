//! Time phasing: how long a deal has left and which calendar month it lands in.

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::policy::{DurationUnit, Funnel, OverduePolicy, Placement, StageKind, UndatedPolicy};
use crate::error::{Error, Result};

/// Why a deal line says what it says. Stable snake_case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Open deal: weighted = amount × cumulative conversion of its stage.
    WeightedByStageProbability,
    /// Open deal with its own `probability`: weighted = amount × that probability.
    WeightedByDealProbability,
    /// In a won stage: counted in `totals.won`, not forecast.
    ClosedWon,
    /// In a lost stage: counted in `totals.lost`, not forecast.
    ClosedLost,
    /// Placed with the whole current stage still ahead.
    PlacedRemainingFull,
    /// Placed with half the current stage still ahead.
    PlacedHalfElapsed,
    /// Placed from the time actually spent in the stage.
    PlacedActual,
    /// Spent longer than the stage's duration; assumed to move on now.
    OverdueInStage,
    /// Spent longer than the stage's duration; left out of the months (`overdue: exclude`).
    ExcludedOverdue,
    /// Placed in the month of its own `expected_close_on`.
    PlacedExpectedClose,
    /// Its `expected_close_on` is before `as_of`; assumed to close this month.
    OverdueCloseDate,
    /// The deal's own forecast category differs from its stage's (the owner's call).
    CategoryOverride,
    /// In its stage for longer than the stage's `stall_after`.
    StalledInStage,
    /// Would be stalled or idle, but its owner snoozed it until a date not yet passed.
    StallSnoozed,
    /// No activity for longer than its stage's `idle_after` days.
    IdleNoActivity,
    /// Without the date its placement uses; placed by the policy's `undated` fallback.
    UndatedFallback,
    /// Without the date its placement uses; left out of the months (`undated: unscheduled`).
    UnscheduledUndated,
    /// Placed in a month past the policy's `horizon_months`: in `totals.beyond_horizon`,
    /// not in the months.
    BeyondHorizon,
}

/// Where a deal landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    /// Months after `as_of`'s month; `None`: unscheduled.
    pub offset: Option<u32>,
    /// Time left until close, in the policy's unit (`None` when unscheduled).
    pub remaining: Option<Decimal>,
    /// Time in the current stage, in the policy's unit (`actual` placement only).
    pub in_stage: Option<Decimal>,
    /// Part of the current stage's duration still ahead.
    pub own_left: Decimal,
    pub reasons: Vec<Reason>,
}

/// How far ahead an expected close date may lie: a century, as a stage's duration.
pub(crate) const MAX_CLOSE_DAYS: i64 = 36_500;

/// Places deals of one funnel at one `as_of`, in month slots: calendar months, or under a
/// week-based fiscal year its 4/5-week periods (see `FiscalYear::slot_of_day`); an offset
/// counts slots from the one holding `as_of`.
pub(crate) struct Placer<'f, 'p> {
    pub funnel: &'f Funnel<'p>,
    pub as_of: NaiveDate,
    /// The slot holding `as_of`.
    slot0: i64,
}

impl<'f, 'p> Placer<'f, 'p> {
    pub fn new(funnel: &'f Funnel<'p>, as_of: NaiveDate) -> Self {
        Self { funnel, as_of, slot0: funnel.policy.fiscal_year.slot_of_day(as_of) }
    }

    /// Days from `as_of` to the first day of the slot `offset` slots after its own
    /// (`i64::MAX` beyond chrono's dates).
    pub fn slot_start_days(&self, offset: u32) -> i64 {
        self.funnel
            .policy
            .fiscal_year
            .slot_start(self.slot0 + i64::from(offset))
            .map_or(i64::MAX, |d| (d - self.as_of).num_days())
    }

    /// The furthest month offset any open deal can land in: the `remaining_full` bound, or
    /// with `expected_close`, the latest close date (`latest_close`, days after `as_of`).
    pub fn max_offset(&self, latest_close: Option<i64>) -> Result<u32> {
        let mut max = 0;
        for &s in &self.funnel.open {
            max = max.max(self.offset(self.funnel.own[s] + self.funnel.downstream[s])?);
        }
        // A close date beyond the limit is that row's error, raised in row order; it must not
        // size the table first.
        if let Some(days) = latest_close.filter(|&d| d > 0).map(|d| d.min(MAX_CLOSE_DAYS)) {
            max = max.max(self.close_offset(self.after(days, &|| "expected_close_on".into())?)?);
        }
        Ok(max)
    }

    /// Places an open deal in `stage`. `day` is the date its placement uses, in days: under
    /// `actual`, since it entered its stage (≥ 0); under `expected_close`, until its expected
    /// close (negative: overdue). `path` names that date field for errors.
    pub fn place(&self, stage: usize, day: Option<i64>, path: &dyn Fn() -> String) -> Result<Placed> {
        debug_assert_eq!(self.funnel.kind(stage), StageKind::Open);
        let policy = self.funnel.policy;
        let own = self.funnel.own[stage];
        let mut reasons = vec![Reason::WeightedByStageProbability];
        let mut in_stage = None;
        let own_left = match (policy.placement, day) {
            (Placement::RemainingFull, _) => {
                reasons.push(Reason::PlacedRemainingFull);
                Some(own)
            }
            (Placement::HalfElapsed, _) => {
                reasons.push(Reason::PlacedHalfElapsed);
                Some(own / Decimal::TWO)
            }
            (Placement::Actual, Some(days)) => {
                reasons.push(Reason::PlacedActual);
                let spent = self.elapsed(days, path)?;
                in_stage = Some(spent);
                if spent <= own {
                    Some(own - spent)
                } else if policy.overdue == OverduePolicy::MoveOn {
                    reasons.push(Reason::OverdueInStage);
                    Some(Decimal::ZERO)
                } else {
                    reasons.push(Reason::ExcludedOverdue);
                    None
                }
            }
            (Placement::ExpectedClose, Some(days)) => {
                reasons.push(Reason::PlacedExpectedClose);
                if days > MAX_CLOSE_DAYS {
                    let close =
                        self.after(days, path).map_or_else(|_| format!("as_of + {days} days"), |d| d.to_string());
                    return Err(Error::out_of_range(
                        path(),
                        close,
                        self.as_of,
                        format!("as_of + {MAX_CLOSE_DAYS} days"),
                    ));
                }
                let (offset, remaining) = if days >= 0 {
                    let close = self.after(days, path)?;
                    (self.close_offset(close)?, self.span(self.as_of, close, path)?)
                } else if policy.overdue == OverduePolicy::MoveOn {
                    reasons.push(Reason::OverdueCloseDate);
                    (0, Decimal::ZERO)
                } else {
                    reasons.push(Reason::ExcludedOverdue);
                    return Ok(Placed { offset: None, remaining: None, in_stage, own_left: own, reasons });
                };
                return Ok(Placed {
                    offset: Some(offset),
                    remaining: Some(remaining),
                    in_stage,
                    own_left: own,
                    reasons,
                });
            }
            (Placement::Actual | Placement::ExpectedClose, None) => self.undated(own, &mut reasons, path)?,
        };
        let Some(own_left) = own_left else {
            return Ok(Placed { offset: None, remaining: None, in_stage, own_left: own, reasons });
        };
        let remaining = own_left + self.funnel.downstream[stage];
        Ok(Placed {
            offset: Some(self.offset(remaining)?),
            remaining: Some(remaining.normalize()),
            in_stage,
            own_left,
            reasons,
        })
    }

    /// The policy's `undated` fallback: what remains of the current stage, if anything.
    fn undated(&self, own: Decimal, reasons: &mut Vec<Reason>, path: &dyn Fn() -> String) -> Result<Option<Decimal>> {
        Ok(match self.funnel.policy.undated {
            UndatedPolicy::Error => {
                return Err(Error::MissingValue {
                    path: path(),
                    reason: format!(
                        "placement `{}` needs this date (or set the policy's `undated` fallback)",
                        match self.funnel.policy.placement {
                            Placement::ExpectedClose => "expected_close",
                            _ => "actual",
                        }
                    ),
                })
            }
            UndatedPolicy::RemainingFull => {
                reasons.extend([Reason::UndatedFallback, Reason::PlacedRemainingFull]);
                Some(own)
            }
            UndatedPolicy::HalfElapsed => {
                reasons.extend([Reason::UndatedFallback, Reason::PlacedHalfElapsed]);
                Some(own / Decimal::TWO)
            }
            UndatedPolicy::Unscheduled => {
                reasons.push(Reason::UnscheduledUndated);
                None
            }
        })
    }

    /// `as_of` + `days`.
    fn after(&self, days: i64, path: &dyn Fn() -> String) -> Result<NaiveDate> {
        TimeDelta::try_days(days).and_then(|d| self.as_of.checked_add_signed(d)).ok_or_else(|| Error::overflow(path()))
    }

    fn close_offset(&self, close: NaiveDate) -> Result<u32> {
        u32::try_from(self.funnel.policy.fiscal_year.slot_of_day(close) - self.slot0)
            .map_err(|_| Error::overflow("expected_close_on"))
    }

    /// Time in stage of a deal that entered it `days` before `as_of`, in the policy's unit.
    pub fn in_stage(&self, days: i64, path: &dyn Fn() -> String) -> Result<Decimal> {
        self.elapsed(days, path)
    }

    /// Per stage, the fewest days in stage that make a deal stalled (`None`: no threshold).
    /// Time in stage only grows with the days, so a binary search over days finds it.
    pub fn stall_days(&self) -> Result<Vec<Option<i64>>> {
        self.funnel
            .stall_after
            .iter()
            .map(|threshold| {
                let Some(t) = *threshold else { return Ok(None) };
                let (mut lo, mut hi) = (0i64, 2 * MAX_CLOSE_DAYS);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.elapsed(mid, &|| "stages".into())? > t {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                Ok(Some(lo))
            })
            .collect()
    }

    /// The label of the slot `offset` after `as_of`'s: a calendar month (`2026-12`), or a
    /// week-based period (`FY2026-P11`).
    pub fn month_label(&self, offset: u32) -> String {
        self.funnel.policy.fiscal_year.slot_label(self.month_index(offset as usize))
    }

    /// The slot `offset` slots after `as_of`'s (months since year 0, or a period id).
    pub fn month_index(&self, offset: usize) -> i64 {
        self.slot0 + offset as i64
    }

    fn offset(&self, remaining: Decimal) -> Result<u32> {
        let whole = remaining.ceil().to_u32().ok_or_else(|| Error::overflow("stages"))?;
        match self.funnel.policy.duration_unit {
            DurationUnit::Months => Ok(whole),
            DurationUnit::Days => {
                let close = self
                    .as_of
                    .checked_add_days(chrono::Days::new(u64::from(whole)))
                    .ok_or_else(|| Error::overflow("stages"))?;
                u32::try_from(self.funnel.policy.fiscal_year.slot_of_day(close) - self.slot0)
                    .map_err(|_| Error::overflow("stages"))
            }
        }
    }

    /// Time between entering the stage `days` ago and `as_of`, in the policy's unit.
    fn elapsed(&self, days: i64, path: &dyn Fn() -> String) -> Result<Decimal> {
        if days < 0 {
            let date = TimeDelta::try_days(-days)
                .and_then(|d| self.as_of.checked_add_signed(d))
                .map_or_else(|| "a date after as_of".to_owned(), |d| d.to_string());
            return Err(Error::DateAfterAsOf { path: path(), date, as_of: self.as_of.to_string() });
        }
        let entered = self
            .as_of
            .checked_sub_signed(TimeDelta::try_days(days).ok_or_else(|| Error::overflow(path()))?)
            .ok_or_else(|| Error::overflow(path()))?;
        self.span(entered, self.as_of, path)
    }

    /// Time from `from` to `to` (not before it), in the policy's unit. Months are calendar
    /// months: whole months first, then the rest as a fraction of the month it falls in.
    fn span(&self, from: NaiveDate, to: NaiveDate, path: &dyn Fn() -> String) -> Result<Decimal> {
        match self.funnel.policy.duration_unit {
            DurationUnit::Days => Ok(Decimal::from((to - from).num_days())),
            DurationUnit::Months => {
                let mut whole = (month_index(to) - month_index(from)).max(0);
                let add = |n: i64| from.checked_add_months(Months::new(u32::try_from(n).unwrap_or(u32::MAX)));
                while whole > 0 && add(whole).is_none_or(|d| d > to) {
                    whole -= 1;
                }
                let start = add(whole).ok_or_else(|| Error::overflow(path()))?;
                let end = add(whole + 1).ok_or_else(|| Error::overflow(path()))?;
                let part = Decimal::from((to - start).num_days()) / Decimal::from((end - start).num_days());
                Ok((Decimal::from(whole) + part).normalize())
            }
        }
    }
}

/// Months since year 0: a calendar month as one integer.
fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}
