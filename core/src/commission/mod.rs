//! Commission (提成 / 计提): plans as data, credited revenue split among reps, and a statement
//! per rep with one line per computation step, provisional and final.
//!
//! A [`CommissionPlan`] is `flat`, `graduated` (each slice of the running credit at its
//! tier's rate), `retroactive` (the whole credit at the rate of the tier reached; bounds
//! declared) or `curve` (payout amounts interpolated on attainment), with optional
//! accelerators, a threshold, a cap and rates per product / customer type.
//!
//! [`compute_commission`] credits each [`Transaction`] to its reps (revenue splits total
//! 100 % and are split to the cent by largest remainder; overlays need not; target credit,
//! which drives attainment, is kept apart from commission credit), walks each rep's running
//! total from the credit of earlier periods, and returns per rep:
//!
//! - `provisional`: pay computed transaction by transaction as they came (retroactive plans
//!   pay each deal at the tier reached so far; a refund of a deal in the input takes back its
//!   commission at the original rate);
//! - `final`: pay recomputed at the period end on the net running totals;
//! - `true_up` = final − provisional, and the lines behind both.
//!
//! The research file's worked example: graduated 0–50k 2 %, 50–100k 5 %, above 8 % on
//! 120,000 credited pays 5,100.00.
//!
//! ```
//! use crmkit::commission::{compute_commission, CommissionInput, CommissionPlan};
//! use crmkit::wire::from_json;
//!
//! let plan: CommissionPlan = from_json(r#"{"kind": "graduated", "tiers": [
//!     {"from": "0", "to": "50000", "rate": "0.02"},
//!     {"from": "50000", "to": "100000", "rate": "0.05"},
//!     {"from": "100000", "rate": "0.08"}]}"#, "")?;
//! let input: CommissionInput = from_json(r#"{"transactions": [
//!     {"id": "d1", "on": "2026-03-10", "amount": "120000", "rep": "wang"}]}"#, "")?;
//! let report = compute_commission(&plan, &input, chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())?;
//! let slices: Vec<String> = report.reps[0].lines.iter().map(|l| l.amount.to_string()).collect();
//! assert_eq!(slices, ["1000.00", "2500.00", "1600.00"]);
//! assert_eq!(report.reps[0].final_pay.to_string(), "5100.00");
//! # Ok::<(), crmkit::Error>(())
//! ```

mod approval;
pub(crate) mod batch_columns;
mod collections;
mod columns;
mod columns_extra;
mod columns_pass;
mod columns_walk;
mod credit;
mod interest;
mod plan;
mod report;
mod statement;
mod table;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use approval::{
    route_discount, ApprovalStep, Decision, DiscountBand, DiscountPolicy, DiscountRequest, DiscountRoute,
};
pub use batch_columns::{
    collections_columns, payment_interest_columns, BatchColumns, CollectionsColumnsReport, InterestColumns,
    InterestColumnsReport, InterestLineColumns, INTEREST_KINDS,
};
pub use collections::{
    collections, AgingLine, CollectionReason, CollectionsPolicy, CollectionsReport, CustomerLine, Dso, Grade, OpenItem,
    WarningLevel, COLLECTION_REASONS,
};
pub use columns::{
    commission_columns, CommissionColumnsReport, LineColumns, TransactionColumns, LINE_KINDS, LINE_REASONS,
    MAX_COLUMN_LINES,
};
pub use columns_extra::Category;
pub use interest::{
    payment_interest, Batch, BatchInterest, DayCount, GraceRule, InterestKind, InterestLine, InterestPolicy,
    InterestReport, InterestTotals, Payment,
};
pub use plan::{Accelerator, Accrual, Bounds, CommissionPlan, CurvePoint, PlanKind, RateRule, Spiff, Threshold, Tier};
pub use report::{CommissionReport, CommissionTotals, CreditLine, LineKind, LineReason, RepStatement, StatementLine};

use crate::error::{Error, Result};

/// What a commission run is over: the period's transactions and what is known of the reps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct CommissionInput {
    /// Reps with a quota or earlier periods; reps only named by transactions start at zero.
    #[serde(default)]
    pub reps: Vec<RepInput>,
    /// The period's transactions, in any order (they are taken by date, then sales before
    /// refunds, then input order).
    pub transactions: Vec<Transaction>,
}

/// A rep's quota and the running totals of earlier periods of the plan year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RepInput {
    /// The rep, as transactions name them.
    pub rep: String,
    /// Quota for attainment, > 0 (needed by curves, accelerators, attainment thresholds).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub quota: Option<Decimal>,
    /// Commission credit of earlier periods, ≥ 0: the running total starts there (the
    /// 145,000 + 20,000 across a 150,000 break case).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub prior_credit: Option<Decimal>,
    /// Target credit of earlier periods, ≥ 0 (default: `prior_credit`).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub prior_target_credit: Option<Decimal>,
    /// What earlier periods paid. Default: what the table paid on the prior credit where it
    /// then stood. The final statement reprices the prior credit at the end and pays the
    /// difference (a `prior_periods` line).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub prior_paid: Option<Decimal>,
    /// The period's draw, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<Draw>,
    /// Owed by the rep from earlier recoverable draws (or negative pay), ≥ 0: recovered from
    /// this period's earnings above the draw.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub draw_balance: Option<Decimal>,
}

/// A sale, refund or cancellation credited to reps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// Unique id.
    pub id: String,
    /// When it counts, ≤ `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Sale (default), refund or cancellation.
    #[serde(default)]
    pub kind: TransactionKind,
    /// Amount, ≥ 0 (a refund gives the amount refunded). A cancellation without one cancels
    /// what is left of the sale it refers to.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Option<Decimal>,
    /// Currency; must be the plan's (or the other transactions') when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Product (for the plan's rate rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Customer type (for the plan's rate rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    /// The one rep credited with all of it (instead of `splits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<String>,
    /// Co-owners: revenue shares total exactly 1; overlays need not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub splits: Vec<Split>,
    /// Deliveries to the terminal (accrual `delivery`, `collection_and_delivery`), partial
    /// allowed, dated from `on` to `as_of`, totalling at most `amount`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub deliveries: Vec<Event>,
    /// Payments collected (accrual `collection`, `collection_and_delivery`), likewise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub payments: Vec<Event>,
    /// Refunds and cancellations: the sale (in this input) they undo; they take its splits,
    /// and its commission back at the original rate in the provisional statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<String>,
    /// Refunds and cancellations of a sale paid in an earlier period (not in this input), in
    /// [0, 1]: the rate the sale was paid at (its commission ÷ its credit, to any places).
    /// Its commission is taken back at this rate, in the provisional and the final statement
    /// alike (a `clawback` line, not the tier the running total is in now); its credit still
    /// leaves the running total, and the prior credit repriced by the `prior_periods` line is
    /// what is left of it. Without it such a refund walks the table down from where the rep
    /// stands.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub original_rate: Option<Decimal>,
}

/// A delivery or a payment: part of a sale's amount on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When, between the sale's date and `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// A draw: pay guaranteed for the period, recovered from later earnings or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Draw {
    /// The period's guaranteed pay, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Whether the top-up is owed back from later earnings above the draw (the usual case).
    pub recoverable: bool,
}

/// What a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// Credits its reps.
    #[default]
    Sale,
    /// Takes credit back (part of a sale).
    Refund,
    /// Takes back what is left of a sale.
    Cancellation,
}

/// One co-owner's part of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The rep.
    pub rep: String,
    /// Share of commission credit, in [0, 1]. Revenue shares total exactly 1.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub share: Option<Decimal>,
    /// Revenue splits, instead of `share`: a relative weight ≥ 0 (shares = weight ÷ Σ
    /// weights), for splits no decimal share writes exactly (thirds: weights 1, 1, 1).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weight: Option<Decimal>,
    /// Revenue (default; the revenue shares total 1) or overlay (any share).
    #[serde(default)]
    pub kind: SplitKind,
    /// Share of target credit (分割指标的完成比例), in [0, 1]; default the split's share of
    /// commission credit. Revenue target shares total 1.
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub target_share: Option<Decimal>,
}

/// Revenue or overlay credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// Revenue credit: the shares of a transaction total exactly 100 %.
    #[default]
    Revenue,
    /// Overlay credit (a specialist, a manager): on top, any share.
    Overlay,
}

/// Computes each rep's commission for the period: credits, running totals from earlier
/// periods, provisional and final pay with one statement line per step, and the true-up.
///
/// # Errors
///
/// Plan errors as [`CommissionPlan::validate`]; `duplicate_name` at `reps[k].rep` or
/// `transactions[i].id`; `out_of_range` at `reps[k].quota` (≤ 0), at
/// `transactions[i].splits[j].share` or at a refund's `transactions[i].amount` beyond what is
/// left of its sale; `negative_amount`; `missing_value` (an amount, a rep or splits, a
/// quota the plan needs); `split_total` at `transactions[i].splits`; `currency_mismatch` at
/// `transactions[i].currency`; `date_after_as_of` and `date_order` (a refund before its sale)
/// at `transactions[i].on`; `invalid_value` at `transactions[i].refers_to`; `overflow`.
///
/// # Examples
///
/// See the [module documentation](self).
pub fn compute_commission(
    plan: &CommissionPlan,
    input: &CommissionInput,
    as_of: NaiveDate,
) -> Result<CommissionReport> {
    plan.validate()?;
    let schedule = match plan.accrual {
        Accrual::Booking | Accrual::Attainment => credit::Schedule::Booking,
        Accrual::Delivery => credit::Schedule::Delivery,
        Accrual::Collection => credit::Schedule::Collection,
        Accrual::CollectionAndDelivery => credit::Schedule::Payable,
    };
    let mut report = statement::run(plan, input, &credit::credit(plan, input, as_of, schedule)?)?;
    if plan.accrual == Accrual::CollectionAndDelivery {
        // The second gate: what collection alone accrues, of which the undelivered part is held.
        let accrued = statement::run(plan, input, &credit::credit(plan, input, as_of, credit::Schedule::Collection)?)?;
        for (rep, all) in report.reps.iter_mut().zip(&accrued.reps) {
            rep.accrued = all.final_pay;
            rep.held = all.final_pay.checked_sub(rep.final_pay).ok_or_else(|| Error::overflow("transactions"))?;
        }
    }
    Ok(report)
}

/// Sets the currency in force from the first one found, and refuses any other.
pub(crate) fn check_currency(
    in_force: &mut Option<String>,
    found: Option<&String>,
    path: impl FnOnce() -> String,
) -> Result<()> {
    match (in_force.as_ref(), found) {
        (Some(expected), Some(c)) if expected != c => {
            Err(Error::CurrencyMismatch { path: path(), expected: expected.clone(), found: c.clone() })
        }
        (None, Some(c)) => {
            *in_force = Some(c.clone());
            Ok(())
        }
        _ => Ok(()),
    }
}
