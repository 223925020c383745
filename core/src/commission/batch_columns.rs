//! Invoice / shipment batches and their payments as columns: the batch entry points behind
//! `payment_interest_frame` / `collections_frame` (pandas, Arrow) and `paymentInterestColumns`
//! / `collectionsColumns` (typed arrays). Two tables, as a ledger keeps them: one row per
//! batch, one row per payment naming its batch by row. The answers are
//! [`payment_interest`](super::payment_interest)'s and [`collections`](super::collections)'s
//! on the same batches, with each batch's figures as columns beside its row and errors at the
//! column and row (`amount[3]`, `payments.on[7]`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::collections::{AgingLine, CollectionReason, CollectionsPolicy, CustomerLine, Dso};
use super::interest::{Batch, DayCount, InterestKind, InterestPolicy, InterestTotals, Payment};
use crate::error::{Error, ParseKind, Result};
use crate::forecast::AmountColumn;
use crate::money::to_units;

/// Batches as columns: row `i` is one invoice or shipment batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchColumns<'a> {
    /// Each batch's customer as an index into `customer_labels` (-1: none); `None`: no
    /// customers.
    pub customer: Option<&'a [i32]>,
    /// Customer names the codes refer to.
    pub customer_labels: &'a [String],
    /// Invoice (or shipment) dates, days since 1970-01-01.
    pub invoice_on: &'a [i64],
    /// Due dates, likewise.
    pub due_on: &'a [i64],
    /// Amounts due, ≥ 0.
    pub amount: AmountColumn<'a>,
    /// Payments: the batch (row) each pays.
    pub payment_batch: &'a [i64],
    /// When each payment was made, days since 1970-01-01.
    pub payment_on: &'a [i64],
    /// What each payment paid, ≥ 0.
    pub payment_amount: AmountColumn<'a>,
}

/// The money columns of a report: per batch, in units of 10^-`scale`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterestColumns {
    /// Σ payments.
    pub collected: Vec<i64>,
    /// amount − collected.
    pub outstanding: Vec<i64>,
    /// Bonus interest (paid early).
    pub bonus: Vec<i64>,
    /// Penalty interest on late payments.
    pub penalty: Vec<i64>,
    /// Penalty accrued to `as_of` on what is overdue and unpaid.
    pub accrued_penalty: Vec<i64>,
    /// bonus − penalty − accrued penalty.
    pub net: Vec<i64>,
}

/// Interest lines as columns, batch by batch in row order, each batch's in date order (the
/// record report's `lines`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterestLineColumns {
    /// The batch (row).
    pub batch: Vec<u32>,
    /// The payment (row of the payments), -1 for the unpaid remainder.
    pub payment: Vec<i64>,
    /// The kind: an index into [`INTEREST_KINDS`].
    pub kind: Vec<u8>,
    /// Days from the due date (negative: early).
    pub days: Vec<i64>,
    /// Days the interest runs for.
    pub interest_days: Vec<i64>,
    /// The interest, rounded, in units of 10^-`scale`.
    pub interest: Vec<i64>,
}

/// The kinds [`InterestLineColumns::kind`] indexes.
pub const INTEREST_KINDS: [InterestKind; 4] =
    [InterestKind::EarlyBonus, InterestKind::OnTime, InterestKind::LatePenalty, InterestKind::AccruedPenalty];

/// The result of [`payment_interest_columns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestColumnsReport {
    /// The currency of every amount (the policy's).
    pub currency: Option<String>,
    /// The day-count basis used.
    pub day_count: DayCount,
    /// Places of the money columns: the policy's rounding places.
    pub scale: u32,
    /// Per batch.
    pub batches: InterestColumns,
    /// Sums over the batches.
    pub totals: InterestTotals,
    /// One line per payment (and overdue remainder).
    pub lines: InterestLineColumns,
}

/// The result of [`collections_columns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionsColumnsReport {
    /// Places of the money columns: the policy's rounding places.
    pub scale: u32,
    /// Per batch: collected by `as_of`, units of 10^-`scale`.
    pub collected: Vec<i64>,
    /// Per batch: still open.
    pub outstanding: Vec<i64>,
    /// Per batch: `as_of` − due date for an open item (≤ 0: not yet due); 0 when paid.
    pub days_past_due: Vec<i64>,
    /// Per batch: its aging bucket, an index into `bucket_labels`.
    pub bucket: Vec<u8>,
    /// `not_due`, the policy's buckets, then `paid`.
    pub bucket_labels: Vec<String>,
    /// Per batch: the warning level reached, an index into the policy's `levels`, -1 none.
    pub level: Vec<i32>,
    /// Per batch: the reasons, bit `k` for [`COLLECTION_REASONS`]`[k]`.
    pub reasons: Vec<u8>,
    /// Outstanding per aging bucket, as `collections` gives it.
    pub aging: Vec<AgingLine>,
    /// One line per customer, with its credit grade.
    pub customers: Vec<CustomerLine>,
    /// Days sales outstanding.
    pub dso: Dso,
}

/// The reasons [`CollectionsColumnsReport::reasons`] has a bit for.
pub const COLLECTION_REASONS: [CollectionReason; 5] = [
    CollectionReason::Paid,
    CollectionReason::PartlyPaid,
    CollectionReason::NotDue,
    CollectionReason::WithinGrace,
    CollectionReason::Overdue,
];

/// [`payment_interest`](super::payment_interest) over batches and payments as columns: the
/// same report, each batch's sums as columns beside its row, the lines as columns.
///
/// # Errors
///
/// As `payment_interest`, at the column and row: `negative_amount` at `amount[i]` or
/// `payments.amount[j]`, `date_order` at `due_on[i]` or `payments.on[j]`, `date_after_as_of`,
/// `out_of_range` at `payments.amount[j]` (paid beyond the amount); besides, `invalid_value`
/// at a column whose length differs from `invoice_on`'s (or `payment_batch`'s), at
/// `payments.batch[j]` naming no row, at `customer[i]` for a code with no label;
/// `missing_value` at a date that is NaT (`i64::MIN`); `invalid_date` at a date outside the
/// years 0001–9999; `invalid_type` at a NaN amount.
///
/// # Examples
///
/// ```
/// use crmkit::commission::{payment_interest_columns, BatchColumns, InterestPolicy};
/// use crmkit::forecast::AmountColumn;
///
/// let policy: InterestPolicy = crmkit::wire::from_json(r#"{"late_rate": "0.18", "day_count": "actual_365"}"#, "")?;
/// let columns = BatchColumns {
///     customer: None,
///     customer_labels: &[],
///     invoice_on: &[20_454], // 2026-01-01
///     due_on: &[20_484],     // 2026-01-31
///     amount: AmountColumn::Units { units: &[100_000], scale: 0 },
///     payment_batch: &[0],
///     payment_on: &[20_529], // 2026-03-17: 45 days late
///     payment_amount: AmountColumn::Units { units: &[100_000], scale: 0 },
/// };
/// let report = payment_interest_columns(&policy, &columns, chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())?;
/// assert_eq!(report.batches.penalty, [221_918]); // 2,219.18 in cents
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn payment_interest_columns(
    policy: &InterestPolicy,
    columns: &BatchColumns,
    as_of: NaiveDate,
) -> Result<InterestColumnsReport> {
    policy.validate()?;
    let (batches, rows) = records(columns)?;
    let report = super::payment_interest(policy, &batches, as_of).map_err(|e| relocate(e, &rows))?;
    let dp = policy.rounding.dp;
    let mut out = InterestColumns::default();
    let mut lines = InterestLineColumns::default();
    for (i, b) in report.batches.iter().enumerate() {
        let t = &b.totals;
        let path = || format!("amount[{i}]");
        for (column, value) in [
            (&mut out.collected, t.collected),
            (&mut out.outstanding, t.outstanding),
            (&mut out.bonus, t.bonus),
            (&mut out.penalty, t.penalty),
            (&mut out.accrued_penalty, t.accrued_penalty),
            (&mut out.net, t.net),
        ] {
            column.push(units(value, dp, &path)?);
        }
        for line in &b.lines {
            lines.batch.push(i as u32); // rows fit u32: checked by `records`
            lines.payment.push(line.payment.map_or(-1, |j| i64::from(rows[i][j as usize])));
            lines.kind.push(INTEREST_KINDS.iter().position(|k| *k == line.kind).unwrap_or(0) as u8);
            lines.days.push(line.days);
            lines.interest_days.push(line.interest_days);
            lines.interest.push(units(line.interest, dp, &path)?);
        }
    }
    Ok(InterestColumnsReport {
        currency: report.currency,
        day_count: report.day_count,
        scale: dp,
        batches: out,
        totals: report.totals,
        lines,
    })
}

/// [`collections`](super::collections) over batches and payments as columns: the same
/// report, each batch's open item as columns beside its row.
///
/// # Errors
///
/// Policy errors as [`CollectionsPolicy::validate`]; column and row errors as
/// [`payment_interest_columns`].
///
/// # Examples
///
/// ```
/// use crmkit::commission::{collections_columns, BatchColumns, CollectionsPolicy};
/// use crmkit::forecast::AmountColumn;
///
/// let policy: CollectionsPolicy = crmkit::wire::from_json("{}", "")?;
/// let labels = ["acme".to_owned()];
/// let columns = BatchColumns {
///     customer: Some(&[0]),
///     customer_labels: &labels,
///     invoice_on: &[20_454], // 2026-01-01
///     due_on: &[20_484],     // 2026-01-31
///     amount: AmountColumn::Units { units: &[1_000], scale: 0 },
///     payment_batch: &[],
///     payment_on: &[],
///     payment_amount: AmountColumn::Units { units: &[], scale: 0 },
/// };
/// let report = collections_columns(&policy, &columns, chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())?;
/// assert_eq!(report.days_past_due, [59]);
/// assert_eq!(report.bucket_labels[usize::from(report.bucket[0])], "31-60");
/// assert_eq!(report.customers[0].grade, "D");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn collections_columns(
    policy: &CollectionsPolicy,
    columns: &BatchColumns,
    as_of: NaiveDate,
) -> Result<CollectionsColumnsReport> {
    policy.validate()?;
    let (batches, rows) = records(columns)?;
    let report = super::collections(policy, &batches, as_of).map_err(|e| relocate(e, &rows))?;
    let dp = policy.rounding.dp;
    let mut bucket_labels: Vec<String> = report.aging.iter().map(|a| a.bucket.clone()).collect();
    bucket_labels.push("paid".to_owned());
    let n = report.batches.len();
    let mut out = CollectionsColumnsReport {
        scale: dp,
        collected: Vec::with_capacity(n),
        outstanding: Vec::with_capacity(n),
        days_past_due: Vec::with_capacity(n),
        bucket: Vec::with_capacity(n),
        bucket_labels,
        level: Vec::with_capacity(n),
        reasons: Vec::with_capacity(n),
        aging: report.aging,
        customers: report.customers,
        dso: report.dso,
    };
    for (i, item) in report.batches.iter().enumerate() {
        let path = || format!("amount[{i}]");
        out.collected.push(units(item.collected, dp, &path)?);
        out.outstanding.push(units(item.outstanding, dp, &path)?);
        out.days_past_due.push(item.days_past_due);
        out.bucket.push(out.bucket_labels.iter().position(|b| *b == item.bucket).unwrap_or(0) as u8);
        let level = item.level.as_ref().and_then(|l| policy.levels.iter().position(|x| x.name == *l));
        out.level.push(level.map_or(-1, |k| k as i32));
        out.reasons.push(
            item.reasons
                .iter()
                .filter_map(|r| COLLECTION_REASONS.iter().position(|x| x == r))
                .fold(0u8, |bits, k| bits | (1 << k)),
        );
    }
    Ok(out)
}

fn units(value: Decimal, dp: u32, path: &dyn Fn() -> String) -> Result<i64> {
    to_units(value, dp).and_then(|u| i64::try_from(u).ok()).ok_or_else(|| Error::overflow(path()))
}

/// The batches as records (ids are the rows), and each batch's payment rows in row order.
fn records(columns: &BatchColumns) -> Result<(Vec<Batch>, Vec<Vec<u32>>)> {
    let n = columns.invoice_on.len();
    let m = columns.payment_batch.len();
    crate::limits::check("invoice_on", n, u64::from(u32::MAX), "rows")?;
    crate::limits::check("payments.batch", m, u64::from(u32::MAX), "rows")?;
    let lengths = [
        ("due_on", columns.due_on.len(), n),
        ("amount", amount_len(&columns.amount), n),
        ("customer", columns.customer.map_or(n, <[i32]>::len), n),
        ("payments.on", columns.payment_on.len(), m),
        ("payments.amount", amount_len(&columns.payment_amount), m),
    ];
    for (name, len, want) in lengths {
        if len != want {
            return Err(Error::InvalidValue {
                path: name.into(),
                reason: format!("column has {len} rows, not {want}"),
            });
        }
    }
    let amounts = decimals(&columns.amount, "amount")?;
    let paid = decimals(&columns.payment_amount, "payments.amount")?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (j, &b) in columns.payment_batch.iter().enumerate() {
        let i = usize::try_from(b).ok().filter(|&i| i < n).ok_or_else(|| Error::InvalidValue {
            path: format!("payments.batch[{j}]"),
            reason: format!("{b} is not a batch row (0 to {})", n.saturating_sub(1)),
        })?;
        rows[i].push(j as u32);
    }
    let labels = columns.customer_labels.len();
    let mut batches = Vec::with_capacity(n);
    for i in 0..n {
        let customer = match columns.customer.map(|c| c[i]) {
            None | Some(-1) => None,
            Some(code) => {
                Some(usize::try_from(code).ok().and_then(|c| columns.customer_labels.get(c)).cloned().ok_or_else(
                    || Error::InvalidValue {
                        path: format!("customer[{i}]"),
                        reason: format!("code {code} has no label ({labels} labels)"),
                    },
                )?)
            }
        };
        let payments = rows[i]
            .iter()
            .map(|&j| {
                let j = j as usize;
                Ok(Payment { on: date(columns.payment_on[j], || format!("payments.on[{j}]"))?, amount: paid[j] })
            })
            .collect::<Result<_>>()?;
        batches.push(Batch {
            id: i.to_string(),
            customer,
            invoice_on: date(columns.invoice_on[i], || format!("invoice_on[{i}]"))?,
            due_on: date(columns.due_on[i], || format!("due_on[{i}]"))?,
            amount: amounts[i],
            currency: None,
            payments,
        });
    }
    Ok((batches, rows))
}

pub(crate) fn amount_len(amount: &AmountColumn) -> usize {
    match *amount {
        AmountColumn::Decimal(a) => a.len(),
        AmountColumn::Units { units, .. } => units.len(),
        AmountColumn::Float { values, .. } => values.len(),
    }
}

/// A column's amounts as decimals (integer units at their scale; floats rounded once to
/// `scale` places, as every money column rounds them).
pub(crate) fn decimals(amount: &AmountColumn, name: &str) -> Result<Vec<Decimal>> {
    let path = |i: usize| format!("{name}[{i}]");
    match *amount {
        AmountColumn::Decimal(a) => Ok(a.to_vec()),
        AmountColumn::Units { units, scale } => {
            if scale > 28 {
                return Err(Error::out_of_range(format!("{name}_scale"), scale, 0, 28));
            }
            Ok(units.iter().map(|&u| Decimal::new(u, scale)).collect())
        }
        AmountColumn::Float { values, scale } => {
            if scale > 18 {
                return Err(Error::out_of_range(format!("{name}_scale"), scale, 0, 18));
            }
            let pow = 10f64.powi(scale as i32);
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if !v.is_finite() {
                        return Err(Error::Parse {
                            kind: ParseKind::Type,
                            path: path(i),
                            message: format!("{v} is not an amount"),
                        });
                    }
                    let u = crate::forecast::float_units(v, pow).ok_or_else(|| Error::overflow(path(i)))?;
                    Ok(Decimal::new(u, scale))
                })
                .collect()
        }
    }
}

pub(crate) fn date(day: i64, path: impl Fn() -> String) -> Result<NaiveDate> {
    if day == i64::MIN {
        return Err(Error::MissingValue { path: path(), reason: "the row has no date".into() });
    }
    crate::wire::check_days(&[day], None, |_| path())?;
    let d = i32::try_from(day + 719_163).ok().and_then(NaiveDate::from_num_days_from_ce_opt);
    d.ok_or_else(|| Error::Parse { kind: ParseKind::Date, path: path(), message: format!("day {day} is no date") })
}

/// A record error's path (`batches[3].payments[1].on`) as the columns' (`payments.on[7]`).
fn relocate(e: Error, rows: &[Vec<u32>]) -> Error {
    e.relocated(|path| {
        let rest = path.strip_prefix("batches[")?;
        let (i, rest) = rest.split_once(']')?;
        let i: usize = i.parse().ok()?;
        if let Some(rest) = rest.strip_prefix(".payments[") {
            let (j, field) = rest.split_once("].")?;
            let row = rows.get(i)?.get(j.parse::<usize>().ok()?)?;
            return Some(format!("payments.{field}[{row}]"));
        }
        match rest.strip_prefix('.') {
            Some(field) => Some(format!("{field}[{i}]")),
            None => Some(format!("amount[{i}]")),
        }
    })
}
