//! Crediting: each transaction checked, ordered, and split among its reps (revenue credit to
//! the last place by largest remainder, overlay credit on top, target credit kept apart).
//!
//! Credit is kept at the places each amount is written with (at least the plan's, at most
//! [`Rounding::MAX_DP`]): tiers, thresholds and attainment are read on the credit a rep
//! was given, and only the pay lines are rounded to the plan's places. A whole-yuan plan
//! credits 49,999.99 as 49,999.99, below a 50,000 bound, not as 50,000.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::plan::CommissionPlan;
use super::report::CreditLine;
use super::{CommissionInput, SplitKind, Transaction, TransactionKind};
use crate::error::{Error, Result};
use crate::money::{mul, split_largest_remainder, Rounding};

/// How a rate rule treats a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    Table,
    Rate(Decimal),
    Multiplier(Decimal),
}

/// Which events accrue a sale's credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// All of it on the sale's date.
    Booking,
    /// As delivered.
    Delivery,
    /// As collected.
    Collection,
    /// As far as both collected and delivered (回款并终端's payable part).
    Payable,
}

/// One rep's credit from one transaction (or from one delivery or payment of it).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub txn: usize,
    /// When it accrues: the order of the running totals.
    pub on: NaiveDate,
    seq: usize,
    pub credit: Decimal,
    pub target: Decimal,
    pub kind: TransactionKind,
    pub rule: Rule,
    /// Refunds of a sale in the input: the sale's transaction index.
    pub original: Option<usize>,
    /// The rep's share of the sale's SPIF, on the sale's first accruing entry.
    pub spiff: Decimal,
    /// A refund of an earlier period's sale: the rate it was paid at.
    pub original_rate: Option<Decimal>,
}

/// A rep as the statements need it.
#[derive(Debug, Clone)]
pub(crate) struct Rep {
    pub name: String,
    pub quota: Option<Decimal>,
    pub prior_credit: Decimal,
    pub prior_target: Decimal,
    pub prior_paid: Option<Decimal>,
    pub draw: Option<super::Draw>,
    pub draw_balance: Decimal,
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

/// What is left of a sale for later refunds: per credit line, the rep, the kind, the booked
/// credit and target credit left and the accrued ones left; and the amount left.
struct Left {
    lines: Vec<LeftLine>,
    amount: Decimal,
}

struct LeftLine {
    rep: usize,
    kind: SplitKind,
    credit: Decimal,
    target: Decimal,
    accrued: Decimal,
    accrued_target: Decimal,
}

pub(crate) fn credit(
    plan: &CommissionPlan,
    input: &CommissionInput,
    as_of: NaiveDate,
    schedule: Schedule,
) -> Result<Credited> {
    let (reps, index) = reps(&input.reps)?;
    let txns = &input.transactions;
    let mut currency = plan.currency.clone();
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(txns.len());
    for (i, t) in txns.iter().enumerate() {
        check(t, i, as_of, &mut currency, &mut ids)?;
    }
    // Sales before refunds on the same day, so a same-day refund finds its sale.
    let mut order: Vec<usize> = (0..txns.len()).collect();
    order.sort_by_key(|&i| (txns[i].on, txns[i].kind != TransactionKind::Sale, i));
    let refunds = if schedule == Schedule::Booking { HashMap::new() } else { refunds_of(plan, txns, &order, &ids) };
    let mut book = Book {
        plan,
        txns,
        entries: vec![Vec::new(); reps.len()],
        reps,
        index,
        credits: Vec::with_capacity(txns.len()),
        left: HashMap::new(),
        schedule,
        seq: 0,
        refunds,
        taken: HashMap::new(),
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
    for entries in &mut book.entries {
        entries.sort_by_key(|e| (e.on, e.kind != TransactionKind::Sale, e.seq));
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
    schedule: Schedule,
    seq: usize,
    /// Accrued on events (not booking): each sale's refunds in the input (transaction index,
    /// date, amount), in the order they are credited.
    refunds: HashMap<usize, Vec<(usize, NaiveDate, Decimal)>>,
    /// Per refund (transaction index), per credit line of its sale: the accrued credit and
    /// target credit it takes back, found when the sale was credited.
    taken: HashMap<usize, Vec<(Decimal, Decimal)>>,
}

/// Accrued on events, a refund shrinks what the sale's events can accrue: the accrual base
/// at any time is what the events reached (collected, delivered) but at most the amount not
/// refunded by then. A refund takes back what this lowers, nothing it has not accrued yet;
/// a later payment accrues up to the amount left. Per sale: its refunds (index, date,
/// amount: all that is left when none is given) in crediting order; the refunds' own checks
/// (dates, amounts) come when each is credited.
fn refunds_of(
    plan: &CommissionPlan,
    txns: &[Transaction],
    order: &[usize],
    ids: &HashMap<&str, usize>,
) -> HashMap<usize, Vec<(usize, NaiveDate, Decimal)>> {
    let mut out: HashMap<usize, Vec<(usize, NaiveDate, Decimal)>> = HashMap::new();
    // Per sale, what its refunds so far took: a running sum, so that a sale refunded in many
    // parts costs one addition a refund (summing the list each time was quadratic in them).
    let mut done: HashMap<usize, Decimal> = HashMap::new();
    for &i in order {
        let Some(of) = &txns[i].refers_to else { continue };
        let Some(&o) = ids.get(of.as_str()) else { continue };
        if txns[o].kind != TransactionKind::Sale {
            continue;
        }
        let units = credit_rounding(plan, places(&txns[i]).chain(places(&txns[o])));
        let sale = units.round(txns[o].amount.unwrap_or_default());
        let taken = done.entry(o).or_default();
        let left = (sale - *taken).max(Decimal::ZERO);
        let amount = units.round(txns[i].amount.unwrap_or(left)).min(left);
        *taken += amount;
        out.entry(o).or_default().push((i, txns[i].on, amount));
    }
    out
}

impl<'a> Book<'a> {
    /// A sale, or a refund without a sale in the input: credit split among its reps.
    fn sale(&mut self, i: usize, rule: Rule) -> Result<()> {
        let tx: &'a Transaction = &self.txns[i];
        let plan = self.plan;
        let path = |f: &str| format!("transactions[{i}].{f}");
        let units = credit_rounding(plan, places(tx));
        let amount = units.round(tx.amount.unwrap_or_default());
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
        let cut = split_largest_remainder(amount, &weights, units, &path("splits"))?;
        let target_cut = split_or_zero(amount, &target_weights, units, &path("splits"))?;
        let spiff = if refund {
            Decimal::ZERO
        } else {
            plan.spiff_for(tx.product.as_deref(), tx.customer_type.as_deref(), amount)?
        };
        let spiffs = split_or_zero(spiff, &cut, plan.rounding, &path("splits"))?;
        let events = if refund { vec![(tx.on, amount)] } else { self.events(tx, amount) };
        // The accrual base after each event and each refund of the sale, in the order the
        // running totals take them (a day's events before its refunds): the events' amount
        // reached, at most the amount not refunded. Without refunds: the events as they are.
        let refunds = if refund { None } else { self.refunds.get(&i) };
        let mut steps: Vec<(Option<usize>, NaiveDate, Decimal)> = Vec::with_capacity(events.len());
        let (mut reached, mut refunded) = (Decimal::ZERO, Decimal::ZERO);
        let mut to_accrue = events.iter().peekable();
        let mut to_refund = refunds.map(|v| v.iter()).into_iter().flatten().peekable();
        loop {
            let event = match (to_accrue.peek(), to_refund.peek()) {
                (Some(next), Some(refund)) => next.0 <= refund.1,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (who, on) = if event {
                let &(on, cumulative) = to_accrue.next().unwrap_or(&(tx.on, amount));
                reached = cumulative;
                (None, on)
            } else {
                let &(j, on, part) = to_refund.next().unwrap_or(&(i, tx.on, Decimal::ZERO));
                refunded += part;
                (Some(j), on)
            };
            steps.push((who, on, reached.min(amount - refunded).max(Decimal::ZERO)));
        }
        let mut sale = Left { lines: Vec::with_capacity(splits.len()), amount };
        let mut r = 0;
        for (j, &(name, share, _, kind, target_share)) in splits.iter().enumerate() {
            let target_share = target_share.unwrap_or(share);
            let (c, tc) = if kind == SplitKind::Revenue {
                r += 1;
                (cut[r - 1], target_cut[r - 1])
            } else {
                let at = || format!("transactions[{i}].splits[{j}].share");
                (units.round(mul(amount, share, at)?), units.round(mul(amount, target_share, at)?))
            };
            let at = || tx.rep.as_ref().map_or_else(|| format!("transactions[{i}].splits[{j}].rep"), |_| path("rep"));
            let rep = rep_of(&mut self.index, &mut self.reps, &mut self.entries, name, at);
            let mut spiff = if kind == SplitKind::Revenue { spiffs[r - 1] } else { Decimal::ZERO };
            // Each event accrues the rep's credit up to its cumulative share of the amount,
            // rounded there, so the parts add up to the credit accrued in all; each refund of
            // the sale takes back what its step lowers (`level`: the rep's share reached).
            let (mut accrued, mut accrued_target) = (Decimal::ZERO, Decimal::ZERO);
            let zero = units.round(Decimal::ZERO);
            let mut level = (zero, zero);
            for &(who, on, cumulative) in &steps {
                let share = |x: Decimal| -> Result<Decimal> {
                    if amount.is_zero() {
                        return Ok(zero);
                    }
                    let exact = mul(x, cumulative, || path("amount"))?.checked_div(amount);
                    Ok(units.round(exact.ok_or_else(|| Error::overflow(path("amount")))?))
                };
                let (to, to_target) = (share(c)?, share(tc)?);
                let (dc, dt) = (to - level.0, to_target - level.1);
                level = (to, to_target);
                if let Some(j) = who {
                    self.taken.entry(j).or_default().push((neg(dc), neg(dt)));
                    continue;
                }
                (accrued, accrued_target) = (accrued + dc, accrued_target + dt);
                let (dc, dt) = if refund { (neg(dc), neg(dt)) } else { (dc, dt) };
                self.seq += 1;
                let e = Entry {
                    txn: i,
                    on,
                    seq: self.seq,
                    credit: dc,
                    target: dt,
                    kind: tx.kind,
                    rule,
                    original: None,
                    spiff,
                    original_rate: tx.original_rate,
                };
                self.entries[rep].push(e);
                spiff = Decimal::ZERO;
            }
            sale.lines.push(LeftLine { rep, kind, credit: c, target: tc, accrued, accrued_target });
            let (c, tc) = if refund { (neg(c), neg(tc)) } else { (c, tc) };
            self.credits.push(CreditLine {
                transaction: tx.id.clone(),
                rep: name.to_owned(),
                kind,
                share: share.round_dp(6),
                credit: c,
                target_share: target_share.round_dp(6),
                target_credit: tc,
                accrued: if refund { neg(accrued) } else { accrued },
            });
        }
        if !refund {
            self.left.insert(i, sale);
        }
        Ok(())
    }

    /// The sale's accrual events up to `as_of` under the schedule: (date, cumulative amount
    /// accrued), increasing.
    fn events(&self, tx: &Transaction, amount: Decimal) -> Vec<(NaiveDate, Decimal)> {
        let cumulative = |events: &[super::Event]| -> Vec<(NaiveDate, Decimal)> {
            let mut sorted: Vec<&super::Event> = events.iter().collect();
            sorted.sort_by_key(|e| e.on);
            let mut total = Decimal::ZERO;
            // Checked up front: the events total at most the amount.
            sorted
                .iter()
                .map(|e| {
                    total += e.amount;
                    (e.on, total.min(amount))
                })
                .collect()
        };
        match self.schedule {
            Schedule::Booking => vec![(tx.on, amount)],
            Schedule::Delivery => cumulative(&tx.deliveries),
            Schedule::Collection => cumulative(&tx.payments),
            Schedule::Payable => {
                let (paid, delivered) = (cumulative(&tx.payments), cumulative(&tx.deliveries));
                let at = |list: &[(NaiveDate, Decimal)], d: NaiveDate| {
                    list.iter().take_while(|e| e.0 <= d).last().map_or(Decimal::ZERO, |e| e.1)
                };
                let mut dates: Vec<NaiveDate> = paid.iter().chain(&delivered).map(|e| e.0).collect();
                dates.sort();
                dates.dedup();
                let mut out: Vec<(NaiveDate, Decimal)> = Vec::new();
                for d in dates {
                    let both = at(&paid, d).min(at(&delivered, d));
                    if both > out.last().map_or(Decimal::ZERO, |l| l.1) {
                        out.push((d, both));
                    }
                }
                out
            }
        }
    }

    /// A refund or cancellation of sale `o`: its credit taken back from the sale's reps in
    /// proportion to what is left of it (all that is left when it is all refunded).
    fn refund(&mut self, i: usize, o: usize, rule: Rule) -> Result<()> {
        let (tx, original) = (&self.txns[i], &self.txns[o]);
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
        let units = credit_rounding(self.plan, places(tx).chain(places(original)));
        let amount = units.round(tx.amount.unwrap_or(sale.amount));
        if amount > sale.amount {
            return Err(Error::out_of_range(path("amount"), amount, 0, sale.amount));
        }
        let full = amount == sale.amount;
        let revenue: Vec<usize> = (0..sale.lines.len()).filter(|&j| sale.lines[j].kind == SplitKind::Revenue).collect();
        let weights: Vec<Decimal> = revenue.iter().map(|&j| sale.lines[j].credit).collect();
        let targets: Vec<Decimal> = revenue.iter().map(|&j| sale.lines[j].target).collect();
        let (cut, target_cut) = if full {
            (weights, targets)
        } else {
            (
                split_or_zero(amount, &weights, units, &path("amount"))?,
                split_or_zero(amount, &targets, units, &path("amount"))?,
            )
        };
        let ratio = |x: Decimal| {
            if amount.is_zero() {
                Decimal::ZERO
            } else {
                x.checked_div(amount).unwrap_or_default().round_dp(6)
            }
        };
        // part × of ÷ whole, rounded; all of `of` when the part is the whole.
        let part = |x: Decimal, of: Decimal, whole: Decimal| -> Result<Decimal> {
            if x == whole {
                return Ok(of);
            }
            let exact = mul(x, of, || path("amount"))?.checked_div(whole).unwrap_or_default();
            Ok(units.round(exact).min(of))
        };
        let taken = self.taken.remove(&i);
        let mut r = 0;
        for (k, line) in sale.lines.iter_mut().enumerate() {
            let (c, tc) = if line.kind == SplitKind::Revenue {
                r += 1;
                (cut[r - 1], target_cut[r - 1])
            } else {
                (part(amount, line.credit, sale.amount)?, part(amount, line.target, sale.amount)?)
            };
            // Never more than is left: the parts are shares of what is left, rounded.
            let (c, tc) = (c.min(line.credit), tc.min(line.target));
            // What the refund takes back of the credit accrued: under booking its part of the
            // credit; accrued on events, what it lowers the accrual base by (found with the sale).
            let (ac, at) = match taken.as_ref().and_then(|t| t.get(k)) {
                Some(&(ac, at)) => (ac, at),
                None => (part(c, line.accrued, line.credit)?, part(tc, line.accrued_target, line.target)?),
            };
            line.credit -= c;
            line.target -= tc;
            line.accrued -= ac;
            line.accrued_target -= at;
            self.seq += 1;
            self.entries[line.rep].push(Entry {
                txn: i,
                on: tx.on,
                seq: self.seq,
                credit: neg(ac),
                target: neg(at),
                kind: tx.kind,
                rule,
                original: Some(o),
                spiff: Decimal::ZERO,
                original_rate: None,
            });
            self.credits.push(CreditLine {
                transaction: tx.id.clone(),
                rep: self.reps[line.rep].name.clone(),
                kind: line.kind,
                share: ratio(c),
                credit: neg(c),
                target_share: ratio(tc),
                target_credit: neg(tc),
                accrued: neg(ac),
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
        reps.push(unlisted_rep(name, at()));
        entries.push(Vec::new());
        reps.len() - 1
    })
}

/// The listed reps, checked, and their index by name.
pub(crate) fn reps(input: &[super::RepInput]) -> Result<(Vec<Rep>, HashMap<&str, usize>)> {
    let mut reps = Vec::with_capacity(input.len());
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(input.len());
    for (k, r) in input.iter().enumerate() {
        if let Some(first) = index.insert(r.rep.as_str(), k) {
            return Err(Error::DuplicateName {
                path: format!("reps[{k}].rep"),
                name: r.rep.clone(),
                first: format!("reps[{first}].rep"),
            });
        }
        if let Some(q) = r.quota
            && q <= Decimal::ZERO
        {
            return Err(Error::out_of_range(format!("reps[{k}].quota"), q, "0 (exclusive)", "inf"));
        }
        non_negative(r.prior_credit, || format!("reps[{k}].prior_credit"))?;
        non_negative(r.prior_target_credit, || format!("reps[{k}].prior_target_credit"))?;
        non_negative(r.draw_balance, || format!("reps[{k}].draw_balance"))?;
        non_negative(r.draw.as_ref().map(|d| d.amount), || format!("reps[{k}].draw.amount"))?;
        let prior_credit = r.prior_credit.unwrap_or_default();
        reps.push(Rep {
            name: r.rep.clone(),
            quota: r.quota,
            prior_credit,
            prior_target: r.prior_target_credit.unwrap_or(prior_credit),
            prior_paid: r.prior_paid,
            draw: r.draw.clone(),
            draw_balance: r.draw_balance.unwrap_or_default(),
            quota_path: format!("reps[{k}].quota"),
        });
    }
    Ok((reps, index))
}

/// A rep only a transaction names: starting at zero; `quota_path` where it was first named.
pub(crate) fn unlisted_rep(name: &str, quota_path: String) -> Rep {
    Rep {
        name: name.to_owned(),
        quota: None,
        prior_credit: Decimal::ZERO,
        prior_target: Decimal::ZERO,
        prior_paid: None,
        draw: None,
        draw_balance: Decimal::ZERO,
        quota_path,
    }
}

/// Largest-remainder split, or zeros when every weight is zero (a sale fully refunded).
fn split_or_zero(amount: Decimal, weights: &[Decimal], rounding: Rounding, path: &str) -> Result<Vec<Decimal>> {
    if weights.iter().all(Decimal::is_zero) {
        return Ok(vec![rounding.round(Decimal::ZERO); weights.len()]);
    }
    split_largest_remainder(amount, weights, rounding, path)
}

/// How credit is rounded where it must be (a split, a share accrued, a part refunded): at
/// the places the amounts are written with (`places`: 100.00 has 2; a transaction's own,
/// and a refund's sale's), at least the plan's and at most [`Rounding::MAX_DP`], by the
/// plan's strategy. Per transaction: another transaction's places never change how a
/// sale is split. Credit is never rounded
/// to the plan's pay places: a tier, a threshold or an accelerator point is read on the
/// amount credited (49,999.99 stays below a 50,000 bound in a whole-yuan plan).
pub(crate) fn credit_rounding(plan: &CommissionPlan, places: impl IntoIterator<Item = u32>) -> Rounding {
    let dp = places.into_iter().fold(plan.rounding.dp, u32::max).min(Rounding::MAX_DP);
    Rounding { dp, ..plan.rounding }
}

/// The places a transaction's amounts are written with: its amount's, its deliveries' and
/// payments'.
fn places(t: &Transaction) -> impl Iterator<Item = u32> + '_ {
    t.amount.iter().chain(t.deliveries.iter().chain(&t.payments).map(|e| &e.amount)).map(Decimal::scale)
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
    super::check_currency(currency, t.currency.as_ref(), || path("currency"))?;
    for (events, field) in [(&t.deliveries, "deliveries"), (&t.payments, "payments")] {
        if !events.is_empty() && t.kind != TransactionKind::Sale {
            return Err(Error::InvalidValue { path: path(field), reason: "only sales are delivered and paid".into() });
        }
        let mut total = Decimal::ZERO;
        for (j, e) in events.iter().enumerate() {
            let ep = |f: &str| format!("transactions[{i}].{field}[{j}].{f}");
            if e.on < t.on {
                return Err(Error::DateOrder { path: ep("on"), date: e.on.to_string(), earlier: t.on.to_string() });
            }
            if e.on > as_of {
                return Err(Error::DateAfterAsOf { path: ep("on"), date: e.on.to_string(), as_of: as_of.to_string() });
            }
            non_negative(Some(e.amount), || ep("amount"))?;
            total = total.checked_add(e.amount).ok_or_else(|| Error::overflow(ep("amount")))?;
            if t.amount.is_some_and(|a| total > a) {
                return Err(Error::out_of_range(
                    ep("amount"),
                    e.amount,
                    0,
                    t.amount.unwrap_or_default() - (total - e.amount),
                ));
            }
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
    if let Some(rate) = t.original_rate {
        let reason = match (t.kind, &t.refers_to) {
            (TransactionKind::Sale, _) => Some("only refunds and cancellations claw back at an original rate"),
            (_, Some(_)) => Some("the sale is in this input: its own pay is taken back"),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(Error::InvalidValue { path: path("original_rate"), reason: reason.into() });
        }
        if rate < Decimal::ZERO || rate > Decimal::ONE {
            return Err(Error::out_of_range(path("original_rate"), rate, 0, 1));
        }
        if t.amount.is_none() {
            return Err(Error::MissingValue {
                path: path("amount"),
                reason: "a refund of an earlier period's sale gives its amount".into(),
            });
        }
    }
    match (&t.refers_to, t.kind, owners) {
        (Some(_), TransactionKind::Sale, _) => {
            return Err(Error::InvalidValue {
                path: path("refers_to"),
                reason: "only refunds and cancellations refer to a sale".into(),
            });
        }
        (Some(_), _, 0) | (None, TransactionKind::Sale | TransactionKind::Refund, 1) => {}
        // A cancellation of an earlier period's sale names its reps and amount itself.
        (None, TransactionKind::Cancellation, 1) if t.original_rate.is_some() => {}
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
            if let Some(x) = x
                && (x < Decimal::ZERO || x > Decimal::ONE)
            {
                return Err(Error::out_of_range(sp(f), x, 0, 1));
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
