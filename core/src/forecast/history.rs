//! The funnel learned from a stage-change log: conversion per stage, time in stage, win rate,
//! cycle length and average won amount, with open deals treated as unfinished (censored),
//! time-in-stage percentiles, and a stage list a [`ForecastPolicy`](super::ForecastPolicy)
//! takes as it is; for the whole log and per group (owner, team, any key) and cohort (the
//! month a deal entered the funnel), within a window of entry dates.
//!
//! Conversion of an open stage = deals that went beyond it ÷ (those + deals lost with it as
//! their furthest stage). Deals still open there count in neither: they have not finished
//! the stage yet (counting them as failures, as simple tools do, understates every rate).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{month_index, month_label};
use super::history_acc::{Acc, Figures, Shape, Visit};
use super::policy::{Stage, StageKind};
use super::ranges::QuantileValue;
use crate::error::{Error, Result};
use crate::money::Rounding;

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
    /// The percentile (strictly between 0 and 100) whose days become each open stage's
    /// `stall_after` in `forecast_stages` (default none: no `stall_after`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub stall_percentile: Option<QuantileValue>,
    /// Event fields to group the history by: `owner`, `team`, `product` or any key of the
    /// events' `attributes` (a deal's value is the one its latest event giving it gives).
    /// Empty (default): no groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub group_by: Vec<String>,
    /// Also split the groups by cohort: the calendar `month` a deal entered the funnel (its
    /// first event). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub cohort: Option<Cohort>,
    /// Only deals that entered the funnel (their first event) in this window count, in the
    /// whole history and in every group. Default: every deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub window: Option<EntryWindow>,
}

/// The cohorts of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// The calendar month a deal entered the funnel, `2026-01`.
    Month,
}

/// Days a deal may have entered the funnel on, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EntryWindow {
    /// First day (default: none before).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub from: Option<NaiveDate>,
    /// Last day (default: none after).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub to: Option<NaiveDate>,
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

/// One stage change: `deal` entered `stage` on `on`. In Rust code, struct-update syntax from
/// [`StageEvent::default`] spares writing out the optional fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Its expected close date as known at that time (the backtest reads it under placement
    /// `expected_close`).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub expected_close_on: Option<NaiveDate>,
    /// The deal's owner at that time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub owner: Option<String>,
    /// Its team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub team: Option<String>,
    /// Its product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product: Option<String>,
    /// Any other field to group by (region, source...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, string>"))]
    pub attributes: BTreeMap<String, String>,
}

impl StageEvent {
    fn field(&self, key: &str) -> Option<&str> {
        match key {
            "owner" => self.owner.as_deref(),
            "team" => self.team.as_deref(),
            "product" => self.product.as_deref(),
            other => self.attributes.get(other).map(String::as_str),
        }
    }
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
    /// The stages as a [`ForecastPolicy`](super::ForecastPolicy) takes them, in days (`duration_unit:
    /// "days"`): each open stage's learned `conversion`, its `avg_days` as `duration`, and
    /// the policy's `stall_percentile` days as `stall_after`. A stage no deal finished has no
    /// conversion, which the forecast reports as `missing_value` at `stages[i].conversion`.
    pub forecast_stages: Vec<Stage>,
    /// Per `group_by` key and cohort, in key order (empty without `group_by` and `cohort`).
    pub groups: Vec<HistoryGroup>,
}

/// The history of one group and cohort: the same figures as the whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct HistoryGroup {
    /// The `group_by` values (`null`: deals whose events never gave the field).
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string | null>"))]
    pub key: BTreeMap<String, Option<String>>,
    /// The cohort, `2026-01` (`null` without `cohort`).
    pub cohort: Option<String>,
    /// One line per policy stage.
    pub stages: Vec<HistoryLine>,
    /// Deals of the group.
    pub deals: u64,
    /// Of those, won.
    pub won: u64,
    /// Lost.
    pub lost: u64,
    /// Still open.
    pub open: u64,
    /// won ÷ (won + lost).
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
    /// The group's stages as a forecast policy takes them.
    pub forecast_stages: Vec<Stage>,
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

/// Groups times stages a history may count: beyond it, `limit_exceeded` at `group_by`.
const MAX_GROUP_CELLS: u64 = 10_000_000;

/// Learns the funnel from a stage-change log: for the whole log and, with `group_by` or
/// `cohort`, per group and cohort.
///
/// # Errors
///
/// `duplicate_name` at `stages[i].name` and `group_by[i]`, `no_open_stage` at `stages`,
/// `out_of_range` at `rate_dp`, `percentiles[i]` and `stall_percentile` (each strictly between
/// 0 and 100), `date_order` at `window.to` (before `window.from`), `limit_exceeded` at
/// `group_by` (more than 10 million groups × stages); for an event `i`: `unknown_stage` at
/// `events[i].stage`, `date_after_as_of` at `events[i].on`, `negative_amount` at
/// `events[i].amount`.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{funnel_history, HistoryPolicy, StageEvent};
///
/// let policy: HistoryPolicy = crmkit::wire::from_json(r#"{"stages": [
///     {"name": "lead"}, {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
///     "group_by": ["owner"], "stall_percentile": "90"}"#, "")?;
/// let events: Vec<StageEvent> = crmkit::wire::from_json(r#"[
///     {"deal": "a", "stage": "lead", "on": "2026-01-01", "owner": "li"}, {"deal": "a", "stage": "won", "on": "2026-01-11"},
///     {"deal": "b", "stage": "lead", "on": "2026-01-01", "owner": "li"}, {"deal": "b", "stage": "lost", "on": "2026-01-21"},
///     {"deal": "c", "stage": "lead", "on": "2026-01-05", "owner": "wang"}]"#, "events")?;
/// let r = funnel_history(&policy, &events, chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())?;
/// // c is still open: one win out of two finished deals, not one out of three.
/// assert_eq!(r.stages[0].conversion.unwrap().to_string(), "0.5000");
/// assert_eq!(r.stages[0].avg_days.unwrap().to_string(), "15.00");
/// // The stage list a forecast policy takes: conversion, mean days, P90 days as stall_after.
/// let lead = &r.forecast_stages[0];
/// assert_eq!((lead.duration.unwrap().to_string(), lead.stall_after.unwrap().to_string()), ("15.00".into(), "20".into()));
/// assert_eq!(r.groups.len(), 2); // li, wang
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn funnel_history(policy: &HistoryPolicy, events: &[StageEvent], as_of: NaiveDate) -> Result<HistoryReport> {
    let shape = check(policy)?;
    let index: HashMap<&str, usize> = policy.stages.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    // Deals in first-seen order; each event's deal. Then the events of each deal side by side
    // (a counting sort: no tree of 10 million keys), each deal's sorted by date, log order
    // breaking ties.
    let mut deal_of: HashMap<&str, u32> = HashMap::new();
    let mut event_deal = Vec::with_capacity(events.len());
    let mut stage_of = Vec::with_capacity(events.len());
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
        let next = u32::try_from(deal_of.len()).map_err(|_| Error::overflow("events"))?;
        event_deal.push(*deal_of.entry(e.deal.as_str()).or_insert(next));
        stage_of.push(stage);
    }
    let mut start = vec![0usize; deal_of.len() + 1];
    for &d in &event_deal {
        start[d as usize + 1] += 1;
    }
    for d in 0..deal_of.len() {
        start[d + 1] += start[d];
    }
    let mut fill = start.clone();
    let mut visits: Vec<Visit> = vec![(as_of, 0, 0); events.len()];
    for (i, &d) in event_deal.iter().enumerate() {
        visits[fill[d as usize]] = (events[i].on, i, stage_of[i]);
        fill[d as usize] += 1;
    }
    drop((event_deal, stage_of, fill));
    let grouped = !policy.group_by.is_empty() || policy.cohort.is_some();
    let mut whole = Acc::new(&shape);
    let mut groups: BTreeMap<(Vec<Option<&str>>, Option<i64>), Acc> = BTreeMap::new();
    let mut visited = vec![false; policy.stages.len()];
    let amount = |i: usize| events[i].amount;
    for d in 0..deal_of.len() {
        let deal = &mut visits[start[d]..start[d + 1]];
        deal.sort_unstable();
        let entered = deal[0].0;
        if let Some(w) = policy.window {
            if w.from.is_some_and(|f| entered < f) || w.to.is_some_and(|t| entered > t) {
                continue;
            }
        }
        whole.add(&shape, deal, &amount, &mut visited)?;
        if grouped {
            let key: Vec<Option<&str>> =
                policy.group_by.iter().map(|k| deal.iter().rev().find_map(|v| events[v.1].field(k))).collect();
            let cohort = policy.cohort.map(|Cohort::Month| month_index(entered));
            let cells = (groups.len() as u64 + 1).saturating_mul(policy.stages.len() as u64);
            let acc = match groups.entry((key, cohort)) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    if cells > MAX_GROUP_CELLS {
                        return Err(crate::limits::exceeded("group_by", cells, MAX_GROUP_CELLS, "groups × stages"));
                    }
                    e.insert(Acc::new(&shape))
                }
            };
            acc.add(&shape, deal, &amount, &mut visited)?;
        }
    }
    let groups = groups
        .into_iter()
        .map(|((key, cohort), acc)| {
            let f = acc.finish(&shape);
            HistoryGroup {
                key: policy.group_by.iter().cloned().zip(key.into_iter().map(|v| v.map(str::to_owned))).collect(),
                cohort: cohort.map(month_label),
                stages: f.stages,
                deals: f.deals,
                won: f.won,
                lost: f.lost,
                open: f.open,
                win_rate: f.win_rate,
                avg_cycle_days: f.avg_cycle_days,
                avg_won_amount: f.avg_won_amount,
                forecast_stages: f.forecast_stages,
            }
        })
        .collect();
    let Figures { stages, deals, won, lost, open, win_rate, avg_cycle_days, avg_won_amount, forecast_stages } =
        whole.finish(&shape);
    Ok(HistoryReport {
        stages,
        deals,
        won,
        lost,
        open,
        win_rate,
        avg_cycle_days,
        avg_won_amount,
        forecast_stages,
        groups,
    })
}

/// Checks the policy and lays out its open stages.
fn check(policy: &HistoryPolicy) -> Result<Shape<'_>> {
    if policy.rate_dp > Rounding::MAX_DP {
        return Err(Error::out_of_range("rate_dp", policy.rate_dp, 0, Rounding::MAX_DP));
    }
    crate::limits::check("percentiles", policy.percentiles.len(), crate::limits::MAX_QUANTILES, "percentiles")?;
    let asked = policy.percentiles.iter().enumerate().map(|(i, p)| (format!("percentiles[{i}]"), p));
    for (path, p) in asked.chain(policy.stall_percentile.iter().map(|p| ("stall_percentile".to_owned(), p))) {
        if p.0 <= Decimal::ZERO || p.0 >= Decimal::ONE_HUNDRED {
            return Err(Error::out_of_range(path, p.0, "0 (excluded)", "100 (excluded)"));
        }
    }
    if let Some(EntryWindow { from: Some(from), to: Some(to) }) = policy.window {
        if to < from {
            return Err(Error::DateOrder { path: "window.to".into(), date: to.to_string(), earlier: from.to_string() });
        }
    }
    crate::limits::check("stages", policy.stages.len(), crate::limits::MAX_STAGES, "stages")?;
    let mut names = HashMap::with_capacity(policy.stages.len());
    for (i, s) in policy.stages.iter().enumerate() {
        if let Some(first) = names.insert(s.name.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("stages[{i}].name"),
                name: s.name.clone(),
                first: format!("stages[{first}].name"),
            });
        }
    }
    let mut keys = HashMap::new();
    for (i, key) in policy.group_by.iter().enumerate() {
        if let Some(first) = keys.insert(key.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("group_by[{i}]"),
                name: key.clone(),
                first: format!("group_by[{first}]"),
            });
        }
    }
    let mut n = 0;
    let open_pos: Vec<Option<usize>> = policy
        .stages
        .iter()
        .map(|s| {
            (s.kind == StageKind::Open).then(|| {
                n += 1;
                n - 1
            })
        })
        .collect();
    let open_stages: Vec<usize> = (0..policy.stages.len()).filter(|&s| open_pos[s].is_some()).collect();
    if open_stages.is_empty() {
        return Err(Error::NoOpenStage { path: "stages".into() });
    }
    Ok(Shape { policy, open_pos, open_stages })
}
