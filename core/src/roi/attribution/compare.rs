//! All models on the same journeys, side by side per channel.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use super::columns::{check_lengths, first_rows, read_all, reader, JourneyColumns};
use super::engine::Prepared;
use super::fast;
use super::model::{CoalitionValue, Model};
use super::{attribute_prepared, prepare, ratio, AttributionPolicy};
use crate::error::{Error, Result};
use crate::money::Rounding;
use crate::roi::policy::{taxonomy_index, Channel};

/// What [`compare_attribution`] compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ComparisonPolicy {
    /// The models, in column order. Default: first touch, last touch, linear, U-shaped,
    /// W-shaped, time decay (7 days), Markov (first order), Shapley (conversion rate).
    #[serde(default = "ComparisonPolicy::default_models")]
    pub models: Vec<Model>,
    /// The channel taxonomy (default as [`RoiPolicy`](crate::roi::RoiPolicy)).
    #[serde(default = "Channel::defaults")]
    pub channels: Vec<Channel>,
    /// Rounding of the credits (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
    /// Lookback window in days, as [`AttributionPolicy::lookback_days`], for every model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_days: Option<u32>,
}

impl ComparisonPolicy {
    fn default_models() -> Vec<Model> {
        vec![
            Model::FirstTouch,
            Model::LastTouch,
            Model::Linear,
            Model::UShaped,
            Model::WShaped,
            Model::TimeDecay { half_life_days: Decimal::from(7) },
            Model::Markov { order: 1 },
            Model::Shapley { value: CoalitionValue::ConversionRate, samples: 10_000, seed: 0 },
        ]
    }
}

/// What [`compare_attribution`] returns: one column per model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Comparison {
    /// Each model's label (its kind; `markov_order_2`, `shapley_within`, `time_decay_14`...
    /// when parameters differ from the default; `_2`, `_3` on repeats), in column order.
    pub models: Vec<String>,
    /// Revenue attributed (the same under every model).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub total: Decimal,
    /// One row per channel with a touch, in taxonomy order.
    pub channels: Vec<ComparisonLine>,
    /// The same as long rows, `{channel, group, model, credit, share}`, as chart libraries take them.
    pub rows: Vec<ComparisonRow>,
}

/// One channel's credit under every model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ComparisonLine {
    /// The channel.
    pub channel: String,
    /// Its group.
    pub group: String,
    /// Its credit under each model, in `models` order.
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal[]"))]
    pub credits: Vec<WireDecimal>,
    /// Its share of the total under each model, 6 places.
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal[]"))]
    pub shares: Vec<WireDecimal>,
}

/// One channel under one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ComparisonRow {
    /// The channel.
    pub channel: String,
    /// Its group.
    pub group: String,
    /// The model's label.
    pub model: String,
    /// The channel's credit under it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// Its share of the total, 6 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
}

/// A `Decimal` in a list, on the wire as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireDecimal(pub Decimal);

impl Serialize for WireDecimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::wire::decimal::serialize(&self.0, s)
    }
}

fn label(model: &Model) -> String {
    match model {
        Model::TimeDecay { half_life_days } if *half_life_days != Decimal::from(7) => {
            format!("time_decay_{}", half_life_days.normalize())
        }
        Model::Markov { order } if *order != 1 => format!("markov_order_{order}"),
        Model::Shapley { value: CoalitionValue::Within, .. } => "shapley_within".into(),
        Model::Shapley { value: CoalitionValue::ExactSet, .. } => "shapley_exact_set".into(),
        m => m.name().into(),
    }
}

/// Attributes the same journeys under every model of the policy and lays the channel credits
/// side by side: per channel one credit per model, and the same as long rows for a chart.
/// Every model's credits sum to the same total, journey by journey.
///
/// # Errors
///
/// As [`attribute`](super::attribute), with model errors at `models[i]`; `invalid_value` at
/// `models` when it is empty.
///
/// # Examples
///
/// ```
/// use crmkit::roi::{compare_attribution, ComparisonPolicy, Journey};
/// use crmkit::wire::from_json;
///
/// let policy: ComparisonPolicy = from_json(r#"{"models": [{"kind": "first_touch"}, {"kind": "linear"}]}"#, "")?;
/// let journeys: Vec<Journey> = from_json(r#"[{"id": "j", "revenue": "90", "converted_on": "2026-03-15",
///     "touches": [{"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-10"},
///                 {"channel": "email", "on": "2026-03-12"}]}]"#, "journeys")?;
/// let c = compare_attribution(&policy, &journeys)?;
/// assert_eq!(c.models, ["first_touch", "linear"]);
/// let email: Vec<String> = c.channels[1].credits.iter().map(|d| d.0.to_string()).collect();
/// assert_eq!((c.channels[1].channel.as_str(), email), ("email", vec!["0.00".to_string(), "60.00".into()]));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn compare_attribution(policy: &ComparisonPolicy, journeys: &[crate::roi::Journey]) -> Result<Comparison> {
    let index = checked(policy)?;
    let prepared = prepare(&policy.single(), &index, journeys)?;
    compare_prepared(policy, &index, &prepared, &|j| format!("journeys[{j}]"), None)
}

/// [`compare_attribution`] over journeys given as columns, one row per touch, read as
/// [`attribute_columns`](super::attribute_columns) reads them (a pandas DataFrame's columns,
/// typed arrays): the same comparison as the record API on the same journeys, errors naming
/// the column and row (`on[7]`).
///
/// # Errors
///
/// As [`compare_attribution`] for the policy and as
/// [`attribute_columns`](super::attribute_columns) for the columns.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::AmountColumn;
/// use crmkit::roi::{compare_attribution_columns, CodeColumn, ComparisonPolicy, DayColumn, JourneyColumns, NOT_CONVERTED};
///
/// let policy: ComparisonPolicy = crmkit::wire::from_json(r#"{"models": [{"kind": "first_touch"}, {"kind": "linear"}]}"#, "")?;
/// let labels = ["search".to_string(), "email".to_string()];
/// let columns = JourneyColumns {
///     journey: &[1, 1, 1, 2],
///     channel: CodeColumn::I8(&[0, 1, 1, 1]),
///     channel_labels: &labels,
///     on: DayColumn::days(&[20_500, 20_509, 20_511, 20_500]),
///     revenue: AmountColumn::Units { units: &[90, 90, 90, 0], scale: 0 },
///     converted_on: DayColumn::days(&[20_512, 20_512, 20_512, NOT_CONVERTED]),
///     milestone: None,
/// };
/// let c = compare_attribution_columns(&policy, &columns)?;
/// let email: Vec<String> = c.channels[1].credits.iter().map(|d| d.0.to_string()).collect();
/// assert_eq!((c.channels[1].channel.as_str(), email), ("email", vec!["0.00".to_string(), "60.00".into()]));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn compare_attribution_columns(policy: &ComparisonPolicy, columns: &JourneyColumns) -> Result<Comparison> {
    compare_columns(policy, columns, None)
}

/// [`compare_attribution_columns`] also writing each row's credit under model `m` into
/// `credits[m]` (one buffer per model, each as long as the columns; whatever they hold is
/// overwritten), in units of 10^-`rounding.dp`: what `compare_attribution_frame` hands back
/// per row. When every model is rule-based (no Markov, no Shapley) and there is no lookback
/// window, the journeys are read and validated once and split under every model in the same
/// pass. After an error the buffers hold a partial result.
///
/// # Errors
///
/// As [`compare_attribution_columns`]; `invalid_value` at `credits` when there is not one
/// buffer per model, at `credits[m]` when a buffer's length is not the columns'; `overflow`
/// at `revenue[i]` for a credit beyond 64 bits.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::AmountColumn;
/// use crmkit::roi::{compare_attribution_columns_into, CodeColumn, ComparisonPolicy, DayColumn, JourneyColumns, NOT_CONVERTED};
///
/// let policy: ComparisonPolicy = crmkit::wire::from_json(r#"{"models": [{"kind": "linear"}, {"kind": "time_decay"}]}"#, "")?;
/// let labels = ["search".to_string(), "email".to_string()];
/// let columns = JourneyColumns {
///     journey: &[1, 1, 2],
///     channel: CodeColumn::I8(&[0, 1, 1]),
///     channel_labels: &labels,
///     on: DayColumn::days(&[20_505, 20_512, 20_500]),
///     revenue: AmountColumn::Units { units: &[100, 100, 0], scale: 0 },
///     converted_on: DayColumn::days(&[20_512, 20_512, NOT_CONVERTED]),
///     milestone: None,
/// };
/// let (mut linear, mut decay) = ([0i64; 3], [0i64; 3]);
/// let c = compare_attribution_columns_into(&policy, &columns, &mut [&mut linear, &mut decay])?;
/// // Seven days before the conversion weighs half the day of it: 1/3 and 2/3.
/// assert_eq!((linear, decay), ([5_000, 5_000, 0], [3_333, 6_667, 0]));
/// assert_eq!(c.models, ["linear", "time_decay"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn compare_attribution_columns_into(
    policy: &ComparisonPolicy,
    columns: &JourneyColumns,
    credits: &mut [&mut [i64]],
) -> Result<Comparison> {
    if credits.len() != policy.models.len() {
        return Err(Error::InvalidValue {
            path: "credits".into(),
            reason: format!("{} buffers for {} models", credits.len(), policy.models.len()),
        });
    }
    let rows = columns.journey.len();
    if let Some(m) = credits.iter().position(|c| c.len() != rows) {
        return Err(Error::InvalidValue {
            path: format!("credits[{m}]"),
            reason: format!("{} rows, the journey column has {rows}", credits[m].len()),
        });
    }
    compare_columns(policy, columns, Some(credits))
}

/// [`compare_attribution_columns`], with each model's per-row credits written into
/// `credits` when given (checked: one buffer per model, each as long as the columns).
fn compare_columns(
    policy: &ComparisonPolicy,
    columns: &JourneyColumns,
    credits: Option<&mut [&mut [i64]]>,
) -> Result<Comparison> {
    let index = checked(policy)?;
    check_lengths(columns, None)?;
    let rule_based = policy.models.iter().all(|m| !matches!(m, Model::Markov { .. } | Model::Shapley { .. }));
    if rule_based && policy.lookback_days.is_none() {
        let mut own: Vec<Vec<i64>> = Vec::new();
        let fast = if let Some(buffers) = credits {
            one_pass(policy, columns, &index, buffers)
        } else {
            // The pass writes every row's credit somewhere: buffers of its own.
            own.resize_with(policy.models.len(), || vec![0; columns.journey.len()]);
            let mut buffers: Vec<&mut [i64]> = own.iter_mut().map(Vec::as_mut_slice).collect();
            one_pass(policy, columns, &index, &mut buffers)
        };
        return match fast {
            // A credit beyond 64 bits: the general path's 128-bit credits give the comparison
            // (and its first error, validating every journey before splitting any).
            Err(e) if e.code() == "overflow" => general_columns(policy, columns, &index, None),
            done => done,
        };
    }
    general_columns(policy, columns, &index, credits)
}

/// Every rule-based model in one pass over the columns (see [`fast::run_many`]).
fn one_pass(
    policy: &ComparisonPolicy,
    columns: &JourneyColumns,
    index: &HashMap<&str, usize>,
    credits: &mut [&mut [i64]],
) -> Result<Comparison> {
    let models = policy
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| Ok((m, m.direct_channels(&format!("models[{i}]"), index)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut reader = reader(columns, index, policy.rounding);
    let totals = fast::run_many(&models, policy.channels.len(), &mut reader, credits)?;
    let present: Vec<bool> = (0..policy.channels.len()).map(|c| totals[0].present(c)).collect();
    let per_model: Vec<Vec<i128>> =
        totals.iter().map(|t| t.channels.iter().map(|line| line.credit).collect()).collect();
    laid_out(policy, &present, totals[0].total, &per_model)
}

/// The general path: every journey read into the record API's prepared form, then each model
/// in turn; each model's credits into `credits[m]` when given.
fn general_columns(
    policy: &ComparisonPolicy,
    columns: &JourneyColumns,
    index: &HashMap<&str, usize>,
    credits: Option<&mut [&mut [i64]]>,
) -> Result<Comparison> {
    let mut reader = reader(columns, index, policy.rounding);
    let (prepared, _) = read_all(&mut reader, columns, false)?;
    compare_prepared(policy, index, &prepared, &first_rows(&prepared), credits)
}

impl ComparisonPolicy {
    /// The attribution policy of one model (linear until set).
    fn single(&self) -> AttributionPolicy {
        AttributionPolicy {
            model: Model::Linear,
            channels: self.channels.clone(),
            rounding: self.rounding,
            lookback_days: self.lookback_days,
            cohorts: false,
        }
    }
}

/// The policy validated: its taxonomy's index.
fn checked(policy: &ComparisonPolicy) -> Result<HashMap<&str, usize>> {
    if policy.models.is_empty() {
        return Err(Error::InvalidValue { path: "models".into(), reason: "compare at least one model".into() });
    }
    policy.rounding.validate("rounding")?;
    for (i, m) in policy.models.iter().enumerate() {
        m.validate(&format!("models[{i}]"))?;
    }
    let index = taxonomy_index(&policy.channels)?;
    for (i, m) in policy.models.iter().enumerate() {
        m.direct_channels(&format!("models[{i}]"), &index)?;
    }
    Ok(index)
}

/// Every model over the same validated journeys, laid side by side; each model's per-row
/// credits into `credits[m]` when given.
fn compare_prepared(
    policy: &ComparisonPolicy,
    index: &HashMap<&str, usize>,
    prepared: &Prepared,
    path: &dyn Fn(usize) -> String,
    mut credits: Option<&mut [&mut [i64]]>,
) -> Result<Comparison> {
    let mut single = policy.single();
    let n = policy.channels.len();
    let mut present = vec![false; n];
    let mut total = 0i128;
    let mut per_model: Vec<Vec<i128>> = Vec::with_capacity(policy.models.len());
    for (m, model) in policy.models.iter().enumerate() {
        single.model = model.clone();
        let done = attribute_prepared(&single, index, prepared, None, false, path)?;
        if m == 0 {
            // The channels `attribute` lists: touched by some journey inside its window
            // (a channel touched only before a lookback window has no line there either).
            for (i, &c) in prepared.channel.iter().enumerate() {
                present[c as usize] |= done.kept.as_ref().is_none_or(|kept| kept[i]);
            }
        }
        let outcome = done.outcome;
        // The same under every model: the revenue of journeys with a touch in the window.
        total = done.report.total.mantissa();
        let mut sums = vec![0i128; n];
        for (j, start, len) in prepared.journeys() {
            if prepared.converted[j] {
                for i in start..start + len {
                    sums[prepared.channel[i] as usize] += outcome.credits[i];
                }
            }
        }
        if let Some(buffers) = credits.as_deref_mut() {
            for (r, (&c, out)) in outcome.credits.iter().zip(buffers[m].iter_mut()).enumerate() {
                *out = i64::try_from(c).map_err(|_| Error::overflow(format!("revenue[{r}]")))?;
            }
        }
        per_model.push(sums);
    }
    laid_out(policy, &present, total, &per_model)
}

/// The comparison of the channels `present` (touched by some journey), the attributed `total`
/// and each model's credit per channel, all in units of the policy's last place.
fn laid_out(policy: &ComparisonPolicy, present: &[bool], total: i128, per_model: &[Vec<i128>]) -> Result<Comparison> {
    let mut labels: Vec<String> = Vec::with_capacity(policy.models.len());
    for model in &policy.models {
        let base = label(model);
        let repeats = labels.iter().filter(|l| **l == base || l.starts_with(&format!("{base}_#"))).count();
        labels.push(if repeats == 0 { base } else { format!("{base}_#{}", repeats + 1) });
    }
    let dp = policy.rounding.dp;
    let money = |u: i128| Decimal::try_from_i128_with_scale(u, dp).map_err(|_| Error::overflow("journeys"));
    let share = |u: i128| if total == 0 { Decimal::ZERO } else { ratio(u as u128, total as u128) };
    let mut channels = Vec::new();
    let mut rows = Vec::new();
    for c in (0..policy.channels.len()).filter(|&c| present[c]) {
        let ch = &policy.channels[c];
        let mut credits = Vec::with_capacity(labels.len());
        let mut shares = Vec::with_capacity(labels.len());
        for (label, sums) in labels.iter().zip(per_model) {
            let (credit, s) = (money(sums[c])?, share(sums[c]));
            rows.push(ComparisonRow {
                channel: ch.name.clone(),
                group: ch.group.clone(),
                model: label.clone(),
                credit,
                share: s,
            });
            credits.push(WireDecimal(credit));
            shares.push(WireDecimal(s));
        }
        channels.push(ComparisonLine { channel: ch.name.clone(), group: ch.group.clone(), credits, shares });
    }
    Ok(Comparison { models: labels, total: money(total)?, channels, rows })
}
