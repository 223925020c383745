//! What a commission run returns: one statement per rep whose lines are the computation
//! steps (tier slice, rate, base, exact product, rounded amount), provisional and final.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::SplitKind;

/// The result of [`compute_commission`](super::compute_commission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CommissionReport {
    /// The currency of every amount (the plan's, or the transactions' common one).
    pub currency: Option<String>,
    /// One statement per rep: listed reps first, then others by first appearance.
    pub reps: Vec<RepStatement>,
    /// Who was credited how much of each transaction.
    pub credits: Vec<CreditLine>,
    /// Sums over the reps.
    pub totals: CommissionTotals,
}

/// Sums over all reps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CommissionTotals {
    /// Σ provisional.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub provisional: Decimal,
    /// Σ final.
    #[serde(rename = "final", with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub final_pay: Decimal,
    /// Σ true-up = final − provisional.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub true_up: Decimal,
}

/// A rep's pay for the period, and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RepStatement {
    /// The rep.
    pub rep: String,
    /// Quota, when given.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub quota: Option<Decimal>,
    /// Commission credit from earlier periods of the plan year.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub prior_credit: Decimal,
    /// Commission credit of this period's transactions (refunds negative), exact: at the
    /// amounts' places (at least the plan's), never rounded to the pay's places.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// Target credit of this period's transactions.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target_credit: Decimal,
    /// Running commission credit at the end (prior + period).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub running_credit: Decimal,
    /// Running target credit at the end.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub running_target_credit: Decimal,
    /// Running target credit ÷ quota, 6 places (null without a quota).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub attainment: Option<Decimal>,
    /// Tiered plans: the tier (0-based) the running credit ends in.
    pub tier: Option<u32>,
    /// Whether the threshold is reached at the end (true without a threshold).
    pub threshold_met: bool,
    /// Pay computed transaction by transaction as they came (Σ `provisional_lines`).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub provisional: Decimal,
    /// Pay recomputed at the period end on the net running totals (Σ `lines`).
    #[serde(rename = "final", with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub final_pay: Decimal,
    /// final − provisional: what the period close adds (or takes back).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub true_up: Decimal,
    /// Withheld from the final pay by the plan's cap (≥ 0).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub capped: Decimal,
    /// Final pay on all the credit accrued (on collection under 回款并终端), before the
    /// delivery gate; = `final` in the other modes.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub accrued: Decimal,
    /// accrued − final: accrued but not yet payable (collected, not yet delivered).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub held: Decimal,
    /// What the draw adds: draw − final when the final pay is below it.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub draw_top_up: Decimal,
    /// Recovered from earnings above the draw toward the balance owed.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub recovered: Decimal,
    /// Owed by the rep after this period (recoverable top-ups, negative pay), carried on.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub draw_balance: Decimal,
    /// What is paid out: final + draw_top_up − recovered, never below 0 (the rest is owed).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub payable: Decimal,
    /// The final computation, one line per step.
    pub lines: Vec<StatementLine>,
    /// The provisional computation, one line per step.
    pub provisional_lines: Vec<StatementLine>,
}

/// One computation step: `exact = base × rate × multiplier`, `amount` = `exact` rounded by
/// the plan's rounding. A statement's amounts add up to its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct StatementLine {
    /// 1-based position in its statement.
    pub step: u32,
    /// What kind of step.
    pub kind: LineKind,
    /// The transaction it pays (none for prior-period and cap lines).
    pub transaction: Option<String>,
    /// Tier index (0-based; curve segment index for `curve` lines).
    pub tier: Option<u32>,
    /// Where the slice starts on the running total (credit; attainment for `curve` lines).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub from: Option<Decimal>,
    /// Where it ends.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub to: Option<Decimal>,
    /// What the rate applies to: credit (signed), or attainment for `curve` lines.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub base: Decimal,
    /// The rate (payout per unit of attainment on `curve` lines).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub rate: Option<Decimal>,
    /// Accelerator × rate-rule multiplier (1 when none).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub multiplier: Decimal,
    /// The unrounded product, normalised (no trailing zeros).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub exact: Decimal,
    /// `exact` rounded once: what is paid.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Why the line is as it is.
    pub reasons: Vec<LineReason>,
}

/// The kind of a statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A slice of credit inside one tier (flat and graduated plans).
    TierSlice,
    /// A transaction's whole credit at the rate of the tier reached (retroactive plans).
    Retroactive,
    /// A move of attainment along one segment of the pay curve.
    Curve,
    /// A transaction paid at its product / customer-type rate instead of the table.
    RateRule,
    /// Nothing paid: the threshold is not reached.
    BelowThreshold,
    /// A refund or cancellation taking back the original's commission at its original rate
    /// (an earlier period's sale: at its `original_rate`, in both statements).
    Clawback,
    /// Earlier periods' credit repriced at the end (retroactive tier reached, threshold
    /// reached) minus what was paid on it.
    PriorPeriods,
    /// The plan's cap withholding the excess.
    Cap,
    /// A SPIF: a fixed bonus for a qualifying sale (negative: taken back by a refund).
    Spiff,
    /// Nothing paid yet: under accrual `attainment` the provisional statement holds all.
    Held,
}

/// Why a statement line is as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum LineReason {
    /// Graduated: the slice's own tier rate.
    MarginalRate,
    /// Retroactive: the rate of the tier the running credit reached at the end (final).
    TierReachedAtEnd,
    /// Retroactive: the rate of the tier reached after this transaction (provisional).
    TierReachedSoFar,
    /// An accelerator multiplies the slice.
    Accelerated,
    /// A rate rule multiplies the line.
    RuleMultiplier,
    /// Credit beyond a bounded last tier earns nothing.
    AboveTable,
    /// From a refund.
    Refund,
    /// From a cancellation.
    Cancellation,
    /// Running credit below zero (more refunded than credited): unwound at the first rate.
    BelowZero,
    /// Taken back at the rate the sale was paid at: a sale in the input in the provisional
    /// run (the final one reprices on net totals), an earlier period's sale (`original_rate`)
    /// in both.
    OriginalRate,
    /// The threshold is reached after this transaction (provisional) or at the end (final).
    ThresholdMet,
    /// It is not.
    ThresholdNotMet,
    /// Accrual `attainment`: paid at the period end.
    HeldUntilPeriodEnd,
}

/// Who is credited how much of one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CreditLine {
    /// The transaction.
    pub transaction: String,
    /// The rep.
    pub rep: String,
    /// Revenue (shares total 100 %) or overlay.
    pub kind: SplitKind,
    /// Share of commission credit.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Decimal,
    /// Commission credit: revenue credits split by largest remainder so they sum to the
    /// amount exactly, at the amounts' places (at least the plan's); negative for refunds.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub credit: Decimal,
    /// Share of target credit (counts toward attainment).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target_share: Decimal,
    /// Target credit.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target_credit: Decimal,
    /// Commission credit accrued by `as_of` under the plan's accrual (all of it on booking).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub accrued: Decimal,
}
