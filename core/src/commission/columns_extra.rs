//! What a row of [`commission_columns`](super::commission_columns) may carry beyond its rep,
//! date and amount: a product and a customer type (the plan's rate rules and SPIFs), the sale
//! a refund refers to (its pay taken back at the original rate) and the rate an earlier
//! period's sale was paid at (a prior-period clawback). Read and checked here once, before the
//! walk, into what the walk needs per row.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use super::columns::TransactionColumns;
use super::columns_walk::ceil_units;
use super::plan::CommissionPlan;
use crate::error::{Error, Result};
use crate::money::to_units;

/// A column of names as category codes (pandas category codes): row `i` is
/// `labels[codes[i]]`, or has none where the code is -1.
#[derive(Debug, Clone, Copy)]
pub struct Category<'a> {
    /// Per row, an index into `labels`, -1 for none.
    pub codes: &'a [i32],
    /// The names the codes refer to (distinct).
    pub labels: &'a [String],
}

/// No rule for the row: the plan's table pays it.
pub(crate) const NO_RULE: u32 = u32::MAX;

/// What the walk needs per row beyond rep, date and amount.
pub(crate) struct Extras<'a> {
    /// Per row, the index of the first matching rate rule in `plan.rates`, or [`NO_RULE`]
    /// (empty: the plan has no rules).
    pub rule: Vec<u32>,
    /// Per row, the SPIF a sale earns in money units (empty: the plan has no SPIFs).
    pub spiff: Vec<i64>,
    /// Per row, the row of the sale a refund refers to, -1 for none.
    pub refers_to: Option<&'a [i64]>,
    /// Per row, the rate an earlier period's sale was paid at.
    pub original_rate: Option<&'a [Option<Decimal>]>,
    /// The rows some refund refers to.
    pub referred: HashSet<u32>,
}

impl Extras<'_> {
    /// The sale row `r` refers to, if any.
    #[inline]
    pub fn refers_to(&self, r: usize) -> Option<u32> {
        self.refers_to.and_then(|c| u32::try_from(c[r]).ok())
    }

    /// The original rate of row `r`, if any.
    #[inline]
    pub fn original_rate(&self, r: usize) -> Option<Decimal> {
        self.original_rate.and_then(|c| c[r])
    }

    /// Whether the provisional statement of some row differs from its final one for a reason
    /// of its own (a refund of a sale in the columns takes the sale's provisional pay back).
    pub fn links(&self) -> bool {
        !self.referred.is_empty()
    }
}

/// What a (product, customer type) pair selects: the rule (or [`NO_RULE`]), and the SPIFs
/// that match it (amount, and the least amount of a qualifying sale in amount units).
type Pair = (u32, Vec<(Decimal, Option<i128>)>);

/// Reads and checks the extra columns: `None` when neither the plan nor the columns use any
/// of it (the walk then needs nothing per row beyond rep, date and amount).
pub(crate) fn read<'a>(
    plan: &CommissionPlan,
    columns: &TransactionColumns<'a>,
    units: &[i64],
    amount_scale: u32,
) -> Result<Option<Extras<'a>>> {
    let n = columns.rep.len();
    for (name, category) in [("product", columns.product), ("customer_type", columns.customer_type)] {
        if let Some(c) = category {
            check_category(name, c, n)?;
        }
    }
    let refers_to = columns.refers_to.filter(|c| c.iter().any(|&r| r != -1));
    let original_rate = columns.original_rate.filter(|c| c.iter().any(Option::is_some));
    for (name, len) in
        [("refers_to", columns.refers_to.map(<[i64]>::len)), ("original_rate", columns.original_rate.map(<[_]>::len))]
    {
        if let Some(len) = len.filter(|&l| l != n) {
            return Err(Error::InvalidValue {
                path: name.into(),
                reason: format!("column has {len} rows, rep has {n}"),
            });
        }
    }
    let referred = links(columns, refers_to, original_rate)?;
    if plan.rates.is_empty() && plan.spiffs.is_empty() && refers_to.is_none() && original_rate.is_none() {
        return Ok(None);
    }
    let label = |c: Option<Category<'a>>, i: usize| -> Option<&'a str> {
        c.and_then(|c| usize::try_from(c.codes[i]).ok().map(|k| c.labels[k].as_str()))
    };
    let code = |c: Option<Category<'a>>, i: usize| c.map_or(-1, |c| c.codes[i]);
    // Rules and SPIFs depend only on the (product, customer type) pair: found once per pair.
    let mut pairs: HashMap<(i32, i32), Pair> = HashMap::new();
    let dp = plan.rounding.dp;
    let mut rule = Vec::with_capacity(if plan.rates.is_empty() { 0 } else { n });
    let mut spiff = Vec::with_capacity(if plan.spiffs.is_empty() { 0 } else { n });
    for i in 0..n {
        let key = (code(columns.product, i), code(columns.customer_type, i));
        let (r, spiffs) = pairs.entry(key).or_insert_with(|| {
            let (p, c) = (label(columns.product, i), label(columns.customer_type, i));
            let r = plan.rates.iter().position(|r| {
                r.product.as_deref().is_none_or(|x| Some(x) == p)
                    && r.customer_type.as_deref().is_none_or(|x| Some(x) == c)
            });
            let spiffs = plan
                .spiffs
                .iter()
                .filter(|s| {
                    s.product.as_deref().is_none_or(|x| Some(x) == p)
                        && s.customer_type.as_deref().is_none_or(|x| Some(x) == c)
                })
                // A sale of at least `min_amount` qualifies: at least its first unit of the
                // amounts' places at or above it (none when it is beyond any amount).
                .map(|s| (s.amount, s.min_amount.map(|m| ceil_units(m, amount_scale).unwrap_or(i128::MAX))))
                .collect();
            (r.map_or(NO_RULE, |r| r as u32), spiffs)
        });
        if !plan.rates.is_empty() {
            rule.push(*r);
        }
        if !plan.spiffs.is_empty() {
            let refund = columns.refund.is_some_and(|f| f[i]);
            let amount = units[i];
            // Refunds earn none; a sale of nothing neither (its revenue split has no weight).
            let mut sum = Decimal::ZERO;
            if !refund && amount != 0 {
                for (a, min) in spiffs.iter() {
                    if min.is_none_or(|m| i128::from(amount) >= m) {
                        sum = sum.checked_add(*a).ok_or_else(|| Error::overflow("spiffs"))?;
                    }
                }
            }
            let units = to_units(plan.rounding.round(sum), dp).and_then(|u| i64::try_from(u).ok());
            spiff.push(units.ok_or_else(|| Error::overflow(format!("amount[{i}]")))?);
        }
    }
    Ok(Some(Extras { rule, spiff, refers_to, original_rate, referred }))
}

fn check_category(name: &str, c: Category, n: usize) -> Result<()> {
    if c.codes.len() != n {
        return Err(Error::InvalidValue {
            path: name.into(),
            reason: format!("column has {} rows, rep has {n}", c.codes.len()),
        });
    }
    for (j, label) in c.labels.iter().enumerate() {
        if let Some(first) = c.labels[..j].iter().position(|l| l == label) {
            return Err(Error::DuplicateName {
                path: format!("{name}_labels[{j}]"),
                name: label.clone(),
                first: format!("{name}_labels[{first}]"),
            });
        }
    }
    let labels = c.labels.len();
    if let Some(i) = c.codes.iter().position(|&k| k < -1 || k >= 0 && k as usize >= labels) {
        return Err(Error::InvalidValue {
            path: format!("{name}[{i}]"),
            reason: format!("code {} has no label ({labels} labels)", c.codes[i]),
        });
    }
    Ok(())
}

/// Checks each refund's link, as `compute_commission` checks `refers_to` and `original_rate`:
/// the rows refunds refer to.
fn links(
    columns: &TransactionColumns,
    refers_to: Option<&[i64]>,
    original_rate: Option<&[Option<Decimal>]>,
) -> Result<HashSet<u32>> {
    let n = columns.rep.len();
    let refund = |i: usize| columns.refund.is_some_and(|f| f[i]);
    let mut referred = HashSet::new();
    if let Some(rates) = original_rate {
        for (i, rate) in rates.iter().enumerate() {
            let Some(rate) = *rate else { continue };
            let path = format!("original_rate[{i}]");
            let reason = if !refund(i) {
                Some("only refunds claw back at an original rate")
            } else if refers_to.is_some_and(|r| r[i] != -1) {
                Some("the sale is in the columns: its own pay is taken back")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::InvalidValue { path, reason: reason.into() });
            }
            if rate < Decimal::ZERO || rate > Decimal::ONE {
                return Err(Error::out_of_range(path, rate, 0, 1));
            }
        }
    }
    if let Some(links) = refers_to {
        for (i, &o) in links.iter().enumerate() {
            if o == -1 {
                continue;
            }
            let path = format!("refers_to[{i}]");
            if !refund(i) {
                return Err(Error::InvalidValue { path, reason: "only refunds refer to a sale".into() });
            }
            let sale = usize::try_from(o).ok().filter(|&o| o < n && !refund(o));
            let Some(o) = sale else {
                return Err(Error::InvalidValue { path, reason: format!("row {o} is not a sale in the columns") });
            };
            if columns.rep[i] != columns.rep[o] {
                return Err(Error::InvalidValue {
                    path: format!("rep[{i}]"),
                    reason: format!("a refund of a sale takes the sale's rep (row {o})"),
                });
            }
            if columns.on[o] > columns.on[i] {
                return Err(Error::DateOrder {
                    path: format!("on[{i}]"),
                    date: super::columns::epoch_day(columns.on[i]).to_string(),
                    earlier: super::columns::epoch_day(columns.on[o]).to_string(),
                });
            }
            referred.insert(o as u32);
        }
    }
    Ok(referred)
}
