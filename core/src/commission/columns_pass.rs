//! The one pass of [`commission_columns`](super::commission_columns) over the rows: in input
//! order when every rep's rows are already by date (a ledger), so the columns are read and
//! written sequentially and only the reps' running totals (a small array) are touched at
//! random; each row's lines of both statements written as it is paid, with the same numbers
//! as `statement::walk`.

use rust_decimal::Decimal;

use super::columns::{LineColumns, MAX_COLUMN_LINES};
use super::columns_walk::{
    bit, div_round_pow10, kind_code, IntTable, Seg, ACCELERATED, AT_END, BELOW_ZERO, HELD, MARGINAL, MET, NOT_MET,
    REFUND, SO_FAR,
};
use super::credit::Rep;
use super::plan::{Accrual, CommissionPlan, PlanKind};
use super::report::LineKind;
use super::table::{Position, Table};
use crate::error::{Error, Result};
use crate::money::{from_units, to_units};

/// Which statement a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Provisional,
    Final,
}

/// One line of a statement, before it is written.
#[derive(Debug, Clone, Copy)]
struct Line {
    kind: LineKind,
    row: i64,
    tier: i32,
    from: i128,
    to: i128,
    base: i128,
    rate: i32,
    multiplier: i32,
    amount: i128,
    reasons: u32,
}

/// A rep's walk so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepState {
    /// Running credit, in credit units.
    pub pos: i128,
    /// Where it ends (the final statement pays at the end's tier and threshold).
    pub end: i128,
    /// Lines written so far in the final and provisional statements.
    pub steps: [u32; 2],
    /// What the rows paid so far in each statement, in money units.
    pub totals: [i128; 2],
}

impl RepState {
    pub fn new(table: &IntTable, end: i128) -> Self {
        Self { pos: table.start, end, steps: [0; 2], totals: [0; 2] }
    }
}

/// Both statements of every rep, written into per-row pay and line columns.
pub(crate) struct Walk<'a> {
    plan: &'a CommissionPlan,
    units: &'a [i64],
    refund: Option<&'a [bool]>,
    /// The provisional statement looks at each row as it comes (retroactive tiers reached so
    /// far, thresholds, accrual on attainment): else its rows are the final ones'.
    twice: bool,
    provisional: Vec<i64>,
    final_pay: Vec<i64>,
    lines: Option<LineColumns>,
}

impl<'a> Walk<'a> {
    pub fn new(plan: &'a CommissionPlan, statements: bool, units: &'a [i64], refund: Option<&'a [bool]>) -> Self {
        let twice =
            plan.kind == PlanKind::Retroactive || plan.threshold.is_some() || plan.accrual == Accrual::Attainment;
        let n = units.len();
        Self {
            plan,
            units,
            refund,
            twice,
            provisional: if twice { vec![0; n] } else { Vec::new() },
            final_pay: vec![0; n],
            // About one line per row and statement, plus the tiers crossed: room for a quarter more.
            lines: statements.then(|| LineColumns::with_capacity(n.saturating_mul(2).saturating_add(n / 4))),
        }
    }

    /// The per-row pay of both statements, and the lines.
    pub fn finish(self) -> (Vec<i64>, Vec<i64>, Option<LineColumns>) {
        let provisional = if self.twice { self.provisional } else { self.final_pay.clone() };
        (provisional, self.final_pay, self.lines)
    }

    /// Writes `line` into `mode`'s statement of rep `k` (and into the provisional one too when
    /// the two are the same).
    fn push(&mut self, mode: Mode, k: u32, steps: &mut [u32; 2], line: &Line) -> Result<()> {
        let Some(lines) = self.lines.as_mut() else { return Ok(()) };
        if lines.amount.len() as u64 >= MAX_COLUMN_LINES {
            return Err(crate::limits::exceeded("lines", "more", MAX_COLUMN_LINES, "statement lines"));
        }
        let small = |x: i128| i64::try_from(x).map_err(|_| Error::overflow(format!("amount[{}]", line.row.max(0))));
        let (from, to, base, amount) = (small(line.from)?, small(line.to)?, small(line.base)?, small(line.amount)?);
        let both = mode == Mode::Final && !self.twice && line.row >= 0;
        for provisional in [mode == Mode::Provisional, true].into_iter().take(if both { 2 } else { 1 }) {
            let step = &mut steps[usize::from(provisional)];
            *step += 1;
            lines.provisional.push(provisional);
            lines.rep.push(k);
            lines.step.push(*step);
            lines.kind.push(kind_code(line.kind));
            lines.row.push(line.row);
            lines.tier.push(line.tier);
            lines.from.push(from);
            lines.to.push(to);
            lines.base.push(base);
            lines.rate.push(line.rate);
            lines.multiplier.push(line.multiplier);
            lines.amount.push(amount);
            lines.reasons.push(line.reasons);
        }
        Ok(())
    }

    /// Pays row `r` of rep `k` in both statements and moves the rep's running credit.
    pub fn row(&mut self, t: &IntTable, k: u32, state: &mut RepState, r: u32) -> Result<()> {
        let row = r as usize;
        let refund = self.refund.is_some_and(|f| f[row]);
        let c = i128::from(self.units[row]) * t.per_unit; // i64 × 10^k, k ≤ 26: no overflow
        let credit = if refund { -c } else { c };
        let before = state.pos;
        let after = before.checked_add(credit).ok_or_else(|| Error::overflow(format!("amount[{row}]")))?;
        state.pos = after;
        let mut steps = state.steps;
        let paid = self.pay(t, k, &mut steps, Mode::Final, (r, refund, credit), (before, after, state.end))?;
        state.totals[0] += paid; // |Σ| < 2^63 × 2^32 × rate: bounded far below i128
        self.final_pay[row] = i64::try_from(paid).map_err(|_| Error::overflow(format!("amount[{row}]")))?;
        if self.twice {
            let paid =
                self.pay(t, k, &mut steps, Mode::Provisional, (r, refund, credit), (before, after, state.end))?;
            state.totals[1] += paid;
            self.provisional[row] = i64::try_from(paid).map_err(|_| Error::overflow(format!("amount[{row}]")))?;
        } else {
            state.totals[1] += paid;
        }
        state.steps = steps;
        Ok(())
    }

    /// One row's lines in one statement (as `statement::walk` writes them); what they pay.
    fn pay(
        &mut self,
        t: &IntTable,
        k: u32,
        steps: &mut [u32; 2],
        mode: Mode,
        (r, refund, credit): (u32, bool, i128),
        (before, after, end): (i128, i128, i128),
    ) -> Result<i128> {
        let provisional = mode == Mode::Provisional;
        let path = || format!("amount[{r}]");
        let why = if refund { REFUND } else { 0 };
        let whole = |kind, reasons| Line {
            kind,
            row: i64::from(r),
            tier: -1,
            from: before,
            to: after,
            base: credit,
            rate: -1,
            multiplier: 0,
            amount: 0,
            reasons,
        };
        if provisional && self.plan.accrual == Accrual::Attainment {
            self.push(mode, k, steps, &whole(LineKind::Held, why | HELD))?;
            return Ok(0);
        }
        if !t.gate_at(if provisional { after } else { end }) {
            self.push(mode, k, steps, &whole(LineKind::BelowThreshold, why | NOT_MET))?;
            return Ok(0);
        }
        let why = why | if t.gate.is_some() { MET } else { 0 };
        if t.kind == PlanKind::Retroactive {
            let at = if provisional { after } else { end };
            let (tier, rate, rate_code) = t.tier_at(at);
            let (m, m_code) = t.multiplier_at(at);
            let factor = rate.checked_mul(m).ok_or_else(|| Error::overflow(path()))?;
            let exact = credit.checked_mul(factor).ok_or_else(|| Error::overflow(path()))?;
            let paid = div_round_pow10(exact, t.shift, self.plan.rounding.strategy);
            let mut reasons = why | if provisional { SO_FAR } else { AT_END };
            if m_code != 0 {
                reasons |= ACCELERATED;
            }
            let kind = LineKind::Retroactive;
            let line = Line { tier, rate: rate_code, multiplier: m_code, amount: paid, ..whole(kind, reasons) };
            self.push(mode, k, steps, &line)?;
            return Ok(paid);
        }
        // Flat / graduated: one slice per segment crossed (one where it stands for a zero move).
        let mut paid = 0i128;
        let strategy = self.plan.rounding.strategy;
        let mut slice = |walk: &mut Self, seg: &Seg, from: i128, to: i128, base: i128| -> Result<()> {
            let exact = base.checked_mul(seg.factor).ok_or_else(|| Error::overflow(path()))?;
            let amount = div_round_pow10(exact, t.shift, strategy);
            paid += amount;
            let below = if from < 0 || to < 0 { BELOW_ZERO } else { 0 };
            let line = Line {
                kind: LineKind::TierSlice,
                row: i64::from(r),
                tier: seg.tier,
                from,
                to,
                base,
                rate: seg.rate,
                multiplier: seg.multiplier,
                amount,
                reasons: why | MARGINAL | seg.bits | below,
            };
            walk.push(mode, k, steps, &line)
        };
        if before < after {
            for seg in t.segs.iter().filter(|s| s.hi > before && s.lo < after) {
                let (from, to) = (seg.lo.max(before), seg.hi.min(after));
                slice(self, seg, from, to, to - from)?;
            }
        } else if before > after {
            for seg in t.segs.iter().rev().filter(|s| s.hi > after && s.lo < before) {
                let (from, to) = (seg.lo.max(after), seg.hi.min(before));
                slice(self, seg, to, from, from - to)?;
            }
        } else if let Some(seg) = t.segs.iter().find(|seg| before >= seg.lo && before < seg.hi) {
            slice(self, seg, before, before, 0)?;
        }
        Ok(paid)
    }

    /// A statement's closing lines: earlier periods repriced (final only) and the cap.
    /// Returns the statement's total and what the cap withheld, as `Decimal`s.
    #[allow(clippy::too_many_arguments)]
    pub fn tail(
        &mut self,
        t: &IntTable,
        table: &Table,
        rep: &Rep,
        k: u32,
        state: &mut RepState,
        mode: Mode,
        end: Position,
    ) -> Result<(Decimal, Decimal)> {
        let plan = self.plan;
        let dp = plan.rounding.dp;
        let provisional = mode == Mode::Provisional;
        let path = || format!("reps[{k}]");
        let money = |x: Decimal| to_units(plan.rounding.round(x), dp).ok_or_else(|| Error::overflow(path()));
        let mut total = state.totals[usize::from(provisional)];
        let none = Line {
            kind: LineKind::PriorPeriods,
            row: -1,
            tier: -1,
            from: 0,
            to: t.start,
            base: t.start,
            rate: -1,
            multiplier: 0,
            amount: 0,
            reasons: 0,
        };
        let mut steps = state.steps;
        if !provisional {
            let start = Position { credit: rep.prior_credit, target: rep.prior_target };
            let end_gate = table.gate(end, &path)?;
            let (paid, zero) = (rep.prior_paid, Decimal::ZERO);
            let prior = super::statement::prior_periods(plan, table, start, start, end, end_gate, paid, zero)?;
            if let Some((exact, reasons)) = prior {
                let amount = money(exact)?;
                total = total.checked_add(amount).ok_or_else(|| Error::overflow(path()))?;
                let reasons = reasons.iter().fold(0, |b, r| b | bit(*r));
                self.push(mode, k, &mut steps, &Line { amount, reasons, ..none })?;
            }
        }
        let mut capped = 0i128;
        if let Some(cap) = plan.cap {
            let cap = money(cap)?;
            if total > cap {
                capped = total - cap;
                let units = |x: i128| x.checked_mul(t.per_unit).ok_or_else(|| Error::overflow(path()));
                let (from, to) = (units(total)?, units(cap)?);
                let line = Line { kind: LineKind::Cap, from, to, base: from, amount: -capped, ..none };
                self.push(mode, k, &mut steps, &line)?;
                total = cap;
            }
        }
        state.steps = steps;
        let dec = |x: i128| from_units(x, dp).ok_or_else(|| Error::overflow(path()));
        Ok((dec(total)?, dec(if provisional { 0 } else { capped })?))
    }
}
