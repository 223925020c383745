//! Weighted funnel forecast (销售漏斗, 加权目标值, 阶段预测).
//!
//! A funnel is a list of open stages, each with its conversion rate to the next stage and
//! its expected duration, plus won and lost stages. A deal's probability of winning is the
//! product of the conversions from its stage to the end (the *chain*); its weighted amount is
//! amount × probability; the month it is expected to close in follows from the durations
//! still ahead of it under a declared [`Placement`] rule, or from its own expected close date.
//!
//! A [`ForecastReport`] holds, each line rounded once from exact sums and carrying the same
//! [`Sums`] (deals, amount, weighted):
//!
//! - `stages`: the weighted pipeline per stage, with each stage's own rate and duration (the
//!   chain behind a probability is that line and the open lines after it, never repeated);
//! - `months`, then `quarters` and `years` of a [`FiscalYear`] given as data;
//! - `groups`: the pipeline per `group_by` key (owner, team, product, any attribute) and month;
//! - `categories` and `commit`: the forecast categories with cumulative sums, and the reps'
//!   commit beside the stage forecast;
//! - `deals`: one explained line per deal (probability, time in stage, time left,
//!   month, category, reason codes);
//! - `totals`: open, unscheduled, won and lost.
//!
//! [`forecast`] takes a list of [`Deal`]s; [`forecast_columns`] and
//! [`forecast_columns_parallel`] take [`DealColumns`] for large books.
//!
//! The worked example of the Neocrm (销售易) documents, reproduced exactly:
//!
//! ```
//! use crmkit::forecast::{forecast, Deal, ForecastPolicy};
//! use crmkit::wire::from_json;
//!
//! let policy: ForecastPolicy = from_json(r#"{
//!   "stages": [
//!     {"name": "潜在客户", "conversion": "0.5", "duration": "2"},
//!     {"name": "项目投标", "conversion": "0.8", "duration": "1"},
//!     {"name": "商务洽谈", "conversion": "0.9", "duration": "1"},
//!     {"name": "签订合同", "kind": "won"}
//!   ],
//!   "duration_unit": "months",
//!   "placement": "half_elapsed"
//! }"#, "")?;
//! let deals: Vec<Deal> = from_json(r#"[
//!   {"id": "a", "stage": "潜在客户", "amount": "500000"},
//!   {"id": "b", "stage": "项目投标", "amount": "250000"},
//!   {"id": "c", "stage": "商务洽谈", "amount": "200000"}
//! ]"#, "deals")?;
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let report = forecast(&policy, &deals, as_of)?;
//! let months: Vec<_> = report.months.iter().map(|m| (&*m.month, m.sums.weighted.to_string())).collect();
//! assert_eq!(months, [("2026-12", "180000.00".to_string()), ("2027-01", "180000.00".into()), ("2027-02", "180000.00".into())]);
//! # Ok::<(), crmkit::Error>(())
//! ```

mod allocation;
mod allocation_tree;
mod backtest;
#[cfg(test)]
mod backtest_reference;
mod book;
mod build;
mod calendar;
mod columns;
mod hierarchy;
mod history;
mod history_acc;
mod history_log;
mod inputs;
mod kernel;
mod per_deal;
mod phasing;
mod policy;
mod quota;
mod quota_columns;
mod quota_table;
mod ranges;
mod replay;
mod report;
mod sums;
mod table;
mod weeks;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use allocation::{
    allocate_target, Adjustment, AllocationInput, AllocationLine, AllocationPolicy, AllocationReason, AllocationReport,
    HistoryRow, Window,
};
pub use allocation_tree::{
    allocate_tree, AllocationLevel, AllocationLevelWindow, AllocationNode, AllocationNodeReason, AllocationTreeInput,
    AllocationTreePolicy, AllocationTreeReport, NodeFloor, PathHistoryRow,
};
pub use backtest::{
    backtest, BacktestDate, BacktestLine, BacktestMethod, BacktestPolicy, BacktestReport, BacktestSummary,
};
pub use calendar::PeriodKind;
pub use columns::{forecast_columns, forecast_columns_parallel, AmountColumn, DealColumns, KeyColumn};
pub use hierarchy::{
    forecast_hierarchy, AppliedAdjustment, CategoryForecast, ForecastAdjustment, HierarchyInput, HierarchyLine,
    HierarchyPolicy, HierarchyReason, HierarchyReport, OwnerNode,
};
pub use history::{
    funnel_history, Cohort, DaysPercentile, EntryWindow, HistoryFigures, HistoryGroup, HistoryLine, HistoryPolicy,
    HistoryReport, HistoryStage, SkippedStages, StageEvent,
};
pub use inputs::{DateColumn, GroupColumn, StageCodes};
pub use per_deal::ProbabilityColumn;
pub use phasing::Reason;
pub use policy::{
    DurationUnit, FiscalYear, FiscalYearName, ForecastCategory, ForecastPolicy, OverduePolicy, Placement, Stage,
    StageKind, UndatedPolicy,
};
pub use quota::{quota_attainment, Quota, QuotaInput, QuotaLine, QuotaPolicy, QuotaReason, QuotaReport, WonDeal};
pub use quota_columns::{forecast_quota_columns, QuotaData};
pub use quota_table::{exact_units, QuotaTable, UnitColumn, QUOTA_REASON_LISTS};
pub use ranges::{forecast_ranges, QuantileValue, RangeLine, RangeReport, RangeSettings};
pub use report::{
    CategoryLine, CommitComparison, DealLine, ForecastReport, GroupLine, MonthLine, PeriodLine, StageLine, StallFlag,
    StallRule, Sums, Totals,
};
pub use table::{forecast_columns_table, GroupTable, TableGroup, TableLine};
pub use weeks::{
    fiscal_periods, CalendarReason, DayOfWeek, FiscalCalendar, FiscalPeriod, WeekPattern, WeekRule, YearEnd,
};

use crate::error::{Error, Result};
use columns::{days_since_epoch, elapsed_days, run};
pub(crate) use columns::{float_units, whole_float};
use phasing::Placer;
use policy::Funnel;

/// One deal of the pipeline. In Rust code, [`Deal::new`] and its `with_*` methods, or
/// struct-update syntax from [`Deal::default`], spare writing out the optional fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Deal {
    /// Unique id.
    pub id: String,
    /// Name of its current stage.
    pub stage: String,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// When it entered its current stage (needed by `actual` placement), ≤ `as_of`.
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub entered_stage_on: Option<NaiveDate>,
    /// When it is expected to close (used by `expected_close` placement).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub expected_close_on: Option<NaiveDate>,
    /// Until when its owner snoozed its stall warning (a known wait: a tender's date...).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub snoozed_until: Option<NaiveDate>,
    /// Why, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub snooze_reason: Option<String>,
    /// The day of its last activity (call, meeting, email...), ≤ `as_of`: read by its
    /// stage's `idle_after`.
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub last_activity_on: Option<NaiveDate>,
    /// The owner's forecast category for it, when it differs from its stage's (kept as
    /// given: a stage change never overwrites it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub category: Option<ForecastCategory>,
    /// The owner's probability of winning it, in [0, 1], replacing its stage's in every
    /// weighted figure (an open deal; a won or lost one may only repeat 1 or 0).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub probability: Option<Decimal>,
    /// Owning salesperson.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub owner: Option<String>,
    /// Team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub team: Option<String>,
    /// Product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product: Option<String>,
    /// Any other field to group by (region, channel...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, string>"))]
    pub attributes: BTreeMap<String, String>,
}

impl Deal {
    fn field(&self, key: &str) -> Option<&str> {
        match key {
            "stage" => Some(&self.stage),
            "id" => Some(&self.id),
            other => group_field(other, [&self.owner, &self.team, &self.product], &self.attributes),
        }
    }
}

/// A grouping field of a record that carries an owner, a team, a product and attributes (a
/// deal, a won deal, a stage event): those three by name, any other name an attribute. (The
/// records keep their own field lists: `deny_unknown_fields` rules out a flattened struct.)
pub(super) fn group_field<'a>(
    key: &str,
    [owner, team, product]: [&'a Option<String>; 3],
    attributes: &'a BTreeMap<String, String>,
) -> Option<&'a str> {
    match key {
        "owner" => owner.as_deref(),
        "team" => team.as_deref(),
        "product" => product.as_deref(),
        other => attributes.get(other).map(String::as_str),
    }
}

/// Forecasts a pipeline of deals: weighted pipeline by stage and by `group_by` key,
/// month buckets from `as_of`, and one explained line per deal.
///
/// # Errors
///
/// Policy errors as [`ForecastPolicy::validate`]; for a deal `i`: `unknown_stage` at
/// `deals[i].stage`, `negative_amount` at `deals[i].amount`, `duplicate_name` at
/// `deals[i].id`, `date_after_as_of` or (placement `actual`, policy `undated: error`)
/// `missing_value` at `deals[i].entered_stage_on` (`expected_close`: at
/// `deals[i].expected_close_on`).
///
/// # Examples
///
/// ```
/// use crmkit::prelude::*;
///
/// let policy = ForecastPolicy::new(
///     vec![
///         Stage::open("lead", Decimal::new(5, 1), Decimal::from(30)),
///         Stage::open("proposal", Decimal::new(6, 1), Decimal::from(15)),
///         Stage::won("won"),
///         Stage::lost("lost"),
///     ],
///     DurationUnit::Days,
///     Placement::HalfElapsed,
/// )
/// .with_group_by(["owner"]);
/// let deals = [
///     Deal::new("D1", "lead", Decimal::new(1_200_000, 2)).with_owner("ann"),
///     Deal::new("D2", "proposal", Decimal::new(800_000, 2)).with_owner("bob"),
///     Deal::new("D3", "won", Decimal::new(500_000, 2)).with_owner("ann"),
/// ];
/// let report = forecast(&policy, &deals, NaiveDate::from_ymd_opt(2026, 12, 10).unwrap())?;
/// assert_eq!(report.totals.open.weighted.to_string(), "8400.00"); // 12000 × 0.5 × 0.6 + 8000 × 0.6
/// let months: Vec<String> = report.months.iter().map(|m| format!("{} {}", m.month, m.sums.weighted)).collect();
/// assert_eq!(months, ["2026-12 4800.00", "2027-01 3600.00"]);
/// use crmkit::forecast::Reason;
/// assert_eq!(report.deals[0].reasons, [Reason::WeightedByStageProbability, Reason::PlacedHalfElapsed]);
///
/// let unknown = [Deal::new("D4", "negotiation", Decimal::ONE)];
/// let err = forecast(&policy, &unknown, NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()).unwrap_err();
/// assert_eq!((err.code(), err.path()), ("unknown_stage", "deals[0].stage"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast(policy: &ForecastPolicy, deals: &[Deal], as_of: NaiveDate) -> Result<ForecastReport> {
    let funnel = Funnel::new(policy)?;
    let mut ids = HashMap::with_capacity(deals.len());
    let mut stage = Vec::with_capacity(deals.len());
    let mut amount = Vec::with_capacity(deals.len());
    let mut entered = Vec::with_capacity(deals.len());
    let mut close = Vec::with_capacity(deals.len());
    let mut snoozed = Vec::with_capacity(deals.len());
    let mut activity = Vec::with_capacity(deals.len());
    for (i, d) in deals.iter().enumerate() {
        if let Some(first) = ids.insert(d.id.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("deals[{i}].id"),
                name: d.id.clone(),
                first: format!("deals[{first}].id"),
            });
        }
        let s = *funnel
            .index
            .get(d.stage.as_str())
            .ok_or_else(|| Error::UnknownStage { path: format!("deals[{i}].stage"), name: d.stage.clone() })?;
        if let Some(on) = d.last_activity_on.filter(|on| *on > as_of) {
            return Err(Error::DateAfterAsOf {
                path: format!("deals[{i}].last_activity_on"),
                date: on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        stage.push(s as i32);
        amount.push(d.amount);
        entered.push(d.entered_stage_on.map_or(i64::MIN, days_since_epoch));
        close.push(d.expected_close_on.map_or(i64::MIN, days_since_epoch));
        snoozed.push(d.snoozed_until.map_or(i64::MIN, days_since_epoch));
        activity.push(d.last_activity_on.map_or(i64::MIN, days_since_epoch));
    }
    let mut interned: Vec<HashMap<&str, i32>> = vec![HashMap::new(); policy.group_by.len()];
    let mut labels: Vec<Vec<String>> = vec![Vec::new(); policy.group_by.len()];
    // One allocation per key, each with room for every deal (`vec![Vec::with_capacity(n); k]`
    // would clone: only the last clone keeps the capacity).
    let mut codes: Vec<Vec<i32>> = (0..policy.group_by.len()).map(|_| Vec::with_capacity(deals.len())).collect();
    for d in deals {
        for (k, key) in policy.group_by.iter().enumerate() {
            let code = d.field(key).map_or(-1, |v| {
                *interned[k].entry(v).or_insert_with(|| {
                    labels[k].push(v.to_owned());
                    labels[k].len() as i32 - 1
                })
            });
            codes[k].push(code);
        }
    }
    let stage_labels: Vec<String> = policy.stages.iter().map(|s| s.name.clone()).collect();
    // Categories as codes into their own names, the way a categorical column holds them.
    let category_labels: Vec<String> = ForecastCategory::ALL.iter().map(|c| c.name().to_owned()).collect();
    let category_codes: Vec<i32> = deals
        .iter()
        .map(|d| d.category.map_or(-1, |c| ForecastCategory::ALL.iter().position(|&x| x == c).unwrap_or(0) as i32))
        .collect();
    let probability: Vec<Option<Decimal>> = deals.iter().map(|d| d.probability).collect();
    let columns = DealColumns {
        stage: StageCodes::I32(&stage),
        stage_labels: &stage_labels,
        amount: AmountColumn::Decimal(&amount),
        entered_stage_on: Some(DateColumn::Days(&entered)),
        expected_close_on: Some(DateColumn::Days(&close)),
        snoozed_until: Some(DateColumn::Days(&snoozed)),
        last_activity_on: Some(DateColumn::Days(&activity)),
        keys: codes.iter().zip(&labels).map(|(c, l)| KeyColumn { codes: c, labels: l }.into()).collect(),
        probability: deals.iter().any(|d| d.probability.is_some()).then_some(ProbabilityColumn::Decimal(&probability)),
        category: deals
            .iter()
            .any(|d| d.category.is_some())
            .then_some(KeyColumn { codes: &category_codes, labels: &category_labels }),
    };
    let deal_path = |i: usize, field: &str| format!("deals[{i}].{field}");
    let (mut report, placer) = run(&funnel, &columns, as_of, &deal_path, 1, None, None)?;
    report.deals = deals
        .iter()
        .enumerate()
        .map(|(i, d)| deal_line(&funnel, &placer, d, stage[i] as usize, (entered[i], close[i]), i))
        .collect::<Result<_>>()?;
    Ok(report)
}

/// `dates`: the deal's entered-stage and expected-close days since 1970-01-01 (`i64::MIN`: none).
fn deal_line(funnel: &Funnel, placer: &Placer, d: &Deal, s: usize, dates: (i64, i64), i: usize) -> Result<DealLine> {
    // Checked by the report's pass: its own probability replaces the stage's.
    let p = d.probability.unwrap_or(funnel.probability[s]);
    let rounding = funnel.policy.rounding;
    let mut line = DealLine {
        id: d.id.clone(),
        stage: d.stage.clone(),
        amount: d.amount,
        probability: p,
        weighted: rounding.round(Decimal::ZERO),
        month: None,
        offset: None,
        in_stage: None,
        remaining: None,
        category: d.category.unwrap_or(funnel.category[s]),
        stalled: false,
        idle: false,
        stalls: Vec::new(),
        reasons: Vec::new(),
    };
    match funnel.kind(s) {
        StageKind::Won => {
            line.weighted = rounding.round(d.amount);
            line.reasons.push(Reason::ClosedWon);
        }
        StageKind::Lost => line.reasons.push(Reason::ClosedLost),
        StageKind::Open => {
            let (day, field) = if funnel.policy.placement == Placement::ExpectedClose {
                let until = (dates.1 != i64::MIN).then(|| dates.1.saturating_sub(days_since_epoch(placer.as_of)));
                (until, "expected_close_on")
            } else {
                (elapsed_days(placer.as_of, dates.0), "entered_stage_on")
            };
            let placed = placer.place(s, day, &|| format!("deals[{i}].{field}"))?;
            line.weighted = rounding.round(crate::money::mul(d.amount, p, || format!("deals[{i}].amount"))?);
            line.month = placed.offset.map(|o| placer.month_label(o));
            line.offset = placed.offset;
            line.remaining = placed.remaining;
            line.reasons = placed.reasons;
            if d.probability.is_some() {
                line.reasons[0] = Reason::WeightedByDealProbability;
            }
            if placed.offset.zip(funnel.policy.horizon_months).is_some_and(|(o, h)| o >= h) {
                line.reasons.push(Reason::BeyondHorizon);
            }
            // Time in stage whenever the entry date is known, whatever the placement.
            let elapsed = elapsed_days(placer.as_of, dates.0);
            line.in_stage = match (placed.in_stage, elapsed) {
                (Some(spent), _) => Some(spent),
                (None, Some(days)) => Some(placer.in_stage(days, &|| format!("deals[{i}].entered_stage_on"))?),
                (None, None) => None,
            };
            stall_flags(funnel, d, s, &mut line, placer.as_of);
        }
    }
    if line.category != funnel.category[s] {
        line.reasons.push(Reason::CategoryOverride);
    }
    Ok(line)
}

/// The stall thresholds an open deal crossed: time in stage beyond `stall_after` (the
/// `stalled` flag), days without activity beyond `idle_after` (the `idle` flag); a snooze not
/// yet passed keeps each one reported but unflagged.
fn stall_flags(funnel: &Funnel, d: &Deal, s: usize, line: &mut DealLine, as_of: NaiveDate) {
    let snoozed = d.snoozed_until.is_some_and(|until| until >= as_of);
    let mut fired = false;
    if let (Some(threshold), Some(spent), Some(since)) = (funnel.stall_after[s], line.in_stage, d.entered_stage_on)
        && spent > threshold
    {
        fired = true;
        line.stalled = !snoozed;
        if !snoozed {
            line.reasons.push(Reason::StalledInStage);
        }
        line.stalls.push(StallFlag { rule: StallRule::TimeInStage, threshold, value: spent, since, snoozed });
    }
    if let (Some(days), Some(since)) = (funnel.idle_after[s], d.last_activity_on.or(d.entered_stage_on)) {
        let quiet = (as_of - since).num_days();
        if quiet > i64::from(days) {
            fired = true;
            line.idle = !snoozed;
            if !snoozed {
                line.reasons.push(Reason::IdleNoActivity);
            }
            let (threshold, value) = (Decimal::from(days), Decimal::from(quiet));
            line.stalls.push(StallFlag { rule: StallRule::NoActivity, threshold, value, since, snoozed });
        }
    }
    if fired && snoozed {
        line.reasons.push(Reason::StallSnoozed);
    }
}
