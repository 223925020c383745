//! The funnel as data: stages, conversion rates, durations, placement rule.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::weeks::WeekRule;
use crate::error::{Error, Result};
use crate::limits;
use crate::money::{self, Rounding};

/// A forecast policy: the funnel and how to read it.
///
/// # Examples
///
/// ```
/// let policy: crmkit::forecast::ForecastPolicy = crmkit::wire::from_json(r#"{
///     "stages": [
///         {"name": "qualify", "conversion": "0.5", "duration": "30"},
///         {"name": "won", "kind": "won"}
///     ],
///     "duration_unit": "days",
///     "placement": "remaining_full"
/// }"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ForecastPolicy {
    /// The stages in funnel order. Open stages form the funnel; the conversion of the last
    /// open stage is its rate of winning. Won and lost stages may stand anywhere.
    pub stages: Vec<Stage>,
    /// Unit of every stage `duration`.
    pub duration_unit: DurationUnit,
    /// How much of its current stage a deal is assumed to still have ahead of it.
    pub placement: Placement,
    /// Deal fields to group the weighted pipeline by: `owner`, `team`, `product`, `stage` or
    /// any key of a deal's `attributes`. Empty: no groups.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Rounding of every money figure in the report (each rounded once, from exact sums).
    #[serde(default)]
    pub rounding: Rounding,
    /// What `actual` and `expected_close` placements do with a deal past its time.
    #[serde(default)]
    pub overdue: OverduePolicy,
    /// What `actual` and `expected_close` placements do with a deal without the date they use.
    #[serde(default)]
    pub undated: UndatedPolicy,
    /// The fiscal year the report's `quarters` and `years` follow (default: the calendar year).
    #[serde(default)]
    pub fiscal_year: FiscalYear,
    /// Months reported one by one, counted from the month of `as_of` (1 to 1,200): a deal
    /// placed in a later month stays in the weighted pipeline (`totals.open`, its stage, its
    /// group) but is left out of `months`, `quarters`, `years` and the groups' months, and
    /// summed apart in `totals.beyond_horizon` (reason `beyond_horizon`), as unscheduled deals
    /// are in `totals.unscheduled`. Absent: every month a deal lands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub horizon_months: Option<u32>,
    /// Every month of the horizon (from the month of `as_of` to the last of `horizon_months`,
    /// or without one to the last month a deal lands in) in `months` and in every group's
    /// `months`, empty ones included as zeros. Default: `months` runs from the first to the
    /// last month used, and a group lists only the months it has deals in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub dense: bool,
}

/// A fiscal year: the month it starts in, and which calendar year names it.
///
/// With `start_month: 4, named_by: "end"`, April 2026 – March 2027 is `FY2027` and
/// January – March 2027 is `FY2027-Q4`. With the default (January), periods are plain
/// calendar ones: `2026`, `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FiscalYear {
    /// First month, 1 (January) to 12.
    #[serde(default = "FiscalYear::january")]
    pub start_month: u32,
    /// Whether `FY2027` is the year starting or ending in calendar 2027.
    #[serde(default)]
    pub named_by: FiscalYearName,
    /// A week-based (retail 4-4-5, 52/53-week) year instead of calendar months: it ends on a
    /// fixed weekday near the end of the month before `start_month` (see [`WeekRule`]).
    /// Absent: periods are calendar months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub weeks: Option<WeekRule>,
}

impl FiscalYear {
    fn january() -> u32 {
        1
    }

    /// `out_of_range` at `{path}.start_month` unless it is 1 to 12.
    pub(crate) fn validate(self, path: &str) -> Result<()> {
        if (1..=12).contains(&self.start_month) {
            Ok(())
        } else {
            Err(Error::out_of_range(format!("{path}.start_month"), self.start_month, 1, 12))
        }
    }
}

impl Default for FiscalYear {
    fn default() -> Self {
        Self { start_month: 1, named_by: FiscalYearName::End, weeks: None }
    }
}

/// Which calendar year names a fiscal year that spans two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum FiscalYearName {
    /// The year it ends in (the US federal and most companies' usage).
    #[default]
    End,
    /// The year it starts in.
    Start,
}

/// One funnel stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Unique stage name, as deals spell it.
    pub name: String,
    /// Open (in the funnel), won or lost.
    #[serde(default)]
    pub kind: StageKind,
    /// Open stages: share of deals that move on to the next open stage (or win, after the
    /// last one), in [0, 1]. Absent on won and lost stages.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub conversion: Option<Decimal>,
    /// Open stages, instead of `conversion`: the stage's probability of winning itself, as
    /// Salesforce, HubSpot and Pipedrive configure stages, in [0, 1]. All open stages of a
    /// policy give one or the other.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub probability: Option<Decimal>,
    /// Open stages: expected time spent in the stage, in the policy's `duration_unit`, ≥ 0.
    /// Optional only under placement `expected_close` without a duration-based `undated`
    /// fallback.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub duration: Option<Decimal>,
    /// Forecast category of the stage's deals unless a deal says otherwise (HubSpot maps
    /// stages to categories this way). Default: `pipeline` for open stages, `closed` for won,
    /// `omitted` for lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub category: Option<ForecastCategory>,
    /// Open stages: a deal in the stage for longer than this (in the policy's
    /// `duration_unit`, strictly more) is stalled, unless snoozed. Absent: never stalled.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Decimal"))]
    pub stall_after: Option<Decimal>,
    /// Open stages: a deal of the stage with no activity for more than this many days (since
    /// its `last_activity_on`, or since it entered the stage when it has none) is idle, unless
    /// snoozed: "no activity" is a signal apart from "no stage change". Absent: never idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub idle_after: Option<u32>,
}

/// How sure a deal's owner is of it: Salesforce's forecast categories. A deal's own
/// category (the rep's call) wins over its stage's, and is never overwritten by a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum ForecastCategory {
    /// Won: in a won stage (and only there).
    Closed,
    /// The owner commits to it.
    Commit,
    /// Could close with luck.
    BestCase,
    /// Open, no call yet.
    Pipeline,
    /// Left out of the forecast: lost deals, or open ones the owner writes off.
    Omitted,
}

impl ForecastCategory {
    /// Report order: each category's cumulative sum includes the ones before it.
    pub const ALL: [Self; 5] = [Self::Closed, Self::Commit, Self::BestCase, Self::Pipeline, Self::Omitted];

    /// Its name on the wire (`best_case`), as a category column's labels hold it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Commit => "commit",
            Self::BestCase => "best_case",
            Self::Pipeline => "pipeline",
            Self::Omitted => "omitted",
        }
    }

    /// The category a label names (see [`ForecastCategory::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The category of a stage kind's deals when nothing says otherwise.
    pub fn default_for(kind: StageKind) -> Self {
        match kind {
            StageKind::Open => Self::Pipeline,
            StageKind::Won => Self::Closed,
            StageKind::Lost => Self::Omitted,
        }
    }

    /// `invalid_value` at `path` unless a deal of `kind` may carry this category: `closed`
    /// only in won stages, won stages only `closed`, lost stages only `omitted`.
    pub(crate) fn check(self, kind: StageKind, path: impl FnOnce() -> String) -> Result<()> {
        let ok = match kind {
            StageKind::Open => self != Self::Closed,
            StageKind::Won => self == Self::Closed,
            StageKind::Lost => self == Self::Omitted,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidValue {
                path: path(),
                reason: format!("a deal in a {kind:?} stage cannot be in forecast category {self:?}").to_lowercase(),
            })
        }
    }
}

/// Whether a stage is part of the open funnel or closes the deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// In the funnel; weighted by its cumulative conversion to win.
    #[default]
    Open,
    /// Closed won: counted as won, not forecast.
    Won,
    /// Closed lost: counted as lost, not forecast.
    Lost,
}

/// Unit of stage durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Calendar days: a deal with `r` days to go closes on `as_of + ceil(r)` days, and lands in
    /// that date's calendar month.
    Days,
    /// Calendar months: a deal with `r` months to go lands in the `ceil(r)`-th calendar month
    /// after the month of `as_of` (0 < r ≤ 1: next month; r = 0: this month).
    Months,
}

/// How much of its current stage a deal still has ahead of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The deal has just entered its stage: the whole duration remains.
    RemainingFull,
    /// The deal is half-way through its stage: half the duration remains. This is the rule
    /// under which the Neocrm (销售易) worked example places 18万 in each of months 1, 2, 3.
    HalfElapsed,
    /// Uses the date the deal entered its stage: `duration − time in stage` remains (see
    /// [`OverduePolicy`] when that is negative).
    Actual,
    /// Uses each deal's own `expected_close_on`: it lands in that date's calendar month, as
    /// the forecasts of Salesforce, HubSpot and Odoo place deals (see [`OverduePolicy`] for a
    /// date before `as_of`, [`UndatedPolicy`] for none).
    ExpectedClose,
}

/// A deal past its time: under `actual`, in its stage for longer than the stage's duration;
/// under `expected_close`, with a close date before `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum OverduePolicy {
    /// Assume it moves on now: nothing of the current stage remains (reason
    /// `overdue_in_stage`), or it closes this month (reason `overdue_close_date`).
    #[default]
    MoveOn,
    /// Leave it out of the month buckets (reason `excluded_overdue`); it stays in the weighted
    /// pipeline and in `totals.unscheduled`.
    Exclude,
}

/// `actual` placement without `entered_stage_on`, `expected_close` without `expected_close_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum UndatedPolicy {
    /// A `missing_value` error at `deals[i].entered_stage_on` (`expected_close_on`).
    #[default]
    Error,
    /// Place it as if it had just entered its stage.
    RemainingFull,
    /// Place it as if it were half-way through its stage.
    HalfElapsed,
    /// Leave it out of the month buckets (reason `unscheduled_undated`).
    Unscheduled,
}

/// Longest stage duration accepted, per unit: a century (and so for all open stages
/// together, see [`limits::MAX_HORIZON_MONTHS`]).
const MAX_DAYS: u32 = limits::MAX_HORIZON_DAYS as u32;
const MAX_MONTHS: u32 = limits::MAX_HORIZON_MONTHS as u32;

/// The policy, checked and precomputed: cumulative probabilities and downstream durations.
#[derive(Debug)]
pub(crate) struct Funnel<'p> {
    pub policy: &'p ForecastPolicy,
    pub index: HashMap<&'p str, usize>,
    /// Open stages in funnel order (indices into `policy.stages`).
    pub open: Vec<usize>,
    /// Per stage: cumulative conversion to win (open), 1 (won) or 0 (lost).
    pub probability: Vec<Decimal>,
    /// Per stage: its own duration (open stages; zero otherwise).
    pub own: Vec<Decimal>,
    /// Per stage: the durations of the open stages after it.
    pub downstream: Vec<Decimal>,
    /// Per stage: the forecast category of its deals unless a deal says otherwise.
    pub category: Vec<ForecastCategory>,
    /// Per stage: time in stage beyond which a deal is stalled.
    pub stall_after: Vec<Option<Decimal>>,
    /// Per stage: days without activity beyond which a deal is idle.
    pub idle_after: Vec<Option<u32>>,
}

impl ForecastPolicy {
    /// Checks the policy: unique stage names, rates in [0, 1], durations in [0, a century],
    /// at least one open stage, valid rounding.
    ///
    /// # Errors
    ///
    /// `duplicate_name`, `missing_value`, `invalid_value`, `out_of_range` or `no_open_stage`,
    /// with the path of the field (`stages[1].conversion`).
    pub fn validate(&self) -> Result<()> {
        Funnel::new(self).map(|_| ())
    }
}

impl<'p> Funnel<'p> {
    pub fn new(policy: &'p ForecastPolicy) -> Result<Self> {
        policy.rounding.validate("rounding")?;
        policy.fiscal_year.validate("fiscal_year")?;
        if let Some(h) = policy.horizon_months.filter(|h| !(1..=MAX_MONTHS).contains(h)) {
            return Err(Error::out_of_range("horizon_months", h, 1, MAX_MONTHS));
        }
        limits::check("stages", policy.stages.len(), limits::MAX_STAGES, "stages")?;
        let mut index = HashMap::with_capacity(policy.stages.len());
        let mut rates_by_probability = None;
        let max = Decimal::from(match policy.duration_unit {
            DurationUnit::Days => MAX_DAYS,
            DurationUnit::Months => MAX_MONTHS,
        });
        for (i, stage) in policy.stages.iter().enumerate() {
            let at = |field: &str| format!("stages[{i}].{field}");
            if stage.name.trim().is_empty() {
                return Err(Error::InvalidValue { path: at("name"), reason: "a stage needs a name".into() });
            }
            if let Some(category) = stage.category {
                category.check(stage.kind, || at("category"))?;
            }
            if let Some(first) = index.insert(stage.name.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: at("name"),
                    name: stage.name.clone(),
                    first: format!("stages[{first}].name"),
                });
            }
            match stage.kind {
                StageKind::Open => {
                    // The first open stage decides whether the funnel is given by conversions
                    // or by probabilities; the others must follow.
                    let by_probability = *rates_by_probability.get_or_insert(stage.conversion.is_none());
                    let (field, other, rate, stray) = if by_probability {
                        ("probability", "conversion", stage.probability, stage.conversion)
                    } else {
                        ("conversion", "probability", stage.conversion, stage.probability)
                    };
                    if stray.is_some() {
                        return Err(Error::InvalidValue {
                            path: at(other),
                            reason: format!("the policy's open stages give their {field}, not a {other}"),
                        });
                    }
                    let c = rate.ok_or_else(|| Error::MissingValue {
                        path: at(field),
                        reason: format!(
                            "an open stage needs its {}",
                            if by_probability { "probability of winning" } else { "conversion rate to the next stage" }
                        ),
                    })?;
                    if c < Decimal::ZERO || c > Decimal::ONE {
                        return Err(Error::out_of_range(at(field), c, 0, 1));
                    }
                    if let Some(t) = stage.stall_after.filter(|t| *t < Decimal::ZERO || *t > max) {
                        return Err(Error::out_of_range(at("stall_after"), t, 0, max));
                    }
                    if let Some(days) = stage.idle_after.filter(|&d| d > MAX_DAYS) {
                        return Err(Error::out_of_range(at("idle_after"), days, 0, MAX_DAYS));
                    }
                    // Placed by close dates alone, a funnel needs no durations.
                    let needs_duration = policy.placement != Placement::ExpectedClose
                        || matches!(policy.undated, UndatedPolicy::RemainingFull | UndatedPolicy::HalfElapsed);
                    match stage.duration {
                        None if needs_duration => {
                            return Err(Error::MissingValue {
                                path: at("duration"),
                                reason: "an open stage needs its expected duration".into(),
                            })
                        }
                        Some(d) if d < Decimal::ZERO || d > max => {
                            return Err(Error::out_of_range(at("duration"), d, 0, max))
                        }
                        _ => {}
                    }
                }
                StageKind::Won | StageKind::Lost => {
                    for (field, v) in [
                        ("conversion", stage.conversion),
                        ("probability", stage.probability),
                        ("duration", stage.duration),
                        ("stall_after", stage.stall_after),
                        ("idle_after", stage.idle_after.map(Decimal::from)),
                    ] {
                        if v.is_some() {
                            return Err(Error::InvalidValue {
                                path: at(field),
                                reason: format!("a closed stage has no {field}"),
                            });
                        }
                    }
                }
            }
        }
        let mut seen = HashMap::new();
        for (i, key) in policy.group_by.iter().enumerate() {
            if let Some(first) = seen.insert(key.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: format!("group_by[{i}]"),
                    name: key.clone(),
                    first: format!("group_by[{first}]"),
                });
            }
        }
        let open: Vec<usize> = (0..policy.stages.len()).filter(|&i| policy.stages[i].kind == StageKind::Open).collect();
        if open.is_empty() {
            return Err(Error::NoOpenStage { path: "stages".into() });
        }
        let n = policy.stages.len();
        let mut probability = vec![Decimal::ZERO; n];
        let mut own = vec![Decimal::ZERO; n];
        let mut downstream = vec![Decimal::ZERO; n];
        let (mut p, mut later) = (Decimal::ONE, Decimal::ZERO);
        for &i in open.iter().rev() {
            let stage = &policy.stages[i];
            let d = stage.duration.unwrap_or_default();
            probability[i] = if let Some(own_probability) = stage.probability {
                own_probability.normalize()
            } else {
                p = money::mul(p, stage.conversion.unwrap_or_default(), || format!("stages[{i}].conversion"))?;
                p.normalize()
            };
            own[i] = d;
            downstream[i] = later;
            later = money::add(later, d, || format!("stages[{i}].duration"))?;
            // The whole funnel, not only each stage, must fit the horizon: month tables and
            // labels are sized by it.
            if later > max {
                return Err(limits::exceeded(
                    &format!("stages[{i}].duration"),
                    later,
                    if max == Decimal::from(MAX_DAYS) { limits::MAX_HORIZON_DAYS } else { limits::MAX_HORIZON_MONTHS },
                    &format!("{:?} for the open stages from here on", policy.duration_unit).to_lowercase(),
                ));
            }
        }
        for (i, stage) in policy.stages.iter().enumerate() {
            if stage.kind == StageKind::Won {
                probability[i] = Decimal::ONE;
            }
        }
        let category =
            policy.stages.iter().map(|s| s.category.unwrap_or_else(|| ForecastCategory::default_for(s.kind))).collect();
        let stall_after = policy.stages.iter().map(|s| s.stall_after).collect();
        let idle_after = policy.stages.iter().map(|s| s.idle_after).collect();
        Ok(Self { policy, index, open, probability, own, downstream, category, stall_after, idle_after })
    }

    pub fn kind(&self, stage: usize) -> StageKind {
        self.policy.stages[stage].kind
    }
}
