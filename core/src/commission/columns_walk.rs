//! The integer walk behind [`commission_columns`](super::commission_columns): a rep's plan
//! table with positions in units of 10^-S (S = the credit scale) and rates as integers, and
//! one pass over the rep's rows per statement writing the same lines as
//! `statement::walk` does with `Decimal`s.

use rust_decimal::Decimal;

use super::columns::{LINE_KINDS, LINE_REASONS};
use super::credit::Rep;
use super::plan::{Bounds, CommissionPlan, PlanKind};
use super::report::{LineKind, LineReason};
use super::table::Table;
use crate::error::{Error, Result};
use crate::money::{to_units, RoundingStrategy};

/// The bit of a reason in [`LineColumns::reasons`].
pub(crate) const fn bit(reason: LineReason) -> u32 {
    let mut k = 0;
    while k < LINE_REASONS.len() {
        if LINE_REASONS[k] as u8 == reason as u8 {
            return 1 << k;
        }
        k += 1;
    }
    0
}

pub(crate) const MARGINAL: u32 = bit(LineReason::MarginalRate);
pub(crate) const AT_END: u32 = bit(LineReason::TierReachedAtEnd);
pub(crate) const SO_FAR: u32 = bit(LineReason::TierReachedSoFar);
pub(crate) const ACCELERATED: u32 = bit(LineReason::Accelerated);
pub(crate) const ABOVE: u32 = bit(LineReason::AboveTable);
pub(crate) const REFUND: u32 = bit(LineReason::Refund);
pub(crate) const BELOW_ZERO: u32 = bit(LineReason::BelowZero);
pub(crate) const MET: u32 = bit(LineReason::ThresholdMet);
pub(crate) const NOT_MET: u32 = bit(LineReason::ThresholdNotMet);
pub(crate) const HELD: u32 = bit(LineReason::HeldUntilPeriodEnd);
pub(crate) const ORIGINAL: u32 = bit(LineReason::OriginalRate);
pub(crate) const RULE: u32 = bit(LineReason::RuleMultiplier);

pub(crate) fn kind_code(kind: LineKind) -> u8 {
    LINE_KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

/// `n / 10^k` as quotient and remainder, by a constant divisor when both fit 64 bits (a
/// multiplication, not a 128-bit division: the walk's hot path).
#[inline]
fn div_pow10(n: i128, k: u32) -> (i128, i128) {
    macro_rules! by {
        ($n:expr, $($k:literal),*) => {
            match k {
                $($k => {
                    const D: i64 = 10i64.pow($k);
                    (i128::from($n / D), i128::from($n % D))
                })*
                _ => unreachable!(),
            }
        };
    }
    match i64::try_from(n) {
        Ok(_) if k == 0 => (n, 0),
        Ok(small) if k <= 18 => by!(small, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18),
        _ => {
            let d = 10i128.pow(k);
            (n / d, n % d)
        }
    }
}

/// `n / 10^k` rounded by `strategy`, as `Decimal::round_dp_with_strategy` rounds (k ≤ 38).
#[inline]
pub(crate) fn div_round_pow10(n: i128, k: u32, strategy: RoundingStrategy) -> i128 {
    let (q, r) = div_pow10(n, k);
    if r == 0 {
        return q;
    }
    round_quotient(n, q, r, 10i128.pow(k), strategy)
}

/// `n / d` rounded by `strategy` (`d` > 0), as `Decimal::round_dp_with_strategy` rounds.
pub(crate) fn div_round(n: i128, d: i128, strategy: RoundingStrategy) -> i128 {
    round_quotient(n, n / d, n % d, d, strategy)
}

#[inline]
fn round_quotient(n: i128, q: i128, r: i128, d: i128, strategy: RoundingStrategy) -> i128 {
    if r == 0 {
        return q;
    }
    if rounds_away(r.unsigned_abs(), d.unsigned_abs() - r.unsigned_abs(), q % 2 != 0, strategy) {
        q + n.signum()
    } else {
        q
    }
}

/// Whether a quotient whose remainder is `r` (≠ 0) away from it and `rest` short of the next
/// one (magnitudes) rounds away from zero under `strategy`; `odd`: the quotient is odd.
#[inline]
pub(crate) fn rounds_away(r: u128, rest: u128, odd: bool, strategy: RoundingStrategy) -> bool {
    match strategy {
        RoundingStrategy::Down => false,
        RoundingStrategy::Up => true,
        RoundingStrategy::HalfUp => r >= rest,
        RoundingStrategy::HalfDown => r > rest,
        RoundingStrategy::HalfEven => r > rest || (r == rest && odd),
    }
}

fn pow10(k: u32, path: &str) -> Result<i128> {
    10i128.checked_pow(k).ok_or_else(|| Error::overflow(path))
}

/// The places a decimal needs (trailing zeros dropped).
fn places(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// `d` in units of 10^-`scale`, rounded up (for a threshold: the first position that meets it;
/// for a SPIF's minimum amount, the least whole units that reach it).
pub(super) fn ceil_units(d: Decimal, scale: u32) -> Option<i128> {
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

    pub(crate) fn code(list: &mut Vec<Decimal>, d: Decimal) -> i32 {
        let k = list.iter().position(|x| *x == d).unwrap_or_else(|| {
            list.push(d);
            list.len() - 1
        });
        k as i32
    }
}

/// A stretch of running credit at one rate × multiplier.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub lo: i128,
    pub hi: i128,
    /// rate × multiplier as integers at the table's rate and multiplier scales.
    pub factor: i128,
    pub tier: i32,
    pub rate: i32,
    pub multiplier: i32,
    /// Accelerated / above the table.
    pub bits: u32,
}

/// A rep's table in integer units.
pub(crate) struct IntTable {
    pub kind: PlanKind,
    pub segs: Vec<Seg>,
    /// Retroactive: (lo, hi or MAX, rate at the rate scale, rate code).
    tiers: Vec<(i128, i128, i128, i32)>,
    upper: bool,
    /// (point, multiplier at the multiplier scale, code).
    accel: Vec<(i128, i128, i32)>,
    /// S + rate scale + multiplier scale − dp: a product of units, rate and multiplier divided
    /// by 10^shift is money in units of the plan's places.
    pub shift: u32,
    /// The first running credit at which the threshold is met (`None`: no threshold).
    pub gate: Option<i128>,
    /// Credit units per amount unit: 10^(S − A), A the places the amounts are credited at.
    pub per_unit: i128,
    /// Credit units per money unit: 10^(S − dp).
    pub per_money: i128,
    /// Prior credit in credit units.
    pub start: i128,
    /// The credit scale S.
    pub scale: u32,
    /// A multiplier of 1 at the multiplier scale.
    one: i128,
}

impl IntTable {
    /// The credit scale `compute_commission`'s positions reach for this rep: at least `s`.
    pub fn scale_needed(table: &Table, rep: &Rep, s: u32) -> u32 {
        table.points().map(places).chain(std::iter::once(places(rep.prior_credit))).fold(s, u32::max).min(28)
    }

    /// `scale`: (S, A), the credit's places and the amounts', S ≥ A ≥ the plan's places.
    pub fn new(
        plan: &CommissionPlan,
        table: &Table,
        rep: &Rep,
        (scale, amount_scale): (u32, u32),
        labels: &mut Labels,
    ) -> Result<Self> {
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
        let shift = scale + rate_scale + mult_scale - dp;
        pow10(shift, path)?; // at most 10^38
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
            shift,
            gate,
            per_unit: pow10(scale - amount_scale, path)?,
            per_money: pow10(scale - dp, path)?,
            start: at(rep.prior_credit)?,
            scale,
            one: pow10(mult_scale, path)?,
        })
    }

    /// Credit units as the decimal `compute_commission` holds.
    pub fn credit(&self, units: i128) -> Result<Decimal> {
        crate::money::from_units(units, self.scale).ok_or_else(|| Error::overflow("transactions"))
    }

    pub fn gate_at(&self, p: i128) -> bool {
        self.gate.is_none_or(|g| p >= g)
    }

    /// Retroactive: (tier, rate, rate code) of the tier holding a running credit of `c`.
    pub fn tier_at(&self, c: i128) -> (i32, i128, i32) {
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
    pub fn multiplier_at(&self, c: i128) -> (i128, i32) {
        self.accel.iter().rev().find(|a| c > a.0).map_or((self.one, 0), |a| (a.1, a.2))
    }
}
