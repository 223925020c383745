//! Target allocation (指标分摊): a company target split across keys (product, region,
//! channel...) by their share of history, with ± adjustments, summing exactly to the target.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{PeriodKind, Periods};
use super::policy::FiscalYear;
use crate::error::{Error, Result};
use crate::money::{self, split_largest_remainder, Rounding};

/// How a target is split.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AllocationPolicy {
    /// Which history counts: `all` up to `as_of`, or the year, quarter or month to date.
    #[serde(default)]
    pub window: Window,
    /// The fiscal calendar of `ytd` and `qtd` (default: the calendar year). With a week-based
    /// year (`weeks`), `ytd`, `qtd` and `mtd` start with its year, quarter and 4/5-week period.
    #[serde(default)]
    pub fiscal_year: FiscalYear,
    /// Rounding of every allocated amount (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
}

/// The stretch of history whose shares split the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Every row up to `as_of`.
    #[default]
    All,
    /// From the start of the (fiscal) year of `as_of`.
    Ytd,
    /// From the start of its (fiscal) quarter.
    Qtd,
    /// From the start of its month (of its fiscal period, in a week-based year).
    Mtd,
}

/// What to split, and the history that splits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    /// The company target, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// Past results per key (several rows per key are summed).
    pub history: Vec<HistoryRow>,
    /// Manual changes per key, applied after the split: the split shares `target − Σ
    /// adjustments`, so the allocation still sums to `target`. A key with no history gets
    /// its adjustment alone (a new product line).
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
}

/// One key's result on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct HistoryRow {
    /// Product, region, channel... any name.
    pub key: String,
    /// When, ≤ `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// A manual change to one key's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// The key.
    pub key: String,
    /// Added to its allocation (negative to take away), after rounding to the policy's places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// What [`allocate_target`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AllocationReport {
    /// First day of history counted.
    #[serde(with = "crate::wire::date_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate | null"))]
    pub from: Option<NaiveDate>,
    /// Last day counted: `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub to: NaiveDate,
    /// One line per key, sorted by key.
    pub lines: Vec<AllocationLine>,
    /// The target, rounded; the lines' `target`s sum to it exactly.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// History counted, over all keys.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub history: Decimal,
}

/// One key's allocation, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AllocationLine {
    /// The key.
    pub key: String,
    /// Its history in the window.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub history: Decimal,
    /// Its share of all history, shown to 6 places (the split itself uses the exact ratio).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// Its part of `target − Σ adjustments`, by share, largest-remainder rounded.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub base: Decimal,
    /// Its adjustment, rounded like every amount (0 without one).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub adjustment: Decimal,
    /// `base + adjustment`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target: Decimal,
    /// Why: `share_of_history`, `adjusted`, `no_history`.
    pub reasons: Vec<AllocationReason>,
}

/// Why an allocation line is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AllocationReason {
    /// Base = its share of history × what the adjustments leave of the target.
    ShareOfHistory,
    /// An adjustment was added.
    Adjusted,
    /// No history in the window: base 0.
    NoHistory,
}

/// Splits `input.target` across keys by their share of `input.history` in the policy's
/// window up to `as_of`, then applies the adjustments; the allocations sum exactly to the
/// rounded target (largest remainder), and every line shows its history, share, base and
/// adjustment.
///
/// # Errors
///
/// `negative_amount` at `target`, `history[i].amount` or at the `adjustments[j].amount` that
/// would leave its key below 0; `date_after_as_of` at `history[i].on`; `duplicate_name` at
/// `adjustments[j].key`; `out_of_range` at `adjustments` when they exceed the target;
/// `invalid_value` at `history` when the window holds no positive history to share by;
/// rounding errors as [`Rounding::validate`].
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{allocate_target, AllocationInput, AllocationPolicy};
///
/// let input: AllocationInput = crmkit::wire::from_json(r#"{"target": "100.00", "history": [
///     {"key": "华东", "on": "2026-01-10", "amount": "1"},
///     {"key": "华北", "on": "2026-02-10", "amount": "1"},
///     {"key": "华南", "on": "2026-03-10", "amount": "1"}]}"#, "input")?;
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
/// let report = allocate_target(&AllocationPolicy::default(), &input, as_of)?;
/// let targets: Vec<String> = report.lines.iter().map(|l| format!("{} {}", l.key, l.target)).collect();
/// assert_eq!(targets, ["华东 33.34", "华北 33.33", "华南 33.33"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn allocate_target(
    policy: &AllocationPolicy,
    input: &AllocationInput,
    as_of: NaiveDate,
) -> Result<AllocationReport> {
    policy.rounding.validate("rounding")?;
    policy.fiscal_year.validate("fiscal_year")?;
    if input.target.is_sign_negative() && !input.target.is_zero() {
        return Err(Error::NegativeAmount { path: "target".into(), value: input.target.to_string() });
    }
    let from = window_start(policy.window, policy.fiscal_year, as_of);
    // Keys in first-seen order would depend on the input's order; sorted, they do not.
    let mut history: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (i, row) in input.history.iter().enumerate() {
        if row.amount.is_sign_negative() && !row.amount.is_zero() {
            return Err(Error::NegativeAmount { path: format!("history[{i}].amount"), value: row.amount.to_string() });
        }
        if row.on > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("history[{i}].on"),
                date: row.on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        let counted = from.is_none_or(|f| row.on >= f);
        let sum = history.entry(row.key.as_str()).or_default();
        if counted {
            *sum = money::add(*sum, row.amount, || format!("history[{i}].amount"))?;
        }
    }
    let mut adjustments: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
    let mut adjusted = Decimal::ZERO;
    for (j, a) in input.adjustments.iter().enumerate() {
        if let Some(&(first, _)) = adjustments.get(a.key.as_str()) {
            return Err(Error::DuplicateName {
                path: format!("adjustments[{j}].key"),
                name: a.key.clone(),
                first: format!("adjustments[{first}].key"),
            });
        }
        // Rounded to the policy's places first, so that bases and adjustments add up exactly.
        let amount = policy.rounding.round(a.amount);
        adjustments.insert(&a.key, (j, amount));
        history.entry(a.key.as_str()).or_default();
        adjusted = money::add(adjusted, amount, || format!("adjustments[{j}].amount"))?;
    }
    let rounding = policy.rounding;
    let target = rounding.round(input.target);
    let to_split = target.checked_sub(adjusted).ok_or_else(|| Error::overflow("adjustments"))?;
    if to_split.is_sign_negative() && !to_split.is_zero() {
        return Err(Error::out_of_range("adjustments", adjusted, "-inf", target));
    }
    let total: Decimal = history.values().try_fold(Decimal::ZERO, |a, &b| money::add(a, b, || "history".into()))?;
    if total.is_zero() && !to_split.is_zero() {
        return Err(Error::InvalidValue {
            path: "history".into(),
            reason: "the window holds no history to share the target by".into(),
        });
    }
    let weights: Vec<Decimal> = history.values().copied().collect();
    let bases = if total.is_zero() {
        vec![rounding.round(Decimal::ZERO); weights.len()]
    } else {
        split_largest_remainder(to_split, &weights, rounding, "history")?
    };
    let mut lines = Vec::with_capacity(weights.len());
    for ((key, &h), base) in history.iter().zip(bases) {
        let (adjustment, reasons) = match adjustments.get(key) {
            Some(&(j, a)) => {
                let line_target = money::add(base, a, || format!("adjustments[{j}].amount"))?;
                if line_target.is_sign_negative() && !line_target.is_zero() {
                    return Err(Error::NegativeAmount {
                        path: format!("adjustments[{j}].amount"),
                        value: line_target.to_string(),
                    });
                }
                (
                    a,
                    vec![
                        if h.is_zero() { AllocationReason::NoHistory } else { AllocationReason::ShareOfHistory },
                        AllocationReason::Adjusted,
                    ],
                )
            }
            None if h.is_zero() => (rounding.round(Decimal::ZERO), vec![AllocationReason::NoHistory]),
            None => (rounding.round(Decimal::ZERO), vec![AllocationReason::ShareOfHistory]),
        };
        let share = if total.is_zero() { Decimal::ZERO } else { (h / total).round_dp(6).normalize() };
        lines.push(AllocationLine {
            key: (*key).to_owned(),
            history: h,
            share,
            base,
            adjustment,
            target: money::add(base, adjustment, || "adjustments".into())?,
            reasons,
        });
    }
    Ok(AllocationReport { from, to: as_of, lines, target, history: total })
}

/// First day of the window ending at `as_of` (`None`: all history).
pub(super) fn window_start(window: Window, fiscal_year: FiscalYear, as_of: NaiveDate) -> Option<NaiveDate> {
    if fiscal_year.weeks.is_some() {
        let kind = match window {
            Window::All => return None,
            Window::Ytd => PeriodKind::Year,
            Window::Qtd => PeriodKind::Quarter,
            Window::Mtd => PeriodKind::Month,
        };
        let periods = Periods { fiscal_year, kind };
        return periods.bounds(periods.of_day(as_of)).map(|(start, _)| start.max(crate::wire::MIN_DATE));
    }
    let month_start = as_of.with_day(1)?;
    let months_back = |len: u32| {
        // Months since the fiscal year's first month, within a period of `len` months.
        let since = (as_of.month() + 12 - fiscal_year.start_month) % 12;
        month_start.checked_sub_months(Months::new(since % len))
    };
    let start = match window {
        Window::All => None,
        Window::Mtd => Some(month_start),
        Window::Qtd => months_back(3),
        Window::Ytd => months_back(12),
    };
    // A fiscal year that began before year 1 (as_of early in 0001) counts from 0001-01-01: no
    // date before it exists in crmkit, and year 0 has no representation in Python or JS.
    start.map(|d| d.max(crate::wire::MIN_DATE))
}
