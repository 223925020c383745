//! Crediting: each transaction checked, ordered, and split among its reps (revenue credit to
//! the cent by largest remainder, overlay credit on top, target credit kept apart).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::plan::CommissionPlan;
use super::report::CreditLine;
use super::{CommissionInput, SplitKind, Transaction, TransactionKind};
use crate::error::{Error, Result};
use crate::money::{mul, split_largest_remainder};

/// How a rate rule treats a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    Table,
    Rate(Decimal),
    Multiplier(Decimal),
}

/// One rep's credit from one transaction.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub txn: usize,
    pub credit: Decimal,
    pub target: Decimal,
    pub kind: TransactionKind,
    pub rule: Rule,
    /// Refunds of a sale in the input: the index of the sale's entry for the same rep.
    pub original: Option<usize>,
}

/// A rep as the statements need it.
#[derive(Debug, Clone)]
pub(crate) struct Rep {
    pub name: String,
    pub quota: Option<Decimal>,
    pub prior_credit: Decimal,
    pub prior_target: Decimal,
    pub prior_paid: Option<Decimal>,
    /// Where a missing quota is reported.
    pub quota_path: String,
}

/// The input credited.
#[derive(Debug, Clone)]
pub(crate) struct Credited {
    pub currency: Option<String>,
    pub reps: Vec<Rep>,
    /// Per rep, in the order the running totals take them.
    pub entries: Vec<Vec<Entry>>,
    pub credits: Vec<CreditLine>,
}

/// What is left of a sale for later refunds: per credit line, (rep, entry index, kind,
/// credit left, target credit left), and the amount left.
struct Left {
    lines: Vec<(usize, usize, SplitKind, Decimal, Decimal)>,
    amount: Decimal,
}

pub(crate) fn credit(plan: &CommissionPlan, input: &CommissionInput, as_of: NaiveDate) -> Result<Credited> {
    let mut reps = Vec::with_capacity(input.reps.len());
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(input.reps.len());
    for (k, r) in input.reps.iter().enumerate() {
        if let Some(first) = index.insert(r.rep.as_str(), k) {
            return Err(Error::DuplicateName {
                path: format!("reps[{k}].rep"),
                name: r.rep.clone(),
                first: format!("reps[{first}].rep"),
            });
        }
        if let Some(q) = r.quota {
            if q <= Decimal::ZERO {
                return Err(Error::out_of_range(format!("reps[{k}].quota"), q, "0 (exclusive)", "inf"));
            }
        }
        non_negative(r.prior_credit, || format!("reps[{k}].prior_credit"))?;
        non_negative(r.prior_target_credit, || format!("reps[{k}].prior_target_credit"))?;
        let prior_credit = r.prior_credit.unwrap_or_default();
        reps.push(Rep {
            name: r.rep.clone(),
            quota: r.quota,
            prior_credit,
            prior_target: r.prior_target_credit.unwrap_or(prior_credit),
            prior_paid: r.prior_paid,
            quota_path: format!("reps[{k}].quota"),
        });
    }
    let txns = &input.transactions;
    let mut currency = plan.currency.clone();
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(txns.len());
    for (i, t) in txns.iter().enumerate() {
        check(t, i, as_of, &mut currency, &mut ids)?;
    }
    // Sales before refunds on the same day, so a same-day refund finds its sale.
    let mut order: Vec<usize> = (0..txns.len()).collect();
    order.sort_by_key(|&i| (txns[i].on, txns[i].kind != TransactionKind::Sale, i));
    let mut book = Book {
        plan,
        txns,
        entries: vec![Vec::new(); reps.len()],
        reps,
        index,
        credits: Vec::with_capacity(txns.len()),
        left: HashMap::new(),
    };
    for &i in &order {
        let tx = &txns[i];
        let rule = match plan.rule_for(tx.product.as_deref(), tx.customer_type.as_deref()) {
            Some(r) => r.rate.map_or_else(|| Rule::Multiplier(r.multiplier.unwrap_or(Decimal::ONE)), Rule::Rate),
            None => Rule::Table,
        };
        match &tx.refers_to {
            Some(of) => {
                let sale = ids.get(of.as_str()).copied().filter(|&o| txns[o].kind == TransactionKind::Sale);
                let sale = sale.ok_or_else(|| Error::InvalidValue {
                    path: format!("transactions[{i}].refers_to"),
                    reason: format!("no sale {of:?} in this input"),
                })?;
                book.refund(i, sale, rule)?;
            }
            None => book.sale(i, rule)?,
        }
    }
    Ok(Credited { currency, reps: book.reps, entries: book.entries, credits: book.credits })
}

/// The crediting under way.
struct Book<'a> {
    plan: &'a CommissionPlan,
    txns: &'a [Transaction],
    reps: Vec<Rep>,
    index: HashMap<&'a str, usize>,
    entries: Vec<Vec<Entry>>,
    credits: Vec<CreditLine>,
    /// What is left of each sale (by transaction index) for later refunds.
    left: HashMap<usize, Left>,
}

impl<'a> Book<'a> {
    /// A sale, or a refund without a sale in the input: credit split among its reps.
    fn sale(&mut self, i: usize, rule: Rule) -> Result<()> {
        let tx: &'a Transaction = &self.txns[i];
        let plan = self.plan;
        let path = |f: &str| format!("transactions[{i}].{f}");
        let amount = plan.rounding.round(tx.amount.unwrap_or_default());
        let refund = tx.kind != TransactionKind::Sale;
        // (rep, share, weight of the credit split, kind, target share)
        let splits: Vec<(&str, Decimal, Decimal, SplitKind, Option<Decimal>)> = if let Some(rep) = &tx.rep {
            vec![(rep.as_str(), Decimal::ONE, Decimal::ONE, SplitKind::Revenue, None)]
        } else {
            // Weights are shares up to a common factor: credit is split by them directly.
            let total: Decimal = tx.splits.iter().filter_map(|s| s.weight).sum();
            tx.splits
                .iter()
                .map(|s| {
                    let share = match (s.share, s.weight) {
                        (Some(x), _) => x,
                        (None, w) => w.unwrap_or_default().checked_div(total).unwrap_or_default(),
                    };
                    (s.rep.as_str(), share, s.share.or(s.weight).unwrap_or_default(), s.kind, s.target_share)
                })
                .collect()
        };
        let revenue: Vec<usize> = (0..splits.len()).filter(|&j| splits[j].3 == SplitKind::Revenue).collect();
        let weights: Vec<Decimal> = revenue.iter().map(|&j| splits[j].2).collect();
        let target_weights: Vec<Decimal> = revenue.iter().map(|&j| splits[j].4.unwrap_or(splits[j].2)).collect();
        let cut = split_largest_remainder(amount, &weights, plan.rounding, &path("splits"))?;
        let target_cut = split_or_zero(amount, &target_weights, plan, &path("splits"))?;
        let mut sale = Left { lines: Vec::with_capacity(splits.len()), amount };
        let mut r = 0;
        for (j, &(name, share, _, kind, target_share)) in splits.iter().enumerate() {
            let target_share = target_share.unwrap_or(share);
            let (c, tc) = if kind == SplitKind::Revenue {
                r += 1;
                (cut[r - 1], target_cut[r - 1])
            } else {
                let at = || format!("transactions[{i}].splits[{j}].share");
                (plan.rounding.round(mul(amount, share, at)?), plan.rounding.round(mul(amount, target_share, at)?))
            };
            let at = || tx.rep.as_ref().map_or_else(|| format!("transactions[{i}].splits[{j}].rep"), |_| path("rep"));
            let rep = rep_of(&mut self.index, &mut self.reps, &mut self.entries, name, at);
            sale.lines.push((rep, self.entries[rep].len(), kind, c, tc));
            let (c, tc) = if refund { (neg(c), neg(tc)) } else { (c, tc) };
            self.entries[rep].push(Entry { txn: i, credit: c, target: tc, kind: tx.kind, rule, original: None });
            self.credits.push(CreditLine {
                transaction: tx.id.clone(),
                rep: name.to_owned(),
                kind,
                share: share.round_dp(6),
                credit: c,
                target_share: target_share.round_dp(6),
                target_credit: tc,
            });
        }
        if !refund {
            self.left.insert(i, sale);
        }
        Ok(())
    }

    /// A refund or cancellation of sale `o`: its credit taken back from the sale's reps in
    /// proportion to what is left of it (all that is left when it is all refunded).
    fn refund(&mut self, i: usize, o: usize, rule: Rule) -> Result<()> {
        let (tx, original) = (&self.txns[i], &self.txns[o]);
        let plan = self.plan;
        let path = |f: &str| format!("transactions[{i}].{f}");
        if original.on > tx.on {
            return Err(Error::DateOrder {
                path: path("on"),
                date: tx.on.to_string(),
                earlier: original.on.to_string(),
            });
        }
        let sale = self.left.get_mut(&o).ok_or_else(|| Error::InvalidValue {
            path: path("refers_to"),
            reason: format!("sale {:?} is not credited yet", original.id),
        })?;
        let amount = plan.rounding.round(tx.amount.unwrap_or(sale.amount));
        if amount > sale.amount {
            return Err(Error::out_of_range(path("amount"), amount, 0, sale.amount));
        }
        let full = amount == sale.amount;
        let revenue: Vec<usize> = (0..sale.lines.len()).filter(|&j| sale.lines[j].2 == SplitKind::Revenue).collect();
        let weights: Vec<Decimal> = revenue.iter().map(|&j| sale.lines[j].3).collect();
        let targets: Vec<Decimal> = revenue.iter().map(|&j| sale.lines[j].4).collect();
        let (cut, target_cut) = if full {
            (weights, targets)
        } else {
            (
                split_or_zero(amount, &weights, plan, &path("amount"))?,
                split_or_zero(amount, &targets, plan, &path("amount"))?,
            )
        };
        let ratio = |x: Decimal| {
            if amount.is_zero() {
                Decimal::ZERO
            } else {
                x.checked_div(amount).unwrap_or_default().round_dp(6)
            }
        };
        let mut r = 0;
        for line in &mut sale.lines {
            let (c, tc) = if line.2 == SplitKind::Revenue {
                r += 1;
                (cut[r - 1], target_cut[r - 1])
            } else if full {
                (line.3, line.4)
            } else {
                let part = |x: Decimal| -> Result<Decimal> {
                    let exact = mul(x, amount, || path("amount"))?;
                    Ok(plan.rounding.round(exact.checked_div(sale.amount).unwrap_or_default()))
                };
                (part(line.3)?, part(line.4)?)
            };
            // Never more than is left: the parts are shares of what is left, rounded.
            let (c, tc) = (c.min(line.3), tc.min(line.4));
            line.3 -= c;
            line.4 -= tc;
            let (rep, original) = (line.0, line.1);
            self.entries[rep].push(Entry {
                txn: i,
                credit: -c,
                target: -tc,
                kind: tx.kind,
                rule,
                original: Some(original),
            });
            self.credits.push(CreditLine {
                transaction: tx.id.clone(),
                rep: self.reps[rep].name.clone(),
                kind: line.2,
                share: ratio(c),
                credit: neg(c),
                target_share: ratio(tc),
                target_credit: neg(tc),
            });
        }
        sale.amount -= amount;
        Ok(())
    }
}

/// The index of a rep, added (starting at zero) when only a transaction names it.
fn rep_of<'a>(
    index: &mut HashMap<&'a str, usize>,
    reps: &mut Vec<Rep>,
    entries: &mut Vec<Vec<Entry>>,
    name: &'a str,
    at: impl FnOnce() -> String,
) -> usize {
    *index.entry(name).or_insert_with(|| {
        reps.push(Rep {
            name: name.to_owned(),
            quota: None,
            prior_credit: Decimal::ZERO,
            prior_target: Decimal::ZERO,
            prior_paid: None,
            quota_path: at(),
        });
        entries.push(Vec::new());
        reps.len() - 1
    })
}

/// Largest-remainder split, or zeros when every weight is zero (a sale fully refunded).
fn split_or_zero(amount: Decimal, weights: &[Decimal], plan: &CommissionPlan, path: &str) -> Result<Vec<Decimal>> {
    if weights.iter().all(Decimal::is_zero) {
        return Ok(vec![plan.rounding.round(Decimal::ZERO); weights.len()]);
    }
    split_largest_remainder(amount, weights, plan.rounding, path)
}

/// −x, without a "-0.00".
fn neg(x: Decimal) -> Decimal {
    if x.is_zero() {
        x
    } else {
        -x
    }
}

fn non_negative(x: Option<Decimal>, path: impl FnOnce() -> String) -> Result<()> {
    match x {
        Some(v) if v.is_sign_negative() && !v.is_zero() => {
            Err(Error::NegativeAmount { path: path(), value: v.to_string() })
        }
        _ => Ok(()),
    }
}

/// Checks one transaction on its own (and its id and currency against the others).
fn check<'a>(
    t: &'a Transaction,
    i: usize,
    as_of: NaiveDate,
    currency: &mut Option<String>,
    ids: &mut HashMap<&'a str, usize>,
) -> Result<()> {
    let path = |f: &str| format!("transactions[{i}].{f}");
    if let Some(first) = ids.insert(t.id.as_str(), i) {
        return Err(Error::DuplicateName {
            path: path("id"),
            name: t.id.clone(),
            first: format!("transactions[{first}].id"),
        });
    }
    if t.on > as_of {
        return Err(Error::DateAfterAsOf { path: path("on"), date: t.on.to_string(), as_of: as_of.to_string() });
    }
    if let Some(c) = &t.currency {
        match currency {
            Some(expected) if expected != c => {
                return Err(Error::CurrencyMismatch {
                    path: path("currency"),
                    expected: expected.clone(),
                    found: c.clone(),
                });
            }
            Some(_) => {}
            None => *currency = Some(c.clone()),
        }
    }
    match (t.amount, t.kind) {
        (None, TransactionKind::Cancellation) => {}
        (None, _) => {
            return Err(Error::MissingValue {
                path: path("amount"),
                reason: "sales and refunds give their amount".into(),
            })
        }
        (Some(a), _) => non_negative(Some(a), || path("amount"))?,
    }
    let owners = u8::from(t.rep.is_some()) + u8::from(!t.splits.is_empty());
    match (&t.refers_to, t.kind, owners) {
        (Some(_), TransactionKind::Sale, _) => {
            return Err(Error::InvalidValue {
                path: path("refers_to"),
                reason: "only refunds and cancellations refer to a sale".into(),
            });
        }
        (Some(_), _, 0) | (None, TransactionKind::Sale | TransactionKind::Refund, 1) => {}
        (Some(_), _, _) => {
            return Err(Error::InvalidValue {
                path: path("rep"),
                reason: "a refund of a sale takes the sale's reps".into(),
            });
        }
        (None, TransactionKind::Cancellation, _) => {
            return Err(Error::MissingValue {
                path: path("refers_to"),
                reason: "a cancellation names the sale it cancels".into(),
            });
        }
        (None, _, 0) => return Err(Error::MissingValue { path: path("rep"), reason: "give rep or splits".into() }),
        (None, _, _) => {
            return Err(Error::InvalidValue { path: path("splits"), reason: "give rep or splits, not both".into() })
        }
    }
    // (Σ revenue shares, Σ revenue target shares, splits by share, splits by weight, Σ weights)
    let mut revenue = (Decimal::ZERO, Decimal::ZERO, 0usize, 0usize, Decimal::ZERO);
    let mut explicit_target = false;
    let mut seen: HashMap<(&str, SplitKind), usize> = HashMap::new();
    for (j, s) in t.splits.iter().enumerate() {
        let sp = |f: &str| format!("transactions[{i}].splits[{j}].{f}");
        if let Some(first) = seen.insert((s.rep.as_str(), s.kind), j) {
            return Err(Error::DuplicateName {
                path: sp("rep"),
                name: s.rep.clone(),
                first: format!("transactions[{i}].splits[{first}].rep"),
            });
        }
        for (x, f) in [(s.share, "share"), (s.target_share, "target_share")] {
            if let Some(x) = x {
                if x < Decimal::ZERO || x > Decimal::ONE {
                    return Err(Error::out_of_range(sp(f), x, 0, 1));
                }
            }
        }
        match (s.share, s.weight, s.kind) {
            (Some(_), Some(_), _) => {
                return Err(Error::InvalidValue { path: sp("weight"), reason: "give share or weight, not both".into() })
            }
            (None, None, _) => {
                return Err(Error::MissingValue { path: sp("share"), reason: "each split gives its share".into() })
            }
            (None, Some(_), SplitKind::Overlay) => {
                return Err(Error::MissingValue {
                    path: sp("share"),
                    reason: "an overlay gives its share, not a weight".into(),
                });
            }
            (None, Some(w), SplitKind::Revenue) => {
                non_negative(Some(w), || sp("weight"))?;
                revenue.3 += 1;
                revenue.4 = revenue.4.checked_add(w).ok_or_else(|| Error::overflow(sp("weight")))?;
            }
            (Some(x), None, SplitKind::Revenue) => {
                revenue.0 += x;
                revenue.2 += 1;
            }
            (Some(_), None, SplitKind::Overlay) => {}
        }
        if s.kind == SplitKind::Revenue {
            explicit_target |= s.target_share.is_some();
            revenue.1 += s.target_share.or(s.share).unwrap_or_default();
        }
    }
    if !t.splits.is_empty() {
        if revenue.2 > 0 && revenue.3 > 0 {
            return Err(Error::InvalidValue {
                path: path("splits"),
                reason: "revenue splits give all shares or all weights".into(),
            });
        }
        if revenue.3 > 0 && revenue.4.is_zero() {
            return Err(Error::SplitTotal { path: path("splits"), total: "0".into() });
        }
        if revenue.3 == 0 && revenue.0 != Decimal::ONE {
            return Err(Error::SplitTotal { path: path("splits"), total: revenue.0.to_string() });
        }
        if (revenue.3 == 0 || explicit_target) && revenue.1 != Decimal::ONE {
            return Err(Error::SplitTotal { path: path("splits"), total: revenue.1.to_string() });
        }
    }
    Ok(())
}
