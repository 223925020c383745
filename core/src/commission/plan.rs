//! The commission plan as data: its kind, tiers with declared bounds, pay curve, accelerators,
//! threshold, cap and per product / customer-type rates, checked before anything is paid.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{Rounding, RoundingStrategy};

/// A commission plan: how credited revenue turns into pay.
///
/// # Examples
///
/// ```
/// let plan: crmkit::commission::CommissionPlan = crmkit::wire::from_json(r#"{
///     "kind": "graduated",
///     "tiers": [
///         {"from": "0", "to": "50000", "rate": "0.02"},
///         {"from": "50000", "to": "100000", "rate": "0.05"},
///         {"from": "100000", "rate": "0.08"}
///     ]
/// }"#, "")?;
/// plan.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct CommissionPlan {
    /// How the rate table is read.
    pub kind: PlanKind,
    /// `flat` plans: the one rate, in [0, 1].
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub rate: Option<Decimal>,
    /// `graduated` and `retroactive` plans: contiguous tiers on each rep's running credit,
    /// the first from 0; only the last may omit `to` (open-ended).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub tiers: Vec<Tier>,
    /// Which end of a tier a credit exactly on a bound belongs to. Required for
    /// `retroactive` plans (where it changes the pay); graduated pay is continuous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Bounds>,
    /// `curve` plans: payout amounts at attainment points (first at 0, strictly ascending),
    /// linear in between, flat after the last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub curve: Vec<CurvePoint>,
    /// Multipliers on the pay for credit beyond `from_attainment` × quota (ascending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub accelerators: Vec<Accelerator>,
    /// Nothing is paid until the rep's running credit or attainment reaches this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// Most a rep is paid in the period; the excess is withheld (a `cap` line), ≥ 0. A cap
    /// with more places than `rounding` pays is cut down to them (never rounded up past it).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub cap: Option<Decimal>,
    /// Rates per product / customer type: the first matching rule applies to a transaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub rates: Vec<RateRule>,
    /// When credit accrues: on booking (default), on delivery to the terminal, on
    /// collection, on collection but payable only once delivered, or at the period end on
    /// attainment.
    #[serde(default)]
    pub accrual: Accrual,
    /// Fixed bonuses per qualifying sale (SPIFs), split among its revenue reps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub spiffs: Vec<Spiff>,
    /// The plan's currency; a transaction in another one is refused (no silent netting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Rounding of every statement line's pay (default 2 places, half-even). Credit keeps
    /// the amounts' own places (at least these, at most 12): tiers, thresholds and
    /// attainment read the amount credited, and where credit is split (revenue splits,
    /// accrual shares, partial refunds) it is rounded there, by this strategy.
    #[serde(default)]
    pub rounding: Rounding,
}

/// How a plan's rate table is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// One rate on every unit of credit.
    Flat,
    /// Marginal: each slice of the running credit at its own tier's rate (continuous).
    Graduated,
    /// Highest tier reached: the whole credit at the rate of the tier the running credit is
    /// in (jumps at bounds).
    Retroactive,
    /// Payout amounts interpolated on attainment (running target credit ÷ quota).
    Curve,
}

/// When a transaction's credit accrues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    /// All of it on the transaction's date.
    #[default]
    Booking,
    /// As goods reach the terminal (终端计提): each delivery accrues its share.
    Delivery,
    /// As payment is collected (回款计提): each payment accrues its share.
    Collection,
    /// Accrued on collection, payable only as far as goods reached the terminal too
    /// (回款并终端): two independent gates, partial on both; the rest is `held`.
    CollectionAndDelivery,
    /// Booked credit paid only at the period end on the attainment reached
    /// (按指标完成情况计提并支付): the provisional statement holds everything.
    Attainment,
}

/// A fixed bonus per qualifying sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Spiff {
    /// Sales of this product qualify (absent: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Sales to this customer type qualify (absent: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    /// Sales of at least this amount qualify (absent: any).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub min_amount: Option<Decimal>,
    /// The bonus per sale, ≥ 0; refunds take it back in proportion.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// Which end of a tier holds a credit exactly on a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Bounds {
    /// Tiers are `(from, to]`: 100,000 is in the tier ending at 100,000. Next `from` = `to`.
    UpperInclusive,
    /// Tiers are `[from, to)`: 100,000 is in the tier starting at 100,000. Next `from` = `to`.
    LowerInclusive,
    /// Tiers are `[from, to]` with the next `from` one rounding quantum above `to`
    /// (0–50,000 then 50,000.01–100,000, as OCA writes them). A credit between the two
    /// (50,000.50 in a whole-yuan plan written 0–50,000 / 50,001–) is above `to`: it is in
    /// the next tier.
    BothInclusive,
}

/// One tier of a rate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Lower bound of running credit, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub from: Decimal,
    /// Upper bound; absent on an open-ended last tier. Credit above a bounded last tier earns
    /// nothing.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub to: Option<Decimal>,
    /// Rate in [0, 1]. In a retroactive table, at least the previous tier's (pay never falls
    /// as credit grows).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub rate: Decimal,
}

/// A point of a pay curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Attainment (1 = quota), ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub attainment: Decimal,
    /// Payout at that attainment, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub payout: Decimal,
}

/// A multiplier on the pay for commission credit beyond `from_attainment` × quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    /// Attainment above which it applies, > 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub from_attainment: Decimal,
    /// Multiplier, in [0, 100] (below 1: a decelerator).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub multiplier: Decimal,
}

/// A gate: exactly one of `credit` (running commission credit) or `attainment` (running
/// target credit ÷ quota) to reach before anything is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Running credit to reach, ≥ 0.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Option<Decimal>,
    /// Attainment to reach, ≥ 0.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub attainment: Option<Decimal>,
}

/// A rate for transactions of a product and/or customer type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RateRule {
    /// Matches transactions of this product (absent: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Matches transactions of this customer type (absent: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    /// Exactly one of `rate` (a flat rate on the transaction's credit, in [0, 1], instead of
    /// the table; the credit still counts in the running total) and `multiplier` (on what
    /// the table pays, in [0, 100]).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub rate: Option<Decimal>,
    /// See `rate`.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub multiplier: Option<Decimal>,
}

const MAX_MULTIPLIER: i64 = 100;

fn in_range(x: Decimal, lo: Decimal, hi: Option<Decimal>, path: impl FnOnce() -> String) -> Result<()> {
    if x < lo || hi.is_some_and(|h| x > h) {
        return Err(Error::out_of_range(path(), x, lo, hi.map_or_else(|| "inf".to_owned(), |h| h.to_string())));
    }
    Ok(())
}

fn missing(path: &str, reason: &str) -> Error {
    Error::MissingValue { path: path.to_owned(), reason: reason.to_owned() }
}

fn not_here(path: &str, reason: &str) -> Error {
    Error::InvalidValue { path: path.to_owned(), reason: reason.to_owned() }
}

impl CommissionPlan {
    /// The cap in force: the most the plan can pay in its places without passing `cap`
    /// (5,000.015 on a 2-place plan is 5,000.01, whatever the rounding strategy: rounding
    /// it up or half-even to 5,000.02 would pay above the cap).
    pub(crate) fn cap_in_force(&self) -> Option<Decimal> {
        let down = Rounding { strategy: RoundingStrategy::Down, ..self.rounding };
        self.cap.map(|cap| down.round(cap))
    }

    /// Checks the plan: the fields its kind needs and only those, rates in [0, 1], tiers
    /// contiguous from 0 under the declared bounds, curve points ascending from 0.
    ///
    /// # Errors
    ///
    /// `missing_value` (`rate`, `tiers`, `curve`, `bounds`, `tiers[i].to` on a tier that is
    /// not last), `invalid_value` (a field the kind does not use, a threshold without exactly
    /// one measure, a rule without exactly one of rate / multiplier), `out_of_range`
    /// (`tiers[i].rate`, `rate`, `cap`...; and where pay would fall as credit grows: a
    /// retroactive tier's rate below the previous one, a retroactive accelerator's multiplier
    /// below 1 or the previous one, a curve payout below the previous one), `tier_overlap` /
    /// `tier_gap` at `tiers[i].from`.
    pub fn validate(&self) -> Result<()> {
        self.rounding.validate("rounding")?;
        let (zero, one) = (Decimal::ZERO, Decimal::ONE);
        let kind_needs = |has: bool, field: &str, wanted: bool| -> Result<()> {
            match (has, wanted) {
                (false, true) => Err(missing(field, "required by the plan's kind")),
                (true, false) => Err(not_here(field, "not used by the plan's kind")),
                _ => Ok(()),
            }
        };
        let tiered = matches!(self.kind, PlanKind::Graduated | PlanKind::Retroactive);
        kind_needs(self.rate.is_some(), "rate", self.kind == PlanKind::Flat)?;
        kind_needs(!self.tiers.is_empty(), "tiers", tiered)?;
        kind_needs(!self.curve.is_empty(), "curve", self.kind == PlanKind::Curve)?;
        if self.kind == PlanKind::Retroactive && self.bounds.is_none() {
            return Err(missing("bounds", "a retroactive plan declares which tier holds a credit on a bound"));
        }
        if self.kind == PlanKind::Curve && !self.accelerators.is_empty() {
            return Err(not_here("accelerators", "a pay curve carries its own acceleration"));
        }
        if let Some(rate) = self.rate {
            in_range(rate, zero, Some(one), || "rate".to_owned())?;
        }
        self.validate_tiers()?;
        for (i, p) in self.curve.iter().enumerate() {
            in_range(p.attainment, zero, None, || format!("curve[{i}].attainment"))?;
            in_range(p.payout, zero, None, || format!("curve[{i}].payout"))?;
            if i == 0 && !p.attainment.is_zero() {
                return Err(Error::TierGap { path: "curve[0].attainment".into(), from: zero.to_string() });
            }
            if i > 0 && p.payout < self.curve[i - 1].payout {
                // A falling curve pays less for more: refused, as a falling retroactive table.
                return Err(Error::out_of_range(
                    format!("curve[{i}].payout"),
                    p.payout,
                    self.curve[i - 1].payout,
                    "inf",
                ));
            }
            if i > 0 && p.attainment <= self.curve[i - 1].attainment {
                return Err(Error::TierOverlap {
                    path: format!("curve[{i}].attainment"),
                    previous: self.curve[i - 1].attainment.to_string(),
                });
            }
        }
        for (i, a) in self.accelerators.iter().enumerate() {
            in_range(a.multiplier, zero, Some(MAX_MULTIPLIER.into()), || format!("accelerators[{i}].multiplier"))?;
            if self.kind == PlanKind::Retroactive {
                // The whole credit is paid at rate × multiplier: a multiplier below 1 or below the
                // previous one would pay less for more credit (see `validate_tiers`).
                let floor = if i == 0 { one } else { self.accelerators[i - 1].multiplier.max(one) };
                in_range(a.multiplier, floor, Some(MAX_MULTIPLIER.into()), || format!("accelerators[{i}].multiplier"))?;
            }
            let prev = if i == 0 { zero } else { self.accelerators[i - 1].from_attainment };
            if a.from_attainment <= prev {
                return Err(Error::out_of_range(
                    format!("accelerators[{i}].from_attainment"),
                    a.from_attainment,
                    prev,
                    "inf",
                ));
            }
        }
        if let Some(t) = &self.threshold {
            match (t.credit, t.attainment) {
                (Some(x), None) => in_range(x, zero, None, || "threshold.credit".to_owned())?,
                (None, Some(x)) => in_range(x, zero, None, || "threshold.attainment".to_owned())?,
                _ => return Err(not_here("threshold", "give exactly one of credit and attainment")),
            }
        }
        if let Some(cap) = self.cap {
            in_range(cap, zero, None, || "cap".to_owned())?;
        }
        for (i, sp) in self.spiffs.iter().enumerate() {
            in_range(sp.amount, zero, None, || format!("spiffs[{i}].amount"))?;
        }
        for (i, r) in self.rates.iter().enumerate() {
            match (r.rate, r.multiplier) {
                (Some(x), None) => in_range(x, zero, Some(one), || format!("rates[{i}].rate"))?,
                (None, Some(x)) => in_range(x, zero, Some(MAX_MULTIPLIER.into()), || format!("rates[{i}].multiplier"))?,
                _ => return Err(not_here(&format!("rates[{i}]"), "give exactly one of rate and multiplier")),
            }
        }
        Ok(())
    }

    fn validate_tiers(&self) -> Result<()> {
        let step = match self.bounds {
            Some(Bounds::BothInclusive) => self.rounding.quantum(),
            _ => Decimal::ZERO,
        };
        let last = self.tiers.len().saturating_sub(1);
        for (i, t) in self.tiers.iter().enumerate() {
            in_range(t.rate, Decimal::ZERO, Some(Decimal::ONE), || format!("tiers[{i}].rate"))?;
            in_range(t.from, Decimal::ZERO, None, || format!("tiers[{i}].from"))?;
            if i > 0 && self.kind == PlanKind::Retroactive && t.rate < self.tiers[i - 1].rate {
                // Retroactive pay is the whole credit × the rate reached: a falling rate would pay
                // less for more credit, make a refund raise pay, and make `held` (回款并终端)
                // negative. Refused rather than given a meaning no plan intends.
                return Err(Error::out_of_range(format!("tiers[{i}].rate"), t.rate, self.tiers[i - 1].rate, 1));
            }
            if i == 0 && !t.from.is_zero() {
                return Err(Error::TierGap { path: "tiers[0].from".into(), from: "0".into() });
            }
            if i > 0 {
                // Checked above: every tier but the last has a `to`.
                let prev_to = self.tiers[i - 1].to.unwrap_or_default();
                let expected = prev_to.checked_add(step).ok_or_else(|| Error::overflow(format!("tiers[{i}].from")))?;
                if t.from < expected {
                    return Err(Error::TierOverlap { path: format!("tiers[{i}].from"), previous: prev_to.to_string() });
                }
                if t.from > expected {
                    return Err(Error::TierGap { path: format!("tiers[{i}].from"), from: expected.to_string() });
                }
            }
            match t.to {
                None if i < last => return Err(missing(&format!("tiers[{i}].to"), "only the last tier is open-ended")),
                Some(to) if to <= t.from => {
                    return Err(Error::out_of_range(format!("tiers[{i}].to"), to, t.from, "inf"));
                }
                _ => {}
            }
            if i == last && self.kind == PlanKind::Retroactive && t.to.is_some() {
                return Err(not_here(&format!("tiers[{i}].to"), "a retroactive table is open-ended"));
            }
        }
        Ok(())
    }

    /// The SPIF a sale earns: the sum of every matching bonus.
    pub(crate) fn spiff_for(
        &self,
        product: Option<&str>,
        customer_type: Option<&str>,
        amount: Decimal,
    ) -> Result<Decimal> {
        self.spiffs
            .iter()
            .filter(|s| {
                s.product.as_deref().is_none_or(|p| Some(p) == product)
                    && s.customer_type.as_deref().is_none_or(|c| Some(c) == customer_type)
                    && s.min_amount.is_none_or(|m| amount >= m)
            })
            .try_fold(Decimal::ZERO, |a, s| a.checked_add(s.amount).ok_or_else(|| Error::overflow("spiffs")))
    }

    /// The rule for a transaction's product and customer type, if any matches.
    pub(crate) fn rule_for(&self, product: Option<&str>, customer_type: Option<&str>) -> Option<&RateRule> {
        self.rates.iter().find(|r| {
            r.product.as_deref().is_none_or(|p| Some(p) == product)
                && r.customer_type.as_deref().is_none_or(|c| Some(c) == customer_type)
        })
    }
}
