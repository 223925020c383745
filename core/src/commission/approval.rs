//! Discount approval routing: the price asked as a share of list price falls into discount
//! bands, and each band reached adds its approvers to the chain, with the reason.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{Rounding, RoundingStrategy};

/// Discount bands, shallowest first.
///
/// # Examples
///
/// ```
/// use crmkit::commission::{route_discount, DiscountPolicy, DiscountRequest};
/// use crmkit::wire::from_json;
///
/// let policy: DiscountPolicy = from_json(r#"{"bands": [
///     {"below": "0.9", "approvers": ["manager"]},
///     {"below": "0.7", "approvers": ["vice_president"]}]}"#, "")?;
/// let request: DiscountRequest = from_json(r#"{"list_price": "1000", "price": "650"}"#, "")?;
/// let route = route_discount(&policy, &request)?;
/// let chain: Vec<&str> = route.steps.iter().map(|s| s.approver.as_str()).collect();
/// assert_eq!(chain, ["manager", "vice_president"]); // 65 % of list: below 90 % and below 70 %
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct DiscountPolicy {
    /// Bands by price ÷ list price, `below` strictly decreasing: a price below a band's
    /// `below` needs its approvers, after those of the shallower bands.
    pub bands: Vec<DiscountBand>,
    /// Prices below this share of list are refused outright (absent: none are).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub floor: Option<Decimal>,
}

/// One band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct DiscountBand {
    /// Price ÷ list price strictly below which the band applies, in (0, 1].
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub below: Decimal,
    /// Who approves, in order (at least one).
    pub approvers: Vec<String>,
}

/// A price to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct DiscountRequest {
    /// List price, > 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub list_price: Decimal,
    /// Price asked, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub price: Decimal,
}

/// The approval route of a price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct DiscountRoute {
    /// Price ÷ list price, 4 places (rounded half-even; bands compare the exact ratio).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub ratio: Decimal,
    /// 1 − ratio, 4 places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub discount: Decimal,
    /// `auto_approved` (no band reached), `needs_approval` or `refused` (below the floor).
    pub decision: Decision,
    /// The approval chain, in order: one step per approver of each band reached (an approver
    /// already in the chain is not asked twice).
    pub steps: Vec<ApprovalStep>,
}

/// What happens to the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Within every band: no approval needed.
    AutoApproved,
    /// The chain of `steps` must approve.
    NeedsApproval,
    /// Below the policy's floor.
    Refused,
}

/// One approver and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ApprovalStep {
    /// 1-based.
    pub step: u32,
    /// Who.
    pub approver: String,
    /// The band (0-based) that requires it.
    pub band: u32,
    /// That band's `below`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub below: Decimal,
    /// Why, for people: `price 65.00% of list is below 70.00%`.
    pub reason: String,
}

impl DiscountPolicy {
    /// Checks the bands.
    ///
    /// # Errors
    ///
    /// `out_of_range` at `bands[i].below` (outside (0, 1]) or `floor`; `tier_overlap` at
    /// `bands[i].below` (not strictly decreasing); `missing_value` at `bands[i].approvers`.
    pub fn validate(&self) -> Result<()> {
        for (i, b) in self.bands.iter().enumerate() {
            if b.below <= Decimal::ZERO || b.below > Decimal::ONE {
                return Err(Error::out_of_range(format!("bands[{i}].below"), b.below, "0 (exclusive)", 1));
            }
            if i > 0 && b.below >= self.bands[i - 1].below {
                return Err(Error::TierOverlap {
                    path: format!("bands[{i}].below"),
                    previous: self.bands[i - 1].below.to_string(),
                });
            }
            if b.approvers.is_empty() {
                return Err(Error::MissingValue {
                    path: format!("bands[{i}].approvers"),
                    reason: "a band names who approves".into(),
                });
            }
        }
        if let Some(f) = self.floor
            && (f < Decimal::ZERO || f > Decimal::ONE)
        {
            return Err(Error::out_of_range("floor", f, 0, 1));
        }
        Ok(())
    }
}

fn percent(x: Decimal) -> String {
    let two = Rounding { dp: 2, strategy: RoundingStrategy::HalfEven };
    x.checked_mul(Decimal::ONE_HUNDRED).map_or_else(|| format!("{x} × 100%"), |p| format!("{}%", two.round(p)))
}

/// Routes a discounted price: the bands it falls below add their approvers to the chain,
/// shallowest first, each step with its reason.
///
/// # Errors
///
/// Policy errors as [`DiscountPolicy::validate`]; `out_of_range` at `list_price` (≤ 0);
/// `negative_amount` at `price`; `overflow`.
///
/// # Examples
///
/// See [`DiscountPolicy`].
pub fn route_discount(policy: &DiscountPolicy, request: &DiscountRequest) -> Result<DiscountRoute> {
    policy.validate()?;
    if request.list_price <= Decimal::ZERO {
        return Err(Error::out_of_range("list_price", request.list_price, "0 (exclusive)", "inf"));
    }
    if request.price.is_sign_negative() && !request.price.is_zero() {
        return Err(Error::NegativeAmount { path: "price".into(), value: request.price.to_string() });
    }
    let ratio = request.price.checked_div(request.list_price).ok_or_else(|| Error::overflow("price"))?;
    let four = Rounding { dp: 4, strategy: RoundingStrategy::HalfEven };
    let mut steps: Vec<ApprovalStep> = Vec::new();
    for (i, band) in policy.bands.iter().enumerate().filter(|(_, b)| ratio < b.below) {
        for approver in &band.approvers {
            if steps.iter().any(|s| &s.approver == approver) {
                continue;
            }
            steps.push(ApprovalStep {
                step: steps.len() as u32 + 1,
                approver: approver.clone(),
                band: i as u32,
                below: band.below,
                reason: format!("price {} of list is below {}", percent(ratio), percent(band.below)),
            });
        }
    }
    let decision = if policy.floor.is_some_and(|f| ratio < f) {
        steps.clear();
        Decision::Refused
    } else if steps.is_empty() {
        Decision::AutoApproved
    } else {
        Decision::NeedsApproval
    };
    Ok(DiscountRoute { ratio: four.round(ratio), discount: four.round(Decimal::ONE - ratio), decision, steps })
}
