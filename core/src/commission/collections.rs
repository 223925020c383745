//! Collections (回款): open items by batch, overdue warning levels, aging buckets, DSO and a
//! transparent customer credit grade from payment history, with published thresholds.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::interest::{Batch, BatchView};
use crate::error::{Error, Result};
use crate::hash::FxBuild;
use crate::money::{add, mul, Rounding, RoundingStrategy};

/// How receivables are read.
///
/// # Examples
///
/// ```
/// use crmkit::commission::{collections, Batch, CollectionsPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: CollectionsPolicy = from_json("{}", "")?; // the published defaults
/// let batches: Vec<Batch> = from_json(r#"[{"id": "i1", "customer": "acme", "invoice_on": "2026-01-01",
///     "due_on": "2026-01-31", "amount": "1000", "payments": []}]"#, "batches")?;
/// let report = collections(&policy, &batches, chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())?;
/// assert_eq!(report.batches[0].days_past_due, 59);
/// assert_eq!(report.batches[0].bucket, "31-60");
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct CollectionsPolicy {
    /// Upper limits (days past due, inclusive) of the aging buckets, strictly ascending
    /// (default 30, 60, 90, 120: `1-30` ... `121+`; not yet due is `not_due`).
    #[serde(default = "CollectionsPolicy::default_aging")]
    pub aging: Vec<u32>,
    /// Overdue warning levels (预警), by days past due reached, strictly ascending (default
    /// `notice` at 1, `warning` at 31, `serious` at 61, `critical` at 91).
    #[serde(default = "CollectionsPolicy::default_levels")]
    pub levels: Vec<WarningLevel>,
    /// Days after the due date a payment still counts as on time (default 0).
    #[serde(default)]
    pub grace_days: u32,
    /// DSO window: credit sales invoiced in the `dso_days` days up to `as_of` (default 90).
    #[serde(default = "CollectionsPolicy::default_dso_days")]
    pub dso_days: u32,
    /// Credit grades, best first: a customer gets the first whose three thresholds it meets,
    /// else `fallback` (default A / B / C, fallback D; see the README).
    #[serde(default = "CollectionsPolicy::default_grades")]
    pub grades: Vec<Grade>,
    /// The grade of a customer meeting no grade's thresholds (default `D`).
    #[serde(default = "CollectionsPolicy::default_fallback")]
    pub fallback: String,
    /// Rounding of money (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
}

/// A warning level reached at a number of days past due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct WarningLevel {
    /// Its name.
    pub name: String,
    /// Days past due (after the grace) from which it applies, ≥ 1.
    pub days: u32,
}

/// A credit grade's published thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// Its name (`A`).
    pub name: String,
    /// Smallest share of the amount due so far that was paid on time, in [0, 1].
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub min_on_time_ratio: Decimal,
    /// Largest amount-weighted average days late, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub max_weighted_days_late: Decimal,
    /// Largest number of days past due of any item, paid or open.
    pub max_days_past_due: u32,
}

impl Default for CollectionsPolicy {
    fn default() -> Self {
        Self {
            aging: Self::default_aging(),
            levels: Self::default_levels(),
            grace_days: 0,
            dso_days: Self::default_dso_days(),
            grades: Self::default_grades(),
            fallback: Self::default_fallback(),
            rounding: Rounding::default(),
        }
    }
}

impl CollectionsPolicy {
    fn default_aging() -> Vec<u32> {
        vec![30, 60, 90, 120]
    }

    fn default_levels() -> Vec<WarningLevel> {
        [("notice", 1), ("warning", 31), ("serious", 61), ("critical", 91)]
            .into_iter()
            .map(|(name, days)| WarningLevel { name: name.to_owned(), days })
            .collect()
    }

    fn default_dso_days() -> u32 {
        90
    }

    fn default_grades() -> Vec<Grade> {
        let grade = |name: &str, ratio: i64, weighted: i64, max: u32| Grade {
            name: name.to_owned(),
            min_on_time_ratio: Decimal::new(ratio, 2),
            max_weighted_days_late: Decimal::from(weighted),
            max_days_past_due: max,
        };
        vec![grade("A", 95, 5, 15), grade("B", 85, 15, 45), grade("C", 70, 30, 90)]
    }

    fn default_fallback() -> String {
        "D".to_owned()
    }

    /// Checks the policy.
    ///
    /// # Errors
    ///
    /// `tier_overlap` at `aging[i]` or `levels[i].days` (not strictly ascending),
    /// `out_of_range` at `levels[i].days` (0), `grades[i].min_on_time_ratio` (outside [0, 1]),
    /// `grades[i].max_weighted_days_late` (negative), `dso_days` (0), `rounding.dp`;
    /// `duplicate_name` at `grades[i].name` / `levels[i].name`.
    pub fn validate(&self) -> Result<()> {
        self.rounding.validate("rounding")?;
        if self.dso_days == 0 {
            return Err(Error::out_of_range("dso_days", 0, 1, "inf"));
        }
        for i in 1..self.aging.len() {
            if self.aging[i] <= self.aging[i - 1] {
                return Err(Error::TierOverlap {
                    path: format!("aging[{i}]"),
                    previous: self.aging[i - 1].to_string(),
                });
            }
        }
        let mut names = std::collections::HashMap::new();
        for (i, l) in self.levels.iter().enumerate() {
            if l.days == 0 {
                return Err(Error::out_of_range(format!("levels[{i}].days"), 0, 1, "inf"));
            }
            if i > 0 && l.days <= self.levels[i - 1].days {
                return Err(Error::TierOverlap {
                    path: format!("levels[{i}].days"),
                    previous: self.levels[i - 1].days.to_string(),
                });
            }
            if let Some(first) = names.insert(l.name.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: format!("levels[{i}].name"),
                    name: l.name.clone(),
                    first: format!("levels[{first}].name"),
                });
            }
        }
        let mut names = std::collections::HashMap::new();
        for (i, g) in self.grades.iter().enumerate() {
            if g.min_on_time_ratio < Decimal::ZERO || g.min_on_time_ratio > Decimal::ONE {
                return Err(Error::out_of_range(format!("grades[{i}].min_on_time_ratio"), g.min_on_time_ratio, 0, 1));
            }
            if g.max_weighted_days_late < Decimal::ZERO {
                return Err(Error::out_of_range(
                    format!("grades[{i}].max_weighted_days_late"),
                    g.max_weighted_days_late,
                    0,
                    "inf",
                ));
            }
            if let Some(first) = names.insert(g.name.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: format!("grades[{i}].name"),
                    name: g.name.clone(),
                    first: format!("grades[{first}].name"),
                });
            }
        }
        Ok(())
    }

    /// The aging bucket of an open item, an index into [`aging_labels`]: 0 `not_due`, then
    /// the first bucket whose upper limit it is within, else the last (`121+`).
    fn bucket(&self, days_past_due: i64) -> usize {
        if days_past_due <= 0 {
            return 0;
        }
        1 + self.aging.iter().position(|&hi| days_past_due <= i64::from(hi)).unwrap_or(self.aging.len())
    }
}

/// Receivables at `as_of`: per batch, aging, per customer and DSO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CollectionsReport {
    /// One line per batch, in input order.
    pub batches: Vec<OpenItem>,
    /// Outstanding amounts per aging bucket, `not_due` first, every bucket listed.
    pub aging: Vec<AgingLine>,
    /// One line per customer (by name), with its credit grade.
    pub customers: Vec<CustomerLine>,
    /// Days sales outstanding.
    pub dso: Dso,
}

/// A batch at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct OpenItem {
    /// The batch.
    pub id: String,
    /// Its customer.
    pub customer: Option<String>,
    /// Due date.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub due_on: NaiveDate,
    /// Amount due.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Collected by `as_of`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub collected: Decimal,
    /// Still open.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub outstanding: Decimal,
    /// `as_of` − due date for an open item (≤ 0: not yet due); 0 when paid.
    pub days_past_due: i64,
    /// Its aging bucket (`not_due`, `1-30`...; `paid` when nothing is open).
    pub bucket: String,
    /// The warning level reached (days past due beyond the grace), if any.
    pub level: Option<String>,
    /// Why.
    pub reasons: Vec<CollectionReason>,
}

/// Why an open item is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum CollectionReason {
    /// Fully collected.
    Paid,
    /// Partly collected.
    PartlyPaid,
    /// Open and not yet due.
    NotDue,
    /// Open, past due but within the grace days.
    WithinGrace,
    /// Open and past due beyond the grace.
    Overdue,
}

/// One aging bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct AgingLine {
    /// `not_due`, `1-30`, ..., `121+`.
    pub bucket: String,
    /// Open items in it.
    pub items: u32,
    /// Their outstanding amount.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub outstanding: Decimal,
}

/// A customer's receivables and credit grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CustomerLine {
    /// The customer (batches without one are grouped under `""`).
    pub customer: String,
    /// Σ outstanding.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub outstanding: Decimal,
    /// Σ outstanding past due beyond the grace.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub overdue: Decimal,
    /// Amount due so far (due date ≤ `as_of`, or paid) that was paid within the grace ÷ that
    /// amount, 4 places (1 when nothing is due yet).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub on_time_ratio: Decimal,
    /// Σ amount × days late ÷ Σ amount over the same amount (open overdue amounts count with
    /// their days past due so far), 2 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weighted_days_late: Decimal,
    /// Most days past due of any payment or open item.
    pub max_days_past_due: i64,
    /// The grade: the first of the policy's grades whose thresholds all hold.
    pub grade: String,
    /// The thresholds of the better grades that failed, as `grade:threshold` (`A:max_days_past_due`).
    pub failed: Vec<String>,
}

/// Days sales outstanding = receivables ÷ credit sales in the window × its days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Dso {
    /// The window's days.
    pub days: u32,
    /// Σ outstanding at `as_of`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub receivables: Decimal,
    /// Σ amounts invoiced in the window.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub sales: Decimal,
    /// DSO in days, 1 place; null when nothing was invoiced in the window (undefined, not 0).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub value: Option<Decimal>,
}

/// Per customer: (outstanding, overdue, due so far, paid on time, Σ amount × days late, max).
#[derive(Default)]
struct History {
    outstanding: Decimal,
    overdue: Decimal,
    due: Decimal,
    on_time: Decimal,
    weighted: Decimal,
    max: i64,
}

/// Open items, overdue warning levels, aging buckets, DSO and customer credit grades at
/// `as_of`, over the batches [`payment_interest`](super::payment_interest) takes.
///
/// # Errors
///
/// Policy errors as [`CollectionsPolicy::validate`]; batch errors as
/// [`payment_interest`](super::payment_interest) (a payment before its invoice is
/// `date_order`, beyond the amount `out_of_range`...).
///
/// # Examples
///
/// See [`CollectionsPolicy`].
pub fn collections(policy: &CollectionsPolicy, batches: &[Batch], as_of: NaiveDate) -> Result<CollectionsReport> {
    policy.validate()?;
    let labels = aging_labels(policy);
    let mut items = Vec::with_capacity(batches.len());
    let (aging, customers, dso) = collections_with(policy, batches.iter().map(BatchView::from), as_of, |i, item| {
        let b = &batches[i];
        let r = policy.rounding;
        items.push(OpenItem {
            id: b.id.clone(),
            customer: b.customer.clone(),
            due_on: b.due_on,
            amount: r.round(b.amount),
            collected: r.round(item.collected),
            outstanding: r.round(item.outstanding),
            days_past_due: item.days_past_due,
            bucket: labels.get(item.bucket).map_or_else(|| "paid".to_owned(), Clone::clone),
            level: item.level.map(|k| policy.levels[k].name.clone()),
            reasons: reasons(item.reasons).collect(),
        });
    })?;
    Ok(CollectionsReport { batches: items, aging, customers, dso })
}

/// The aging buckets' labels: `not_due`, then the policy's (`1-30`, ..., `121+`).
pub(crate) fn aging_labels(policy: &CollectionsPolicy) -> Vec<String> {
    std::iter::once("not_due".to_owned())
        .chain((0..=policy.aging.len()).map(|k| {
            let lo = if k == 0 { 1 } else { policy.aging[k - 1] + 1 };
            policy.aging.get(k).map_or_else(|| format!("{lo}+"), |hi| format!("{lo}-{hi}"))
        }))
        .collect()
}

/// The reasons of a set of bits (bit `k` for [`COLLECTION_REASONS`]`[k]`), in that order.
pub(crate) fn reasons(bits: u8) -> impl Iterator<Item = CollectionReason> {
    COLLECTION_REASONS.into_iter().enumerate().filter_map(move |(k, r)| (bits & (1 << k) != 0).then_some(r))
}

/// The reasons [`CollectionsColumnsReport::reasons`](super::CollectionsColumnsReport::reasons)
/// has a bit for, in the order an item's `reasons` lists them: paid or partly paid first, then
/// where the open amount stands.
pub const COLLECTION_REASONS: [CollectionReason; 5] = [
    CollectionReason::Paid,
    CollectionReason::PartlyPaid,
    CollectionReason::NotDue,
    CollectionReason::WithinGrace,
    CollectionReason::Overdue,
];

const PAID: u8 = 1;
const PARTLY_PAID: u8 = 1 << 1;
const NOT_DUE: u8 = 1 << 2;
const WITHIN_GRACE: u8 = 1 << 3;
const OVERDUE: u8 = 1 << 4;

/// A batch at `as_of`, unrounded, its labels as indices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    /// Collected by `as_of`.
    pub(crate) collected: Decimal,
    /// Still open.
    pub(crate) outstanding: Decimal,
    /// As [`OpenItem::days_past_due`].
    pub(crate) days_past_due: i64,
    /// Its aging bucket, an index into [`aging_labels`] (their count: paid).
    pub(crate) bucket: usize,
    /// The warning level reached, an index into the policy's `levels`.
    pub(crate) level: Option<usize>,
    /// Its reasons, bit `k` for [`COLLECTION_REASONS`]`[k]`.
    pub(crate) reasons: u8,
}

/// [`collections`] over batch views (the policy validated): checks them all first, then hands
/// `each` every batch's row and item in order. Returns the aging lines, the customers and DSO.
pub(crate) fn collections_with<'a, I>(
    policy: &CollectionsPolicy,
    batches: I,
    as_of: NaiveDate,
    mut each: impl FnMut(usize, &Item),
) -> Result<(Vec<AgingLine>, Vec<CustomerLine>, Dso)>
where
    I: Iterator<Item = BatchView<'a>> + Clone,
{
    super::interest::check_batches(batches.clone(), as_of, None)?;
    let r = policy.rounding;
    let grace = i64::from(policy.grace_days);
    let mut aging: Vec<AgingLine> = aging_labels(policy)
        .into_iter()
        .map(|bucket| AgingLine { bucket, items: 0, outstanding: r.round(Decimal::ZERO) })
        .collect();
    // Each customer's history, found by name (one hash a batch, no copy of the name), put in
    // name order at the end: a million batches of 100,000 customers took 1.9 s through a
    // name-ordered map (a copy of the name and ~17 comparisons a batch).
    // Columns name a customer by a code: each code's customer is looked up by name once.
    let mut index: HashMap<&str, usize, FxBuild> = HashMap::default();
    let mut by_code: Vec<u32> = Vec::new();
    let mut customers: Vec<(&str, History)> = Vec::new();
    let window_start = as_of.checked_sub_days(chrono::Days::new(u64::from(policy.dso_days))).unwrap_or(NaiveDate::MIN);
    let (mut receivables, mut sales) = (Decimal::ZERO, Decimal::ZERO);
    for (i, b) in batches.enumerate() {
        let path = || format!("batches[{i}].amount");
        let collected = b.payments.iter().try_fold(Decimal::ZERO, |a, p| add(a, p.amount, path))?;
        let outstanding = b.amount - collected;
        let days_past_due = if outstanding > Decimal::ZERO { (as_of - b.due_on).num_days() } else { 0 };
        let mut by_name = || {
            let name = b.customer.unwrap_or_default();
            *index.entry(name).or_insert_with(|| {
                customers.push((name, History::default()));
                customers.len() - 1
            })
        };
        let k = match b.customer_code.map(|c| c as usize) {
            Some(c) => match by_code.get(c) {
                Some(&k) if k != u32::MAX => k as usize,
                _ => {
                    let k = by_name();
                    if by_code.len() <= c {
                        by_code.resize(c + 1, u32::MAX);
                    }
                    by_code[c] = k as u32; // customers ≤ batches, which fit u32
                    k
                }
            },
            None => by_name(),
        };
        let h = &mut customers[k].1;
        let mut reasons = 0;
        if outstanding.is_zero() {
            reasons |= PAID;
        } else if !collected.is_zero() {
            reasons |= PARTLY_PAID;
        }
        // Payment history: every payment, late by its days beyond the due date.
        for p in b.payments {
            let late = (p.on - b.due_on).num_days().max(0);
            h.due = add(h.due, p.amount, path)?;
            if late <= grace {
                h.on_time = add(h.on_time, p.amount, path)?;
            }
            h.weighted = add(h.weighted, mul(p.amount, Decimal::from(late), path)?, path)?;
            h.max = h.max.max(late);
        }
        let mut level = None;
        let bucket = if outstanding > Decimal::ZERO {
            receivables = add(receivables, outstanding, path)?;
            h.outstanding = add(h.outstanding, outstanding, path)?;
            if days_past_due > 0 {
                h.max = h.max.max(days_past_due);
                if days_past_due > grace {
                    // Open and late: counts in the history as late so far, and not on time.
                    h.due = add(h.due, outstanding, path)?;
                    h.weighted = add(h.weighted, mul(outstanding, Decimal::from(days_past_due), path)?, path)?;
                    h.overdue = add(h.overdue, outstanding, path)?;
                    reasons |= OVERDUE;
                    level = policy.levels.iter().rposition(|l| days_past_due - grace >= i64::from(l.days));
                } else {
                    reasons |= WITHIN_GRACE;
                }
            } else {
                reasons |= NOT_DUE;
            }
            let bucket = policy.bucket(days_past_due);
            let line = &mut aging[bucket];
            line.items += 1;
            line.outstanding = r.round(add(line.outstanding, outstanding, path)?);
            bucket
        } else {
            aging.len()
        };
        if b.invoice_on > window_start {
            sales = add(sales, b.amount, path)?;
        }
        each(i, &Item { collected, outstanding, days_past_due, bucket, level, reasons });
    }
    customers.sort_unstable_by(|a, b| a.0.cmp(b.0)); // names are unique: one order
    let customers =
        customers.into_iter().map(|(customer, h)| grade(policy, customer.to_owned(), &h)).collect::<Result<_>>()?;
    let value = if sales.is_zero() {
        None
    } else {
        let days = mul(receivables, Decimal::from(policy.dso_days), || "batches".to_owned())?;
        Some(
            days.checked_div(sales)
                .ok_or_else(|| Error::overflow("batches"))?
                .round_dp_with_strategy(1, RoundingStrategy::HalfEven.into()),
        )
    };
    let dso = Dso { days: policy.dso_days, receivables: r.round(receivables), sales: r.round(sales), value };
    Ok((aging, customers, dso))
}

fn grade(policy: &CollectionsPolicy, customer: String, h: &History) -> Result<CustomerLine> {
    let ratio = if h.due.is_zero() {
        Decimal::ONE
    } else {
        h.on_time.checked_div(h.due).ok_or_else(|| Error::overflow("batches"))?
    };
    let weighted = if h.due.is_zero() {
        Decimal::ZERO
    } else {
        h.weighted.checked_div(h.due).ok_or_else(|| Error::overflow("batches"))?
    };
    let mut failed = Vec::new();
    let mut grade = policy.fallback.clone();
    for g in &policy.grades {
        let misses: Vec<&str> = [
            (ratio < g.min_on_time_ratio, "min_on_time_ratio"),
            (weighted > g.max_weighted_days_late, "max_weighted_days_late"),
            (h.max > i64::from(g.max_days_past_due), "max_days_past_due"),
        ]
        .into_iter()
        .filter_map(|(miss, name)| miss.then_some(name))
        .collect();
        if misses.is_empty() {
            grade.clone_from(&g.name);
            break;
        }
        failed.extend(misses.into_iter().map(|m| format!("{}:{m}", g.name)));
    }
    let round = |x: Decimal, dp: u32| Rounding { dp, strategy: RoundingStrategy::HalfEven }.round(x);
    Ok(CustomerLine {
        customer,
        outstanding: policy.rounding.round(h.outstanding),
        overdue: policy.rounding.round(h.overdue),
        on_time_ratio: round(ratio, 4),
        weighted_days_late: round(weighted, 2),
        max_days_past_due: h.max,
        grade,
        failed,
    })
}
