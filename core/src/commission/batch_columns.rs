//! Invoice / shipment batches and their payments as columns: the batch entry points behind
//! `payment_interest_frame` / `collections_frame` (pandas, Arrow) and `paymentInterestColumns`
//! / `collectionsColumns` (typed arrays). Two tables, as a ledger keeps them: one row per
//! batch, one row per payment naming its batch by row. The answers are
//! [`payment_interest`](super::payment_interest)'s and [`collections`](super::collections)'s
//! on the same batches, with each batch's figures as columns beside its row and errors at the
//! column and row (`amount[3]`, `payments.on[7]`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::collections::{aging_labels, collections_with, AgingLine, CollectionsPolicy, CustomerLine, Dso};
use super::interest::{interest_with, BatchView, DayCount, InterestKind, InterestPolicy, InterestTotals, Payment};
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
    /// Per batch: the reasons, bit `k` for [`COLLECTION_REASONS`](super::COLLECTION_REASONS)`[k]`.
    pub reasons: Vec<u8>,
    /// Outstanding per aging bucket, as `collections` gives it.
    pub aging: Vec<AgingLine>,
    /// One line per customer, with its credit grade.
    pub customers: Vec<CustomerLine>,
    /// Days sales outstanding.
    pub dso: Dso,
}

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
    let rows = Rows::of(columns)?;
    let dp = policy.rounding.dp;
    let n = rows.start.len() - 1;
    let mut out = InterestColumns {
        collected: Vec::with_capacity(n),
        outstanding: Vec::with_capacity(n),
        bonus: Vec::with_capacity(n),
        penalty: Vec::with_capacity(n),
        accrued_penalty: Vec::with_capacity(n),
        net: Vec::with_capacity(n),
    };
    let mut lines = InterestLineColumns::default();
    for column in [&mut lines.payment, &mut lines.days, &mut lines.interest_days, &mut lines.interest] {
        column.reserve(rows.payments.len());
    }
    lines.batch.reserve(rows.payments.len());
    lines.kind.reserve(rows.payments.len());
    // A figure beyond 64-bit units is an error once the whole report stands (as a record
    // report's errors come first).
    let mut overflow = None;
    let mut units = |value: Decimal, i: usize| {
        units(value, dp, &|| format!("amount[{i}]")).unwrap_or_else(|e| {
            overflow.get_or_insert(e);
            0
        })
    };
    let (currency, totals) = interest_with(policy, rows.views(columns), as_of, |i, t, batch_lines| {
        for (column, value) in [
            (&mut out.collected, t.collected),
            (&mut out.outstanding, t.outstanding),
            (&mut out.bonus, t.bonus),
            (&mut out.penalty, t.penalty),
            (&mut out.accrued_penalty, t.accrued_penalty),
            (&mut out.net, t.net),
        ] {
            column.push(units(value, i));
        }
        for line in batch_lines {
            lines.batch.push(i as u32); // rows fit u32: checked by `Rows::of`
            lines.payment.push(line.payment.map_or(-1, |j| i64::from(rows.row(i, j as usize))));
            lines.kind.push(INTEREST_KINDS.iter().position(|k| *k == line.kind).unwrap_or(0) as u8);
            lines.days.push(line.days);
            lines.interest_days.push(line.interest_days);
            lines.interest.push(units(line.interest, i));
        }
        Ok(())
    })
    .map_err(|e| rows.relocate(e))?;
    if let Some(e) = overflow {
        return Err(e);
    }
    Ok(InterestColumnsReport { currency, day_count: policy.day_count, scale: dp, batches: out, totals, lines })
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
    let rows = Rows::of(columns)?;
    let dp = policy.rounding.dp;
    let n = rows.start.len() - 1;
    let mut bucket_labels = aging_labels(policy);
    bucket_labels.push("paid".to_owned());
    let (mut collected, mut outstanding, mut days_past_due) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut bucket, mut level, mut reasons) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut overflow = None;
    let (aging, customers, dso) = collections_with(policy, rows.views(columns), as_of, |i, item| {
        let r = policy.rounding;
        let path = || format!("amount[{i}]");
        for (column, value) in [(&mut collected, item.collected), (&mut outstanding, item.outstanding)] {
            column.push(units(r.round(value), dp, &path).unwrap_or_else(|e| {
                overflow.get_or_insert(e);
                0
            }));
        }
        days_past_due.push(item.days_past_due);
        bucket.push(item.bucket as u8);
        level.push(item.level.map_or(-1, |k| k as i32));
        reasons.push(item.reasons);
    })
    .map_err(|e| rows.relocate(e))?;
    if let Some(e) = overflow {
        return Err(e);
    }
    Ok(CollectionsColumnsReport {
        scale: dp,
        collected,
        outstanding,
        days_past_due,
        bucket,
        bucket_labels,
        level,
        reasons,
        aging,
        customers,
        dso,
    })
}

fn units(value: Decimal, dp: u32, path: &dyn Fn() -> String) -> Result<i64> {
    to_units(value, dp).and_then(|u| i64::try_from(u).ok()).ok_or_else(|| Error::overflow(path()))
}

/// The columns checked and read as the rules read them: every batch's payments together
/// (in row order within a batch), dates as dates, amounts as decimals; no record a row.
struct Rows {
    /// Batch `i`'s payments are `payments[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    /// Each of them's row in the payment columns.
    row: Vec<u32>,
    payments: Vec<Payment>,
    invoice_on: Vec<NaiveDate>,
    due_on: Vec<NaiveDate>,
    amounts: Vec<Decimal>,
}

impl Rows {
    /// Checks the columns as a record a row would (errors in the same order: lengths, amounts,
    /// payment batches, then row by row its customer, its payments' dates and its own).
    fn of(columns: &BatchColumns) -> Result<Self> {
        let n = columns.invoice_on.len();
        let m = columns.payment_batch.len();
        crate::limits::check("invoice_on", n, u64::from(u32::MAX), "rows")?;
        crate::limits::check("payments.batch", m, u64::from(u32::MAX), "rows")?;
        let lengths = [
            ("due_on", columns.due_on.len(), n),
            ("amount", columns.amount.len(), n),
            ("customer", columns.customer.map_or(n, <[i32]>::len), n),
            ("payments.on", columns.payment_on.len(), m),
            ("payments.amount", columns.payment_amount.len(), m),
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
        // Each batch's payments together, by counting: a batch's count, then where it starts.
        let mut start = vec![0u32; n + 1];
        for (j, &b) in columns.payment_batch.iter().enumerate() {
            let i = usize::try_from(b).ok().filter(|&i| i < n).ok_or_else(|| Error::InvalidValue {
                path: format!("payments.batch[{j}]"),
                reason: format!("{b} is not a batch row (0 to {})", n.saturating_sub(1)),
            })?;
            start[i + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut row = vec![0u32; m];
        for (j, &b) in columns.payment_batch.iter().enumerate() {
            let at = &mut next[b as usize]; // a row: checked above
            row[*at as usize] = j as u32;
            *at += 1;
        }
        let labels = columns.customer_labels.len();
        let mut payments = Vec::with_capacity(m);
        let (mut invoice_on, mut due_on) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            if let Some(code) = columns.customer.map(|c| c[i]).filter(|&c| c != -1)
                && usize::try_from(code).map_or(true, |c| c >= labels)
            {
                return Err(Error::InvalidValue {
                    path: format!("customer[{i}]"),
                    reason: format!("code {code} has no label ({labels} labels)"),
                });
            }
            for &j in &row[start[i] as usize..start[i + 1] as usize] {
                let j = j as usize;
                payments.push(Payment {
                    on: date(columns.payment_on[j], || format!("payments.on[{j}]"))?,
                    amount: paid[j],
                });
            }
            invoice_on.push(date(columns.invoice_on[i], || format!("invoice_on[{i}]"))?);
            due_on.push(date(columns.due_on[i], || format!("due_on[{i}]"))?);
        }
        Ok(Self { start, row, payments, invoice_on, due_on, amounts })
    }

    /// The batches, in row order.
    fn views<'a>(&'a self, columns: &'a BatchColumns) -> impl Iterator<Item = BatchView<'a>> + Clone {
        (0..self.invoice_on.len()).map(move |i| {
            let code = columns.customer.and_then(|c| u32::try_from(c[i]).ok()); // -1: none
            BatchView {
                id: None,
                customer: code.and_then(|c| columns.customer_labels.get(c as usize)).map(String::as_str),
                customer_code: code,
                currency: None,
                invoice_on: self.invoice_on[i],
                due_on: self.due_on[i],
                amount: self.amounts[i],
                payments: &self.payments[self.start[i] as usize..self.start[i + 1] as usize],
            }
        })
    }

    /// The row of batch `i`'s payment `j`.
    fn row(&self, i: usize, j: usize) -> u32 {
        self.row[self.start[i] as usize + j]
    }

    /// A record error's path (`batches[3].payments[1].on`) as the columns'
    /// (`payments.on[7]`).
    fn relocate(&self, e: Error) -> Error {
        e.relocated(|path| {
            let rest = path.strip_prefix("batches[")?;
            let (i, rest) = rest.split_once(']')?;
            let i: usize = i.parse().ok()?;
            if let Some(rest) = rest.strip_prefix(".payments[") {
                let (j, field) = rest.split_once("].")?;
                let j: usize = j.parse().ok()?;
                let count = *self.start.get(i + 1)? - *self.start.get(i)?;
                return (j < count as usize).then(|| format!("payments.{field}[{}]", self.row(i, j)));
            }
            match rest.strip_prefix('.') {
                Some(field) => Some(format!("{field}[{i}]")),
                None => Some(format!("amount[{i}]")),
            }
        })
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
        AmountColumn::WholeFloats { values, scale } => {
            if scale > 28 {
                return Err(Error::out_of_range(format!("{name}_scale"), scale, 0, 28));
            }
            let whole = |(i, &v): (usize, &f64)| crate::forecast::whole_float(v, || path(i));
            values.iter().enumerate().map(|r| whole(r).map(|u| Decimal::new(u, scale))).collect()
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
