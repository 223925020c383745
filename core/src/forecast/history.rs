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
use super::history_acc::{Acc, Shape};
use super::history_log::{self, DealLog};
use super::policy::{Stage, StageKind};
use super::ranges::QuantileValue;
use crate::error::{Error, Result};
use crate::money::Rounding;

/// The stages of the funnel, in order, and how to read skipped stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// The calendar month a deal entered the funnel, `2026-01`.
    Month,
}

/// Days a deal may have entered the funnel on, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
        super::group_field(key, [&self.owner, &self.team, &self.product], &self.attributes)
    }
}

/// What [`funnel_history`] returns: the figures of the whole log, and of each group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct HistoryReport {
    /// The whole log's figures (flattened: `stages`, `deals`, `win_rate`... on the report).
    #[serde(flatten)]
    pub figures: HistoryFigures,
    /// Per `group_by` key and cohort, in key order (empty without `group_by` and `cohort`).
    pub groups: Vec<HistoryGroup>,
}

/// The history of one group and cohort: the same figures as the whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct HistoryGroup {
    /// The `group_by` values (`null`: deals whose events never gave the field).
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string | null>"))]
    pub key: BTreeMap<String, Option<String>>,
    /// The cohort, `2026-01` (`null` without `cohort`).
    pub cohort: Option<String>,
    /// The group's figures (flattened).
    #[serde(flatten)]
    pub figures: HistoryFigures,
}

/// The figures of one history (the whole log, or one group or cohort of it). Output only;
/// flattened into [`HistoryReport`] and [`HistoryGroup`], so the JSON has them at the top.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct HistoryFigures {
    /// One line per policy stage.
    pub stages: Vec<HistoryLine>,
    /// Deals in the log (the group).
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
}

/// One stage, learned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
/// assert_eq!(r.figures.stages[0].conversion.unwrap().to_string(), "0.5000");
/// assert_eq!(r.figures.stages[0].avg_days.unwrap().to_string(), "15.00");
/// // The stage list a forecast policy takes: conversion, mean days, P90 days as stall_after.
/// let lead = &r.figures.forecast_stages[0];
/// assert_eq!((lead.duration.unwrap().to_string(), lead.stall_after.unwrap().to_string()), ("15.00".into(), "20".into()));
/// assert_eq!(r.groups.len(), 2); // li, wang
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn funnel_history(policy: &HistoryPolicy, events: &[StageEvent], as_of: NaiveDate) -> Result<HistoryReport> {
    let shape = check(policy)?;
    let log = history_log::read(policy.stages.iter().map(|s| s.name.as_str()), events, as_of)?;
    let tally = match tally(&shape, events, &log, false)? {
        Some(tally) => tally,
        None => tally(&shape, events, &log, true)?.ok_or_else(|| Error::overflow("group_by"))?,
    };
    let Tally { whole, mut groups, values } = tally;
    // Key order: each value (none first, then by text), then the cohort (none first).
    let n_keys = policy.group_by.len();
    let text = |key: &[u32]| -> Vec<Option<&str>> {
        key[..n_keys].iter().map(|&c| (c > 0).then(|| values[c as usize])).collect()
    };
    let cohort_of = |key: &[u32]| policy.cohort.and_then(|_| key[n_keys].checked_sub(1)).map(i64::from);
    groups.sort_by_cached_key(|(key, _)| (text(key), cohort_of(key)));
    let groups = groups
        .into_iter()
        .map(|(key, acc)| HistoryGroup {
            key: policy.group_by.iter().cloned().zip(text(&key).into_iter().map(|v| v.map(str::to_owned))).collect(),
            cohort: cohort_of(&key).map(month_label),
            figures: acc.finish(&shape),
        })
        .collect();
    Ok(HistoryReport { figures: whole.finish(&shape), groups })
}

/// The counters of a history: the whole log's, and each group's with its key (each
/// `group_by` value's code into `values`, 0: none; then the cohort's month + 1, 0: none).
struct Tally<'e> {
    whole: Acc,
    groups: Vec<(Vec<u32>, Acc)>,
    values: Vec<&'e str>,
}

/// Adds every deal of the log (in the policy's window) to the whole history and to its
/// group's. With `log_order`, deals come in the order the log names them and each won amount
/// is added as its deal comes, so the first error is the one a reading in log order meets.
/// Otherwise deals come as the log stores them (in memory order, about a third faster over
/// 10 million events) and the won amounts are added at the end, each history's in log order,
/// so every sum is the same; `None` when the groups exceed their limit, an error to be found
/// in log order (a money overflow by an earlier deal comes first).
fn tally<'e>(shape: &Shape, events: &'e [StageEvent], log: &DealLog, log_order: bool) -> Result<Option<Tally<'e>>> {
    let policy = shape.policy;
    let grouped = !policy.group_by.is_empty() || policy.cohort.is_some();
    let window = policy.window.map(|w| (w.from.map(history_log::day), w.to.map(history_log::day)));
    let mut whole = Acc::new(shape);
    // Values interned once; groups found by their integer key.
    let mut value_code: HashMap<&str, u32> = HashMap::new();
    let mut values: Vec<&str> = vec![""];
    let mut group_of: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<u32>, Acc)> = Vec::new();
    let mut key: Vec<u32> = Vec::with_capacity(policy.group_by.len() + 1);
    let mut visited = vec![false; policy.stages.len()];
    // Won amounts to add at the end: (deal's place in the log's order, history: 0 the whole,
    // g + 1 group g, amount).
    let mut won: Vec<(u32, u32, Decimal)> = Vec::new();
    let amount = |i: usize| events[i].amount;
    for k in 0..log.len() {
        let (rank, deal) = if log_order { (k, log.deal(k)) } else { log.stored(k) };
        let entered = deal[0].0;
        if let Some((from, to)) = window
            && (from.is_some_and(|f| entered < f) || to.is_some_and(|t| entered > t))
        {
            continue;
        }
        if let Some(a) = whole.add(shape, deal, &amount, &mut visited) {
            if log_order {
                whole.add_won(a)?;
            } else {
                won.push((rank as u32, 0, a));
            }
        }
        if grouped {
            key.clear();
            for k in &policy.group_by {
                let value = deal.iter().rev().find_map(|v| events[v.1 as usize].field(k));
                key.push(value.map_or(0, |v| {
                    *value_code.entry(v).or_insert_with(|| {
                        values.push(v);
                        values.len() as u32 - 1
                    })
                }));
            }
            if let Some(Cohort::Month) = policy.cohort {
                key.push(history_log::date(entered).map_or(0, |on| month_index(on) as u32 + 1));
            }
            let g = if let Some(&g) = group_of.get(key.as_slice()) {
                g
            } else {
                let cells = (groups.len() as u64 + 1).saturating_mul(policy.stages.len() as u64);
                if cells > MAX_GROUP_CELLS {
                    if !log_order {
                        return Ok(None);
                    }
                    return Err(crate::limits::exceeded("group_by", cells, MAX_GROUP_CELLS, "groups × stages"));
                }
                group_of.insert(key.clone(), groups.len());
                groups.push((key.clone(), Acc::new(shape)));
                groups.len() - 1
            };
            if let Some(a) = groups[g].1.add(shape, deal, &amount, &mut visited) {
                if log_order {
                    groups[g].1.add_won(a)?;
                } else {
                    won.push((rank as u32, g as u32 + 1, a));
                }
            }
        }
    }
    won.sort_unstable_by_key(|&(rank, history, _)| (rank, history));
    for (_, history, a) in won {
        match history.checked_sub(1) {
            None => whole.add_won(a)?,
            Some(g) => groups[g as usize].1.add_won(a)?,
        }
    }
    Ok(Some(Tally { whole, groups, values }))
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
    if let Some(EntryWindow { from: Some(from), to: Some(to) }) = policy.window
        && to < from
    {
        return Err(Error::DateOrder { path: "window.to".into(), date: to.to_string(), earlier: from.to_string() });
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
