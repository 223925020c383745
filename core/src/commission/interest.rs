//! Early-payment bonus interest (提前回款奖息) and late-payment penalty interest (超期回款罚息)
//! per invoice / shipment batch: simple interest at declared annual rates, on a declared
//! day-count basis, with grace days.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{add, mul, Rounding};

/// How interest on collections is computed.
///
/// # Examples
///
/// ```
/// use crmkit::commission::{payment_interest, Batch, InterestPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: InterestPolicy = from_json(r#"{"late_rate": "0.18", "day_count": "actual_365"}"#, "")?;
/// let batches: Vec<Batch> = from_json(r#"[{"id": "inv1", "invoice_on": "2026-01-01", "due_on": "2026-01-31",
///     "amount": "100000", "payments": [{"on": "2026-03-17", "amount": "100000"}]}]"#, "batches")?;
/// let report = payment_interest(&policy, &batches, chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())?;
/// assert_eq!(report.totals.penalty.to_string(), "2219.18"); // 100,000 × 18 % × 45 / 365
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct InterestPolicy {
    /// Annual bonus rate for each day paid before the due date, in [0, 1] (absent: none).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub early_rate: Option<Decimal>,
    /// Annual penalty rate for each day paid after the due date (and its grace), in [0, 1].
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub late_rate: Option<Decimal>,
    /// The day-count basis: declared, never assumed.
    pub day_count: DayCount,
    /// Days after the due date before a payment is late (default 0).
    #[serde(default)]
    pub grace_days: u32,
    /// Whether a payment beyond the grace pays for the grace days too.
    #[serde(default)]
    pub grace: GraceRule,
    /// The currency of every batch (absent: the batches' common one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Rounding of each interest line (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
}

/// Day-count basis of annual rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Actual days ÷ 365.
    #[serde(rename = "actual_365")]
    Actual365,
    /// Actual days ÷ 360 (the money-market convention).
    #[serde(rename = "actual_360")]
    Actual360,
    /// ISDA actual/actual: the days in each calendar year ÷ that year's length (365 or 366).
    ActualActual,
}

/// What the grace days do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum GraceRule {
    /// Penalty runs from the end of the grace: 45 days late with 5 grace days pays 40.
    #[default]
    Deducted,
    /// Within the grace nothing is due; beyond it, the penalty runs from the due date.
    WaivedWithin,
}

/// An invoice or shipment batch and what was collected on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Unique id.
    pub id: String,
    /// The customer who owes it (collections group by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Invoice (or shipment) date: no payment precedes it.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub invoice_on: NaiveDate,
    /// Due date, ≥ `invoice_on`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub due_on: NaiveDate,
    /// Amount due, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Currency (must be the policy's or the other batches').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Payments (partial allowed), in any order; they total at most `amount`.
    #[serde(default)]
    pub payments: Vec<Payment>,
}

/// A payment on a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// When, between the invoice date and `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// Bonus and penalty interest per batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct InterestReport {
    /// The currency of every amount.
    pub currency: Option<String>,
    /// The day-count basis used.
    pub day_count: DayCount,
    /// One line per batch, in input order.
    pub batches: Vec<BatchInterest>,
    /// Sums over the batches.
    pub totals: InterestTotals,
}

/// Sums of collected, outstanding and interest amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct InterestTotals {
    /// Σ payments.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub collected: Decimal,
    /// Σ amount − collected.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub outstanding: Decimal,
    /// Σ bonus interest (paid early).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub bonus: Decimal,
    /// Σ penalty interest on late payments.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub penalty: Decimal,
    /// Σ penalty accrued to `as_of` on what is overdue and unpaid (provisional).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub accrued_penalty: Decimal,
    /// bonus − penalty − accrued penalty.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub net: Decimal,
}

/// One batch: its totals and one line per payment (plus the overdue remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct BatchInterest {
    /// The batch.
    pub id: String,
    /// Its sums.
    #[serde(flatten)]
    pub totals: InterestTotals,
    /// One per payment in date order, then the unpaid remainder if overdue at `as_of`.
    pub lines: Vec<InterestLine>,
}

/// The interest on one payment (or on the overdue remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct InterestLine {
    /// What it is.
    pub kind: InterestKind,
    /// Index of the payment in the batch's list (none for the unpaid remainder).
    pub payment: Option<u32>,
    /// Payment date (`as_of` for the unpaid remainder).
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub on: NaiveDate,
    /// The amount the interest is on.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Days from the due date (negative: early).
    pub days: i64,
    /// Days the interest runs for (after early / grace rules).
    pub interest_days: i64,
    /// The annual rate applied (0 when none).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub rate: Decimal,
    /// The fraction of a year the days make on the basis (unrounded, normalised).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub year_fraction: Decimal,
    /// amount × rate × year fraction, unrounded and normalised.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub exact: Decimal,
    /// `exact` rounded once: bonus for early lines, penalty for late ones (≥ 0).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub interest: Decimal,
}

/// The kind of an interest line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum InterestKind {
    /// Paid before the due date: bonus interest (提前回款奖息).
    EarlyBonus,
    /// Paid on the due date or within the grace: nothing.
    OnTime,
    /// Paid after the due date and its grace: penalty interest (超期回款罚息).
    LatePenalty,
    /// Unpaid and past due and grace at `as_of`: penalty accrued so far (provisional).
    AccruedPenalty,
}

/// The fraction of a year from `from` to `to` (`to` ≥ `from`) on `basis`, as an exact
/// numerator and denominator so that interest divides once, last.
pub(crate) fn year_fraction(basis: DayCount, from: NaiveDate, to: NaiveDate) -> (i64, i64) {
    let days = (to - from).num_days();
    match basis {
        DayCount::Actual365 => (days, 365),
        DayCount::Actual360 => (days, 360),
        DayCount::ActualActual => {
            // d1 / 365 + d2 / 366 = (d1 × 366 + d2 × 365) / (365 × 366).
            let (mut normal, mut leap) = (0i64, 0i64);
            let mut start = from;
            while start < to {
                let next_year = NaiveDate::from_ymd_opt(start.year() + 1, 1, 1).unwrap_or(NaiveDate::MAX);
                let end = next_year.min(to);
                let d = (end - start).num_days();
                if NaiveDate::from_ymd_opt(start.year(), 2, 29).is_some() {
                    leap += d;
                } else {
                    normal += d;
                }
                start = end;
            }
            (normal * 366 + leap * 365, 365 * 366)
        }
    }
}

impl InterestPolicy {
    /// Checks rates and rounding.
    ///
    /// # Errors
    ///
    /// `out_of_range` at `early_rate`, `late_rate` or `rounding.dp`.
    pub fn validate(&self) -> Result<()> {
        self.rounding.validate("rounding")?;
        for (rate, path) in [(self.early_rate, "early_rate"), (self.late_rate, "late_rate")] {
            if let Some(r) = rate
                && (r < Decimal::ZERO || r > Decimal::ONE)
            {
                return Err(Error::out_of_range(path, r, 0, 1));
            }
        }
        Ok(())
    }
}

/// Bonus interest on early payments and penalty interest on late ones, per batch, plus the
/// penalty accrued to `as_of` on what is overdue and unpaid.
///
/// # Errors
///
/// Policy errors as [`InterestPolicy::validate`]; for batch `i`: `duplicate_name` at
/// `batches[i].id`, `negative_amount`, `date_order` at `batches[i].due_on` (before the
/// invoice) or `batches[i].payments[j].on` (a payment before the invoice),
/// `date_after_as_of`, `out_of_range` at `batches[i].payments[j].amount` (paid beyond the
/// amount), `currency_mismatch` at `batches[i].currency`, `overflow`.
///
/// # Examples
///
/// See [`InterestPolicy`].
pub fn payment_interest(policy: &InterestPolicy, batches: &[Batch], as_of: NaiveDate) -> Result<InterestReport> {
    policy.validate()?;
    let mut out = Vec::with_capacity(batches.len());
    let (currency, totals) = interest_with(policy, batches.iter().map(BatchView::from), as_of, |i, totals, lines| {
        out.push(BatchInterest { id: batches[i].id.clone(), totals: totals.clone(), lines: lines.to_vec() });
        Ok(())
    })?;
    Ok(InterestReport { currency, day_count: policy.day_count, batches: out, totals })
}

/// A batch as the rules read it, borrowed from a [`Batch`] or from columns: the record API
/// and the columnar one run the same code, without a record a row for the columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchView<'a> {
    /// Its id (`None`: a row of columns, which no other row repeats).
    pub(crate) id: Option<&'a str>,
    /// Its customer.
    pub(crate) customer: Option<&'a str>,
    /// The customer's code in columns, which names one customer wherever it stands (`None`:
    /// known by name only).
    pub(crate) customer_code: Option<u32>,
    /// Its currency.
    pub(crate) currency: Option<&'a String>,
    /// Invoice date.
    pub(crate) invoice_on: NaiveDate,
    /// Due date.
    pub(crate) due_on: NaiveDate,
    /// Amount due.
    pub(crate) amount: Decimal,
    /// Its payments, in the batch's order.
    pub(crate) payments: &'a [Payment],
}

impl<'a> From<&'a Batch> for BatchView<'a> {
    fn from(b: &'a Batch) -> Self {
        Self {
            id: Some(&b.id),
            customer: b.customer.as_deref(),
            customer_code: None,
            currency: b.currency.as_ref(),
            invoice_on: b.invoice_on,
            due_on: b.due_on,
            amount: b.amount,
            payments: &b.payments,
        }
    }
}

/// [`payment_interest`] over batch views (the policy validated): checks them all first, then
/// hands `each` every batch's row, sums and lines in order. Returns the currency in force and
/// the sums over the batches.
pub(crate) fn interest_with<'a, I>(
    policy: &InterestPolicy,
    batches: I,
    as_of: NaiveDate,
    mut each: impl FnMut(usize, &InterestTotals, &[InterestLine]) -> Result<()>,
) -> Result<(Option<String>, InterestTotals)>
where
    I: Iterator<Item = BatchView<'a>> + Clone,
{
    let currency = check_batches(batches.clone(), as_of, policy.currency.as_ref())?;
    let zero = policy.rounding.round(Decimal::ZERO);
    let mut totals = InterestTotals {
        collected: zero,
        outstanding: zero,
        bonus: zero,
        penalty: zero,
        accrued_penalty: zero,
        net: zero,
    };
    let (mut order, mut lines) = (Vec::new(), Vec::new());
    for (i, b) in batches.enumerate() {
        let t = batch_interest(policy, &b, as_of, i, &mut order, &mut lines)?;
        let sum = |a: Decimal, b: Decimal| add(a, b, || "batches".to_owned());
        totals = InterestTotals {
            collected: sum(totals.collected, t.collected)?,
            outstanding: sum(totals.outstanding, t.outstanding)?,
            bonus: sum(totals.bonus, t.bonus)?,
            penalty: sum(totals.penalty, t.penalty)?,
            accrued_penalty: sum(totals.accrued_penalty, t.accrued_penalty)?,
            net: sum(totals.net, t.net)?,
        };
        each(i, &t, &lines)?;
    }
    Ok((currency, totals))
}

/// Checks every batch: unique ids, one currency, amounts ≥ 0, due date and payments not
/// before the invoice, nothing after `as_of`, payments within the amount. Returns the
/// currency in force.
pub(crate) fn check_batches<'a>(
    batches: impl Iterator<Item = BatchView<'a>>,
    as_of: NaiveDate,
    currency: Option<&String>,
) -> Result<Option<String>> {
    let mut currency = currency.cloned();
    let rows = batches.size_hint().0;
    let mut ids = std::collections::HashMap::new();
    for (i, b) in batches.enumerate() {
        let path = |f: &str| format!("batches[{i}].{f}");
        if let Some(id) = b.id {
            if ids.is_empty() {
                ids.reserve(rows);
            }
            if let Some(first) = ids.insert(id, i) {
                return Err(Error::DuplicateName {
                    path: path("id"),
                    name: id.to_owned(),
                    first: format!("batches[{first}].id"),
                });
            }
        }
        crate::commission::check_currency(&mut currency, b.currency, || path("currency"))?;
        if b.amount.is_sign_negative() && !b.amount.is_zero() {
            return Err(Error::NegativeAmount { path: path("amount"), value: b.amount.to_string() });
        }
        if b.due_on < b.invoice_on {
            return Err(Error::DateOrder {
                path: path("due_on"),
                date: b.due_on.to_string(),
                earlier: b.invoice_on.to_string(),
            });
        }
        if b.invoice_on > as_of {
            return Err(Error::DateAfterAsOf {
                path: path("invoice_on"),
                date: b.invoice_on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        let mut collected = Decimal::ZERO;
        for (j, p) in b.payments.iter().enumerate() {
            let pp = |f: &str| format!("batches[{i}].payments[{j}].{f}");
            if p.on < b.invoice_on {
                return Err(Error::DateOrder {
                    path: pp("on"),
                    date: p.on.to_string(),
                    earlier: b.invoice_on.to_string(),
                });
            }
            if p.on > as_of {
                return Err(Error::DateAfterAsOf { path: pp("on"), date: p.on.to_string(), as_of: as_of.to_string() });
            }
            if p.amount.is_sign_negative() && !p.amount.is_zero() {
                return Err(Error::NegativeAmount { path: pp("amount"), value: p.amount.to_string() });
            }
            collected = add(collected, p.amount, || pp("amount"))?;
            if collected > b.amount {
                return Err(Error::out_of_range(pp("amount"), p.amount, 0, b.amount - (collected - p.amount)));
            }
        }
    }
    Ok(currency)
}

/// One batch's interest (checked by [`check_batches`]): its sums, its lines in `lines`
/// (`order` is scratch space).
fn batch_interest(
    policy: &InterestPolicy,
    b: &BatchView,
    as_of: NaiveDate,
    i: usize,
    order: &mut Vec<usize>,
    lines: &mut Vec<InterestLine>,
) -> Result<InterestTotals> {
    let path = |f: &str| format!("batches[{i}].{f}");
    let rounding = policy.rounding;
    order.clear();
    order.extend(0..b.payments.len());
    order.sort_by_key(|&j| (b.payments[j].on, j));
    let collected = b.payments.iter().try_fold(Decimal::ZERO, |a, p| add(a, p.amount, || path("payments")))?;
    lines.clear();
    let (mut bonus, mut penalty, mut accrued) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for &j in order.iter() {
        let p = &b.payments[j];
        let line = interest_line(policy, b.due_on, p.on, p.amount, Some(j as u32), &|| {
            format!("batches[{i}].payments[{j}].amount")
        })?;
        match line.kind {
            InterestKind::EarlyBonus => bonus = add(bonus, line.interest, || path("payments"))?,
            InterestKind::LatePenalty => penalty = add(penalty, line.interest, || path("payments"))?,
            _ => {}
        }
        lines.push(line);
    }
    let outstanding = b.amount - collected;
    if outstanding > Decimal::ZERO {
        let line = interest_line(policy, b.due_on, as_of, outstanding, None, &|| path("amount"))?;
        if line.kind == InterestKind::LatePenalty {
            accrued = line.interest;
            lines.push(InterestLine { kind: InterestKind::AccruedPenalty, ..line });
        }
    }
    let net = bonus
        .checked_sub(penalty)
        .and_then(|x| x.checked_sub(accrued))
        .ok_or_else(|| Error::overflow(path("amount")))?;
    Ok(InterestTotals {
        collected: rounding.round(collected),
        outstanding: rounding.round(outstanding),
        bonus: rounding.round(bonus),
        penalty: rounding.round(penalty),
        accrued_penalty: rounding.round(accrued),
        net: rounding.round(net),
    })
}

fn interest_line(
    policy: &InterestPolicy,
    due: NaiveDate,
    on: NaiveDate,
    amount: Decimal,
    payment: Option<u32>,
    path: &dyn Fn() -> String,
) -> Result<InterestLine> {
    let days = (on - due).num_days();
    let grace = i64::from(policy.grace_days);
    let (kind, rate, from, to) = if days < 0 {
        match policy.early_rate {
            Some(r) => (InterestKind::EarlyBonus, r, on, due),
            None => (InterestKind::OnTime, Decimal::ZERO, on, on),
        }
    } else if days <= grace {
        (InterestKind::OnTime, Decimal::ZERO, on, on)
    } else {
        let start = match policy.grace {
            // Within the date range: on - due > grace, so due + grace < on.
            GraceRule::Deducted => due.checked_add_days(chrono::Days::new(u64::from(policy.grace_days))).unwrap_or(on),
            GraceRule::WaivedWithin => due,
        };
        match policy.late_rate {
            Some(r) => (InterestKind::LatePenalty, r, start, on),
            None => (InterestKind::OnTime, Decimal::ZERO, on, on),
        }
    };
    let (num, den) = year_fraction(policy.day_count, from, to);
    let exact = mul(mul(amount, rate, path)?, Decimal::from(num), path)?
        .checked_div(Decimal::from(den))
        .ok_or_else(|| Error::overflow(path()))?;
    let fraction = Decimal::from(num).checked_div(Decimal::from(den)).unwrap_or_default();
    Ok(InterestLine {
        kind,
        payment,
        on,
        amount,
        days,
        interest_days: (to - from).num_days(),
        rate,
        year_fraction: fraction.normalize(),
        exact: exact.normalize(),
        interest: policy.rounding.round(exact),
    })
}
