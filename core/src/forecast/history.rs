//! The funnel learned from a stage-change log: conversion per stage, time in stage, win rate,
//! cycle length and average won amount, with open deals treated as unfinished (censored),
//! and a suggested [`ForecastPolicy`]-ready stage list.
//!
//! Conversion of an open stage = deals that went beyond it ÷ (those + deals lost with it as
//! their furthest stage). Deals still open there count in neither: they have not finished
//! the stage yet (counting them as failures, as simple tools do, understates every rate).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::policy::StageKind;
use super::ranges::QuantileValue;
use crate::error::{Error, Result};
use crate::money::{self, Rounding, RoundingStrategy};

/// The stages of the funnel, in order, and how to read skipped stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct HistoryPolicy {
    /// Stage names and kinds in funnel order (conversions and durations are what is learned).
    pub stages: Vec<HistoryStage>,
    /// A deal that jumps over an open stage: `passed` counts it as having entered and left
    /// that stage (default), `ignored` leaves it out of that stage's figures.
    #[serde(default)]
    pub skipped: SkippedStages,
    /// Decimal places of the learned rates (default 4).
    #[serde(default = "HistoryPolicy::rate_places")]
    pub rate_dp: u32,
    /// Percentiles of the time in each stage to report, each strictly between 0 and 100
    /// (`["75", "90"]`: P75 and P90, the stall thresholds a forecast policy can take as its
    /// stages' `stall_after`). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal[]"))]
    pub percentiles: Vec<QuantileValue>,
}

impl HistoryPolicy {
    fn rate_places() -> u32 {
        4
    }
}

/// A stage as the log names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct HistoryStage {
    /// Name.
    pub name: String,
    /// Open, won or lost.
    #[serde(default)]
    pub kind: StageKind,
}

/// How a jump over an open stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum SkippedStages {
    /// As entered and passed.
    #[default]
    Passed,
    /// Not at all.
    Ignored,
}

/// One stage change: `deal` entered `stage` on `on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct StageEvent {
    /// The deal's id.
    pub deal: String,
    /// The stage it entered.
    pub stage: String,
    /// When, ≤ `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Its amount at that time, if known (the last one known counts for won deals).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub amount: Option<Decimal>,
}

/// What [`funnel_history`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct HistoryReport {
    /// One line per policy stage.
    pub stages: Vec<HistoryLine>,
    /// Deals in the log.
    pub deals: u64,
    /// Deals whose last stage is won.
    pub won: u64,
    /// Deals whose last stage is lost.
    pub lost: u64,
    /// Deals still open at `as_of`.
    pub open: u64,
    /// won ÷ (won + lost); `null` before any deal closed.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub win_rate: Option<Decimal>,
    /// Mean days from a won deal's first event to its won event.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub avg_cycle_days: Option<Decimal>,
    /// Mean of won deals' last known amounts.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub avg_won_amount: Option<Decimal>,
}

/// One stage, learned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct HistoryLine {
    /// Stage name.
    pub stage: String,
    /// Open, won or lost.
    pub kind: StageKind,
    /// Deals that entered it (or, with `skipped: passed`, jumped over it).
    pub entered: u64,
    /// Of those, deals that went beyond it (a later open stage, or won).
    pub advanced: u64,
    /// Deals lost with this as their furthest stage.
    pub lost: u64,
    /// Deals still open with this as their furthest stage (unfinished: in no rate).
    pub open: u64,
    /// advanced ÷ (advanced + lost): the conversion to put in a forecast policy; `null`
    /// when no deal has finished the stage.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub conversion: Option<Decimal>,
    /// Mean days of the finished visits to the stage (a deal's current stay is not one).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub avg_days: Option<Decimal>,
    /// Finished visits timed.
    pub visits: u64,
    /// The policy's `percentiles` of the days of the finished visits, in its order (nearest
    /// rank: the `ceil(p ÷ 100 × visits)`-th shortest visit; `days` `null` without visits).
    pub percentiles: Vec<DaysPercentile>,
}

/// A percentile of the time spent in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct DaysPercentile {
    /// The percentile, as the policy gave it (`90`: P90).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub percentile: Decimal,
    /// Days in the stage at that percentile (`null`: no finished visit).
    pub days: Option<i64>,
}

/// Learns the funnel from a stage-change log.
///
/// # Errors
///
/// `duplicate_name` at `stages[i].name`, `no_open_stage` at `stages`, `out_of_range` at
/// `rate_dp`; for an event `i`: `unknown_stage` at `events[i].stage`, `date_after_as_of` at
/// `events[i].on`, `negative_amount` at `events[i].amount`.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{funnel_history, HistoryPolicy, StageEvent};
///
/// let policy: HistoryPolicy = crmkit::wire::from_json(r#"{"stages": [
///     {"name": "lead"}, {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}]}"#, "")?;
/// let events: Vec<StageEvent> = crmkit::wire::from_json(r#"[
///     {"deal": "a", "stage": "lead", "on": "2026-01-01"}, {"deal": "a", "stage": "won", "on": "2026-01-11"},
///     {"deal": "b", "stage": "lead", "on": "2026-01-01"}, {"deal": "b", "stage": "lost", "on": "2026-01-21"},
///     {"deal": "c", "stage": "lead", "on": "2026-01-05"}]"#, "events")?;
/// let r = funnel_history(&policy, &events, chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())?;
/// // c is still open: one win out of two finished deals, not one out of three.
/// assert_eq!(r.stages[0].conversion.unwrap().to_string(), "0.5000");
/// assert_eq!(r.stages[0].avg_days.unwrap().to_string(), "15.00");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn funnel_history(policy: &HistoryPolicy, events: &[StageEvent], as_of: NaiveDate) -> Result<HistoryReport> {
    if policy.rate_dp > Rounding::MAX_DP {
        return Err(Error::out_of_range("rate_dp", policy.rate_dp, 0, Rounding::MAX_DP));
    }
    // Rates to the policy's places, days and money to 2: the shared half-even rounding.
    let rates = Rounding { dp: policy.rate_dp, strategy: RoundingStrategy::HalfEven };
    let two_places = Rounding::default();
    crate::limits::check("percentiles", policy.percentiles.len(), crate::limits::MAX_QUANTILES, "percentiles")?;
    for (i, p) in policy.percentiles.iter().enumerate() {
        if p.0 <= Decimal::ZERO || p.0 >= Decimal::ONE_HUNDRED {
            return Err(Error::out_of_range(format!("percentiles[{i}]"), p.0, "0 (excluded)", "100 (excluded)"));
        }
    }
    crate::limits::check("stages", policy.stages.len(), crate::limits::MAX_STAGES, "stages")?;
    let mut index = BTreeMap::new();
    for (i, s) in policy.stages.iter().enumerate() {
        if let Some(first) = index.insert(s.name.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("stages[{i}].name"),
                name: s.name.clone(),
                first: format!("stages[{first}].name"),
            });
        }
    }
    let open_pos: Vec<Option<usize>> = {
        let mut n = 0;
        policy
            .stages
            .iter()
            .map(|s| {
                (s.kind == StageKind::Open).then(|| {
                    n += 1;
                    n - 1
                })
            })
            .collect()
    };
    let open_stages: Vec<usize> = (0..policy.stages.len()).filter(|&s| open_pos[s].is_some()).collect();
    if open_stages.is_empty() {
        return Err(Error::NoOpenStage { path: "stages".into() });
    }
    // Each deal's events in date order (the log's order breaks ties).
    let mut by_deal: BTreeMap<&str, Vec<(NaiveDate, usize, usize)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let stage = *index
            .get(e.stage.as_str())
            .ok_or_else(|| Error::UnknownStage { path: format!("events[{i}].stage"), name: e.stage.clone() })?;
        if e.on > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("events[{i}].on"),
                date: e.on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        if let Some(a) = e.amount.filter(|a| a.is_sign_negative() && !a.is_zero()) {
            return Err(Error::NegativeAmount { path: format!("events[{i}].amount"), value: a.to_string() });
        }
        by_deal.entry(e.deal.as_str()).or_default().push((e.on, i, stage));
    }
    let n = policy.stages.len();
    let (mut entered, mut advanced, mut lost_at, mut open_at) =
        (vec![0u64; n], vec![0u64; n], vec![0u64; n], vec![0u64; n]);
    let mut days = vec![(0i64, 0u64); n];
    // Every finished visit's days, per stage, only when percentiles are asked for.
    let mut spans: Vec<Vec<i64>> = vec![Vec::new(); if policy.percentiles.is_empty() { 0 } else { n }];
    let mut visited = vec![false; n];
    // Deals that entered (advanced from) the open positions 0..k, by k.
    let (mut entered_upto, mut advanced_upto) = (vec![0u64; open_stages.len() + 1], vec![0u64; open_stages.len() + 1]);
    let (mut won, mut lost, mut open) = (0u64, 0u64, 0u64);
    let (mut cycle, mut won_amount, mut won_with_amount) = (0i64, Decimal::ZERO, 0u64);
    for visits in by_deal.values_mut() {
        visits.sort_unstable();
        for pair in visits.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let spent = (to.0 - from.0).num_days();
            days[from.2].0 += spent;
            days[from.2].1 += 1;
            if let Some(stage_spans) = spans.get_mut(from.2) {
                stage_spans.push(spent);
            }
        }
        let last = visits[visits.len() - 1];
        let furthest_open = visits.iter().filter_map(|v| open_pos[v.2]).max();
        let outcome = policy.stages[last.2].kind;
        // The open stages the deal counts as having entered: positions 0..through.
        let reached = furthest_open.map_or(0, |f| f + 1);
        let through = if outcome == StageKind::Won { open_stages.len() } else { reached };
        // The last of them advanced, or was lost or is still open; the others advanced. Work
        // per deal stays proportional to its events, never to the stages (10,000 of them).
        let settle = |pos: usize, advanced: &mut [u64], lost_at: &mut [u64], open_at: &mut [u64]| {
            let s = open_stages[pos];
            if pos + 1 < through || outcome == StageKind::Won {
                advanced[s] += 1;
            } else if outcome == StageKind::Lost {
                lost_at[s] += 1;
            } else {
                open_at[s] += 1;
            }
        };
        if through > 0 && policy.skipped == SkippedStages::Passed {
            // Every stage up to the furthest one counts: ranges, summed once after the loop.
            entered_upto[through] += 1;
            let advanced_all = if outcome == StageKind::Won { through } else { through - 1 };
            advanced_upto[advanced_all] += 1;
            if advanced_all < through {
                settle(through - 1, &mut advanced, &mut lost_at, &mut open_at);
            }
        } else {
            for v in visits.iter() {
                // Counted once however often the deal came back to the stage.
                if let Some(pos) = open_pos[v.2].filter(|&p| p < through && !visited[v.2]) {
                    visited[v.2] = true;
                    entered[v.2] += 1;
                    settle(pos, &mut advanced, &mut lost_at, &mut open_at);
                }
            }
        }
        match outcome {
            StageKind::Won => {
                won += 1;
                entered[last.2] += 1;
                cycle += (last.0 - visits[0].0).num_days();
                if let Some(a) = visits.iter().rev().find_map(|v| events[v.1].amount) {
                    won_amount = money::add(won_amount, a, || "events".into())?;
                    won_with_amount += 1;
                }
            }
            StageKind::Lost => {
                lost += 1;
                entered[last.2] += 1;
            }
            StageKind::Open => open += 1,
        }
        for v in visits.iter() {
            visited[v.2] = false;
        }
    }
    let (mut entering, mut advancing) = (0u64, 0u64);
    for pos in (0..open_stages.len()).rev() {
        entering += entered_upto[pos + 1];
        advancing += advanced_upto[pos + 1];
        entered[open_stages[pos]] += entering;
        advanced[open_stages[pos]] += advancing;
    }
    let rate = |num: u64, den: u64| (den > 0).then(|| rates.round(Decimal::from(num) / Decimal::from(den)));
    let fixed = |d: Decimal| two_places.round(d);
    let stages = policy
        .stages
        .iter()
        .enumerate()
        .map(|(s, st)| HistoryLine {
            stage: st.name.clone(),
            kind: st.kind,
            entered: entered[s],
            advanced: advanced[s],
            lost: lost_at[s],
            open: open_at[s],
            conversion: if st.kind == StageKind::Open { rate(advanced[s], advanced[s] + lost_at[s]) } else { None },
            avg_days: (days[s].1 > 0).then(|| fixed(Decimal::from(days[s].0) / Decimal::from(days[s].1))),
            visits: days[s].1,
            percentiles: percentiles_of(&policy.percentiles, spans.get_mut(s).map(std::mem::take)),
        })
        .collect();
    Ok(HistoryReport {
        stages,
        deals: by_deal.len() as u64,
        won,
        lost,
        open,
        win_rate: rate(won, won + lost),
        avg_cycle_days: (won > 0).then(|| fixed(Decimal::from(cycle) / Decimal::from(won))),
        avg_won_amount: (won_with_amount > 0).then(|| fixed(won_amount / Decimal::from(won_with_amount))),
    })
}

/// Nearest-rank percentiles of `spans` (sorted here), in the order asked.
fn percentiles_of(asked: &[QuantileValue], spans: Option<Vec<i64>>) -> Vec<DaysPercentile> {
    let mut spans = spans.unwrap_or_default();
    spans.sort_unstable();
    asked
        .iter()
        .map(|p| {
            let n = Decimal::from(spans.len());
            // ceil(p / 100 × n) ≥ 1 for p > 0 and n ≥ 1; ≤ n for p < 100.
            let rank = (p.0 * n / Decimal::ONE_HUNDRED).ceil();
            let days = rust_decimal::prelude::ToPrimitive::to_usize(&rank)
                .and_then(|r| r.checked_sub(1))
                .and_then(|r| spans.get(r).copied());
            DaysPercentile { percentile: p.0.normalize(), days }
        })
        .collect()
}
