//! The integer walk behind [`commission_columns`](super::commission_columns): a rep's plan
//! table with positions in units of 10^-S (S = the credit scale) and rates as integers, and
//! one pass over the rep's rows per statement writing the same lines as
//! `statement::walk` does with `Decimal`s.

use rust_decimal::Decimal;

use super::columns::{LineColumns, LINE_KINDS, LINE_REASONS, MAX_COLUMN_LINES};
use super::credit::Rep;
use super::plan::{Accrual, Bounds, CommissionPlan, PlanKind};
use super::report::{LineKind, LineReason};
use super::table::{Position, Table};
use crate::error::{Error, Result};
use crate::money::{from_units, to_units, RoundingStrategy};

/// Which statement is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Provisional,
    Final,
}

/// The bit of a reason in [`LineColumns::reasons`].
const fn bit(reason: LineReason) -> u32 {
    let mut k = 0;
    while k < LINE_REASONS.len() {
        if LINE_REASONS[k] as u8 == reason as u8 {
            return 1 << k;
        }
        k += 1;
    }
    0
}

const MARGINAL: u32 = bit(LineReason::MarginalRate);
const AT_END: u32 = bit(LineReason::TierReachedAtEnd);
const SO_FAR: u32 = bit(LineReason::TierReachedSoFar);
const ACCELERATED: u32 = bit(LineReason::Accelerated);
const ABOVE: u32 = bit(LineReason::AboveTable);
const REFUND: u32 = bit(LineReason::Refund);
const BELOW_ZERO: u32 = bit(LineReason::BelowZero);
const MET: u32 = bit(LineReason::ThresholdMet);
const NOT_MET: u32 = bit(LineReason::ThresholdNotMet);
const HELD: u32 = bit(LineReason::HeldUntilPeriodEnd);

fn kind_code(kind: LineKind) -> u8 {
    LINE_KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

/// `n / d` rounded by `strategy` (`d` > 0), as `Decimal::round_dp_with_strategy` rounds.
pub(crate) fn div_round(n: i128, d: i128, strategy: RoundingStrategy) -> i128 {
    let (q, r) = (n / d, n % d);
    if r == 0 {
        return q;
    }
    let (r, rest) = (r.unsigned_abs(), d.unsigned_abs() - r.unsigned_abs());
    let away = match strategy {
        RoundingStrategy::Down => false,
        RoundingStrategy::Up => true,
        RoundingStrategy::HalfUp => r >= rest,
        RoundingStrategy::HalfDown => r > rest,
        RoundingStrategy::HalfEven => r > rest || (r == rest && q % 2 != 0),
    };
    if away {
        q + n.signum()
    } else {
        q
    }
}

fn pow10(k: u32, path: &str) -> Result<i128> {
    10i128.checked_pow(k).ok_or_else(|| Error::overflow(path))
}

/// The places a decimal needs (trailing zeros dropped).
fn places(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// `d` in units of 10^-`scale`, rounded up (for a threshold: the first position that meets it).
fn ceil_units(d: Decimal, scale: u32) -> Option<i128> {
    let s = d.scale();
    if s <= scale {
        return d.mantissa().checked_mul(10i128.checked_pow(scale - s)?);
    }
    let div = 10i128.checked_pow(s - scale)?;
    let (q, r) = (d.mantissa() / div, d.mantissa() % div);
    Some(if r > 0 { q + 1 } else { q })
}

/// The rates and multipliers line codes index.
pub(crate) struct Labels {
    pub rates: Vec<Decimal>,
    pub multipliers: Vec<Decimal>,
}

impl Labels {
    pub fn new() -> Self {
        Self { rates: Vec::new(), multipliers: vec![Decimal::ONE] }
    }

    fn code(list: &mut Vec<Decimal>, d: Decimal) -> i32 {
        let k = list.iter().position(|x| *x == d).unwrap_or_else(|| {
            list.push(d);
            list.len() - 1
        });
        k as i32
    }
}

/// A stretch of running credit at one rate × multiplier.
#[derive(Debug, Clone, Copy)]
struct Seg {
    lo: i128,
    hi: i128,
    /// rate × multiplier as integers at the table's rate and multiplier scales.
    factor: i128,
    tier: i32,
    rate: i32,
    multiplier: i32,
    /// Accelerated / above the table.
    bits: u32,
}

/// A rep's table in integer units.
pub(crate) struct IntTable {
    kind: PlanKind,
    segs: Vec<Seg>,
    /// Retroactive: (lo, hi or MAX, rate at the rate scale, rate code).
    tiers: Vec<(i128, i128, i128, i32)>,
    upper: bool,
    /// (point, multiplier at the multiplier scale, code).
    accel: Vec<(i128, i128, i32)>,
    /// 10^(S + rate scale + multiplier scale − dp): a product of units, rate and multiplier
    /// divided by it is money in units of the plan's places.
    divisor: i128,
    /// The first running credit at which the threshold is met (`None`: no threshold).
    gate: Option<i128>,
    /// Credit units per money unit: 10^(S − dp).
    pub per_unit: i128,
    /// Prior credit in credit units.
    pub start: i128,
    /// A multiplier of 1 at the multiplier scale.
    one: i128,
}

impl IntTable {
    /// The credit scale `compute_commission`'s positions reach for this rep: at least `s`.
    pub fn scale_needed(table: &Table, rep: &Rep, s: u32) -> u32 {
        table.points().map(places).chain(std::iter::once(places(rep.prior_credit))).fold(s, u32::max).min(28)
    }

    pub fn new(plan: &CommissionPlan, table: &Table, rep: &Rep, scale: u32, labels: &mut Labels) -> Result<Self> {
        let path = "tiers";
        let at = |d: Decimal| to_units(d, scale).ok_or_else(|| Error::overflow(path));
        let rates: Vec<Decimal> = table
            .segments
            .iter()
            .map(|s| s.rate)
            .chain(table.tier_rates())
            .chain(std::iter::once(plan.rate.unwrap_or_default()))
            .collect();
        let mults: Vec<Decimal> =
            table.segments.iter().map(|s| s.multiplier).chain(table.accel_points().map(|a| a.1)).collect();
        let rate_scale = rates.iter().map(|r| places(*r)).max().unwrap_or(0);
        let mult_scale = mults.iter().map(|m| places(*m)).max().unwrap_or(0);
        let rate_at = |d: Decimal| to_units(d, rate_scale).ok_or_else(|| Error::overflow(path));
        let mult_at = |d: Decimal| to_units(d, mult_scale).ok_or_else(|| Error::overflow(path));
        let mut segs = Vec::with_capacity(table.segments.len());
        for s in &table.segments {
            let factor = rate_at(s.rate)?.checked_mul(mult_at(s.multiplier)?).ok_or_else(|| Error::overflow(path))?;
            let mut bits = 0;
            if s.multiplier != Decimal::ONE {
                bits |= ACCELERATED;
            }
            if s.tier.is_none() {
                bits |= ABOVE;
            }
            segs.push(Seg {
                lo: s.lo.map_or(Ok(i128::MIN), at)?,
                hi: s.hi.map_or(Ok(i128::MAX), at)?,
                factor,
                tier: s.tier.map_or(-1, |t| t as i32),
                rate: Labels::code(&mut labels.rates, s.rate),
                multiplier: Labels::code(&mut labels.multipliers, s.multiplier),
                bits,
            });
        }
        let mut tiers = Vec::new();
        if plan.kind == PlanKind::Retroactive {
            for (lo, hi, rate) in table.tier_table() {
                let code = Labels::code(&mut labels.rates, rate);
                tiers.push((at(lo)?, hi.map_or(Ok(i128::MAX), at)?, rate_at(rate)?, code));
            }
        }
        let mut accel = Vec::new();
        for (point, m) in table.accel_points() {
            accel.push((at(point)?, mult_at(m)?, Labels::code(&mut labels.multipliers, m)));
        }
        let dp = plan.rounding.dp;
        let divisor = pow10(scale + rate_scale + mult_scale - dp, path)?;
        let off = rep.prior_target - rep.prior_credit;
        let gate = match table.threshold() {
            (Some(credit), _) => Some(ceil_units(credit, scale).ok_or_else(|| Error::overflow("threshold"))?),
            (None, Some(attainment)) => {
                let quota = rep.quota.unwrap_or_default(); // Table::new checked it is there
                let point = attainment.checked_mul(quota).and_then(|x| x.checked_sub(off));
                Some(point.and_then(|p| ceil_units(p, scale)).ok_or_else(|| Error::overflow("threshold"))?)
            }
            (None, None) => None,
        };
        Ok(Self {
            kind: plan.kind,
            segs,
            tiers,
            upper: matches!(plan.bounds, None | Some(Bounds::UpperInclusive | Bounds::BothInclusive)),
            accel,
            divisor,
            gate,
            per_unit: pow10(scale - dp, path)?,
            start: at(rep.prior_credit)?,
            one: pow10(mult_scale, path)?,
        })
    }

    fn gate(&self, p: i128) -> bool {
        self.gate.is_none_or(|g| p >= g)
    }

    /// Retroactive: (tier, rate, rate code) of the tier holding a running credit of `c`.
    fn tier_at(&self, c: i128) -> (i32, i128, i32) {
        for (i, &(lo, hi, rate, code)) in self.tiers.iter().enumerate() {
            let above_lo = if self.upper { c > lo || i == 0 } else { c >= lo };
            let below_hi = hi == i128::MAX || if self.upper { c <= hi } else { c < hi };
            if above_lo && below_hi {
                return (i as i32, rate, code);
            }
        }
        let last = self.tiers.len().saturating_sub(1);
        self.tiers.get(last).map_or((0, 0, -1), |t| (last as i32, t.2, t.3))
    }

    /// Retroactive: the multiplier (and its code) at a running credit of `c`.
    fn multiplier_at(&self, c: i128) -> (i128, i32) {
        self.accel.iter().rev().find(|a| c > a.0).map_or((self.one, 0), |a| (a.1, a.2))
    }
}

/// Both statements of every rep, written into per-row totals and line columns.
pub(crate) struct Walk<'a> {
    plan: &'a CommissionPlan,
    units: &'a [i64],
    refund: Option<&'a [bool]>,
    provisional: Vec<i64>,
    final_pay: Vec<i64>,
    lines: Option<LineColumns>,
    /// Lines of the rep's last statement's rows (for a copy as the other statement).
    rows_lines: std::ops::Range<usize>,
}

/// One line of a statement, before it is written.
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

impl<'a> Walk<'a> {
    pub fn new(
        plan: &'a CommissionPlan,
        n: usize,
        statements: bool,
        units: &'a [i64],
        refund: Option<&'a [bool]>,
    ) -> Self {
        Self {
            plan,
            units,
            refund,
            provisional: vec![0; n],
            final_pay: vec![0; n],
            lines: statements.then(LineColumns::default),
            rows_lines: 0..0,
        }
    }

    pub fn finish(self) -> (Vec<i64>, Vec<i64>, Option<LineColumns>) {
        (self.provisional, self.final_pay, self.lines)
    }

    /// The rep's credit at the end of the period, in credit units.
    pub fn end(&self, t: &IntTable, rows: &[u32]) -> Result<i128> {
        rows.iter().try_fold(t.start, |p, &r| {
            let c = i128::from(self.units[r as usize]) * t.per_unit;
            let c = if self.refund.is_some_and(|f| f[r as usize]) { -c } else { c };
            p.checked_add(c).ok_or_else(|| Error::overflow(format!("amount[{r}]")))
        })
    }

    fn push(&mut self, provisional: bool, rep: u32, step: &mut u32, l: &Line) -> Result<()> {
        let Some(lines) = self.lines.as_mut() else { return Ok(()) };
        if lines.amount.len() as u64 >= MAX_COLUMN_LINES {
            return Err(crate::limits::exceeded("lines", "more", MAX_COLUMN_LINES, "statement lines"));
        }
        let small = |x: i128| i64::try_from(x).map_err(|_| Error::overflow(format!("amount[{}]", l.row.max(0))));
        *step += 1;
        lines.provisional.push(provisional);
        lines.rep.push(rep);
        lines.step.push(*step);
        lines.kind.push(kind_code(l.kind));
        lines.row.push(l.row);
        lines.tier.push(l.tier);
        lines.from.push(small(l.from)?);
        lines.to.push(small(l.to)?);
        lines.base.push(small(l.base)?);
        lines.rate.push(l.rate);
        lines.multiplier.push(l.multiplier);
        lines.amount.push(small(l.amount)?);
        lines.reasons.push(l.reasons);
        Ok(())
    }

    /// The lines of the rows of one statement of rep `k`; returns what they pay in all.
    pub fn rows(&mut self, t: &IntTable, k: u32, rows: &[u32], mode: Mode, end: i128) -> Result<(i128, u32)> {
        let provisional = mode == Mode::Provisional;
        let held = provisional && self.plan.accrual == Accrual::Attainment;
        let end_gate = t.gate(end);
        let strategy = self.plan.rounding.strategy;
        let mut step = 0u32;
        let mut total = 0i128;
        let mut pos = t.start;
        let first_line = self.lines.as_ref().map_or(0, |l| l.amount.len());
        for &r in rows {
            let row = r as usize;
            let path = || format!("amount[{row}]");
            let refund = self.refund.is_some_and(|f| f[row]);
            let c = i128::from(self.units[row]) * t.per_unit;
            let credit = if refund { -c } else { c };
            let (before, after) = (pos, pos.checked_add(credit).ok_or_else(|| Error::overflow(path()))?);
            pos = after;
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
            let mut paid = 0i128;
            if held {
                self.push(provisional, k, &mut step, &whole(LineKind::Held, why | HELD))?;
            } else if !(if provisional { t.gate(after) } else { end_gate }) {
                self.push(provisional, k, &mut step, &whole(LineKind::BelowThreshold, why | NOT_MET))?;
            } else {
                let why = why | if t.gate.is_some() { MET } else { 0 };
                if t.kind == PlanKind::Retroactive {
                    let at = if provisional { after } else { end };
                    let (tier, rate, rate_code) = t.tier_at(at);
                    let (m, m_code) = t.multiplier_at(at);
                    let factor = rate.checked_mul(m).ok_or_else(|| Error::overflow(path()))?;
                    let exact = credit.checked_mul(factor).ok_or_else(|| Error::overflow(path()))?;
                    paid = div_round(exact, t.divisor, strategy);
                    let mut reasons = why | if provisional { SO_FAR } else { AT_END };
                    if m_code != 0 {
                        reasons |= ACCELERATED;
                    }
                    let line = Line {
                        tier,
                        rate: rate_code,
                        multiplier: m_code,
                        amount: paid,
                        ..whole(LineKind::Retroactive, reasons)
                    };
                    self.push(provisional, k, &mut step, &line)?;
                } else {
                    paid = self.slices(t, k, &mut step, provisional, (before, after), r, why)?;
                }
            }
            total = total.checked_add(paid).ok_or_else(|| Error::overflow(path()))?;
            let paid = i64::try_from(paid).map_err(|_| Error::overflow(path()))?;
            if provisional {
                self.provisional[row] = paid;
            } else {
                self.final_pay[row] = paid;
            }
        }
        let last_line = self.lines.as_ref().map_or(0, |l| l.amount.len());
        self.rows_lines = first_line..last_line;
        Ok((total, step))
    }

    /// Flat / graduated: the slices of a move from `before` to `after`, one per segment
    /// crossed (one at the rate where it stands for a zero move); returns what they pay.
    #[allow(clippy::too_many_arguments)]
    fn slices(
        &mut self,
        table: &IntTable,
        rep: u32,
        step: &mut u32,
        provisional: bool,
        (before, after): (i128, i128),
        row: u32,
        why: u32,
    ) -> Result<i128> {
        let strategy = self.plan.rounding.strategy;
        let path = || format!("amount[{row}]");
        let mut paid = 0i128;
        let mut line = |walk: &mut Self, seg: &Seg, from: i128, to: i128, base: i128| -> Result<()> {
            let exact = base.checked_mul(seg.factor).ok_or_else(|| Error::overflow(path()))?;
            let amount = div_round(exact, table.divisor, strategy);
            paid += amount;
            let below = if from < 0 || to < 0 { BELOW_ZERO } else { 0 };
            let line = Line {
                kind: LineKind::TierSlice,
                row: i64::from(row),
                tier: seg.tier,
                from,
                to,
                base,
                rate: seg.rate,
                multiplier: seg.multiplier,
                amount,
                reasons: why | MARGINAL | seg.bits | below,
            };
            walk.push(provisional, rep, step, &line)
        };
        if before < after {
            for seg in &table.segs {
                let (from, to) = (seg.lo.max(before), seg.hi.min(after));
                if from < to {
                    line(self, seg, from, to, to - from)?;
                }
            }
        } else if before > after {
            for seg in table.segs.iter().rev() {
                let (from, to) = (seg.lo.max(after), seg.hi.min(before));
                if from < to {
                    line(self, seg, to, from, from - to)?;
                }
            }
        } else if let Some(seg) = table.segs.iter().find(|seg| before >= seg.lo && before < seg.hi) {
            line(self, seg, before, before, 0)?;
        }
        Ok(paid)
    }

    /// The rows' lines of the statement just written, again as the other statement's (the
    /// two are the same when nothing depends on the period end).
    pub fn copy_rows(&mut self, rows: &[u32]) {
        for &r in rows {
            self.provisional[r as usize] = self.final_pay[r as usize];
        }
        if let Some(lines) = self.lines.as_mut() {
            let range = self.rows_lines.clone();
            lines.provisional.extend(std::iter::repeat_n(true, range.len()));
            lines.rep.extend_from_within(range.clone());
            lines.step.extend_from_within(range.clone());
            lines.kind.extend_from_within(range.clone());
            lines.row.extend_from_within(range.clone());
            lines.tier.extend_from_within(range.clone());
            lines.from.extend_from_within(range.clone());
            lines.to.extend_from_within(range.clone());
            lines.base.extend_from_within(range.clone());
            lines.rate.extend_from_within(range.clone());
            lines.multiplier.extend_from_within(range.clone());
            lines.amount.extend_from_within(range.clone());
            lines.reasons.extend_from_within(range);
        }
    }

    /// The statement's closing lines: earlier periods repriced (final only) and the cap.
    /// Returns the statement's total and what the cap withheld, as `Decimal`s.
    #[allow(clippy::too_many_arguments)]
    pub fn tail(
        &mut self,
        t: &IntTable,
        table: &Table,
        rep: &Rep,
        k: u32,
        mode: Mode,
        (rows_total, mut step): (i128, u32),
        end: Position,
    ) -> Result<(Decimal, Decimal)> {
        let plan = self.plan;
        let dp = plan.rounding.dp;
        let provisional = mode == Mode::Provisional;
        let path = || format!("reps[{k}]");
        let money = |x: Decimal| to_units(plan.rounding.round(x), dp).ok_or_else(|| Error::overflow(path()));
        let mut total = rows_total;
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
        if !provisional {
            let start = Position { credit: rep.prior_credit, target: rep.prior_target };
            let end_gate = table.gate(end, &path)?;
            let prior = super::statement::prior_periods(
                plan,
                table,
                start,
                start,
                end,
                end_gate,
                rep.prior_paid,
                Decimal::ZERO,
            )?;
            if let Some((exact, reasons)) = prior {
                let amount = money(exact)?;
                total = total.checked_add(amount).ok_or_else(|| Error::overflow(path()))?;
                let reasons = reasons.iter().fold(0, |b, r| b | bit(*r));
                self.push(provisional, k, &mut step, &Line { amount, reasons, ..none })?;
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
                self.push(provisional, k, &mut step, &line)?;
                total = cap;
            }
        }
        let dec = |x: i128| from_units(x, dp).ok_or_else(|| Error::overflow(path()));
        Ok((dec(total)?, dec(if provisional { 0 } else { capped })?))
    }
}
