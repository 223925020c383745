//! Attribution of won revenue to the touches of each journey.
//!
//! Every model gives each touch a weight; the journey's revenue, rounded to the policy's
//! places, is split by the largest remainder so the credits sum **exactly** to it. Rule-based
//! models ([`Model::FirstTouch`], `LastTouch`, `Linear`, `UShaped`, `WShaped`, `Position`,
//! `TimeDecay`) look at one journey at a time; `Markov` (removal effects) and `Shapley`
//! learn each channel's value from all journeys, non-converting ones included, then split
//! each journey over its channels by those values, and each channel's part evenly over its
//! touches.

mod columns;
mod compare;
mod engine;
mod fast;
mod markov;
mod model;
mod model_de;
mod reader;
mod shapley;
mod split;
mod window;

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use columns::{
    attribute_columns, attribute_columns_into, CodeColumn, ColumnsAttribution, DayColumn, JourneyColumns, NOT_CONVERTED,
};
pub use compare::{
    compare_attribution, compare_attribution_columns, compare_attribution_columns_into, Comparison, ComparisonLine,
    ComparisonPolicy, ComparisonRow, WireDecimal,
};
pub use markov::MAX_STATES;
pub use model::{CoalitionValue, Model, PositionWeights};
pub use shapley::{EXACT_PLAYERS, MAX_PLAYERS};

use super::policy::{taxonomy_index, Channel};
use crate::error::{Error, Result};
use crate::money::Rounding;
use engine::{Outcome, Prepared};

/// Most touches one journey may have.
pub const MAX_TOUCHES: usize = 100_000;

/// How revenue is attributed.
///
/// # Examples
///
/// ```
/// let policy: crmkit::roi::AttributionPolicy = crmkit::wire::from_json(
///     r#"{"model": {"kind": "time_decay", "half_life_days": "7"}, "rounding": {"dp": 1}}"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AttributionPolicy {
    /// The model.
    pub model: Model,
    /// The channel taxonomy touches must name (default as [`RoiPolicy`](super::RoiPolicy)).
    #[serde(default = "Channel::defaults")]
    pub channels: Vec<Channel>,
    /// Places and strategy of the credits (default 2 places, half-even): each journey's
    /// revenue is rounded with it, then split exactly.
    #[serde(default)]
    pub rounding: Rounding,
    /// Lookback window: touches more than this many days before their conversion earn
    /// nothing and teach the data-driven models nothing; a converting journey without a
    /// touch inside it is `unattributed`. Absent: every touch counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_days: Option<u32>,
    /// Also report the credits per conversion month and channel (`cohorts`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cohorts: bool,
}

impl AttributionPolicy {
    /// Checks the model, the taxonomy and the rounding.
    ///
    /// # Errors
    ///
    /// As [`Model::validate`] at `model`, taxonomy errors at `channels[i].name`, rounding
    /// errors at `rounding.dp`.
    pub fn validate(&self) -> Result<()> {
        self.rounding.validate("rounding")?;
        self.model.validate("model")?;
        let index = taxonomy_index(&self.channels)?;
        self.model.direct_channels("model", &index).map(|_| ())
    }
}

/// A buyer's journey: the marketing touches before a conversion (or before nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Unique id (a deal, a contact).
    pub id: String,
    /// Won revenue to credit, ≥ 0; 0 without a conversion.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub revenue: Decimal,
    /// Day of the conversion; absent for a journey that did not convert (the data-driven
    /// models learn from those too).
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub converted_on: Option<NaiveDate>,
    /// The touches, in time order, none after the conversion.
    pub touches: Vec<Touch>,
}

/// One marketing touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Touch {
    /// A channel of the policy's taxonomy.
    pub channel: String,
    /// Its day.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// The funnel milestone it made happen, for W-shaped and position weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<Milestone>,
}

/// A funnel milestone a touch made happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The contact became a lead.
    LeadCreated,
    /// A deal (opportunity) was opened.
    DealCreated,
}

/// What [`attribute`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AttributionReport {
    /// The model's name.
    pub model: String,
    /// Revenue attributed, rounded journey by journey; the channels' credits sum to it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub total: Decimal,
    /// Journeys that converted.
    pub conversions: u64,
    /// Revenue of the converting journeys without a touch inside `lookback_days`: credited
    /// to no channel, not in `total`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub unattributed: Decimal,
    /// One line per channel of the taxonomy that has a touch, in taxonomy order.
    pub channels: Vec<ChannelCredit>,
    /// With `cohorts`: the credits per conversion month and channel, months in order,
    /// channels in taxonomy order (empty otherwise).
    pub cohorts: Vec<CohortLine>,
    /// One explained line per journey, in input order.
    pub journeys: Vec<JourneyLine>,
}

/// A channel's credit from the journeys that converted in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CohortLine {
    /// The conversion month, `YYYY-MM`.
    pub month: String,
    /// The channel.
    pub channel: String,
    /// Its group.
    pub group: String,
    /// Revenue of the month's conversions credited to it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// `credit ÷` the month's attributed revenue, 6 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// The month's converting journeys that touched it (inside the lookback window).
    pub conversions: u64,
}

/// A channel's attributed revenue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ChannelCredit {
    /// The channel.
    pub channel: String,
    /// Its group.
    pub group: String,
    /// Revenue credited to it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// `credit ÷ total`, 6 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// Its touches in converting journeys.
    pub touches: u64,
    /// Converting journeys that touched it.
    pub conversions: u64,
    /// Markov only: its removal effect, 6 places.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub removal_effect: Option<Decimal>,
}

/// One journey's credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct JourneyLine {
    /// The journey's id.
    pub id: String,
    /// Its revenue, rounded: its touches' credits sum to it exactly.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub revenue: Decimal,
    /// Whether it converted.
    pub converted: bool,
    /// One line per touch, in input order.
    pub touches: Vec<TouchCredit>,
    /// `not_converted`, `split_evenly`.
    pub reasons: Vec<AttributionReason>,
}

/// One touch's credit, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct TouchCredit {
    /// The channel.
    pub channel: String,
    /// The touch's day.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Days before the conversion (`null` without one).
    pub days_before: Option<u32>,
    /// Its exact share of the journey under the model, shown to 6 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// Its credit: the journey's revenue split by the shares, largest remainder.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// The roles and rules behind the share.
    pub reasons: Vec<AttributionReason>,
}

/// Why a touch or journey got its credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributionReason {
    /// The first touch of the journey.
    FirstTouch,
    /// The last touch before the conversion.
    LastTouch,
    /// Neither first nor last, nor a milestone the model weighs.
    MiddleTouch,
    /// The touch marked `lead_created` (position models).
    LeadCreated,
    /// No touch marked `lead_created`: the first touch holds the role.
    LeadCreatedAssumed,
    /// The touch marked `deal_created` (position models).
    DealCreated,
    /// No touch marked `deal_created`: the last touch holds the role.
    DealCreatedAssumed,
    /// Linear: one equal share per touch.
    EqualShare,
    /// Time decay: weight 2^(−days_before ÷ half-life).
    Decayed,
    /// Last non-direct: the last touch whose channel is not direct.
    LastNonDirect,
    /// Last non-direct: every touch was direct, so the last one takes the credit.
    AllDirect,
    /// Before the lookback window: no credit.
    OutsideLookback,
    /// A converting journey without a touch inside the lookback window: unattributed.
    NoTouchInLookback,
    /// Markov: the channel's removal effect over the journey's channels' effects.
    RemovalEffect,
    /// Shapley: the channel's Shapley value in the game of the journey's channels.
    ShapleyValue,
    /// A data-driven model valued none of the journey's channels: split evenly by channel.
    SplitEvenly,
    /// The journey did not convert: nothing to credit.
    NotConverted,
}

/// Attributes each converting journey's revenue to its touches under the policy's model,
/// with credits summing exactly to each journey's rounded revenue, per-touch explanations and
/// per-channel totals.
///
/// # Errors
///
/// Policy errors as [`AttributionPolicy::validate`]; for journey `j`: `duplicate_name` at
/// `journeys[j].id`, `negative_amount` at `journeys[j].revenue` (or `invalid_value` for
/// revenue without `converted_on`), `missing_value` at `journeys[j].touches` (none),
/// `limit_exceeded` there beyond [`MAX_TOUCHES`] (or [`MAX_PLAYERS`] channels under
/// Shapley); for touch `k`: `unknown_channel` at
/// `journeys[j].touches[k].channel`, `touch_after_conversion` or `invalid_value` (out of
/// time order) at `journeys[j].touches[k].on`; `overflow`.
///
/// # Examples
///
/// The issue's time decay: half-life 7 days, touches 14, 7, 1 and 0 days before.
///
/// ```
/// use crmkit::roi::{attribute, AttributionPolicy, Journey};
/// use crmkit::wire::from_json;
///
/// let policy: AttributionPolicy =
///     from_json(r#"{"model": {"kind": "time_decay", "half_life_days": "7"}, "rounding": {"dp": 1}}"#, "")?;
/// let journeys: Vec<Journey> = from_json(r#"[{"id": "j1", "revenue": "100", "converted_on": "2026-03-15",
///     "touches": [{"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-08"},
///                 {"channel": "events", "on": "2026-03-14"}, {"channel": "web_ads", "on": "2026-03-15"}]}]"#,
///     "journeys")?;
/// let report = attribute(&policy, &journeys)?;
/// let credits: Vec<String> = report.journeys[0].touches.iter().map(|t| t.credit.to_string()).collect();
/// assert_eq!(credits, ["9.4", "18.8", "34.1", "37.7"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn attribute(policy: &AttributionPolicy, journeys: &[Journey]) -> Result<AttributionReport> {
    policy.validate()?;
    let index = taxonomy_index(&policy.channels)?;
    let prepared = prepare(policy, &index, journeys)?;
    let months: Option<Vec<i32>> =
        policy.cohorts.then(|| journeys.iter().map(|j| j.converted_on.map_or(i32::MIN, month_index)).collect());
    let path = |j: usize| format!("journeys[{j}]");
    let done = attribute_prepared(policy, &index, &prepared, months.as_deref(), true, &path)?;
    report(policy, journeys, &prepared, done)
}

/// `year × 12 + month − 1` of a day.
pub(crate) fn month_index(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.year() * 12 + d.month0() as i32
}

/// What [`attribute_prepared`] gives: per touch of the journeys given, its credit (and share
/// when explaining), whether it lay inside the lookback window, and the report without
/// journey lines.
pub(crate) struct Attributed {
    pub outcome: Outcome,
    /// Per touch: inside the lookback window (`None`: no window).
    pub kept: Option<Vec<bool>>,
    pub report: AttributionReport,
}

/// Runs the policy's model over validated journeys: the lookback window first (touches
/// outside it dropped, journeys left without one unattributed), then the model, then the
/// channel lines and, with `months` (per journey, `i32::MIN` without a conversion), the
/// cohorts.
pub(crate) fn attribute_prepared(
    policy: &AttributionPolicy,
    index: &HashMap<&str, usize>,
    p: &Prepared,
    months: Option<&[i32]>,
    explain: bool,
    path: &dyn Fn(usize) -> String,
) -> Result<Attributed> {
    let channels = policy.channels.len();
    let direct = policy.model.direct_channels("model", index)?;
    let (outcome, kept) = match policy.lookback_days {
        None => (engine::run(&policy.model, channels, &direct, p, explain, path)?, None),
        Some(days) => {
            let w = window::Window::of(p, days);
            let inner = engine::run(&policy.model, channels, &direct, &w.inner, explain, &|j| path(w.journeys[j]))?;
            let outcome = w.expand(p, inner, explain);
            (outcome, Some(w.kept))
        }
    };
    let totals = fast::Totals::of(channels, p, &outcome.credits, kept.as_deref());
    let mut report = channel_report(policy, &totals, outcome.removal_effects.as_ref())?;
    if let Some(months) = months {
        report.cohorts = cohorts(policy, p, &outcome.credits, kept.as_deref(), months)?;
    }
    Ok(Attributed { outcome, kept, report })
}

/// Credits per conversion month and channel.
fn cohorts(
    policy: &AttributionPolicy,
    p: &Prepared,
    credits: &[i128],
    kept: Option<&[bool]>,
    months: &[i32],
) -> Result<Vec<CohortLine>> {
    let channels = policy.channels.len();
    // month → (credit per channel, conversions per channel, the month's total)
    let mut by_month: std::collections::BTreeMap<i32, (Vec<i128>, Vec<u64>, i128)> = std::collections::BTreeMap::new();
    let mut touched = vec![usize::MAX; channels];
    for (j, start, n) in p.journeys() {
        if !p.converted[j] {
            continue;
        }
        let rows = (start..start + n).filter(|&i| kept.is_none_or(|k| k[i]));
        let entry = by_month.entry(months[j]).or_insert_with(|| (vec![0; channels], vec![0; channels], 0));
        let mut any = false;
        for i in rows {
            let c = p.channel[i] as usize;
            entry.0[c] += credits[i];
            if touched[c] != j {
                touched[c] = j;
                entry.1[c] += 1;
            }
            any = true;
        }
        if any {
            entry.2 += p.units[j];
        }
    }
    let dp = policy.rounding.dp;
    let mut out = Vec::new();
    for (month, (credit, conversions, total)) in by_month {
        let text = format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1);
        for c in (0..channels).filter(|&c| conversions[c] > 0) {
            out.push(CohortLine {
                month: text.clone(),
                channel: policy.channels[c].name.clone(),
                group: policy.channels[c].group.clone(),
                credit: Decimal::try_from_i128_with_scale(credit[c], dp).map_err(|_| Error::overflow("journeys"))?,
                share: if total == 0 { Decimal::ZERO } else { ratio(credit[c] as u128, total as u128) },
                conversions: conversions[c],
            });
        }
    }
    Ok(out)
}

fn prepare(policy: &AttributionPolicy, index: &HashMap<&str, usize>, journeys: &[Journey]) -> Result<Prepared> {
    let touches: usize = journeys.iter().map(|j| j.touches.len()).sum();
    let mut p = Prepared {
        lengths: Vec::with_capacity(journeys.len()),
        units: Vec::with_capacity(journeys.len()),
        converted: Vec::with_capacity(journeys.len()),
        channel: Vec::with_capacity(touches),
        days: Vec::with_capacity(touches),
        milestone: Some(Vec::with_capacity(touches)),
    };
    let mut ids = HashMap::with_capacity(journeys.len());
    for (j, journey) in journeys.iter().enumerate() {
        if let Some(first) = ids.insert(journey.id.as_str(), j) {
            return Err(Error::DuplicateName {
                path: format!("journeys[{j}].id"),
                name: journey.id.clone(),
                first: format!("journeys[{first}].id"),
            });
        }
        let revenue = journey.revenue;
        if revenue.is_sign_negative() && !revenue.is_zero() {
            return Err(Error::NegativeAmount { path: format!("journeys[{j}].revenue"), value: revenue.to_string() });
        }
        if journey.converted_on.is_none() && !revenue.is_zero() {
            return Err(Error::InvalidValue {
                path: format!("journeys[{j}].revenue"),
                reason: "revenue without converted_on: a journey that did not convert has none".into(),
            });
        }
        let n = journey.touches.len();
        if n == 0 {
            return Err(Error::MissingValue {
                path: format!("journeys[{j}].touches"),
                reason: "a journey needs at least one touch to attribute".into(),
            });
        }
        crate::limits::check(&format!("journeys[{j}].touches"), n, MAX_TOUCHES as u64, "touches in a journey")?;
        let rounded = policy.rounding.round(revenue);
        p.units.push(rounded.mantissa());
        p.converted.push(journey.converted_on.is_some());
        p.lengths.push(n as u32);
        let mut previous: Option<NaiveDate> = None;
        for (k, t) in journey.touches.iter().enumerate() {
            let at = |f: &str| format!("journeys[{j}].touches[{k}].{f}");
            let c = *index
                .get(t.channel.as_str())
                .ok_or_else(|| Error::UnknownChannel { path: at("channel"), name: t.channel.clone() })?;
            if previous.is_some_and(|d| t.on < d) {
                return Err(Error::InvalidValue { path: at("on"), reason: "touches go in time order".into() });
            }
            previous = Some(t.on);
            let days = match journey.converted_on {
                Some(conv) if t.on > conv => {
                    return Err(Error::TouchAfterConversion {
                        path: at("on"),
                        date: t.on.to_string(),
                        converted_on: conv.to_string(),
                    })
                }
                Some(conv) => u32::try_from((conv - t.on).num_days()).unwrap_or(u32::MAX),
                None => 0,
            };
            p.channel.push(c as u32);
            p.days.push(days);
            let code = match t.milestone {
                None => 0,
                Some(Milestone::LeadCreated) => split::LEAD_CREATED,
                Some(Milestone::DealCreated) => split::DEAL_CREATED,
            };
            if let Some(m) = p.milestone.as_mut() {
                m.push(code);
            }
        }
    }
    Ok(p)
}

fn report(
    policy: &AttributionPolicy,
    journeys: &[Journey],
    p: &Prepared,
    done: Attributed,
) -> Result<AttributionReport> {
    let Attributed { outcome, kept, mut report } = done;
    let dp = policy.rounding.dp;
    let money = |units: i128| Decimal::try_from_i128_with_scale(units, dp).map_err(|_| Error::overflow("journeys"));
    let index = taxonomy_index(&policy.channels)?;
    let direct = policy.model.direct_channels("model", &index)?;
    report.journeys.reserve(journeys.len());
    let mut inside: Vec<usize> = Vec::new();
    let mut marks: Vec<i8> = Vec::new();
    let mut chans: Vec<u32> = Vec::new();
    for ((j, start, n), journey) in p.journeys().zip(journeys) {
        let conv = p.converted[j];
        // The touches the model saw: those inside the lookback window.
        inside.clear();
        inside.extend((0..n).filter(|&k| kept.as_ref().is_none_or(|kept| kept[start + k])));
        marks.clear();
        chans.clear();
        for &k in &inside {
            marks.push(p.milestone.as_ref().map_or(0, |m| m[start + k]));
            chans.push(p.channel[start + k]);
        }
        let m = inside.len();
        let roles = (m > 0).then(|| split::roles(Some(&marks), m));
        let credited = (m > 0 && matches!(policy.model, Model::LastNonDirect { .. }))
            .then(|| split::last_non_direct(&chans, &direct));
        let mut touch_lines = Vec::with_capacity(n);
        let mut seen = 0usize;
        for (k, t) in journey.touches.iter().enumerate() {
            let i = start + k;
            let within = inside.get(seen) == Some(&k);
            let (num, den) = outcome.shares[i];
            let reasons = match (conv, within, roles) {
                (true, false, _) => vec![AttributionReason::OutsideLookback],
                (true, true, Some(roles)) => touch_reasons(&policy.model, seen, m, roles, credited),
                _ => Vec::new(),
            };
            if within {
                seen += 1;
            }
            touch_lines.push(TouchCredit {
                channel: t.channel.clone(),
                on: t.on,
                days_before: conv.then_some(p.days[i]),
                share: if conv && within { ratio(num, den) } else { Decimal::ZERO },
                credit: money(outcome.credits[i])?,
                reasons,
            });
        }
        let reasons = match (conv, m, outcome.even[j]) {
            (false, _, _) => vec![AttributionReason::NotConverted],
            (true, 0, _) => vec![AttributionReason::NoTouchInLookback],
            (true, _, true) => vec![AttributionReason::SplitEvenly],
            (true, _, false) => Vec::new(),
        };
        report.journeys.push(JourneyLine {
            id: journey.id.clone(),
            revenue: money(p.units[j])?,
            converted: conv,
            touches: touch_lines,
            reasons,
        });
    }
    Ok(report)
}

/// The report of per-channel `totals` (no journey lines); `effects`: Markov's removal effects.
fn channel_report(
    policy: &AttributionPolicy,
    t: &fast::Totals,
    effects: Option<&Vec<f64>>,
) -> Result<AttributionReport> {
    let dp = policy.rounding.dp;
    let money = |units: i128| Decimal::try_from_i128_with_scale(units, dp).map_err(|_| Error::overflow("journeys"));
    let channel_lines = (0..policy.channels.len())
        .filter(|&c| t.present(c))
        .map(|c| {
            let line = &t.channels[c];
            Ok(ChannelCredit {
                channel: policy.channels[c].name.clone(),
                group: policy.channels[c].group.clone(),
                credit: money(line.credit)?,
                share: if t.total == 0 { Decimal::ZERO } else { ratio(line.credit as u128, t.total as u128) },
                touches: line.touches,
                conversions: line.conversions,
                removal_effect: effects.map(|e| {
                    let mut d = Decimal::from_f64_retain(e[c]).unwrap_or_default().round_dp(6);
                    d.rescale(6);
                    d
                }),
            })
        })
        .collect::<Result<_>>()?;
    Ok(AttributionReport {
        model: policy.model.name().to_owned(),
        total: money(t.total)?,
        conversions: t.converted,
        unattributed: money(t.unattributed)?,
        channels: channel_lines,
        cohorts: Vec::new(),
        journeys: Vec::new(),
    })
}

/// `num ÷ den` to 6 places (half-even), exactly from integers.
fn ratio(num: u128, den: u128) -> Decimal {
    // 6 places of num/den by integer arithmetic: round(num × 10^6 / den), half to even.
    let scaled = num.saturating_mul(1_000_000);
    let (q, r) = (scaled / den.max(1), scaled % den.max(1));
    let up = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 == 1,
        std::cmp::Ordering::Less => false,
    };
    Decimal::try_from_i128_with_scale((q + u128::from(up)) as i128, 6).unwrap_or_default()
}

fn touch_reasons(
    model: &Model,
    k: usize,
    n: usize,
    roles: split::Roles,
    credited: Option<(usize, bool)>,
) -> Vec<AttributionReason> {
    use AttributionReason as R;
    let mut r = Vec::new();
    if k == 0 {
        r.push(R::FirstTouch);
    }
    if k == n - 1 {
        r.push(R::LastTouch);
    }
    match model {
        Model::Linear => r.push(R::EqualShare),
        Model::TimeDecay { .. } => r.push(R::Decayed),
        Model::Markov { .. } => r.push(R::RemovalEffect),
        Model::Shapley { .. } => r.push(R::ShapleyValue),
        Model::UShaped | Model::WShaped | Model::Position(_) => {
            if k == roles.lead && !matches!(model, Model::UShaped) {
                r.push(if roles.lead_assumed { R::LeadCreatedAssumed } else { R::LeadCreated });
            }
            if k == roles.deal && !matches!(model, Model::UShaped) {
                r.push(if roles.deal_assumed { R::DealCreatedAssumed } else { R::DealCreated });
            }
            if r.is_empty() {
                r.push(R::MiddleTouch);
            }
        }
        Model::LastNonDirect { .. } => match credited {
            Some((c, all_direct)) if c == k => {
                r.push(if all_direct { R::AllDirect } else { R::LastNonDirect });
            }
            _ => {}
        },
        Model::FirstTouch | Model::LastTouch => {}
    }
    r
}
