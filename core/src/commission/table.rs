//! A plan read for one rep: the rate table cut at tier bounds and accelerator points (which
//! depend on the rep's quota), the pay curve, and the threshold, as positions on the running
//! totals. Everything the statement lines are computed from.

use rust_decimal::{Decimal, RoundingStrategy};

use super::plan::{Bounds, CommissionPlan, PlanKind};
use crate::error::{Error, Result};
use crate::money::{add, mul};

/// A stretch of running credit paid at one rate × multiplier.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    /// Lower end (`None`: below zero, reached only by refunds).
    pub lo: Option<Decimal>,
    /// Upper end (`None`: open-ended).
    pub hi: Option<Decimal>,
    pub rate: Decimal,
    pub multiplier: Decimal,
    /// Index of the plan tier (`None`: beyond a bounded last tier, pays nothing).
    pub tier: Option<u32>,
}

/// One slice of a move along the running total: a line of the statement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slice {
    pub from: Decimal,
    pub to: Decimal,
    /// Signed: negative when the move goes down (a refund).
    pub base: Decimal,
    pub rate: Decimal,
    pub multiplier: Decimal,
    pub tier: Option<u32>,
    pub exact: Decimal,
}

impl Slice {
    /// The slice between `lo` ≤ `hi` of a move going up (or down, a refund: `from` is then
    /// `hi` and the base negative), paid at `(rate, multiplier, tier)`.
    fn along(
        up: bool,
        lo: Decimal,
        hi: Decimal,
        (rate, multiplier, tier): (Decimal, Decimal, Option<u32>),
        path: &dyn Fn() -> String,
    ) -> Result<Self> {
        let len = hi.checked_sub(lo).ok_or_else(|| Error::overflow(path()))?;
        let base = if up { len } else { -len };
        let exact = mul(mul(base, rate, path)?, multiplier, path)?;
        let (from, to) = if up { (lo, hi) } else { (hi, lo) };
        Ok(Self { from, to, base, rate, multiplier, tier, exact })
    }
}

/// The plan's table for one rep.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub kind: PlanKind,
    /// Flat / graduated / retroactive: segments in ascending order covering all credit, cut
    /// at the accelerator points as they fall on the credit when the target credit runs
    /// `off` above it (the columns: no splits, so the offset of the earlier periods stays).
    pub segments: Vec<Segment>,
    /// The same segments without the accelerator cuts (multiplier 1): a move whose target
    /// credit does not run alongside its credit is cut at its own points ([`Table::moves`]).
    plain: Vec<Segment>,
    /// Retroactive: tier bounds and rates, canonical (lower end of tier i = upper of i-1).
    tiers: Vec<(Decimal, Option<Decimal>, Decimal)>,
    bounds: Bounds,
    /// Accelerator start positions in credit (the target points less `off`), ascending,
    /// with multipliers.
    accel: Vec<(Decimal, Decimal)>,
    /// Accelerator start positions in target credit (`from_attainment` × quota): attainment,
    /// and so acceleration, is read on the target credit, as the curve and the threshold read it.
    accel_target: Vec<(Decimal, Decimal)>,
    /// Curve: (attainment, payout) points.
    curve: Vec<(Decimal, Decimal)>,
    quota: Option<Decimal>,
    threshold_credit: Option<Decimal>,
    threshold_attainment: Option<Decimal>,
}

/// Where a rep stands: running commission credit and running target credit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub credit: Decimal,
    pub target: Decimal,
}

impl Table {
    /// `quota_path` names the rep's quota for the errors of a plan that needs one; `off` is
    /// how far the rep's target credit runs above its credit (prior target − prior credit).
    pub fn new(
        plan: &CommissionPlan,
        quota: Option<Decimal>,
        off: Decimal,
        quota_path: &dyn Fn() -> String,
    ) -> Result<Self> {
        let needs_quota = plan.kind == PlanKind::Curve
            || !plan.accelerators.is_empty()
            || plan.threshold.as_ref().is_some_and(|t| t.attainment.is_some());
        if needs_quota && quota.is_none() {
            return Err(Error::MissingValue {
                path: quota_path(),
                reason: "the plan measures attainment (curve, accelerators or an attainment threshold)".into(),
            });
        }
        let mut accel = Vec::with_capacity(plan.accelerators.len());
        let mut accel_target = Vec::with_capacity(plan.accelerators.len());
        for (i, a) in plan.accelerators.iter().enumerate() {
            let q = quota.unwrap_or_default();
            let path = || format!("accelerators[{i}].from_attainment");
            let point = mul(q, a.from_attainment, path)?;
            accel_target.push((point, a.multiplier));
            accel.push((point.checked_sub(off).ok_or_else(|| Error::overflow(path()))?, a.multiplier));
        }
        let tiers: Vec<(Decimal, Option<Decimal>, Decimal)> = match plan.kind {
            PlanKind::Flat => vec![(Decimal::ZERO, None, plan.rate.unwrap_or_default())],
            PlanKind::Graduated | PlanKind::Retroactive => {
                let mut lo = Decimal::ZERO;
                plan.tiers
                    .iter()
                    .map(|t| {
                        let tier = (lo, t.to, t.rate);
                        lo = t.to.unwrap_or_default();
                        tier
                    })
                    .collect()
            }
            PlanKind::Curve => Vec::new(),
        };
        let mut table = Self {
            kind: plan.kind,
            segments: Vec::new(),
            plain: Vec::new(),
            tiers,
            bounds: plan.bounds.unwrap_or(Bounds::UpperInclusive),
            accel,
            accel_target,
            curve: plan.curve.iter().map(|p| (p.attainment, p.payout)).collect(),
            quota,
            threshold_credit: plan.threshold.as_ref().and_then(|t| t.credit),
            threshold_attainment: plan.threshold.as_ref().and_then(|t| t.attainment),
        };
        table.segments = table.cut(&table.accel);
        table.plain = table.cut(&[]);
        Ok(table)
    }

    /// The tiers cut at accelerator points, plus what lies below 0 and above a bounded top.
    fn cut(&self, accel: &[(Decimal, Decimal)]) -> Vec<Segment> {
        let Some(&(_, _, first_rate)) = self.tiers.first() else { return Vec::new() };
        let mut points: Vec<Decimal> = self.tiers.iter().filter_map(|t| t.1).collect();
        points.extend(accel.iter().map(|a| a.0).filter(|p| *p > Decimal::ZERO));
        points.sort();
        points.dedup();
        // Below zero: refunds beyond everything credited unwind at the first tier's rate.
        let mut out = vec![Segment {
            lo: None,
            hi: Some(Decimal::ZERO),
            rate: first_rate,
            multiplier: Decimal::ONE,
            tier: Some(0),
        }];
        let mut lo = Decimal::ZERO;
        for hi in points.into_iter().map(Some).chain(std::iter::once(None)) {
            let (rate, tier) = self.rate_at_open(lo);
            out.push(Segment { lo: Some(lo), hi, rate, multiplier: multiplier_above(accel, lo), tier });
            match hi {
                Some(h) => lo = h,
                None => break,
            }
        }
        out
    }

    /// Rate and tier of credit just above `x` (the marginal rate).
    fn rate_at_open(&self, x: Decimal) -> (Decimal, Option<u32>) {
        for (i, &(lo, hi, rate)) in self.tiers.iter().enumerate() {
            if x >= lo && hi.is_none_or(|h| x < h) {
                return (rate, Some(i as u32));
            }
        }
        (Decimal::ZERO, None)
    }

    /// Retroactive: the tier holding a running credit of exactly `c`, by the declared bounds.
    pub fn tier_at(&self, c: Decimal) -> (u32, Decimal) {
        let upper = matches!(self.bounds, Bounds::UpperInclusive | Bounds::BothInclusive);
        for (i, &(lo, hi, rate)) in self.tiers.iter().enumerate() {
            let above_lo = if upper { c > lo || i == 0 } else { c >= lo };
            let below_hi = hi.is_none_or(|h| if upper { c <= h } else { c < h });
            if above_lo && below_hi {
                return (i as u32, rate);
            }
        }
        // Only a bounded last tier leaves credit above the table (refused for retroactive).
        let last = self.tiers.len().saturating_sub(1);
        (last as u32, self.tiers.get(last).map_or(Decimal::ZERO, |t| t.2))
    }

    /// Retroactive: the accelerator multiplier at a running target credit of `t` (beyond its
    /// point).
    pub fn multiplier_at(&self, t: Decimal) -> Decimal {
        self.accel_target.iter().rev().find(|a| t > a.0).map_or(Decimal::ONE, |a| a.1)
    }

    /// Positions the table cuts at: tier bounds, accelerator points, a credit threshold.
    pub fn points(&self) -> impl Iterator<Item = Decimal> + '_ {
        self.tiers.iter().filter_map(|t| t.1).chain(self.accel.iter().map(|a| a.0)).chain(self.threshold_credit)
    }

    /// The rates of the tiers (flat: the one rate).
    pub fn tier_rates(&self) -> impl Iterator<Item = Decimal> + '_ {
        self.tiers.iter().map(|t| t.2)
    }

    /// Tiers as (lower, upper, rate), canonical: the lower end of tier i is the upper of i − 1.
    pub fn tier_table(&self) -> impl Iterator<Item = (Decimal, Option<Decimal>, Decimal)> + '_ {
        self.tiers.iter().copied()
    }

    /// Accelerators as (point in credit, multiplier), ascending.
    pub fn accel_points(&self) -> impl Iterator<Item = (Decimal, Decimal)> + '_ {
        self.accel.iter().copied()
    }

    /// The threshold: (credit, attainment), at most one set.
    pub fn threshold(&self) -> (Option<Decimal>, Option<Decimal>) {
        (self.threshold_credit, self.threshold_attainment)
    }

    /// Whether the plan has a threshold.
    pub fn threshold_set(&self) -> bool {
        self.threshold_credit.is_some() || self.threshold_attainment.is_some()
    }

    /// Whether the threshold is reached at `p`.
    pub fn gate(&self, p: Position, path: &dyn Fn() -> String) -> Result<bool> {
        if let Some(t) = self.threshold_credit {
            return Ok(p.credit >= t);
        }
        if let Some(t) = self.threshold_attainment {
            return Ok(self.attainment(p.target, path)? >= t);
        }
        Ok(true)
    }

    /// Running target credit ÷ quota (0 without a quota).
    pub fn attainment(&self, target: Decimal, path: &dyn Fn() -> String) -> Result<Decimal> {
        match self.quota {
            Some(q) => target.checked_div(q).ok_or_else(|| Error::overflow(path())),
            None => Ok(Decimal::ZERO),
        }
    }

    /// The slices of a move from `before` to `after`, cut at the tier bounds on the credit
    /// and at the accelerator points on the target credit, which moves in proportion to the
    /// credit along the move (a split's `target_share` need not be its share; the earlier
    /// periods' target credit need not be their credit). A slice's multiplier is the one of
    /// the target credit just above its lower end, as [`Table::segments`] cut it.
    pub fn moves(
        &self,
        before: Position,
        after: Position,
        path: &dyn Fn() -> String,
        out: &mut Vec<Slice>,
    ) -> Result<()> {
        let first = out.len();
        slices_over(&self.plain, before.credit, after.credit, path, out)?;
        if self.accel_target.is_empty() {
            return Ok(());
        }
        let sub = |a: Decimal, b: Decimal| a.checked_sub(b).ok_or_else(|| Error::overflow(path()));
        let div = |a: Decimal, b: Decimal| a.checked_div(b).ok_or_else(|| Error::overflow(path()));
        let (dc, dt) = (sub(after.credit, before.credit)?, sub(after.target, before.target)?);
        // The target credit at a credit of c along the move (where it stands, on a zero move).
        let target_at = |c: Decimal| -> Result<Decimal> {
            if dc.is_zero() {
                return Ok(before.target);
            }
            add(before.target, div(mul(sub(c, before.credit)?, dt, path)?, dc)?, path)
        };
        // The credit at which the target credit reaches p, rounded up to the places of the
        // positions and of p (exact where the target credit runs alongside the credit, as in
        // the columns): the slice above the cut lies wholly beyond p.
        let places = [before.credit, after.credit, before.target, after.target].map(|d| d.scale());
        let places = places.into_iter().max().unwrap_or(0);
        let credit_at = |p: Decimal| -> Result<Decimal> {
            let c = add(before.credit, div(mul(sub(p, before.target)?, dc, path)?, dt)?, path)?;
            Ok(c.round_dp_with_strategy(places.max(p.scale()), RoundingStrategy::ToPositiveInfinity))
        };
        // The plain slices are `out[first..end]`: each one's cut slices go after them, and the
        // plain ones are removed at the end (no copy of them, one list of cuts for the move).
        let end = out.len();
        let mut cuts = Vec::new();
        for i in first..end {
            let s = out[i];
            let up = s.from <= s.to;
            let (lo, hi) = if up { (s.from, s.to) } else { (s.to, s.from) };
            if lo < Decimal::ZERO {
                // Below zero credit (refunds beyond everything credited): the first tier's
                // rate, never a multiplier, as the columns' table unwinds it.
                out.push(s);
                continue;
            }
            let (t_lo, t_hi) = (target_at(lo)?, target_at(hi)?);
            // (credit, target credit): at a cut the target credit is the point itself, not one
            // read back from the rounded credit.
            cuts.clear();
            cuts.push((lo, t_lo));
            if !dc.is_zero() && !dt.is_zero() {
                for &(p, _) in &self.accel_target {
                    if t_lo.min(t_hi) < p && p < t_lo.max(t_hi) {
                        let c = credit_at(p)?;
                        if lo < c && c < hi {
                            cuts.push((c, p));
                        }
                    }
                }
            }
            cuts.sort_by_key(|c| c.0);
            // Two points cut at one rounded credit: the slice above is beyond both.
            cuts.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    *kept = *later;
                }
                same
            });
            cuts.push((hi, t_hi));
            let at = out.len();
            for w in cuts.windows(2) {
                let ((from, t_from), (to, t_to)) = (w[0], w[1]);
                if from == to && cuts.len() > 2 {
                    continue;
                }
                let multiplier = multiplier_above(&self.accel_target, t_from.min(t_to));
                out.push(Slice::along(up, from, to, (s.rate, multiplier, s.tier), path)?);
            }
            if !up {
                out[at..].reverse();
            }
        }
        out.drain(first..end);
        Ok(())
    }

    /// Curve: the slices of a move of attainment from `a` to `b`, one per curve segment.
    pub fn curve_slices(&self, a: Decimal, b: Decimal, path: &dyn Fn() -> String, out: &mut Vec<Slice>) -> Result<()> {
        let up = a <= b;
        let (lo, hi) = if up { (a, b) } else { (b, a) };
        let mut pieces: Vec<Slice> = Vec::new();
        let n = self.curve.len();
        // Segment k runs from point k to point k+1; past the last point the curve is flat, and
        // below 0 (refunds beyond everything) it is flat at the first payout.
        let mut bounds: Vec<(Option<Decimal>, Option<Decimal>, Decimal, u32)> =
            vec![(None, Some(Decimal::ZERO), Decimal::ZERO, 0)];
        for k in 0..n {
            let (x0, y0) = self.curve[k];
            let (hi_k, slope) = match self.curve.get(k + 1) {
                Some(&(x1, y1)) => {
                    let dy = y1.checked_sub(y0).ok_or_else(|| Error::overflow(path()))?;
                    let dx = x1.checked_sub(x0).ok_or_else(|| Error::overflow(path()))?;
                    (Some(x1), dy.checked_div(dx).ok_or_else(|| Error::overflow(path()))?)
                }
                None => (None, Decimal::ZERO),
            };
            bounds.push((Some(x0), hi_k, slope, k as u32));
        }
        for (l, h, slope, k) in bounds {
            let from = l.map_or(lo, |l| l.max(lo));
            let to = h.map_or(hi, |h| h.min(hi));
            if from < to || (a == b && l.is_none_or(|l| a >= l) && h.is_none_or(|h| a < h)) {
                let len = to.checked_sub(from).ok_or_else(|| Error::overflow(path()))?;
                let base = if up { len } else { -len };
                let exact = mul(base, slope, path)?;
                let (from, to) = if up { (from, to) } else { (to, from) };
                pieces.push(Slice { from, to, base, rate: slope, multiplier: Decimal::ONE, tier: Some(k), exact });
            }
        }
        if !up {
            pieces.reverse();
        }
        out.extend(pieces);
        Ok(())
    }

    /// What the table pays for a running position `p` from zero, as if all of it were
    /// credited at once under the rate in force at `at` (retroactive) or marginally.
    pub fn earned(&self, p: Position, at: Position, path: &dyn Fn() -> String) -> Result<Decimal> {
        match self.kind {
            PlanKind::Retroactive => {
                let (_, rate) = self.tier_at(at.credit);
                mul(mul(p.credit, rate, path)?, self.multiplier_at(at.target), path)
            }
            PlanKind::Curve => {
                let mut s = Vec::new();
                self.curve_slices(Decimal::ZERO, self.attainment(p.target, path)?, path, &mut s)?;
                s.iter().try_fold(Decimal::ZERO, |acc, x| add(acc, x.exact, path))
            }
            PlanKind::Flat | PlanKind::Graduated => {
                let mut s = Vec::new();
                self.moves(Position::default(), p, path, &mut s)?;
                s.iter().try_fold(Decimal::ZERO, |acc, x| add(acc, x.exact, path))
            }
        }
    }
}

/// Multiplier of credit (or target credit) just above `x`.
fn multiplier_above(accel: &[(Decimal, Decimal)], x: Decimal) -> Decimal {
    accel.iter().rev().find(|a| x >= a.0).map_or(Decimal::ONE, |a| a.1)
}

/// The slices of a move of the running credit from `a` to `b`, one per segment crossed.
fn slices_over(
    segments: &[Segment],
    a: Decimal,
    b: Decimal,
    path: &dyn Fn() -> String,
    out: &mut Vec<Slice>,
) -> Result<()> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let up = a <= b;
    let mut emitted = false;
    let crossed: Box<dyn Iterator<Item = &Segment>> =
        if up { Box::new(segments.iter()) } else { Box::new(segments.iter().rev()) };
    for s in crossed {
        let from = s.lo.map_or(lo, |l| l.max(lo));
        let to = s.hi.map_or(hi, |h| h.min(hi));
        if from < to {
            out.push(Slice::along(up, from, to, (s.rate, s.multiplier, s.tier), path)?);
            emitted = true;
        }
    }
    if !emitted {
        // A zero move (a zero amount) still gets its line, at the rate where it stands.
        let s = segments.iter().find(|s| s.lo.is_none_or(|l| a >= l) && s.hi.is_none_or(|h| a < h));
        if let Some(s) = s {
            out.push(Slice::along(up, a, a, (s.rate, s.multiplier, s.tier), path)?);
        }
    }
    Ok(())
}
