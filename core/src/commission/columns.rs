//! Transactions as columns: the batch entry point behind `commission_frame` (pandas, Arrow)
//! and `commissionColumns` (typed arrays). The rows are grouped by rep with a counting sort
//! (each rep's rows then by date, sales before refunds, unless already in that order) and
//! walked once per statement in integer units, with running totals: the same statements,
//! line for line, as [`compute_commission`](super::compute_commission) on the same
//! transactions, without a `Decimal` or a `String` per row.

use std::borrow::Cow;

use chrono::{Datelike as _, NaiveDate};
use rust_decimal::Decimal;

use super::columns_extra::Category;
use super::columns_pass::{Mode, RepState, Walk};
use super::columns_walk::{IntTable, Labels};
use super::credit;
use super::plan::{Accrual, CommissionPlan, PlanKind};
use super::report::{CommissionTotals, LineKind, LineReason, RepStatement};
use super::statement::summary;
use super::table::{Position, Table};
use super::RepInput;
use crate::error::{Error, ParseKind, Result};
use crate::forecast::AmountColumn;
use crate::money::{add, from_units, to_units};

/// Statement lines a call may return (both statements together), checked as they are
/// written: a row crossing many tiers writes a line per tier.
pub const MAX_COLUMN_LINES: u64 = 100_000_000;

/// Transactions as columns: row `i` is one sale (or refund) credited to one rep.
#[derive(Debug, Clone)]
pub struct TransactionColumns<'a> {
    /// The rep of each row as an index into `rep_labels` (pandas category codes).
    pub rep: &'a [i32],
    /// Rep names the codes refer to (distinct); `reps` entries are matched by name.
    pub rep_labels: &'a [String],
    /// When each row counts, as days since 1970-01-01 (years 0001 to 9999, ≤ `as_of`).
    pub on: &'a [i64],
    /// Amounts, ≥ 0 (a refund gives the amount refunded), credited at their own places
    /// (at least the plan's, at most 12) as `compute_commission` credits them: never rounded
    /// to the pay's places before the tiers read them.
    pub amount: AmountColumn<'a>,
    /// Whether each row is a refund (its credit taken off the running total and the table
    /// walked down, like a refund without `refers_to`). `None`: all sales.
    pub refund: Option<&'a [bool]>,
    /// Each row's product, for the plan's rate rules and SPIFs (`None`: no row has one).
    pub product: Option<Category<'a>>,
    /// Each row's customer type, likewise.
    pub customer_type: Option<Category<'a>>,
    /// A refund of a sale in the columns: the sale's row (-1 for none). It takes the sale's
    /// pay back at the original rate in the provisional statement, and its SPIF in both, as
    /// a refund with `refers_to` does; its rep is the sale's.
    pub refers_to: Option<&'a [i64]>,
    /// A refund of an earlier period's sale: the rate that sale was paid at, in [0, 1]
    /// (`None` for none), as a refund's `original_rate`.
    pub original_rate: Option<&'a [Option<Decimal>]>,
}

impl<'a> TransactionColumns<'a> {
    /// Sales and refunds by rep, date and amount, without the optional columns.
    #[must_use]
    pub fn new(rep: &'a [i32], rep_labels: &'a [String], on: &'a [i64], amount: AmountColumn<'a>) -> Self {
        Self {
            rep,
            rep_labels,
            on,
            amount,
            refund: None,
            product: None,
            customer_type: None,
            refers_to: None,
            original_rate: None,
        }
    }
}

/// Statement lines as columns: both statements of every rep in the order they are written,
/// row by row in date order (a row's final lines, then its provisional ones; each line
/// followed by its provisional twin where the two statements agree), then each rep's closing
/// lines (`prior_periods`, `cap`). `rep`, `provisional` and `step` place each line in its
/// statement: filtered by rep and statement, in `step` order, they are [`RepStatement`]'s
/// `lines` and `provisional_lines`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineColumns {
    /// Whether the line is in the provisional statement (else the final one).
    pub provisional: Vec<bool>,
    /// The rep: an index into the report's `reps`.
    pub rep: Vec<u32>,
    /// 1-based position in its statement.
    pub step: Vec<u32>,
    /// The line's kind: an index into [`LINE_KINDS`].
    pub kind: Vec<u8>,
    /// The input row the line pays, -1 for `prior_periods` and `cap` lines.
    pub row: Vec<i64>,
    /// Tier index, -1 for none.
    pub tier: Vec<i32>,
    /// Where the slice starts on the running credit, in units of 10^-`credit_scale`.
    pub from: Vec<i64>,
    /// Where it ends, likewise.
    pub to: Vec<i64>,
    /// Credit the rate applies to (signed), likewise.
    pub base: Vec<i64>,
    /// The rate: an index into the report's `rate_labels`, -1 for none.
    pub rate: Vec<i32>,
    /// The multiplier: an index into the report's `multiplier_labels`.
    pub multiplier: Vec<i32>,
    /// The amount paid, in units of 10^-`scale` (the unrounded `exact` is base × rate ×
    /// multiplier).
    pub amount: Vec<i64>,
    /// The reasons, as bits: bit `k` set for [`LINE_REASONS`]`[k]`.
    pub reasons: Vec<u32>,
}

impl LineColumns {
    /// Empty columns with room for `lines` lines.
    pub fn with_capacity(lines: usize) -> Self {
        Self {
            provisional: Vec::with_capacity(lines),
            rep: Vec::with_capacity(lines),
            step: Vec::with_capacity(lines),
            kind: Vec::with_capacity(lines),
            row: Vec::with_capacity(lines),
            tier: Vec::with_capacity(lines),
            from: Vec::with_capacity(lines),
            to: Vec::with_capacity(lines),
            base: Vec::with_capacity(lines),
            rate: Vec::with_capacity(lines),
            multiplier: Vec::with_capacity(lines),
            amount: Vec::with_capacity(lines),
            reasons: Vec::with_capacity(lines),
        }
    }
}

/// The line kinds [`LineColumns::kind`] indexes.
pub const LINE_KINDS: [LineKind; 10] = [
    LineKind::TierSlice,
    LineKind::Retroactive,
    LineKind::Curve,
    LineKind::RateRule,
    LineKind::BelowThreshold,
    LineKind::Clawback,
    LineKind::PriorPeriods,
    LineKind::Cap,
    LineKind::Spiff,
    LineKind::Held,
];

/// The reasons [`LineColumns::reasons`] has a bit for, bit `k` for entry `k`.
pub const LINE_REASONS: [LineReason; 13] = [
    LineReason::MarginalRate,
    LineReason::TierReachedAtEnd,
    LineReason::TierReachedSoFar,
    LineReason::Accelerated,
    LineReason::RuleMultiplier,
    LineReason::AboveTable,
    LineReason::Refund,
    LineReason::Cancellation,
    LineReason::BelowZero,
    LineReason::OriginalRate,
    LineReason::ThresholdMet,
    LineReason::ThresholdNotMet,
    LineReason::HeldUntilPeriodEnd,
];

/// The result of [`commission_columns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionColumnsReport {
    /// The plan's currency.
    pub currency: Option<String>,
    /// Places of the money columns (`provisional`, `final_pay`, line `amount`): the plan's
    /// rounding places.
    pub scale: u32,
    /// Places of the credit columns (line `from`, `to`, `base`): the plan's places, or more
    /// when an amount, a tier bound, an accelerator point or a prior credit has more.
    pub credit_scale: u32,
    /// One statement per rep, as `compute_commission` gives it but without its lines (see
    /// `lines`): reps listed in `reps` first, then the others by first transaction.
    pub reps: Vec<RepStatement>,
    /// Sums over the reps.
    pub totals: CommissionTotals,
    /// Per input row, what its lines of the provisional statement pay (units of 10^-`scale`).
    pub provisional: Vec<i64>,
    /// Per input row, what its lines of the final statement pay.
    pub final_pay: Vec<i64>,
    /// Every statement line, when asked for.
    pub lines: Option<LineColumns>,
    /// The rates line `rate` codes index.
    pub rate_labels: Vec<Decimal>,
    /// The multipliers line `multiplier` codes index.
    pub multiplier_labels: Vec<Decimal>,
}

/// Computes each rep's commission over transactions given as columns: the statements of
/// [`compute_commission`](super::compute_commission) on the same transactions (one rep per
/// row, no splits), line for line, in one pass per statement over the rows grouped by rep, in
/// integer units. Each row's pay and, with `statements`, every line come back as columns.
/// Paths in errors name the column and row (`amount[3]`).
///
/// Plans: `flat`, `graduated` and `retroactive`, with accelerators, thresholds, caps, rate
/// rules per product / customer type (the `product` and `customer_type` columns) and SPIFs,
/// accrued on `booking` or `attainment`. A refund may refer to a sale's row (`refers_to`:
/// its provisional pay and its SPIF taken back in proportion) or give the rate an earlier
/// period's sale was paid at (`original_rate`: a clawback at that rate in both statements).
/// Curves and the accruals that need deliveries or payments take data the columns do not
/// carry: use `compute_commission`.
///
/// # Errors
///
/// Plan errors as [`CommissionPlan::validate`]; `invalid_value` at `kind` or `accrual` for a
/// plan the columns cannot pay, at a column whose length differs from `rep`'s, at `rep[i]`,
/// `product[i]` or `customer_type[i]` for a code with no label, at `refers_to[i]` (not a
/// refund, or not a sale's row), at `rep[i]` (a refund of a sale of another rep) and at
/// `original_rate[i]` (not a refund, or with `refers_to`); `duplicate_name` at
/// `rep_labels[j]`, `product_labels[j]`, `customer_type_labels[j]`; `missing_value` at
/// `rep[i]` (code -1) and `on[i]` (`i64::MIN`, NaT); `invalid_date` at `on[i]` outside the
/// years 0001–9999; `date_after_as_of` at `on[i]`; `date_order` at `on[i]` (a refund before
/// its sale); `negative_amount`, `invalid_type` (NaN) and `overflow` at `amount[i]`;
/// `out_of_range` at `amount_scale`, at `original_rate[i]` outside [0, 1] and at `amount[i]`
/// (a refund beyond what is left of its sale, or beyond the earlier periods' credit left);
/// the `reps` errors of `compute_commission` at `reps[k]...`; `limit_exceeded` at `lines`
/// beyond [`MAX_COLUMN_LINES`].
///
/// # Examples
///
/// ```
/// use crmkit::commission::{commission_columns, CommissionPlan, TransactionColumns};
/// use crmkit::forecast::AmountColumn;
///
/// let plan: CommissionPlan = crmkit::wire::from_json(r#"{"kind": "graduated", "tiers": [
///     {"from": "0", "to": "50000", "rate": "0.02"},
///     {"from": "50000", "to": "100000", "rate": "0.05"},
///     {"from": "100000", "rate": "0.08"}]}"#, "")?;
/// let labels = ["wang".to_owned()];
/// let columns = TransactionColumns::new(
///     &[0, 0],
///     &labels,
///     &[20_522, 20_523], // 2026-03-10, 2026-03-11
///     AmountColumn::Units { units: &[6_000_000, 6_000_000], scale: 2 },
/// );
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
/// let report = commission_columns(&plan, &[], &columns, as_of, true)?;
/// assert_eq!(report.final_pay, [150_000, 360_000]); // 1,000 + 500 and 2,000 + 1,600 (cents)
/// assert_eq!(report.reps[0].final_pay.to_string(), "5100.00");
/// assert_eq!(report.lines.map(|l| l.amount.len()), Some(8)); // 4 slices in each statement
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn commission_columns(
    plan: &CommissionPlan,
    reps: &[RepInput],
    columns: &TransactionColumns,
    as_of: NaiveDate,
    statements: bool,
) -> Result<CommissionColumnsReport> {
    plan.validate()?;
    supported(plan)?;
    let (mut people, index) = credit::reps(reps)?;
    let n = columns.rep.len();
    // Row indices are held as u32 (and wasm32 could not hold more rows anyway).
    crate::limits::check("rep", n, u64::from(u32::MAX), "rows")?;
    check_lengths(columns, n)?;
    let scale = plan.rounding.dp;
    let (units, amount_scale) = amount_units(plan, &columns.amount, n)?;
    check_rows(columns, as_of)?;
    let extras = super::columns_extra::read(plan, columns, &units, amount_scale)?;
    let groups = Groups::new(columns, &units);
    // Reps: those listed first, then the labels' reps by their first transaction.
    let mut rep_of_label: Vec<Option<usize>> = vec![None; columns.rep_labels.len()];
    let mut unlisted: Vec<(i64, u32, usize)> = Vec::new();
    for (j, label) in columns.rep_labels.iter().enumerate() {
        match index.get(label.as_str()) {
            Some(&k) => rep_of_label[j] = Some(k),
            None => {
                if let Some((key, first)) = groups.first[j] {
                    unlisted.push((key, first, j));
                }
            }
        }
    }
    unlisted.sort_unstable();
    for &(_, first, j) in &unlisted {
        rep_of_label[j] = Some(people.len());
        let path = format!("rep[{first}]");
        people.push(credit::unlisted_rep(&columns.rep_labels[j], path));
    }
    let mut label_of: Vec<Option<usize>> = vec![None; people.len()];
    for (j, k) in rep_of_label.iter().enumerate() {
        if let Some(k) = *k {
            label_of[k] = Some(j);
        }
    }
    let tables = people
        .iter()
        .map(|rep| Table::new(plan, rep.quota, rep.prior_target - rep.prior_credit, &|| rep.quota_path.clone()))
        .collect::<Result<Vec<_>>>()?;
    let credit_scale = tables.iter().zip(&people).fold(amount_scale, |s, (t, rep)| IntTable::scale_needed(t, rep, s));
    let mut labels = Labels::new();
    let mut ints = Vec::with_capacity(people.len());
    let mut states = Vec::with_capacity(people.len());
    let mut ends = Vec::with_capacity(people.len());
    for (k, (table, rep)) in tables.iter().zip(&people).enumerate() {
        let path = || format!("reps[{k}]");
        let int = IntTable::new(plan, table, rep, (credit_scale, amount_scale), &mut labels)?;
        let moved = label_of[k]
            .map_or(Ok(0), |j| groups.credit[j].checked_mul(int.per_unit).ok_or_else(|| Error::overflow(path())))?;
        let end_units = int.start.checked_add(moved).ok_or_else(|| Error::overflow(path()))?;
        let end_credit = from_units(end_units, credit_scale).ok_or_else(|| Error::overflow(path()))?;
        let moved = end_credit.checked_sub(rep.prior_credit).ok_or_else(|| Error::overflow(path()))?;
        ends.push(Position { credit: end_credit, target: add(rep.prior_target, moved, path)? });
        states.push(RepState::new(&int, end_units));
        ints.push(int);
    }
    // The one pass: in row order when every rep's rows are by date already (a ledger), else
    // in date order (a stable sort, so each rep's rows keep their input order within a day).
    let rep_of_code: Vec<u32> = rep_of_label.iter().map(|k| k.unwrap_or(0) as u32).collect();
    let mut walk = Walk::new(plan, statements, (&units, amount_scale), columns.refund, extras, labels)?;
    let order = (!groups.sorted).then(|| {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| key(columns, i as usize));
        order
    });
    if walk.is_bare() {
        walk.bare_rows(&ints, &rep_of_code, &mut states, columns.rep, order.as_deref())?;
    } else {
        let mut pay = |i: u32| {
            let k = rep_of_code[columns.rep[i as usize] as usize]; // codes checked
            walk.row(&ints[k as usize], k, &mut states[k as usize], i)
        };
        match &order {
            None => (0..n as u32).try_for_each(&mut pay)?,
            Some(order) => order.iter().try_for_each(|&i| pay(i))?,
        }
    }
    let zero = plan.rounding.round(Decimal::ZERO);
    let mut totals = CommissionTotals { provisional: zero, final_pay: zero, true_up: zero };
    let mut out = Vec::with_capacity(people.len());
    for (k, (table, rep)) in tables.iter().zip(&people).enumerate() {
        let path = || format!("reps[{k}]");
        let (int, state, end) = (&ints[k], &mut states[k], ends[k]);
        let (final_pay, capped) = walk.tail(int, table, rep, k as u32, state, Mode::Final, end)?;
        let (provisional, _) = walk.tail(int, table, rep, k as u32, state, Mode::Provisional, end)?;
        let statement =
            summary(plan, rep, table, end, (Vec::new(), final_pay, capped), (Vec::new(), provisional), &path)?;
        totals.provisional = add(totals.provisional, statement.provisional, path)?;
        totals.final_pay = add(totals.final_pay, statement.final_pay, path)?;
        totals.true_up = add(totals.true_up, statement.true_up, path)?;
        out.push(statement);
    }
    let (provisional, final_pay, lines, labels) = walk.finish();
    Ok(CommissionColumnsReport {
        currency: plan.currency.clone(),
        scale,
        credit_scale,
        reps: out,
        totals,
        provisional,
        final_pay,
        lines,
        rate_labels: labels.rates,
        multiplier_labels: labels.multipliers,
    })
}

/// Refuses what the columns cannot carry.
fn supported(plan: &CommissionPlan) -> Result<()> {
    let refuse = |path: &str, reason: &str| Err(Error::InvalidValue { path: path.into(), reason: reason.into() });
    if plan.kind == PlanKind::Curve {
        return refuse(
            "kind",
            "commission columns pay flat, graduated and retroactive plans; a curve: compute_commission",
        );
    }
    if !matches!(plan.accrual, Accrual::Booking | Accrual::Attainment) {
        return refuse("accrual", "deliveries and payments are not columns: use compute_commission");
    }
    Ok(())
}

fn check_lengths(columns: &TransactionColumns, n: usize) -> Result<()> {
    let amount = columns.amount.len();
    let lengths =
        [("on", Some(columns.on.len())), ("amount", Some(amount)), ("refund", columns.refund.map(<[bool]>::len))];
    for (name, len) in lengths {
        if let Some(len) = len.filter(|&l| l != n) {
            return Err(Error::InvalidValue {
                path: name.into(),
                reason: format!("column has {len} rows, rep has {n}"),
            });
        }
    }
    for (j, label) in columns.rep_labels.iter().enumerate() {
        if let Some(first) = columns.rep_labels[..j].iter().position(|l| l == label) {
            return Err(Error::DuplicateName {
                path: format!("rep_labels[{j}]"),
                name: label.clone(),
                first: format!("rep_labels[{first}]"),
            });
        }
    }
    Ok(())
}

/// Each row's amount in units of 10^-A and A, the places credit is kept at: the places the
/// amounts are written with (the declared scale of units and floats, the largest scale of
/// decimals), at least the plan's and at most 12, as `compute_commission` credits them
/// (`credit::credit_rounding`); or the row's error.
fn amount_units<'a>(plan: &CommissionPlan, amount: &AmountColumn<'a>, n: usize) -> Result<(Cow<'a, [i64]>, u32)> {
    let path = |i: usize| format!("amount[{i}]");
    let negative = |i: usize, value: String| Error::NegativeAmount { path: path(i), value };
    let (units, scale): (Cow<'a, [i64]>, u32) = match *amount {
        AmountColumn::Units { units, scale } => {
            if scale > 28 {
                return Err(Error::out_of_range("amount_scale", scale, 0, 28));
            }
            if let Some(i) = units.iter().position(|&u| u < 0) {
                return Err(negative(i, units[i].to_string()));
            }
            (Cow::Borrowed(units), scale)
        }
        AmountColumn::Float { values, scale } => {
            if scale > 18 {
                return Err(Error::out_of_range("amount_scale", scale, 0, 18));
            }
            let pow = 10f64.powi(scale as i32);
            let mut out = Vec::with_capacity(n);
            for (i, &v) in values.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::Parse {
                        kind: ParseKind::Type,
                        path: path(i),
                        message: format!("{v} is not an amount; a missing amount cannot be paid"),
                    });
                }
                if v < 0.0 {
                    return Err(negative(i, v.to_string()));
                }
                out.push(crate::forecast::float_units(v, pow).ok_or_else(|| Error::overflow(path(i)))?);
            }
            (Cow::Owned(out), scale)
        }
        AmountColumn::WholeFloats { values, scale } => {
            if scale > 28 {
                return Err(Error::out_of_range("amount_scale", scale, 0, 28));
            }
            let mut out = Vec::with_capacity(n);
            for (i, &v) in values.iter().enumerate() {
                let u = crate::forecast::whole_float(v, || path(i))?;
                if u < 0 {
                    return Err(negative(i, u.to_string()));
                }
                out.push(u);
            }
            (Cow::Owned(out), scale)
        }
        AmountColumn::Decimal(a) => {
            if let Some(i) = a.iter().position(|d| d.is_sign_negative() && !d.is_zero()) {
                return Err(negative(i, a[i].to_string()));
            }
            let places = credit::credit_rounding(plan, a.iter().map(Decimal::scale));
            let mut out = Vec::with_capacity(n);
            for (i, &d) in a.iter().enumerate() {
                let u = to_units(places.round(d), places.dp).and_then(|u| i64::try_from(u).ok());
                out.push(u.ok_or_else(|| Error::overflow(path(i)))?);
            }
            return Ok((Cow::Owned(out), places.dp));
        }
    };
    let places = credit::credit_rounding(plan, [scale]).dp;
    if places == scale {
        return Ok((units, places)); // already at the credit's places: the common case
    }
    let mut out = Vec::with_capacity(n);
    for (i, &u) in units.iter().enumerate() {
        out.push(rescale(i128::from(u), scale, places, plan).ok_or_else(|| Error::overflow(path(i)))?);
    }
    Ok((Cow::Owned(out), places))
}

/// Units of 10^-`scale` as units of 10^-`places`: exact when `places` ≥ `scale`, else
/// rounded by the plan's strategy (amounts beyond 12 places).
fn rescale(units: i128, scale: u32, places: u32, plan: &CommissionPlan) -> Option<i64> {
    let out = if scale <= places {
        units.checked_mul(10i128.checked_pow(places - scale)?)?
    } else {
        super::columns_walk::div_round(units, 10i128.checked_pow(scale - places)?, plan.rounding.strategy)
    };
    i64::try_from(out).ok()
}

/// What one sequential pass over the rows learns per rep code: its first row in date order
/// (key, row), its net
/// credit (refunds negative) in units of the amounts' places; and whether every code's rows are
/// in date order already.
struct Groups {
    first: Vec<Option<(i64, u32)>>,
    credit: Vec<i128>,
    sorted: bool,
}

/// Each row's rep code and date, checked.
fn check_rows(columns: &TransactionColumns, as_of: NaiveDate) -> Result<()> {
    // One pass that only notes whether anything is wrong (no branch per row); the checks below
    // then say what, and where, in the order they are documented.
    let (as_of_day, labels) = (days_since_epoch(as_of), columns.rep_labels.len());
    let mut wrong = false;
    #[allow(clippy::needless_bitwise_bool)] // no branch per row: `|` on purpose
    for (&code, &day) in columns.rep.iter().zip(columns.on) {
        // A code of -1 or beyond the labels; NaT (i64::MIN), a day before 0001 or after as_of.
        wrong |= (code as u32 as usize >= labels) | (day < crate::wire::MIN_EPOCH_DAY) | (day > as_of_day);
    }
    if !wrong {
        return Ok(());
    }
    // Years 0001 to 9999, as every date column (NaT is told apart below: a row needs a date).
    crate::wire::check_days(columns.on, Some(i64::MIN), |i| format!("on[{i}]"))?;
    for (i, (&code, &day)) in columns.rep.iter().zip(columns.on).enumerate() {
        if code == -1 {
            return Err(Error::MissingValue { path: format!("rep[{i}]"), reason: "the row has no rep".into() });
        }
        if usize::try_from(code).map_or(true, |c| c >= labels) {
            return Err(Error::InvalidValue {
                path: format!("rep[{i}]"),
                reason: format!("code {code} has no label ({labels} labels)"),
            });
        }
        if day == i64::MIN {
            return Err(Error::MissingValue { path: format!("on[{i}]"), reason: "the row has no date".into() });
        }
        if day > as_of_day {
            return Err(Error::DateAfterAsOf {
                path: format!("on[{i}]"),
                date: epoch_day(day).to_string(),
                as_of: as_of.to_string(),
            });
        }
    }
    Ok(())
}

/// The order of rows within a rep: date, then sales before refunds, then row.
fn key(columns: &TransactionColumns, i: usize) -> i64 {
    columns.on[i] * 2 + i64::from(columns.refund.is_some_and(|r| r[i]))
}

impl Groups {
    /// One sequential pass: only the small per-code arrays are read at random.
    fn new(columns: &TransactionColumns, units: &[i64]) -> Self {
        let labels = columns.rep_labels.len();
        let mut first = vec![None; labels];
        let mut credit = vec![0i128; labels];
        let mut last = vec![i64::MIN; labels];
        let mut sorted = true;
        for (i, &c) in columns.rep.iter().enumerate() {
            let c = c as usize; // codes checked
            let u = i128::from(units[i]);
            credit[c] += if columns.refund.is_some_and(|r| r[i]) { -u } else { u }; // |Σ| < 2^95
            let k = key(columns, i);
            if first[c].is_none_or(|(f, _)| k < f) {
                first[c] = Some((k, i as u32));
            }
            sorted &= k >= last[c];
            last[c] = k;
        }
        Self { first, credit, sorted }
    }
}

fn days_since_epoch(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - 719_163
}

pub(crate) fn epoch_day(days: i64) -> NaiveDate {
    i32::try_from(days + 719_163).ok().and_then(NaiveDate::from_num_days_from_ce_opt).unwrap_or(NaiveDate::MIN)
}
