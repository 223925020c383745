//! The backtest's replay of the stage-change log: one sweep over each deal's events for all
//! the dates at once (not one pass over the whole log per date), and the Monte Carlo median
//! of the deals placed in a period drawn directly, as `forecast_ranges` draws it.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::backtest::{BacktestDate, BacktestPolicy};
use super::calendar::PeriodId;
use super::history::StageEvent;
use super::history_log::{self, DealLog};
use super::policy::{ForecastPolicy, StageKind};
use super::ranges::{mix, threshold, GOLDEN, MAX_DRAWS, MAX_SIMULATIONS};
use super::report::DealLine;
use super::Deal;
use crate::error::{Error, Result};
use crate::money;

/// What the log says on one date.
pub(super) struct DateState {
    /// The deals open on the date, in log order: (deal, events known by then).
    pub open: Vec<(u32, u32)>,
    /// Won in the scored period by those deals, and by deals created after the date
    /// (`None`: a sum overflowed, which is the date's error).
    pub sums: Option<(Decimal, Decimal)>,
}

/// Checks the log (no event of a deal after the event that closed it: `invalid_value` at
/// `events[j]`, the first such deal in log order) and replays it on every date. A date
/// whose period is an error gets no sums (the error is raised in its turn).
pub(super) fn replay(
    policy: &ForecastPolicy,
    log: &DealLog,
    events: &[StageEvent],
    dates: &[BacktestDate],
    scored: &[Result<(PeriodId, NaiveDate, NaiveDate)>],
) -> Result<Vec<DateState>> {
    let kind = |stage: u32| policy.stages[stage as usize].kind;
    let days: Vec<i32> = dates.iter().map(|d| history_log::day(d.0)).collect();
    let bounds: Vec<Option<(i32, i32)>> = scored
        .iter()
        .map(|s| s.as_ref().ok().map(|&(_, start, end)| (history_log::day(start), history_log::day(end))))
        .collect();
    let earliest = days.iter().copied().min().unwrap_or(i32::MAX);
    let mut states: Vec<DateState> =
        dates.iter().map(|_| DateState { open: Vec::new(), sums: Some((Decimal::ZERO, Decimal::ZERO)) }).collect();
    for d in 0..log.len() {
        let visits = log.deal(d);
        let last = visits.len() - 1;
        if let Some(k) = visits.iter().position(|v| kind(v.2) != StageKind::Open).filter(|&k| k < last) {
            let ((on, i, stage), (later, j, _)) = (visits[k], visits[k + 1]);
            let date = |day: i32| history_log::date(day).map_or_else(String::new, |d| d.to_string());
            return Err(Error::InvalidValue {
                path: format!("events[{j}]"),
                reason: format!(
                    "deal {:?} moves on {} after it was closed ({}) on {}",
                    events[i as usize].deal,
                    date(later),
                    policy.stages[stage as usize].name,
                    date(on)
                ),
            });
        }
        let closed = kind(visits[last].2) != StageKind::Open;
        if closed && visits[last].0 < earliest {
            // Closed before every date: open on none, and won before every scored period.
            continue;
        }
        // Its won day and last known amount.
        let won = (kind(visits[last].2) == StageKind::Won).then(|| {
            let amount = visits.iter().rev().find_map(|v| events[v.1 as usize].amount).unwrap_or(Decimal::ZERO);
            (visits[last].0, amount)
        });
        let created = visits[0].0;
        for ((state, &t), bounds) in states.iter_mut().zip(&days).zip(&bounds) {
            let known = visits.partition_point(|v| v.0 <= t);
            let open = known > 0 && kind(visits[known - 1].2) == StageKind::Open;
            if open {
                state.open.push((d as u32, known as u32));
            }
            let Some((on, amount)) = won else { continue };
            if !bounds.is_some_and(|(start, end)| start <= on && on <= end) || (created <= t && !open) {
                continue;
            }
            // In log order, as a pass per date adds them.
            if let Some((actual, new_won)) = state.sums {
                state.sums = if created <= t {
                    actual.checked_add(amount).map(|a| (a, new_won))
                } else {
                    new_won.checked_add(amount).map(|w| (actual, w))
                };
            }
        }
    }
    Ok(states)
}

/// The deals open on a date as the forecast takes them: the stage and day of the latest
/// event by then, the latest amount (0 if none) and expected close date known by then.
pub(super) fn deals(policy: &ForecastPolicy, log: &DealLog, events: &[StageEvent], open: &[(u32, u32)]) -> Vec<Deal> {
    open.iter()
        .map(|&(d, known)| {
            let visits = log.deal(d as usize);
            let seen = &visits[..known as usize];
            let (on, _, stage) = seen[seen.len() - 1];
            Deal {
                id: events[visits[0].1 as usize].deal.clone(),
                stage: policy.stages[stage as usize].name.clone(),
                amount: seen.iter().rev().find_map(|v| events[v.1 as usize].amount).unwrap_or(Decimal::ZERO),
                entered_stage_on: history_log::date(on),
                expected_close_on: seen.iter().rev().find_map(|v| events[v.1 as usize].expected_close_on),
                ..Deal::default()
            }
        })
        .collect()
}

/// The Monte Carlo median of the deals placed in a period, exactly as `forecast_ranges`
/// gives it for them alone (`total.values[0]` at quantile 0.5): the same checks, scale,
/// draws and nearest rank, without forecasting them a second time or simulating each month.
pub(super) fn p50(policy: &ForecastPolicy, settings: &BacktestPolicy, placed: &[&DealLine]) -> Result<Decimal> {
    let sims = settings.simulations;
    if sims == 0 || sims > MAX_SIMULATIONS {
        return Err(Error::out_of_range("simulations", sims, 1, MAX_SIMULATIONS));
    }
    let draws = u64::from(sims) * placed.len() as u64;
    if draws > MAX_DRAWS {
        return Err(Error::out_of_range("simulations", sims, 1, MAX_DRAWS / (placed.len() as u64).max(1)));
    }
    let (places, digits) =
        placed.iter().fold((0, 0), |(p, g), d| (d.amount.scale().max(p), money::integer_digits(d.amount).max(g)));
    let scale = money::common_scale(places, digits, placed.len(), policy.rounding.dp);
    let mut rows = Vec::with_capacity(placed.len());
    for d in placed {
        let units = money::to_units(d.amount, scale).ok_or_else(|| Error::overflow("deals"))?;
        rows.push((threshold(d.probability), units));
    }
    // `forecast_ranges` also caps simulations × (months + 1) at 50 million outcomes: the
    // months of one period are at most 13, so 100,000 simulations stay far below it.
    let base = |sim: usize| settings.seed ^ (sim as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let n = sims as usize;
    let mut outcomes: Vec<i128> = Vec::with_capacity(n);
    // Amounts are ≥ 0; when their sum fits 63 bits no partial sum can overflow, so the draws
    // add in i64 without checks (a threshold above 2^64 - 1 is a probability of 1: always won).
    let small: Option<Vec<(u64, bool, i64)>> = rows
        .iter()
        .try_fold(0i64, |sum, &(_, u)| i64::try_from(u).ok().and_then(|u| sum.checked_add(u)))
        .map(|_| rows.iter().map(|&(t, u)| (t as u64, t > u128::from(u64::MAX), u as i64)).collect());
    if let Some(small) = small {
        for sim in 0..n {
            let mut state = base(sim);
            let mut won = 0i64;
            for &(t, always, units) in &small {
                state = state.wrapping_add(GOLDEN);
                let hit = always | (mix(state) < t);
                won += units & -i64::from(hit);
            }
            outcomes.push(i128::from(won));
        }
    } else {
        for sim in 0..n {
            let b = base(sim);
            let mut won = 0i128;
            for (r, &(t, units)) in rows.iter().enumerate() {
                let state = b.wrapping_add((r as u64).wrapping_add(1).wrapping_mul(GOLDEN));
                if u128::from(mix(state)) < t {
                    won = won.checked_add(units).ok_or_else(|| Error::overflow("totals"))?;
                }
            }
            outcomes.push(won);
        }
    }
    let rank = (Decimal::new(5, 1) * Decimal::from(n)).ceil().to_usize().unwrap_or(0);
    let index = (rank.max(1) - 1).min(n - 1);
    let (_, &mut median, _) = outcomes.select_nth_unstable(index);
    let value = money::from_units(median, scale).ok_or_else(|| Error::overflow("totals"))?;
    Ok(policy.rounding.round(value))
}
