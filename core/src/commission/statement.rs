//! Statements: each rep's running totals walked transaction by transaction, once as they
//! came (provisional) and once knowing the period's end (final), one line per step.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::credit::{Credited, Entry, Rule};
use super::plan::{Accrual, CommissionPlan, PlanKind};
use super::report::{CommissionReport, CommissionTotals, LineKind, LineReason, RepStatement, StatementLine};
use super::table::{Position, Slice, Table};
use super::{CommissionInput, TransactionKind};
use crate::error::{Error, Result};
use crate::money::{add, mul, Rounding};

/// Attainments are shown to 6 places.
const SHARE: Rounding = Rounding { dp: 6, strategy: crate::money::RoundingStrategy::HalfEven };

/// Which statement is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Provisional,
    Final,
}

struct Writer<'a> {
    rounding: Rounding,
    input: &'a CommissionInput,
    lines: Vec<StatementLine>,
    total: Decimal,
}

impl Writer<'_> {
    /// Credit positions at the plan's places at least (bounds may be written shorter);
    /// attainments as they are.
    fn show(&self, kind: LineKind, x: Decimal) -> Decimal {
        if kind == LineKind::Curve {
            return x.normalize();
        }
        let mut x = x;
        if x.scale() < self.rounding.dp {
            x.rescale(self.rounding.dp);
        }
        x
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: LineKind,
        txn: Option<usize>,
        slice: &Slice,
        rate: Option<Decimal>,
        reasons: Vec<LineReason>,
    ) -> Result<Decimal> {
        let amount = self.rounding.round(slice.exact);
        self.total = add(self.total, amount, || "transactions".to_owned())?;
        self.lines.push(StatementLine {
            step: self.lines.len() as u32 + 1,
            kind,
            transaction: txn.map(|i| self.input.transactions[i].id.clone()),
            tier: slice.tier,
            from: Some(self.show(kind, slice.from)),
            to: Some(self.show(kind, slice.to)),
            base: self.show(kind, slice.base),
            rate,
            multiplier: slice.multiplier,
            exact: slice.exact.normalize(),
            amount,
            reasons,
        });
        Ok(amount)
    }
}

pub(crate) fn run(plan: &CommissionPlan, input: &CommissionInput, credited: &Credited) -> Result<CommissionReport> {
    let mut reps = Vec::with_capacity(credited.reps.len());
    let zero = plan.rounding.round(Decimal::ZERO);
    let mut totals = CommissionTotals { provisional: zero, final_pay: zero, true_up: zero };
    for (k, rep) in credited.reps.iter().enumerate() {
        // Both are ≥ 0: their difference cannot overflow.
        let table = Table::new(plan, rep.quota, rep.prior_target - rep.prior_credit, &|| rep.quota_path.clone())?;
        let entries = &credited.entries[k];
        let path = || format!("reps[{k}]");
        let start = Position { credit: rep.prior_credit, target: rep.prior_target };
        // Earlier periods' sales refunded here cannot take back more credit than they left.
        let mut standing = rep.prior_credit;
        for e in entries.iter().filter(|e| e.original_rate.is_some()) {
            standing += e.credit; // both bounded by the amounts, checked when credited
            if standing < Decimal::ZERO {
                return Err(Error::out_of_range(
                    format!("transactions[{}].amount", e.txn),
                    -e.credit,
                    0,
                    format!("{} (the rep's prior credit left)", standing - e.credit),
                ));
            }
        }
        let mut positions = Vec::with_capacity(entries.len() + 1);
        positions.push(start);
        for e in entries {
            let p = *positions.last().unwrap_or(&start);
            positions.push(Position {
                credit: add(p.credit, e.credit, || format!("transactions[{}].amount", e.txn))?,
                target: add(p.target, e.target, || format!("transactions[{}].amount", e.txn))?,
            });
        }
        let end = *positions.last().unwrap_or(&start);
        let final_statement = walk(plan, &table, input, entries, &positions, Mode::Final, rep.prior_paid)?;
        let (provisional_lines, provisional, _) =
            walk(plan, &table, input, entries, &positions, Mode::Provisional, None)?;
        let statement = summary(plan, rep, &table, end, final_statement, (provisional_lines, provisional), &path)?;
        totals.provisional = add(totals.provisional, statement.provisional, path)?;
        totals.final_pay = add(totals.final_pay, statement.final_pay, path)?;
        totals.true_up = add(totals.true_up, statement.true_up, path)?;
        reps.push(statement);
    }
    Ok(CommissionReport { currency: credited.currency.clone(), reps, credits: credited.credits.clone(), totals })
}

/// A rep's statement from its two walks: running totals, true-up, draw.
pub(crate) fn summary(
    plan: &CommissionPlan,
    rep: &super::credit::Rep,
    table: &Table,
    end: Position,
    (lines, final_pay, capped): (Vec<StatementLine>, Decimal, Decimal),
    (provisional_lines, provisional): (Vec<StatementLine>, Decimal),
    path: &dyn Fn() -> String,
) -> Result<RepStatement> {
    let start = Position { credit: rep.prior_credit, target: rep.prior_target };
    let true_up = final_pay.checked_sub(provisional).ok_or_else(|| Error::overflow(path()))?;
    let draw = draw(rep, final_pay, path)?;
    let credit = end.credit - start.credit;
    let target_credit = end.target - start.target;
    Ok(RepStatement {
        rep: rep.name.clone(),
        quota: rep.quota,
        prior_credit: rep.prior_credit,
        credit: shown(credit, plan.rounding),
        target_credit: shown(target_credit, plan.rounding),
        running_credit: shown(end.credit, plan.rounding),
        running_target_credit: shown(end.target, plan.rounding),
        attainment: rep.quota.map(|_| table.attainment(end.target, path)).transpose()?.map(|a| SHARE.round(a)),
        tier: matches!(plan.kind, PlanKind::Graduated | PlanKind::Retroactive).then(|| table.tier_at(end.credit).0),
        threshold_met: table.gate(end, path)?,
        provisional,
        final_pay,
        true_up,
        capped,
        accrued: final_pay,
        held: plan.rounding.round(Decimal::ZERO),
        draw_top_up: plan.rounding.round(draw.0),
        recovered: plan.rounding.round(draw.1),
        draw_balance: plan.rounding.round(draw.2),
        payable: plan.rounding.round(draw.3),
        lines,
        provisional_lines,
    })
}

/// Credit as a statement shows it: exact, as the tiers read it (never rounded to the pay's
/// places), written with the plan's places at least and no trailing zeros beyond them, so
/// the record function and the columns write one figure alike.
fn shown(x: Decimal, rounding: Rounding) -> Decimal {
    let mut x = x.normalize();
    if x.scale() < rounding.dp {
        x.rescale(rounding.dp);
    }
    x
}

/// A draw on the final pay: (top-up, recovered, balance owed after, payable).
///
/// Below the draw the rep is paid the draw, and a recoverable draw adds the top-up to the
/// balance owed; above it, the balance is recovered from the earnings above the draw (never
/// pushing pay below the draw). A negative pay (clawbacks beyond earnings) is paid as 0 and
/// owed.
fn draw(
    rep: &super::credit::Rep,
    earned: Decimal,
    path: &dyn Fn() -> String,
) -> Result<(Decimal, Decimal, Decimal, Decimal)> {
    let floor = rep.draw.as_ref().map_or(Decimal::ZERO, |d| d.amount);
    let recoverable = rep.draw.as_ref().is_none_or(|d| d.recoverable);
    let mut balance = rep.draw_balance;
    let (mut top_up, mut recovered) = (Decimal::ZERO, Decimal::ZERO);
    if earned < floor {
        top_up = floor - earned;
        if recoverable {
            balance = add(balance, top_up, path)?;
        }
    } else {
        recovered = balance.min(earned - floor);
        balance -= recovered;
    }
    let mut payable = earned + top_up - recovered;
    if payable < Decimal::ZERO {
        balance = add(balance, -payable, path)?;
        payable = Decimal::ZERO;
    }
    Ok((top_up, recovered, balance, payable))
}

/// One statement of one rep: its lines, their total, and what the cap withheld.
fn walk(
    plan: &CommissionPlan,
    table: &Table,
    input: &CommissionInput,
    entries: &[Entry],
    positions: &[Position],
    mode: Mode,
    prior_paid: Option<Decimal>,
) -> Result<(Vec<StatementLine>, Decimal, Decimal)> {
    let mut w = Writer {
        rounding: plan.rounding,
        input,
        lines: Vec::with_capacity(entries.len() + 2),
        total: plan.rounding.round(Decimal::ZERO),
    };
    let start = positions[0];
    let end = positions[positions.len() - 1];
    let end_gate = table.gate(end, &|| "transactions".to_owned())?;
    // Per sale (transaction index): its provisional pay left to take back and the credit left,
    // for clawbacks of later refunds at the original rate; and its SPIF left and the credit
    // left it stands on.
    let mut paid: HashMap<usize, (Decimal, Decimal)> = HashMap::new();
    let mut spiffs: HashMap<usize, (Decimal, Decimal)> = HashMap::new();
    let mut slices = Vec::new();
    let held = mode == Mode::Provisional && plan.accrual == Accrual::Attainment;
    // Earlier periods' sales refunded here at their original rate: their credit (negative)
    // and what their clawback lines took back.
    let (mut prior_refunded, mut clawed) = (Position::default(), Decimal::ZERO);
    for (n, e) in entries.iter().enumerate() {
        let (before, after) = (positions[n], positions[n + 1]);
        let path = || format!("transactions[{}].amount", e.txn);
        let mut reasons = match e.kind {
            TransactionKind::Sale => vec![],
            TransactionKind::Refund => vec![LineReason::Refund],
            TransactionKind::Cancellation => vec![LineReason::Cancellation],
        };
        spiff_line(&mut w, e, &mut spiffs, held, reasons.clone())?;
        if held {
            // Paid only at the period end, on the attainment reached then.
            reasons.push(LineReason::HeldUntilPeriodEnd);
            w.push(
                LineKind::Held,
                Some(e.txn),
                &Slice {
                    from: before.credit,
                    to: after.credit,
                    base: e.credit,
                    rate: Decimal::ZERO,
                    multiplier: Decimal::ONE,
                    tier: None,
                    exact: Decimal::ZERO,
                },
                None,
                reasons,
            )?;
            continue;
        }
        let first = w.total;
        let at = if mode == Mode::Final { end } else { after };
        let gate = if mode == Mode::Final { end_gate } else { table.gate(after, &path)? };
        let whole = |exact: Decimal, multiplier: Decimal| Slice {
            from: before.credit,
            to: after.credit,
            base: e.credit,
            rate: Decimal::ZERO,
            multiplier,
            tier: None,
            exact,
        };
        if let Some(rate) = e.original_rate {
            // A sale of an earlier period: its pay is taken back at the rate it was paid at, in
            // both statements (that period is closed; nothing here reprices it).
            reasons.push(LineReason::OriginalRate);
            let slice = Slice { rate, ..whole(mul(e.credit, rate, path)?, Decimal::ONE) };
            let amount = w.push(LineKind::Clawback, Some(e.txn), &slice, Some(rate), reasons)?;
            prior_refunded.credit = add(prior_refunded.credit, e.credit, path)?;
            prior_refunded.target = add(prior_refunded.target, e.target, path)?;
            clawed = add(clawed, amount, path)?;
            continue;
        }
        if let (Mode::Provisional, Some(o)) = (mode, e.original) {
            // Take back the original's provisional pay in proportion to the credit refunded;
            // all that is left of it when the refund takes all the credit left.
            let (left, left_credit) = paid.get(&o).copied().unwrap_or_default();
            let exact = if -e.credit == left_credit || left_credit.is_zero() {
                -left
            } else {
                mul(left, e.credit, path)?.checked_div(left_credit).ok_or_else(|| Error::overflow(path()))?
            };
            reasons.push(LineReason::OriginalRate);
            let amount = w.push(LineKind::Clawback, Some(e.txn), &whole(exact, Decimal::ONE), None, reasons)?;
            paid.insert(o, (left + amount, left_credit + e.credit));
            continue;
        }
        if !gate {
            reasons.push(LineReason::ThresholdNotMet);
            w.push(LineKind::BelowThreshold, Some(e.txn), &whole(Decimal::ZERO, Decimal::ONE), None, reasons)?;
            record(&mut paid, e, Decimal::ZERO);
            continue;
        }
        if table.threshold_set() {
            reasons.push(LineReason::ThresholdMet);
        }
        let rule_multiplier = match e.rule {
            Rule::Rate(rate) => {
                let slice = Slice { rate, ..whole(mul(e.credit, rate, path)?, Decimal::ONE) };
                w.push(LineKind::RateRule, Some(e.txn), &slice, Some(rate), reasons)?;
                record(&mut paid, e, w.total - first);
                continue;
            }
            Rule::Multiplier(m) => {
                reasons.push(LineReason::RuleMultiplier);
                m
            }
            Rule::Table => Decimal::ONE,
        };
        match table.kind {
            PlanKind::Retroactive => {
                let (tier, rate) = table.tier_at(at.credit);
                let m = mul(table.multiplier_at(at.target), rule_multiplier, path)?;
                if m != Decimal::ONE && table.multiplier_at(at.target) != Decimal::ONE {
                    reasons.push(LineReason::Accelerated);
                }
                reasons.push(if mode == Mode::Final {
                    LineReason::TierReachedAtEnd
                } else {
                    LineReason::TierReachedSoFar
                });
                let exact = mul(mul(e.credit, rate, path)?, m, path)?;
                let slice = Slice { rate, tier: Some(tier), ..whole(exact, m) };
                w.push(LineKind::Retroactive, Some(e.txn), &slice, Some(rate), reasons)?;
            }
            PlanKind::Curve => {
                slices.clear();
                let (a, b) = (table.attainment(before.target, &path)?, table.attainment(after.target, &path)?);
                table.curve_slices(a, b, &path, &mut slices)?;
                for s in &slices {
                    let s = scaled(s, rule_multiplier, &path)?;
                    w.push(LineKind::Curve, Some(e.txn), &s, Some(s.rate), reasons.clone())?;
                }
            }
            PlanKind::Flat | PlanKind::Graduated => {
                slices.clear();
                table.moves(before, after, &path, &mut slices)?;
                for s in &slices {
                    let mut r = reasons.clone();
                    r.push(LineReason::MarginalRate);
                    if s.multiplier != Decimal::ONE {
                        r.push(LineReason::Accelerated);
                    }
                    if s.tier.is_none() {
                        r.push(LineReason::AboveTable);
                    }
                    if s.from < Decimal::ZERO || s.to < Decimal::ZERO {
                        r.push(LineReason::BelowZero);
                    }
                    let s = scaled(s, rule_multiplier, &path)?;
                    w.push(LineKind::TierSlice, Some(e.txn), &s, Some(s.rate), r)?;
                }
            }
        }
        record(&mut paid, e, w.total - first);
    }
    if mode == Mode::Final {
        let path = || "reps".to_owned();
        // The prior credit still standing: what clawback lines took back is not repriced.
        let standing = Position {
            credit: add(start.credit, prior_refunded.credit, path)?,
            target: add(start.target, prior_refunded.target, path)?,
        };
        let prior = prior_periods(plan, table, start, standing, end, end_gate, prior_paid, clawed)?;
        if let Some((exact, reasons)) = prior {
            let slice = Slice {
                from: Decimal::ZERO,
                to: start.credit,
                base: start.credit,
                rate: Decimal::ZERO,
                multiplier: Decimal::ONE,
                tier: None,
                exact,
            };
            w.push(LineKind::PriorPeriods, None, &slice, None, reasons)?;
        }
    }
    let mut capped = Decimal::ZERO;
    if let Some(cap) = plan.cap_in_force()
        && w.total > cap
    {
        capped = w.total - cap;
        let slice = Slice {
            from: w.total,
            to: cap,
            base: w.total,
            rate: Decimal::ZERO,
            multiplier: Decimal::ONE,
            tier: None,
            exact: -capped,
        };
        w.push(LineKind::Cap, None, &slice, None, Vec::new())?;
    }
    Ok((w.lines, w.total, if mode == Mode::Final { capped } else { Decimal::ZERO }))
}

/// The `prior_periods` line of a final statement, if it has one: the earlier periods' credit
/// still `standing` repriced at the `end` (the tier reached, the threshold met), less what it
/// was paid (`prior_paid` less what was `clawed` back, else what the table paid where it then
/// stood). Its exact amount and reasons.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prior_periods(
    plan: &CommissionPlan,
    table: &Table,
    start: Position,
    standing: Position,
    end: Position,
    end_gate: bool,
    prior_paid: Option<Decimal>,
    clawed: Decimal,
) -> Result<Option<(Decimal, Vec<LineReason>)>> {
    if prior_paid.is_none() && start == Position::default() {
        return Ok(None);
    }
    let path = || "reps".to_owned();
    let earned = if end_gate { table.earned(standing, end, &path)? } else { Decimal::ZERO };
    let before = match prior_paid {
        Some(p) => add(p, clawed, path)?,
        None if table.gate(start, &path)? => table.earned(standing, start, &path)?,
        None => Decimal::ZERO,
    };
    let exact = earned.checked_sub(before).ok_or_else(|| Error::overflow(path()))?;
    if prior_paid.is_none() && exact.is_zero() {
        return Ok(None);
    }
    let mut reasons = Vec::new();
    if table.threshold_set() {
        reasons.push(if end_gate { LineReason::ThresholdMet } else { LineReason::ThresholdNotMet });
    }
    if plan.kind == PlanKind::Retroactive {
        reasons.push(LineReason::TierReachedAtEnd);
    }
    Ok(Some((exact, reasons)))
}

/// Adds a sale entry's pay and credit to its sale's running record.
fn record(paid: &mut HashMap<usize, (Decimal, Decimal)>, e: &Entry, amount: Decimal) {
    if e.kind == TransactionKind::Sale {
        let p = paid.entry(e.txn).or_default();
        *p = (p.0 + amount, p.1 + e.credit);
    }
}

/// The SPIF line of an entry: the rep's bonus on a sale's first accruing entry, taken back
/// in proportion by refunds of the sale (identical provisional and final: no true-up).
fn spiff_line(
    w: &mut Writer<'_>,
    e: &Entry,
    spiffs: &mut HashMap<usize, (Decimal, Decimal)>,
    held: bool,
    mut reasons: Vec<LineReason>,
) -> Result<()> {
    let (sale, exact) = match e.original {
        None if e.kind == TransactionKind::Sale => {
            let s = spiffs.entry(e.txn).or_default();
            s.1 += e.credit;
            if e.spiff.is_zero() {
                return Ok(());
            }
            s.0 += e.spiff;
            (e.txn, e.spiff)
        }
        Some(o) => {
            let (left, credit) = spiffs.get(&o).copied().unwrap_or_default();
            if left.is_zero() {
                return Ok(());
            }
            let exact = if -e.credit == credit || credit.is_zero() {
                -left
            } else {
                mul(left, e.credit, || format!("transactions[{}].amount", e.txn))?
                    .checked_div(credit)
                    .unwrap_or_default()
            };
            (o, w.rounding.round(exact))
        }
        None => return Ok(()),
    };
    let exact = if held { Decimal::ZERO } else { exact };
    if held {
        reasons.push(LineReason::HeldUntilPeriodEnd);
    }
    let slice = Slice {
        from: Decimal::ZERO,
        to: Decimal::ZERO,
        base: e.spiff,
        rate: Decimal::ZERO,
        multiplier: Decimal::ONE,
        tier: None,
        exact,
    };
    let amount = w.push(LineKind::Spiff, Some(e.txn), &Slice { base: exact, ..slice }, None, reasons)?;
    if e.original.is_some() {
        let s = spiffs.entry(sale).or_default();
        *s = (s.0 + amount, s.1 + e.credit);
    }
    Ok(())
}

/// A slice with a rate rule's multiplier on top of its own.
fn scaled(s: &Slice, m: Decimal, path: &dyn Fn() -> String) -> Result<Slice> {
    if m == Decimal::ONE {
        return Ok(*s);
    }
    Ok(Slice { multiplier: mul(s.multiplier, m, path)?, exact: mul(s.exact, m, path)?, ..*s })
}
