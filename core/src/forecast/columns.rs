//! Deals as columns: the batch entry point, and the one aggregation loop behind both entry
//! points. The loop does integer additions only; probabilities multiply the sums at the end.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{Datelike as _, NaiveDate};
use rust_decimal::Decimal;

use std::ops::Range;

use super::calendar::Periods;
use super::inputs::{day_of, id_codes, id_labels, DateColumn, Days, GroupColumn, IdGroups, KeyCodes, StageCodes};
use super::kernel::{self, Dated, KLane, Kernel, KernelSums};
use super::per_deal::{DealRow, PerDeal, ProbabilityColumn};
use super::phasing::Placer;
use super::policy::{Funnel, Placement, StageKind};
use super::quota_columns::{Side, WonRows, WonSums};
use super::report::{build_report, Aggregator, Extras, ForecastReport, Kept, ReportSums, Shape};
use super::sums::Tables;
use super::table::{GroupSums, GroupTable};
use super::ForecastPolicy;
use crate::error::{Error, ParseKind, Result};

/// Deals as columns, for batches: what the Python DataFrame and JS typed-array entry points
/// pass. Row `i` is one deal.
#[derive(Debug, Clone)]
pub struct DealColumns<'a> {
    /// Stage of each deal as an index into `stage_labels` (pandas category codes: 8- or
    /// 32-bit), -1 for none.
    pub stage: StageCodes<'a>,
    /// Stage names the codes refer to.
    pub stage_labels: &'a [String],
    /// Amounts.
    pub amount: AmountColumn<'a>,
    /// Date each deal entered its stage; none in a row for no date. `None`: no such column.
    pub entered_stage_on: Option<DateColumn<'a>>,
    /// Date each deal is expected to close (placement `expected_close`). `None`: no such
    /// column.
    pub expected_close_on: Option<DateColumn<'a>>,
    /// Date until which each deal's owner snoozed its stall warning. `None`: no such column.
    pub snoozed_until: Option<DateColumn<'a>>,
    /// Date of each deal's last activity (a call, a meeting); none in a row: its
    /// `entered_stage_on` counts. Read by the stages' `idle_after` (`totals.idle`). `None`: no
    /// such column.
    pub last_activity_on: Option<DateColumn<'a>>,
    /// One column per `group_by` key of the policy, in the same order: category codes
    /// (a [`KeyColumn`]) or integer ids.
    pub keys: Vec<GroupColumn<'a>>,
    /// Each deal's own probability of winning, replacing its stage's (as `Deal.probability`).
    /// `None`: no such column; the summing loop is the same either way, the deals with one
    /// are read in a second pass over this column.
    pub probability: Option<ProbabilityColumn<'a>>,
    /// Each deal's own forecast category (as `Deal.category`): codes into labels such as
    /// `commit`, -1 for the stage's own. `None`: no such column.
    pub category: Option<KeyColumn<'a>>,
}

/// An amount column.
#[derive(Debug, Clone, Copy)]
pub enum AmountColumn<'a> {
    /// Exact decimals.
    Decimal(&'a [Decimal]),
    /// Integers in units of 10^-scale (cents for scale 2).
    Units {
        /// The integers.
        units: &'a [i64],
        /// Decimal places they carry.
        scale: u32,
    },
    /// Binary floats, as a DataFrame's float64 money column holds them, each rounded once to
    /// `scale` places (half to even, as numpy's `rint(value * 10**scale)`) and summed exactly
    /// from then on. NaN and infinities are `invalid_type`. Pass decimals or integer units
    /// when the column is exact already.
    Float {
        /// The floats.
        values: &'a [f64],
        /// Decimal places kept.
        scale: u32,
    },
    /// Integers in units of 10^-scale held in binary floats, as a JavaScript number or a
    /// `Float64Array` holds them: summed by the loops of float columns at a scale of 10^0
    /// after one read of the rows for fractions, with no conversion pass. Each must be a
    /// whole number of at most 2^53 − 1 in magnitude, the integers a float holds exactly: a
    /// fraction or a larger magnitude is `invalid_decimal` (the caller meant an amount the
    /// float no longer holds); NaN and infinities are read as [`AmountColumn::Float`] reads
    /// them.
    WholeFloats {
        /// The whole numbers of units.
        values: &'a [f64],
        /// Decimal places they carry.
        scale: u32,
    },
}

impl AmountColumn<'_> {
    /// Rows.
    #[must_use]
    pub fn len(&self) -> usize {
        match *self {
            Self::Decimal(a) => a.len(),
            Self::Units { units, .. } => units.len(),
            Self::Float { values, .. } | Self::WholeFloats { values, .. } => values.len(),
        }
    }

    /// No rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Largest magnitude of a [`AmountColumn::WholeFloats`] value (`Number.MAX_SAFE_INTEGER`):
/// past it, a float no longer holds every integer.
const MAX_WHOLE_FLOAT: f64 = 9_007_199_254_740_991.0;

/// A [`AmountColumn::WholeFloats`] value as integer units (negatives included), or the error
/// at `path` that says why it is none: `invalid_type` for NaN and infinities,
/// `invalid_decimal` for a fraction or a magnitude past 2^53 − 1.
pub(crate) fn whole_float(value: f64, path: impl FnOnce() -> String) -> Result<i64> {
    #[allow(clippy::float_cmp)] // exactness is the point
    let whole = value.trunc() == value;
    if whole && value.abs() <= MAX_WHOLE_FLOAT {
        return Ok(value as i64);
    }
    Err(Error::Parse {
        kind: if value.is_finite() { ParseKind::Decimal } else { ParseKind::Type },
        path: path(),
        message: format!(
            "{value} is not a whole number of units of at most 2^53 - 1; past 2^53, give the units as 64-bit integers"
        ),
    })
}

/// `f64::round_ties_even` without the libm call it becomes on baseline x86-64 (no SSE4.1):
/// adding 2^52 to a magnitude below 2^52 leaves no fraction bits, so the addition itself
/// rounds, to nearest with ties to even. Saves about 1.2 ms per million values, measured.
#[inline]
fn round_ties_even(x: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let magnitude = x.abs();
    if magnitude < TWO_52 {
        ((magnitude + TWO_52) - TWO_52).copysign(x)
    } else {
        x // already whole, or NaN / infinite
    }
}

/// `value` rounded to integer units of 10^-`scale`; `None` when not finite or beyond i64.
#[inline]
pub(crate) fn float_units(value: f64, pow: f64) -> Option<i64> {
    let x = round_ties_even(value * pow);
    // 2^63 is exact in f64; NaN fails the comparison.
    (x.abs() < 9_223_372_036_854_775_808.0).then_some(x as i64)
}

/// Float amounts as the summing loops read them: a value's units of 10^-`scale` (`pow` =
/// 10^`scale`), rounded as [`float_units`] rounds them, below 2^52 when `value × pow` is in
/// [0, 2^52 − 1/2). Adding 2^52 to a magnitude below 2^52 rounds it to a whole number, half
/// to even, which the sum's low bits then hold: `value × pow + 2^52`'s bits minus 2^52's, a
/// multiplication, an addition and a subtraction, no comparison. Anything else sets a bit at
/// or above 52 (the loops' invalid mark, see [`kernel::Units`]), which sends the rows to the
/// general loop (exact either way): a product of 2^52 − 1/2 or more has an exponent of 53 or
/// more (bit 52 up); a negative one whose sum with 2^52 is zero or positive has fewer bits
/// than 2^52 (the subtraction wraps: bit 63), one whose sum is negative the sign bit (its
/// bits minus 2^52's still 2^61 or more); infinities and NaNs the largest exponent. Where the loop
/// checked each row's units against 2^52 (a comparison and a select), float columns took
/// ~0.5 ms more per million rows than integer ones; the mark now costs nothing per row.
#[derive(Clone, Copy)]
pub(super) struct FloatUnits {
    /// 10^scale.
    pub pow: f64,
}

impl kernel::Units<f64> for FloatUnits {
    const VALID_BITS: u32 = 52;

    #[inline]
    fn of(&self, value: f64) -> u64 {
        const TWO_52: f64 = 4_503_599_627_370_496.0;
        (value * self.pow + TWO_52).to_bits().wrapping_sub(TWO_52.to_bits())
    }
}

/// Whether the summing loops may read these [`AmountColumn::WholeFloats`] values as
/// [`FloatUnits`] with `pow` 1: none has a fraction, which that reading would round.
/// `value + 2^52 − 2^52` is `value` for every whole number below 2^52 in magnitude and for
/// the infinities; not for a fraction, a subnormal or NaN, nor for an odd number from 2^52 up
/// (with one of those the rows go to the general loop, which is exact and says which row is
/// wrong). The rest that is no amount (a negative, 2^52 and up, an infinity) [`FloatUnits`]
/// marks as it marks any float. One read of the rows, which vectorises, and the loops of
/// float columns: a comparison in each loop instead (`WholeFloatUnits`, session 46) made a
/// copy of every loop for this one column type, 1.4 MB of WebAssembly (166 KB gzipped), for
/// 0.5-2.5 ms per million rows on three workloads of four (benches/HISTORY.md "Whole
/// floats, measured").
fn no_fraction(values: &[f64]) -> bool {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    // `|`, not `||`: no branch a row, so the fold vectorises.
    #[allow(clippy::float_cmp, clippy::needless_bitwise_bool)] // exactness is the point
    let fraction = values.iter().fold(false, |any, &v| any | (v + TWO_52 - TWO_52 != v));
    !fraction
}

/// A group-by column: codes into `labels`, -1 for none. The codes are 32-bit, or as a pandas
/// categorical holds them, 8-bit (up to 127 labels) or 16-bit (up to 32,767):
/// [`GroupColumn::Codes8`] and [`GroupColumn::Codes16`] read those as they are.
#[derive(Debug, Clone, Copy)]
pub struct KeyColumn<'a, C = i32> {
    /// Per-row code.
    pub codes: &'a [C],
    /// Values the codes refer to.
    pub labels: &'a [String],
}

/// Forecasts deals given as columns: the same report as [`forecast`](super::forecast()) without deal lines
/// (each deal's own probability and category come from the optional `probability` and
/// `category` columns), computed in one pass with integer sums. Paths in errors name the column and row
/// (`amount[3]`).
///
/// # Errors
///
/// As [`forecast`](super::forecast()), at `stage[i]`, `amount[i]`, `entered_stage_on[i]`; `invalid_value` at
/// `keys` when the key columns do not match the policy's `group_by`, or at a column whose
/// length differs from `stage`'s.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{forecast_columns, AmountColumn, DealColumns, ForecastPolicy, StageCodes};
///
/// let policy: ForecastPolicy = crmkit::wire::from_json(r#"{"stages": [
///     {"name": "open", "conversion": "0.25", "duration": "10"}, {"name": "won", "kind": "won"}],
///     "duration_unit": "days", "placement": "remaining_full"}"#, "")?;
/// let labels = ["open".to_string(), "won".to_string()];
/// let columns = DealColumns {
///     stage: StageCodes::I32(&[0, 0, 1]),
///     stage_labels: &labels,
///     amount: AmountColumn::Units { units: &[10_000, 30_000, 5_000], scale: 2 },
///     entered_stage_on: None,
///     expected_close_on: None,
///     snoozed_until: None,
///     last_activity_on: None,
///     keys: vec![],
///     probability: None,
///     category: None,
/// };
/// let report = forecast_columns(&policy, &columns, chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())?;
/// assert_eq!(report.totals.open.weighted.to_string(), "100.00");
/// assert_eq!(report.totals.won.amount.to_string(), "50.00");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_columns(policy: &ForecastPolicy, columns: &DealColumns, as_of: NaiveDate) -> Result<ForecastReport> {
    forecast_columns_parallel(policy, columns, as_of, 1)
}

/// [`forecast_columns`] on `threads` threads, each summing a contiguous share of the rows.
/// The report is identical for every thread count (the sums are exact integers), and an error
/// is the one of the lowest bad row, as with one thread. `threads` ≤ 1, and every call on
/// wasm32, runs on the calling thread.
///
/// # Errors
///
/// As [`forecast_columns`].
///
/// # Examples
///
/// ```
/// use crmkit::prelude::*;
///
/// let policy = ForecastPolicy::new(
///     vec![Stage::open("open", Decimal::new(25, 2), Decimal::from(10)), Stage::won("won")],
///     DurationUnit::Days,
///     Placement::RemainingFull,
/// );
/// let stage: Vec<i32> = (0..10_000).map(|i| i % 2).collect();
/// let units: Vec<i64> = (0..10_000).map(|i| 100 + i).collect();
/// let labels = ["open".to_owned(), "won".to_owned()];
/// let columns = DealColumns {
///     stage: StageCodes::I32(&stage),
///     stage_labels: &labels,
///     amount: AmountColumn::Units { units: &units, scale: 2 },
///     entered_stage_on: None,
///     expected_close_on: None,
///     snoozed_until: None,
///     last_activity_on: None,
///     keys: vec![],
///     probability: None,
///     category: None,
/// };
/// let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
/// let one = forecast_columns(&policy, &columns, as_of)?;
/// let two = forecast_columns_parallel(&policy, &columns, as_of, 2)?;
/// assert_eq!(one, two);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_columns_parallel(
    policy: &ForecastPolicy,
    columns: &DealColumns,
    as_of: NaiveDate,
    threads: usize,
) -> Result<ForecastReport> {
    let funnel = Funnel::new(policy)?;
    Ok(run(&funnel, columns, as_of, &|i, field| format!("{field}[{i}]"), threads, None, None)?.0)
}

/// Error path of row `i`'s field.
pub(super) type RowPath = dyn Fn(usize, &str) -> String + Sync;

/// The one aggregation behind both entry points. `side`, when given, receives what the
/// quota's second pass reads (see [`Side`]): the groups' exact month slots and the won rows.
/// `table`, when given, receives the report's groups as a [`GroupTable`] (the report's own
/// `groups` then empty), built straight from the groups' sums when the rows went through the
/// kernel and no `side` is asked for.
pub(super) fn run<'f, 'p>(
    funnel: &'f Funnel<'p>,
    cols: &DealColumns,
    as_of: NaiveDate,
    row_path: &RowPath,
    threads: usize,
    side: Option<&mut Side>,
    table: Option<&mut GroupTable>,
) -> Result<(ForecastReport, Placer<'f, 'p>)> {
    // `actual`'s entry dates as days (of the right length, as the amounts): checked by the
    // kernel as it reads them (see `kernel::elapsed_limit`), not by a pass of their own
    // first, a pass over 8 MB of 1,000,000 rows' dates that cost 0.4-0.5 ms of the ~2.5 ms
    // call. Any other way through the rows checks them first (`Pass::fill_all`), and an
    // error found after them is preceded by theirs, as when they were checked first.
    let n = cols.stage.len();
    let deferred = cols.entered_stage_on.filter(|days| {
        funnel.policy.placement == Placement::Actual
            && !matches!(days, DateColumn::Ticks { .. })
            && days.len() == n
            && cols.amount.len() == n
    });
    let check = || deferred.map_or(Ok(()), |days| days.check("entered_stage_on", row_path).map(|_| ()));
    // `expected_close`'s close dates likewise (see `Kernel::deferred`), where the by-code
    // loop takes the rows: one block on one thread, integer or float amounts, no per-deal
    // column, no quota. When the loop gives up, the rows are read again with the dates
    // checked first (a bad date, or one past the loop's table of months).
    let deferred_close = cols.expected_close_on.filter(|days| {
        funnel.policy.placement == Placement::ExpectedClose
            && !matches!(days, DateColumn::Ticks { .. })
            && days.len() == n
            && cols.amount.len() == n
            && !matches!(cols.amount, AmountColumn::Decimal(_))
            && n <= kernel::DEFERRED_ROWS
            && threads <= 1
            && side.is_none()
            && cols.probability.is_none()
            && cols.category.is_none()
    });
    let mut table = table;
    if let Some(close) = deferred_close {
        match rows(funnel, cols, as_of, row_path, threads, (None, table.as_deref_mut()), (None, true)) {
            Ok(Some(done)) => return Ok(done),
            Ok(None) => {}
            // The error the dates' own check raises comes first, unless the entry dates'
            // (checked before them) raised `e`.
            Err(e) => {
                let entered = cols.entered_stage_on;
                if entered.is_some_and(|d| d.len() != n || d.check("entered_stage_on", row_path).is_err()) {
                    return Err(e);
                }
                return Err(close.check("expected_close_on", row_path).err().unwrap_or(e));
            }
        }
    }
    let entered = deferred.is_some().then_some(&check as &(dyn Fn() -> Result<()> + Sync));
    match rows(funnel, cols, as_of, row_path, threads, (side, table), (entered, false)) {
        Ok(done) => done.ok_or_else(|| Error::overflow("totals")),
        Err(e) if deferred.is_some() => Err(check().err().unwrap_or(e)),
        Err(e) => Err(e),
    }
}

/// [`run`], with `actual`'s entry dates not checked when `check_entered` is given (the check
/// to make before any loop other than the kernel reads them), and the close dates not
/// checked when `defer_close` (see [`Kernel::deferred`]): `None` when the kernel then gave
/// up (the caller runs it again with the dates checked).
fn rows<'f, 'p>(
    funnel: &'f Funnel<'p>,
    cols: &DealColumns,
    as_of: NaiveDate,
    row_path: &RowPath,
    threads: usize,
    (side, table): (Option<&mut Side>, Option<&mut GroupTable>),
    (check_entered, defer_close): (Option<&(dyn Fn() -> Result<()> + Sync)>, bool),
) -> Result<Option<(ForecastReport, Placer<'f, 'p>)>> {
    let policy = funnel.policy;
    let n = cols.stage.len();
    let same_len = |len: usize, name: &str| {
        if len == n {
            Ok(())
        } else {
            Err(Error::InvalidValue { path: name.to_owned(), reason: format!("column has {len} rows, stage has {n}") })
        }
    };
    same_len(cols.amount.len(), "amount")?;
    // Each date column checked in one pass, which also gives its latest day (and a column
    // of ticks as 32-bit days).
    let as_of_days = days_since_epoch(as_of);
    let mut latest = [None; 4];
    let mut narrowed: [Option<Vec<i32>>; 4] = Default::default();
    for (k, (days, field)) in [
        (cols.entered_stage_on, "entered_stage_on"),
        (cols.expected_close_on, "expected_close_on"),
        (cols.snoozed_until, "snoozed_until"),
        (cols.last_activity_on, "last_activity_on"),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(days) = days {
            same_len(days.len(), field)?;
            if (k == 0 && check_entered.is_some()) || (k == 1 && defer_close) {
                continue;
            }
            (latest[k], narrowed[k]) = days.check(field, row_path)?;
        }
    }
    // From here on, ticks are read as the days the check gave.
    let narrowed_cols;
    let cols = if narrowed.iter().any(Option::is_some) {
        narrowed_cols = DealColumns {
            entered_stage_on: days32(narrowed[0].as_deref(), cols.entered_stage_on),
            expected_close_on: days32(narrowed[1].as_deref(), cols.expected_close_on),
            snoozed_until: days32(narrowed[2].as_deref(), cols.snoozed_until),
            last_activity_on: days32(narrowed[3].as_deref(), cols.last_activity_on),
            ..cols.clone()
        };
        &narrowed_cols
    } else {
        cols
    };
    if let (Some(days), Some(last)) = (cols.last_activity_on, latest[3]) {
        // Only the past is activity.
        if last > as_of_days {
            let days = days.reader();
            let i = (0..n).find(|&i| days.day(i) > as_of_days).unwrap_or(0);
            let date = epoch_day(days.day(i)).map_or_else(|| "a date after as_of".to_owned(), |d| d.to_string());
            return Err(Error::DateAfterAsOf { path: row_path(i, "last_activity_on"), date, as_of: as_of.to_string() });
        }
    }
    if cols.keys.len() != policy.group_by.len() {
        return Err(Error::InvalidValue {
            path: "keys".into(),
            reason: format!("{} key columns for {} group_by fields", cols.keys.len(), policy.group_by.len()),
        });
    }
    for (k, key) in cols.keys.iter().enumerate() {
        same_len(key.len(), &format!("keys[{k}]"))?;
    }
    if let Some(p) = cols.probability {
        same_len(p.len(), "probability")?;
    }
    if let Some(c) = cols.category {
        same_len(c.codes.len(), "category")?;
    }
    let groups = Groups::new(cols, row_path)?;
    let scale = match cols.amount {
        AmountColumn::Decimal(a) => {
            let (places, digits) =
                a.iter().fold((0, 0), |(p, d), x| (x.scale().max(p), crate::money::integer_digits(*x).max(d)));
            crate::money::common_scale(places, digits, a.len(), policy.rounding.dp)
        }
        AmountColumn::Units { scale, .. } | AmountColumn::WholeFloats { scale, .. } if scale > 28 => {
            return Err(Error::out_of_range("amount_scale", scale, 0, 28))
        }
        // 10^18 is the most a float amount can be scaled by and still be counted in i64 units.
        AmountColumn::Float { scale, .. } if scale > 18 => {
            return Err(Error::out_of_range("amount_scale", scale, 0, 18))
        }
        AmountColumn::Units { scale, .. }
        | AmountColumn::Float { scale, .. }
        | AmountColumn::WholeFloats { scale, .. } => scale,
    };
    let placer = Placer::new(funnel, as_of);
    let by_close = policy.placement == Placement::ExpectedClose;
    // Close dates left to the kernel: the furthest month without a close date, and a
    // provisional latest close day, the last its table holds (`DEFERRED_DAYS`), where its
    // cells hold the months up to that day (a few hundred groups at most: by 500 owners, the
    // 1 MB of 32 months cost as much as the check saved); else they are checked here.
    let deferred = if defer_close {
        let fixed = placer.max_offset(None)?;
        let months = kernel::deferred_slots(groups.count(), cols.stage_labels.len()).saturating_sub(1);
        let end = u32::try_from(months).map_or(i64::MAX, |m| placer.slot_start_days(m)).saturating_sub(1);
        let last = kernel::DEFERRED_DAYS;
        (end >= last && placer.max_offset(Some(last)).is_ok_and(|m| m > fixed)).then_some((fixed, last))
    } else {
        None
    };
    match (deferred, cols.expected_close_on) {
        (Some((_, last)), _) => latest[1] = Some(as_of_days + last),
        (None, Some(days)) if defer_close => (latest[1], _) = days.check("expected_close_on", row_path)?,
        _ => {}
    }
    let latest_close = latest[1].filter(|_| by_close).map(|d| d.saturating_sub(as_of_days));
    let max_offset = placer.max_offset(latest_close)?;
    let new_agg = |rows: usize| Aggregator::new(funnel, max_offset, groups.count(), scale, rows);
    let close_slots = latest_close.filter(|&d| d >= 0).map_or_else(Vec::new, |d| month_slots(&placer, d));
    let lanes = lanes(funnel, &placer, cols.stage_labels, max_offset as usize + 2)?;
    // A deal entered in its stage after as_of is an error, which the general loop reports.
    let entered_ok = latest[0].is_none_or(|d| d <= as_of_days);
    let won_periods = side.as_ref().map(|s| s.periods);
    let shape = (max_offset, groups.count(), scale);
    let mut kernel =
        kernel(funnel, &placer, cols, &lanes, (&close_slots, &latest), shape, won_periods).filter(|_| entered_ok);
    if let Some((fixed, _)) = deferred {
        let Some(k) = kernel.as_mut() else { return Ok(None) };
        k.deferred = Some(fixed);
    }
    let won_cols = kernel.as_ref().map_or(0, |k| k.won_cols);
    let to_tables = |sums: &KernelSums| {
        let (w_scale, _) = super::sums::probability_units(funnel, scale)?;
        // (Of the report: with close dates left to the kernel, those it found.)
        let n_slots = sums.months(won_cols);
        let (tables, closed) = sums.tables(&funnel.open, scale, w_scale, n_slots)?;
        // The won rows the kernel summed per period, unless some closed before its table.
        let won = won_periods
            .filter(|_| won_cols > 0)
            .and_then(|p| WonSums::of_kernel(p.of_day(as_of), groups.count(), won_cols - 1, |f| sums.won(n_slots, f)));
        Some((tables, closed, won))
    };
    let pass = Pass {
        dates: DateReaders {
            entered: cols.entered_stage_on.map(DateColumn::reader),
            close: cols.expected_close_on.map(DateColumn::reader),
            snoozed: cols.snoozed_until.map(DateColumn::reader),
            activity: cols.last_activity_on.map(DateColumn::reader),
        },
        close_slots: &close_slots,
        kernel,
        check_entered,
        retry: deferred.is_some(),
        to_tables: &to_tables,
        cols,
        row_path,
        lanes,
        groups: &groups,
        as_of_days,
        as_of,
        by_close,
        scale,
        unscheduled: max_offset as usize + 1,
        undated_lanes: !matches!(policy.placement, Placement::Actual | Placement::ExpectedClose),
    };
    // Per-row amount as integer units at `scale`; `None` (negative, or beyond i128) is
    // explained by `Pass::diagnose`, off the hot path. Then the stalled deals, if any stage
    // has a threshold.
    let (filled, flagged, per_deal, won) = match cols.amount {
        AmountColumn::Units { units, .. } => {
            let units_of = |i: usize| u64::try_from(units[i]).ok().map(i128::from);
            let fast = |rows: Range<usize>| pass.kernel_rows(rows, (units, kernel::WholeUnits));
            let Some(filled) = pass.fill_all(threads, &new_agg, &placer, &units_of, &fast)? else { return Ok(None) };
            let per_deal = pass.per_deal(funnel, &placer, &units_of)?;
            let (filled, won) = filled.won_or(|| pass.won_rows(funnel, &units_of, won_periods))?;
            (filled, pass.flagged(&placer, &units_of, &per_deal)?, per_deal, won)
        }
        AmountColumn::Float { values, .. } => {
            let pow = 10f64.powi(scale as i32);
            let units_of = |i: usize| float_units(values[i], pow).and_then(|u| u64::try_from(u).ok()).map(i128::from);
            let fast = |rows: Range<usize>| pass.kernel_rows(rows, (values, FloatUnits { pow }));
            let Some(filled) = pass.fill_all(threads, &new_agg, &placer, &units_of, &fast)? else { return Ok(None) };
            let per_deal = pass.per_deal(funnel, &placer, &units_of)?;
            let (filled, won) = filled.won_or(|| pass.won_rows(funnel, &units_of, won_periods))?;
            (filled, pass.flagged(&placer, &units_of, &per_deal)?, per_deal, won)
        }
        AmountColumn::WholeFloats { values, .. } => {
            let units_of =
                |i: usize| whole_float(values[i], String::new).ok().and_then(|u| u64::try_from(u).ok()).map(i128::from);
            let fast = |rows: Range<usize>| {
                no_fraction(&values[rows.clone()]).then(|| pass.kernel_rows(rows, (values, FloatUnits { pow: 1.0 })))?
            };
            let Some(filled) = pass.fill_all(threads, &new_agg, &placer, &units_of, &fast)? else { return Ok(None) };
            let per_deal = pass.per_deal(funnel, &placer, &units_of)?;
            let (filled, won) = filled.won_or(|| pass.won_rows(funnel, &units_of, won_periods))?;
            (filled, pass.flagged(&placer, &units_of, &per_deal)?, per_deal, won)
        }
        AmountColumn::Decimal(a) => {
            let units_of = |i: usize| {
                let d = a[i];
                if d.is_sign_negative() && !d.is_zero() {
                    return None;
                }
                crate::money::to_units(d, scale)
            };
            let Some(filled) = pass.fill_all(threads, &new_agg, &placer, &units_of, &|_| None)? else {
                return Ok(None);
            };
            let per_deal = pass.per_deal(funnel, &placer, &units_of)?;
            let (filled, won) = filled.won_or(|| pass.won_rows(funnel, &units_of, won_periods))?;
            (filled, pass.flagged(&placer, &units_of, &per_deal)?, per_deal, won)
        }
    };
    // With close dates left to the kernel, the months it found.
    let max_offset = match &filled {
        Filled::Fast((tables, ..)) if deferred.is_some() => (tables.by_slot.len() - 2) as u32,
        _ => max_offset,
    };
    let mut keys = groups.keys();
    let extras = Extras {
        rounding: policy.rounding,
        per_deal: &per_deal,
        stalled: &flagged.stalled,
        stalled_delta: &flagged.stalled_delta,
        idle: &flagged.idle,
        idle_delta: &flagged.idle_delta,
    };
    let (mut slots, mut order) = (None, None);
    let kept = Kept {
        slots: side.is_some().then(|| slots.insert(Vec::new())),
        order: table.is_some().then(|| order.insert(Vec::new())),
    };
    let mut group_sums = None;
    let mut report = match filled {
        Filled::Rows(agg) => agg.finish(funnel, &placer, &keys, extras, kept)?,
        Filled::Fast((mut tables, closed, _)) => {
            if table.is_some() && kept.slots.is_none() {
                group_sums = Some(GroupSums::take(&mut tables, &per_deal)?);
            }
            let shape = Shape { scale, n_slots: max_offset as usize + 2 };
            build_report(funnel, &placer, &keys, extras, ReportSums { shape, tables, closed: &closed }, kept)?
        }
    };
    if let Some(table) = table {
        // Without a side, the keys are not needed after this.
        let keys = if side.is_some() { keys.clone() } else { std::mem::take(&mut keys) };
        let keys = (keys, groups.key_ids());
        *table = match group_sums {
            Some(sums) => sums.table(policy, &report, keys, max_offset as usize + 1)?,
            None => GroupTable::of_groups(std::mem::take(&mut report.groups), &order.unwrap_or_default(), keys),
        };
    }
    if let Some(side) = side {
        *side = Side {
            keys,
            group_slots: slots.unwrap_or_default(),
            won,
            scale,
            unscheduled: max_offset as usize + 1,
            slot0: placer.month_index(0),
            ..*side
        };
    }
    Ok(Some((report, placer)))
}

/// A date column as the loops read it: the 32-bit days its check gave, if any.
fn days32<'c>(narrowed: Option<&'c [i32]>, column: Option<DateColumn<'c>>) -> Option<DateColumn<'c>> {
    narrowed.map(DateColumn::Days32).or(column)
}

/// The report's tables and closed-stage sums from the fast lane's sums, when they fit.
type ToTables<'a> = dyn Fn(&KernelSums) -> Option<FastTables> + Sync + 'a;

/// The fast lane's report tables, per policy stage the closed deals (count, units), and
/// when it summed a quota's won rows, those (see [`Kernel::won_cols`]).
type FastTables = (Tables, Vec<(u64, i128)>, Option<WonSums>);

/// Per policy stage, the stalled and the idle deals (count, amount units), and how the
/// deals' own probabilities move each weighted sum.
struct Flagged {
    stalled: Vec<(u64, i128)>,
    stalled_delta: Vec<Decimal>,
    idle: Vec<(u64, i128)>,
    idle_delta: Vec<Decimal>,
}

/// The date columns as the loops read them.
#[derive(Clone, Copy)]
struct DateReaders<'a> {
    entered: Option<Days<'a>>,
    close: Option<Days<'a>>,
    snoozed: Option<Days<'a>>,
    activity: Option<Days<'a>>,
}

/// What one pass over the rows needs besides the aggregator.
struct Pass<'a> {
    cols: &'a DealColumns<'a>,
    /// The date columns' readers.
    dates: DateReaders<'a>,
    row_path: &'a RowPath,
    /// Per stage label code.
    lanes: Vec<Lane>,
    groups: &'a Groups<'a>,
    as_of_days: i64,
    as_of: NaiveDate,
    /// Placement `expected_close`: dated lanes use the close date, not the stage entry date.
    by_close: bool,
    /// Amount units are 10^-scale.
    scale: u32,
    /// The unscheduled month slot.
    unscheduled: usize,
    /// No lane depends on a date: `fill_undated` applies.
    undated_lanes: bool,
    /// Placement `expected_close`: the month slot of each close date from `as_of` on.
    close_slots: &'a [u32],
    /// The fast lane, when the placement allows it.
    kernel: Option<Kernel<'a>>,
    /// The entry dates' check, when only the fast lane checked them (see [`run`]).
    check_entered: Option<&'a (dyn Fn() -> Result<()> + Sync)>,
    /// Close dates left to the kernel (see [`Kernel::deferred`]): when it gives up, no other
    /// loop runs (`fill_all` gives `None`: the caller reads the rows again, dates checked).
    retry: bool,
    /// The report's tables from the fast lane's sums, when they fit.
    to_tables: &'a ToTables<'a>,
}

impl Pass<'_> {
    /// Row `i`'s lane: `None` for a code that names no stage label (-1, or past them).
    fn lane_of(&self, i: usize) -> Option<Lane> {
        usize::try_from(self.cols.stage.code(i)).ok().and_then(|c| self.lanes.get(c)).copied()
    }

    /// Sums all rows on up to `threads` threads and merges the partial tables in row order.
    fn fill_all<F: Fn(usize) -> Option<i128> + Sync, K: Fn(Range<usize>) -> Option<KernelSums> + Sync>(
        &self,
        threads: usize,
        new_agg: &(dyn Fn(usize) -> Aggregator + Sync),
        placer: &Placer,
        units_of: &F,
        fast: &K,
    ) -> Result<Option<Filled>> {
        let n = self.cols.stage.len();
        // Never more threads than the machine runs at once or than there are rows: a
        // caller's `threads=100000` must not try to spawn them. (Asked only for more than
        // one: the question reads cgroup files, some 0.1 ms a call.)
        let threads = if cfg!(target_arch = "wasm32") || threads <= 1 {
            1
        } else {
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
            threads.clamp(1, cores).min(n.max(1))
        };
        let chunk = n.div_ceil(threads);
        let rows_of = |k: usize| {
            let start = k.saturating_mul(chunk).min(n);
            start..start.saturating_add(chunk).min(n)
        };
        if self.kernel.is_some() {
            let parts = on_threads(threads, &|k| fast(rows_of(k)));
            if let Some(tables) = KernelSums::merged(parts).and_then(|s| (self.to_tables)(&s)) {
                return Ok(Some(Filled::Fast(tables)));
            }
        }
        if self.retry {
            return Ok(None);
        }
        if let Some(check) = self.check_entered {
            check()?;
        }
        let run_chunk = |k: usize| -> Result<Aggregator> {
            let rows = rows_of(k);
            let mut agg = new_agg(rows.len());
            let mut slots = SlotCache::new(placer, agg.unscheduled_slot(), self.close_slots);
            if self.undated_lanes {
                self.fill_undated(rows, &mut agg, units_of)?;
            } else {
                self.fill(rows, &mut agg, &mut slots, units_of)?;
            }
            Ok(agg)
        };
        let mut parts = on_threads(threads, &run_chunk).into_iter();
        let mut total = parts.next().unwrap_or_else(|| Ok(new_agg(0)))?;
        for part in parts {
            total.merge(&part?).ok_or_else(|| Error::overflow("totals"))?;
        }
        Ok(Some(Filled::Rows(total)))
    }

    /// The fast lane's sums of `rows` (see [`Kernel`]).
    fn kernel_rows<A: Copy>(&self, rows: Range<usize>, amount: (&[A], impl kernel::Units<A>)) -> Option<KernelSums> {
        let kernel = self.kernel.as_ref()?;
        // Its table is groups × slots: only where that is no larger than what the general
        // loop would make dense (a million owners get a sparse table there).
        let row_cells = kernel.n_slots + kernel.won_cols;
        if !Aggregator::dense_allowed((kernel.n_groups as u64).saturating_mul(row_cells as u64), rows.len()) {
            return None;
        }
        match self.groups {
            // Any column of the right length will do for "no group": the stage codes.
            Groups::All => match self.cols.stage {
                StageCodes::I8(stage) => kernel.run(rows, amount, (stage, |_| 0)),
                StageCodes::I32(stage) => kernel.run(rows, amount, (stage, |_| 0)),
            },
            // -1 (no value) is group 0; a code below -1 (2^31 or more as a `u32`) or past the
            // labels is past the kernel's last group: invalid. Each width read as it is.
            Groups::Single { codes: KeyCodes::I32(codes), .. } => {
                kernel.run(rows, amount, (codes.as_ref(), |c: i32| (c as u32).wrapping_add(1)))
            }
            Groups::Single { codes: KeyCodes::I16(codes), .. } => {
                kernel.run(rows, amount, (*codes, |c: i16| (i32::from(c) as u32).wrapping_add(1)))
            }
            Groups::Single { codes: KeyCodes::I8(codes), .. } => {
                kernel.run(rows, amount, (*codes, |c: i8| (i32::from(c) as u32).wrapping_add(1)))
            }
            Groups::Ids { groups, .. } => kernel.run(rows, amount, (groups.as_slice(), u32::from)),
            Groups::Multi { ids, .. } => kernel.run(rows, amount, (ids.as_slice(), |id: u32| id)),
        }
    }

    /// Per policy stage, the stalled deals (count, amount units): open deals with an entry
    /// date, at least the stage's stall threshold of days in it, and no snooze reaching
    /// `as_of`; the idle ones: more days than the stage's `idle_after` since their last
    /// activity (else their entry date), not snoozed; and how their own probabilities move
    /// those weighted sums. A second pass, only when some stage has a threshold; rows are
    /// valid by now.
    fn flagged(
        &self,
        placer: &Placer,
        units_of: &dyn Fn(usize) -> Option<i128>,
        per_deal: &PerDeal,
    ) -> Result<Flagged> {
        let thresholds = placer.stall_days()?;
        let idle_after = &placer.funnel.idle_after;
        let n = thresholds.len();
        let mut out = Flagged {
            stalled: vec![(0, 0); n],
            stalled_delta: vec![Decimal::ZERO; n],
            idle: vec![(0, 0); n],
            idle_delta: vec![Decimal::ZERO; n],
        };
        let cols = self.cols;
        let (entered, activity, snoozed) = (self.dates.entered, self.dates.activity, self.dates.snoozed);
        let stalls = entered.is_some() && thresholds.iter().any(Option::is_some);
        let idles = (entered.is_some() || activity.is_some()) && idle_after.iter().any(Option::is_some);
        if !stalls && !idles {
            return Ok(out);
        }
        for i in 0..cols.stage.len() {
            let lane = self.lane_of(i);
            let Some(lane) = lane.filter(|l| matches!(l.kind, LaneKind::Fixed | LaneKind::Dated)) else { continue };
            let stage = lane.stage as usize;
            if day_of(snoozed, i) >= self.as_of_days {
                continue;
            }
            let entered_on = day_of(entered, i);
            let stalled = thresholds[stage]
                .is_some_and(|t| entered_on != i64::MIN && self.as_of_days.saturating_sub(entered_on) >= t);
            let since = match day_of(activity, i) {
                i64::MIN => entered_on,
                day => day,
            };
            let idle = idle_after[stage]
                .is_some_and(|d| since != i64::MIN && self.as_of_days.saturating_sub(since) > i64::from(d));
            if !stalled && !idle {
                continue;
            }
            let units = units_of(i).ok_or_else(|| Error::overflow((self.row_path)(i, "amount")))?;
            let delta = per_deal.delta_of(i);
            for (flag, counts, deltas) in
                [(stalled, &mut out.stalled, &mut out.stalled_delta), (idle, &mut out.idle, &mut out.idle_delta)]
            {
                if flag {
                    let (deals, sum) = &mut counts[stage];
                    *deals += 1;
                    *sum = sum.checked_add(units).ok_or_else(|| Error::overflow("totals"))?;
                    if let Some(d) = delta {
                        deltas[stage] = crate::money::add(deltas[stage], d, || "totals".into())?;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The won rows summed per group and period of `periods` (none without them): what the
    /// quota counts as won in the period of its close date. A won deal needs its
    /// `expected_close_on`, on or before `as_of` (as [`book::won_on`](super::book::won_on)
    /// asks of a deal record). Rows are valid by now.
    fn won_rows(
        &self,
        funnel: &Funnel,
        units_of: &impl Fn(usize) -> Option<i128>,
        periods: Option<Periods>,
    ) -> Result<WonSums> {
        let Some(periods) = periods else { return Ok(WonSums::default()) };
        // (A quota's won rows are read as 32-bit codes: 8-bit ones widened once.)
        let widened: Vec<i32>;
        let stage = match self.cols.stage {
            StageCodes::I32(stage) => stage,
            StageCodes::I8(stage) => {
                widened = stage.iter().map(|&c| i32::from(c)).collect();
                &widened
            }
        };
        let stages = &funnel.policy.stages;
        let won: Vec<bool> = self
            .lanes
            .iter()
            .map(|l| l.kind == LaneKind::Closed && stages[l.stage as usize].kind == StageKind::Won)
            .collect();
        let rows = WonRows {
            stage,
            won: &won,
            close: self.dates.close,
            as_of: self.as_of,
            as_of_days: self.as_of_days,
            groups: self.groups.count(),
            row_path: self.row_path,
        };
        WonSums::new(&rows, periods, |i| self.groups.id(i), units_of)
    }

    /// The deals with their own probability or category (see [`PerDeal`]); nothing to read
    /// without those columns. A row's slot comes from the placer as the summing loops get it.
    fn per_deal(&self, funnel: &Funnel, placer: &Placer, units_of: &dyn Fn(usize) -> Option<i128>) -> Result<PerDeal> {
        let cols = self.cols;
        if cols.probability.is_none() && cols.category.is_none() {
            return Ok(PerDeal::default());
        }
        // Slots memoised per (stage, day) as the summing loop's: `Placer::place` per row cost
        // about 200 ns (its reasons, decimal spans and chrono dates).
        let slots = std::cell::RefCell::new(SlotCache::new(placer, self.unscheduled, self.close_slots));
        let row_of = |i: usize| -> Result<DealRow> {
            let path = |field: &str| (self.row_path)(i, field);
            let lane = self.lane_of(i);
            // Rows are valid by now (the summing pass checked each): no error is expected here.
            let lane = lane.filter(|l| l.kind != LaneKind::Unknown).ok_or_else(|| Error::overflow(path("stage")))?;
            let units = units_of(i).ok_or_else(|| Error::overflow(path("amount")))?;
            let amount = crate::money::from_units(units, self.scale).ok_or_else(|| Error::overflow(path("amount")))?;
            let stage = lane.stage as usize;
            let group = self.groups.id(i).ok_or_else(|| Error::overflow(path("keys")))?;
            let slot = match lane.kind {
                LaneKind::Dated => {
                    let day = if self.by_close {
                        let c = day_of(self.dates.close, i);
                        (c != i64::MIN).then(|| c.saturating_sub(self.as_of_days))
                    } else {
                        let e = day_of(self.dates.entered, i);
                        (e != i64::MIN).then(|| self.as_of_days.saturating_sub(e))
                    };
                    let field = if self.by_close { "expected_close_on" } else { "entered_stage_on" };
                    slots.borrow_mut().slot(stage, day, &|| path(field))?
                }
                // `cell`: open position × slots + slot.
                LaneKind::Fixed => lane.cell as usize % (self.unscheduled + 1),
                LaneKind::Closed | LaneKind::Unknown => 0,
            };
            Ok(DealRow { stage, slot, group, amount })
        };
        PerDeal::read(funnel, cols.probability, cols.category, &row_of, self.row_path)
    }

    /// [`Pass::fill`] when no lane depends on a date (placement other than `actual` and
    /// `expected_close`): entry dates are only checked, and only when given, so the loop
    /// reads no more than it must. 6.4 -> 5.3 ms per million deals without a date column, measured.
    fn fill_undated(
        &self,
        rows: std::ops::Range<usize>,
        agg: &mut Aggregator,
        units_of: &impl Fn(usize) -> Option<i128>,
    ) -> Result<()> {
        match self.dates.entered {
            Some(entered) => self.sum_undated::<true>(rows, Some(entered), agg, units_of),
            None => self.sum_undated::<false>(rows, None, agg, units_of),
        }
    }

    /// `DATES`: check `entered` (dates after `as_of` are errors even where unused).
    #[inline]
    fn sum_undated<const DATES: bool>(
        &self,
        rows: std::ops::Range<usize>,
        entered: Option<Days>,
        agg: &mut Aggregator,
        units_of: &impl Fn(usize) -> Option<i128>,
    ) -> Result<()> {
        for i in rows {
            let lane = self.lane_of(i).unwrap_or(Lane::UNKNOWN);
            // i64::MIN (no date) is below every day.
            let future = DATES && day_of(entered, i) > self.as_of_days;
            let added = match (lane.kind, units_of(i), future) {
                (LaneKind::Fixed, Some(units), false) => {
                    self.groups.id(i).and_then(|g| agg.add_cell(g, lane.cell as usize, units))
                }
                (LaneKind::Closed, Some(units), false) => agg.add_closed(lane.stage as usize, units),
                _ => None,
            };
            if added.is_none() {
                return Err(self.diagnose(i, units_of));
            }
        }
        Ok(())
    }

    /// The loop for placements that use a date (`actual`, `expected_close`), monomorphised
    /// per amount column kind.
    #[inline]
    fn fill(
        &self,
        rows: std::ops::Range<usize>,
        agg: &mut Aggregator,
        slots: &mut SlotCache,
        units_of: &impl Fn(usize) -> Option<i128>,
    ) -> Result<()> {
        let (entered, close) = (self.dates.entered, self.dates.close);
        let date_field = if self.by_close { "expected_close_on" } else { "entered_stage_on" };
        for i in rows {
            // Every check yields a small value; the error itself is built by `diagnose`.
            let lane = self.lane_of(i).unwrap_or(Lane::UNKNOWN);
            let units = units_of(i);
            let day = day_of(entered, i);
            let elapsed = (day != i64::MIN).then(|| self.as_of_days.saturating_sub(day));
            let (Some(units), false) = (units, lane.kind == LaneKind::Unknown || elapsed.is_some_and(|e| e < 0)) else {
                return Err(self.diagnose(i, units_of));
            };
            let added = match lane.kind {
                LaneKind::Fixed => self.groups.id(i).and_then(|g| agg.add_cell(g, lane.cell as usize, units)),
                LaneKind::Closed => agg.add_closed(lane.stage as usize, units),
                LaneKind::Dated => {
                    let day = if self.by_close {
                        let c = day_of(close, i);
                        (c != i64::MIN).then(|| c.saturating_sub(self.as_of_days))
                    } else {
                        elapsed
                    };
                    let slot = slots.slot(lane.stage as usize, day, &|| (self.row_path)(i, date_field))?;
                    self.groups.id(i).and_then(|g| agg.add_at(g, lane.cell as usize, slot, units))
                }
                LaneKind::Unknown => None,
            };
            if added.is_none() {
                return Err(self.diagnose(i, units_of));
            }
        }
        Ok(())
    }

    /// The error of row `i`, whose check failed in `fill`: its fields in order.
    #[cold]
    #[inline(never)]
    fn diagnose(&self, i: usize, units_of: &impl Fn(usize) -> Option<i128>) -> Error {
        let cols = self.cols;
        let path = |field: &str| (self.row_path)(i, field);
        let code = cols.stage.code(i);
        if code == -1 {
            // pandas' code for a missing category (NaN, None): say so, not "code -1".
            return Error::MissingValue {
                path: path("stage"),
                reason: "the deal has no stage (a missing value)".into(),
            };
        }
        if usize::try_from(code).ok().and_then(|c| self.lanes.get(c)).is_none_or(|l| l.kind == LaneKind::Unknown) {
            let name = usize::try_from(code).ok().and_then(|c| cols.stage_labels.get(c));
            return Error::UnknownStage {
                path: path("stage"),
                name: name.cloned().unwrap_or_else(|| format!("code {code}")),
            };
        }
        if units_of(i).is_none() {
            let (negative, value) = match cols.amount {
                AmountColumn::Units { units, .. } => (units[i] < 0, units[i].to_string()),
                AmountColumn::Decimal(a) => (a[i].is_sign_negative() && !a[i].is_zero(), a[i].to_string()),
                AmountColumn::Float { values, .. } if !values[i].is_finite() => {
                    // NaN and infinities are `invalid_type` everywhere (a missing amount is not
                    // a number of any kind), as in JSON, Python and JS inputs.
                    return Error::Parse {
                        kind: ParseKind::Type,
                        path: path("amount"),
                        message: format!("{} is not an amount; a missing amount cannot be forecast", values[i]),
                    };
                }
                AmountColumn::Float { values, .. } => (values[i] < 0.0, values[i].to_string()),
                AmountColumn::WholeFloats { values, .. } => match whole_float(values[i], || path("amount")) {
                    Ok(units) => (units < 0, units.to_string()),
                    Err(e) => return e,
                },
            };
            return if negative {
                Error::NegativeAmount { path: path("amount"), value }
            } else {
                Error::overflow(path("amount"))
            };
        }
        let day = day_of(self.dates.entered, i);
        if day != i64::MIN && self.as_of_days.saturating_sub(day) < 0 {
            return Error::DateAfterAsOf {
                path: path("entered_stage_on"),
                date: epoch_day(day).map_or_else(|| day.to_string(), |d| d.to_string()),
                as_of: self.as_of.to_string(),
            };
        }
        if let Some(e) = self.groups.diagnose(i, self.row_path) {
            return e;
        }
        Error::overflow("totals")
    }
}

/// `run(k)` for `k` in `0..threads`, on that many threads (the calling one included), in
/// order of `k`.
fn on_threads<T: Send>(threads: usize, run: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
    if threads <= 1 {
        return vec![run(0)];
    }
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|k| scope.spawn(move || run(k))).collect();
        let first = run(0);
        std::iter::once(first)
            .chain(others.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
            .collect()
    })
}

/// What the pass over the rows gives: the general loop's table, or the fast lane's tables.
enum Filled {
    Rows(Aggregator),
    Fast(FastTables),
}

impl Filled {
    /// The won rows' sums the fast lane took along, else `second`'s (a pass of its own).
    fn won_or(mut self, second: impl FnOnce() -> Result<WonSums>) -> Result<(Self, WonSums)> {
        let won = match &mut self {
            Filled::Fast((_, _, won)) => won.take(),
            Filled::Rows(_) => None,
        };
        let won = match won {
            Some(won) => won,
            None => second()?,
        };
        Ok((self, won))
    }
}

/// The fast lane of `run`, when the placement and the columns allow one: not `actual`
/// without entry dates or with a stage too long to tabulate, not `expected_close` without
/// close dates.
fn kernel<'a>(
    funnel: &Funnel,
    placer: &Placer,
    cols: &DealColumns<'a>,
    lanes: &[Lane],
    (close_slots, latest): (&[u32], &[Option<i64>; 4]),
    (max_offset, n_groups, scale): (u32, usize, u32),
    won_periods: Option<Periods>,
) -> Option<Kernel<'a>> {
    let policy = funnel.policy;
    let n_slots = max_offset as usize + 2;
    let unscheduled = (n_slots - 1) as u32;
    let by_close = policy.placement == Placement::ExpectedClose;
    let actual = policy.placement == Placement::Actual;
    if (actual && cols.entered_stage_on.is_none()) || (by_close && cols.expected_close_on.is_none()) {
        return None;
    }
    // 64-bit weighted units, or the general loop.
    let (_, units) = super::sums::probability_units(funnel, scale)?;
    let mut probability = vec![0u64; policy.stages.len()];
    for (&s, &u) in funnel.open.iter().zip(&units) {
        probability[s] = u64::try_from(u).ok()?;
    }
    let slot_of = |stage: usize, day: Option<i64>| {
        placer.place(stage, day, &String::new).map_or(kernel::BAD, |p| p.offset.map_or(unscheduled, |o| o))
    };
    // Per policy stage, where its slots start in the table and its last index there.
    let mut spans = vec![(0u32, 0u32); policy.stages.len()];
    // A quota's won lanes under `expected_close`: their span in the table.
    let mut won_span = None;
    let mut won_cols = 0;
    let as_of_days = days_since_epoch(placer.as_of);
    // The day of index 0 in the lanes' spans (see `Kernel::day0`).
    let mut day0 = as_of_days - 1;
    let dated = if by_close {
        // Only where the wider rows of cells are still allowed (else a pass of their own).
        let won = won_periods.and_then(|p| won_table(p, placer.as_of, n_slots)).filter(|(_, more)| {
            Aggregator::dense_allowed((n_groups as u64).saturating_mul((n_slots + more) as u64), cols.stage.len())
        });
        // With won lanes, every index counts from the first day of their span: an open
        // lane's span starts with that many more overdue slots.
        let back = if won.is_some() { WON_DAYS as usize } else { 0 };
        let overdue = funnel.open.first().map_or(0, |&s| slot_of(s, Some(-1)));
        let mut table: Vec<u32> =
            std::iter::repeat_n(overdue, back + 1).chain(close_slots.iter().copied()).chain([kernel::BAD]).collect();
        let last = u32::try_from(table.len() - 1).ok()?;
        spans.fill((0, last));
        day0 -= back as i64;
        if let Some((span, more)) = won {
            let start = u32::try_from(table.len()).ok()?;
            table.extend(span);
            (won_span, won_cols) = (Some((start, WON_DAYS + 2)), more);
        }
        Some(Dated { days: cols.expected_close_on?.reader(), table, elapsed: false, latest: latest[1] })
    } else if actual {
        // Each open stage's slot per day in stage, up to a day from which on every deal is
        // overdue (more than the stage's duration in it), so lands where that day does.
        let mut table = Vec::new();
        for &s in &funnel.open {
            let own = rust_decimal::prelude::ToPrimitive::to_u32(&funnel.own[s].ceil())?;
            let days = match policy.duration_unit {
                super::policy::DurationUnit::Days => own.checked_add(1)?,
                // A calendar month has at most 31 days.
                super::policy::DurationUnit::Months => own.checked_add(1)?.checked_mul(31)?,
            };
            if table.len() + days as usize > MAX_ACTUAL_TABLE {
                return None;
            }
            spans[s] = (u32::try_from(table.len()).ok()?, days);
            table.extend((0..=i64::from(days)).map(|d| slot_of(s, Some(d))));
        }
        Some(Dated { days: cols.entered_stage_on?.reader(), table, elapsed: true, latest: latest[0] })
    } else {
        None
    };
    let k_lanes = lanes
        .iter()
        .map(|lane| {
            let stage = lane.stage as usize;
            let (slot, undated) = match lane.kind {
                LaneKind::Unknown | LaneKind::Closed => (0, 0),
                // `cell`: open position × slots + slot.
                LaneKind::Fixed => (lane.cell % n_slots as u32, 0),
                LaneKind::Dated => (0, slot_of(stage, None)),
            };
            let (table, last) = if lane.kind == LaneKind::Dated { spans[stage] } else { (0, 0) };
            let lane = KLane {
                valid: lane.kind != LaneKind::Unknown,
                closed: lane.kind == LaneKind::Closed,
                stage: lane.stage,
                slot,
                undated,
                table,
                last,
                probability: probability[stage],
            };
            match won_span {
                // A won deal goes to its group's column of the period of its close day: no
                // close day (undated: `BAD`) or one after as_of is for the general loop, which
                // the won rows' own pass then refuses.
                Some((table, last)) if lane.closed && policy.stages[stage].kind == StageKind::Won => {
                    KLane { closed: false, undated: kernel::BAD, table, last, ..lane }
                }
                _ => lane,
            }
        })
        .collect();
    Some(Kernel {
        stage: cols.stage,
        lanes: k_lanes,
        dated,
        as_of_days,
        day0,
        n_slots,
        n_groups,
        n_stages: policy.stages.len(),
        won_cols,
        deferred: None,
    })
}

/// Days before `as_of` whose won deals the kernel sums per period itself (two years: a won
/// deal closed earlier sends the won rows to a pass of their own).
const WON_DAYS: u32 = 731;

/// The won lanes' span of the kernel's table: index `WON_DAYS + 1 - t` holds the column of
/// the period `t` days before `as_of` (`n_slots` + periods back from `as_of`'s), index 0
/// (where every earlier day lands) the last column, for deals closed before the span, and
/// the last index [`kernel::BAD`] (after `as_of`). With the won columns per group; `None`
/// when the days do not fit a table.
fn won_table(periods: Periods, as_of: NaiveDate, n_slots: usize) -> Option<(Vec<u32>, usize)> {
    let last = periods.of_day(as_of);
    let backs: Vec<u64> = (0..=WON_DAYS)
        .map(|t| as_of.checked_sub_days(chrono::Days::new(u64::from(t))).map(|d| last.abs_diff(periods.of_day(d))))
        .collect::<Option<_>>()?;
    let n_back = usize::try_from(backs.iter().max()? + 1).ok().filter(|&b| b < WonSums::NEAR)?;
    let col = |back: u64| u32::try_from(n_slots as u64 + back).ok();
    let span = std::iter::once(col(n_back as u64))
        .chain(backs.iter().rev().map(|&b| col(b)))
        .chain([Some(kernel::BAD)])
        .collect::<Option<Vec<u32>>>()?;
    Some((span, n_back + 1))
}

/// At most this many (stage, day in stage) slots are tabulated for placement `actual`
/// (stages of a century in days take the general loop).
const MAX_ACTUAL_TABLE: usize = 1 << 18;

fn lanes(funnel: &Funnel, placer: &Placer, labels: &[String], n_slots: usize) -> Result<Vec<Lane>> {
    let dated = matches!(funnel.policy.placement, Placement::Actual | Placement::ExpectedClose);
    let mut pos = vec![None; funnel.policy.stages.len()];
    for (p, &s) in funnel.open.iter().enumerate() {
        pos[s] = Some(p);
    }
    let small = |x: usize| u32::try_from(x).map_err(|_| Error::overflow("stages"));
    labels
        .iter()
        .map(|label| {
            let Some(&stage) = funnel.index.get(label.as_str()) else { return Ok(Lane::UNKNOWN) };
            let (kind, cell) = match pos[stage] {
                None => (LaneKind::Closed, 0),
                Some(pos) if dated => (LaneKind::Dated, pos),
                Some(pos) => {
                    let slot =
                        placer.place(stage, None, &|| "stages".into())?.offset.map_or(n_slots - 1, |o| o as usize);
                    (LaneKind::Fixed, pos * n_slots + slot)
                }
            };
            Ok(Lane { kind, stage: small(stage)?, cell: small(cell)? })
        })
        .collect()
}

/// Where the deals of one stage label go, worked out once per label instead of per row:
/// 12 bytes, so the per-row lookup stays cheap.
#[derive(Clone, Copy)]
struct Lane {
    kind: LaneKind,
    /// Policy stage.
    stage: u32,
    /// `Fixed`: the cell within a group (open position × slots + month slot); `Dated`: the
    /// open position.
    cell: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LaneKind {
    /// Not a policy stage.
    Unknown,
    /// Won or lost.
    Closed,
    /// Open, month slot fixed by the stage (placement other than `actual`).
    Fixed,
    /// Open, month slot from the deal's date.
    Dated,
}

impl Lane {
    const UNKNOWN: Lane = Lane { kind: LaneKind::Unknown, stage: 0, cell: 0 };
}

/// The month slot offset from `as_of`'s of each day `0..=last` days after `as_of` (at most
/// [`MAX_CLOSE_DAYS`](super::phasing::MAX_CLOSE_DAYS) + 1 of them): where placement
/// `expected_close` puts a deal closing that day, whatever its stage. One walk over the
/// slots (calendar months, or a week-based year's periods) instead of a `Placer::place` per
/// (stage, day).
fn month_slots(placer: &Placer, last: i64) -> Vec<u32> {
    let last = last.min(super::phasing::MAX_CLOSE_DAYS);
    // Days from `as_of` to the first day of the slot `m` slots after its own.
    let start = |m: u32| placer.slot_start_days(m);
    let mut out = Vec::with_capacity(usize::try_from(last + 1).unwrap_or(0));
    let (mut month, mut next) = (0u32, start(1));
    for day in 0..=last {
        while day >= next {
            month += 1;
            next = start(month + 1);
        }
        out.push(month);
    }
    out
}

/// Month slot per (stage, days in stage), memoised: without `actual` placement a stage's
/// deals all land in one slot, and with it most deals share a handful of dates.
struct SlotCache<'a, 'f, 'p> {
    placer: &'a Placer<'f, 'p>,
    unscheduled: usize,
    /// Per stage, per day value below `CACHED_DAYS`.
    by_day: Vec<Vec<Option<usize>>>,
    /// Per stage: deals without the date, and (`expected_close`) deals past their close date.
    undated: Vec<Option<usize>>,
    overdue: Vec<Option<usize>>,
    /// See [`month_slots`]; empty without `expected_close`.
    close: &'a [u32],
}

const CACHED_DAYS: usize = 4_000;

impl<'a, 'f, 'p> SlotCache<'a, 'f, 'p> {
    fn new(placer: &'a Placer<'f, 'p>, unscheduled: usize, close: &'a [u32]) -> Self {
        let n = placer.funnel.policy.stages.len();
        Self { placer, unscheduled, by_day: vec![Vec::new(); n], undated: vec![None; n], overdue: vec![None; n], close }
    }

    /// The month slot of a deal in open `stage` whose placement uses `day` (see
    /// [`Placer::place`]).
    // Inlined into the hot loop: 7.5 ms instead of 9.1 ms per million rows, measured.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn slot(&mut self, stage: usize, day: Option<i64>, path: &dyn Fn() -> String) -> Result<usize> {
        let cached = match day {
            // `expected_close`, not overdue: the close date's month, whatever the stage.
            Some(d) if d >= 0 && (d as u64) < self.close.len() as u64 => return Ok(self.close[d as usize] as usize),
            None => &mut self.undated[stage],
            // Only `expected_close` gets here with a negative day: every overdue close date
            // lands in the same slot. (`actual` refuses them before.)
            Some(d) if d < 0 => &mut self.overdue[stage],
            Some(d) => {
                let d = usize::try_from(d).unwrap_or(usize::MAX);
                if d >= CACHED_DAYS {
                    let placed = self.placer.place(stage, day, path)?;
                    return Ok(placed.offset.map_or(self.unscheduled, |o| o as usize));
                }
                let row = &mut self.by_day[stage];
                if row.is_empty() {
                    row.resize(CACHED_DAYS, None);
                }
                &mut row[d]
            }
        };
        if let Some(slot) = *cached {
            return Ok(slot);
        }
        let placed = self.placer.place(stage, day, path)?;
        let slot = placed.offset.map_or(self.unscheduled, |o| o as usize);
        *cached = Some(slot);
        Ok(slot)
    }
}

/// Group id of each row.
enum Groups<'c> {
    /// No `group_by`: one group.
    All,
    /// One key column of codes: the id is the code + 1 (0 = no value), no hashing. Integer
    /// ids too many or too spread out for [`IdGroups`] come here as codes (`ids`: the
    /// integer each label is the text of). Codes of 8 or 16 bits are read as they are.
    Single { codes: KeyCodes<'c>, labels: Cow<'c, [String]>, ids: Option<Vec<i64>> },
    /// One key column of integer ids, each row's group worked out by [`IdGroups`] in one
    /// streaming pass before the loops (never 0): the summing loop then reads a 16-bit
    /// group, not an id and then a table (a dependent lookup per row). Group `g`'s id is
    /// `ids[g - 1]`, its key `labels[g - 1]`.
    Ids { groups: Vec<u16>, labels: Vec<String>, ids: Vec<i64> },
    /// Several key columns: ids interned per distinct combination; `key_ids`: per column,
    /// for a column of integer ids, each group's id.
    Multi { ids: Vec<u32>, keys: GroupKeys, key_ids: KeyIds },
}

/// Per group, the value of each `group_by` key.
type GroupKeys = Vec<Vec<Option<String>>>;

/// Per `group_by` key column: for a column of integer ids, each group's id (`None`: no
/// value); `None` for a column of codes (see [`GroupTable::ids`]).
pub(super) type KeyIds = Vec<Option<Vec<Option<i64>>>>;

/// A key column's codes and labels, and for integer ids the integer of each label.
struct Coded<'c> {
    codes: Cow<'c, [i32]>,
    labels: Cow<'c, [String]>,
    ids: Option<Vec<i64>>,
}

/// A key column as codes and labels: its own, or integer ids coded by [`id_codes`].
fn coded<'c>(key: &GroupColumn<'c>) -> Result<Coded<'c>> {
    let of_ids = |(codes, ids): (Vec<i32>, Vec<i64>)| Coded {
        codes: Cow::Owned(codes),
        labels: Cow::Owned(id_labels(&ids)),
        ids: Some(ids),
    };
    let widened = |codes: Vec<i32>, labels: &'c [String]| Coded {
        codes: Cow::Owned(codes),
        labels: Cow::Borrowed(labels),
        ids: None,
    };
    Ok(match *key {
        GroupColumn::Codes(k) => Coded { codes: Cow::Borrowed(k.codes), labels: Cow::Borrowed(k.labels), ids: None },
        GroupColumn::Codes8(k) => widened(k.codes.iter().map(|&c| c.into()).collect(), k.labels),
        GroupColumn::Codes16(k) => widened(k.codes.iter().map(|&c| c.into()).collect(), k.labels),
        GroupColumn::Ids32(ids) => of_ids(id_codes(ids)?),
        GroupColumn::Ids64(ids) => of_ids(id_codes(ids)?),
    })
}

impl<'c> Groups<'c> {
    fn new(cols: &DealColumns<'c>, row_path: &RowPath) -> Result<Self> {
        match cols.keys.as_slice() {
            [] => Ok(Self::All),
            [key] => {
                // Ids read through a table over their range, when it is narrow enough.
                let groups = match *key {
                    GroupColumn::Ids32(ids) => IdGroups::new(ids),
                    GroupColumn::Ids64(ids) => IdGroups::new(ids),
                    // Narrow codes read in their own width (no 32-bit copy).
                    GroupColumn::Codes8(k) => {
                        return Ok(Self::Single {
                            codes: KeyCodes::I8(k.codes),
                            labels: Cow::Borrowed(k.labels),
                            ids: None,
                        })
                    }
                    GroupColumn::Codes16(k) => {
                        return Ok(Self::Single {
                            codes: KeyCodes::I16(k.codes),
                            labels: Cow::Borrowed(k.labels),
                            ids: None,
                        })
                    }
                    GroupColumn::Codes(_) => None,
                };
                if let Some(IdGroups { groups, ids }) = groups {
                    return Ok(Self::Ids { groups, labels: id_labels(&ids), ids });
                }
                let Coded { codes, labels, ids } = coded(key)?;
                Ok(Self::Single { codes: KeyCodes::I32(codes), labels, ids })
            }
            keys => {
                let coded: Vec<_> = keys.iter().map(coded).collect::<Result<_>>()?;
                let keys: Vec<KeyColumn> =
                    coded.iter().map(|c| KeyColumn { codes: &c.codes, labels: &c.labels }).collect();
                let mut key_ids: KeyIds = coded.iter().map(|c| c.ids.as_ref().map(|_| Vec::new())).collect();
                let mut ids = Vec::with_capacity(cols.stage.len());
                let mut seen: HashMap<Vec<i32>, u32> = HashMap::new();
                let mut out = Vec::new();
                let mut combo = vec![0i32; keys.len()];
                for i in 0..cols.stage.len() {
                    for (k, key) in keys.iter().enumerate() {
                        combo[k] = checked_code(key.codes[i], key.labels.len(), row_path(i, &format!("keys[{k}]")))?;
                    }
                    let id = if let Some(&id) = seen.get(&combo) {
                        id
                    } else {
                        out.push(
                            keys.iter()
                                .zip(&combo)
                                .map(|(key, &c)| usize::try_from(c).ok().map(|c| key.labels[c].clone()))
                                .collect(),
                        );
                        for ((column, &c), out) in coded.iter().zip(&combo).zip(&mut key_ids) {
                            if let (Some(ids), Some(out)) = (&column.ids, out) {
                                out.push(usize::try_from(c).ok().map(|c| ids[c]));
                            }
                        }
                        let id = u32::try_from(out.len() - 1).map_err(|_| Error::overflow("keys"))?;
                        seen.insert(combo.clone(), id);
                        id
                    };
                    ids.push(id);
                }
                Ok(Self::Multi { ids, keys: out, key_ids })
            }
        }
    }

    fn count(&self) -> usize {
        match self {
            Self::All => 1,
            Self::Single { labels, .. } => labels.len() + 1,
            Self::Ids { labels, .. } => labels.len() + 1,
            Self::Multi { keys, .. } => keys.len().max(1),
        }
    }

    /// The row's group, `None` for a code outside its labels (see [`Groups::diagnose`]).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn id(&self, i: usize) -> Option<usize> {
        match self {
            Self::All => Some(0),
            Self::Single { codes, labels, .. } => {
                usize::try_from(i64::from(codes.code(i)) + 1).ok().filter(|&id| id <= labels.len())
            }
            Self::Ids { groups, .. } => Some(usize::from(groups[i])),
            Self::Multi { ids, .. } => Some(ids[i] as usize),
        }
    }

    fn diagnose(&self, i: usize, row_path: &RowPath) -> Option<Error> {
        match self {
            Self::Single { codes, labels, .. } => {
                checked_code(codes.code(i), labels.len(), row_path(i, "keys[0]")).err()
            }
            Self::All | Self::Ids { .. } | Self::Multi { .. } => None,
        }
    }

    fn keys(&self) -> GroupKeys {
        let single = |labels: &[String]| {
            std::iter::once(None).chain(labels.iter().cloned().map(Some)).map(|v| vec![v]).collect()
        };
        match self {
            Self::All => vec![Vec::new()],
            Self::Single { labels, .. } => single(labels),
            Self::Ids { labels, .. } => single(labels),
            Self::Multi { keys, .. } if keys.is_empty() => vec![Vec::new()],
            Self::Multi { keys, .. } => keys.clone(),
        }
    }

    /// Per key column, as [`Groups::keys`] numbers the groups: for a column of integer ids,
    /// each group's id (the integer its key is the text of).
    fn key_ids(&self) -> KeyIds {
        let single = |ids: Option<&Vec<i64>>| {
            vec![ids.map(|ids| std::iter::once(None).chain(ids.iter().copied().map(Some)).collect())]
        };
        match self {
            Self::All => Vec::new(),
            Self::Single { ids, .. } => single(ids.as_ref()),
            Self::Ids { ids, .. } => single(Some(ids)),
            Self::Multi { key_ids, .. } => key_ids.clone(),
        }
    }
}

/// Code `c` of a key column with `labels` labels, or its error at `path`.
fn checked_code(c: i32, labels: usize, path: String) -> Result<i32> {
    if c < -1 || usize::try_from(c).is_ok_and(|c| c >= labels) {
        return Err(bad_code(c, labels, path));
    }
    Ok(c)
}

fn bad_code(code: i32, labels: usize, path: String) -> Error {
    Error::InvalidValue { path, reason: format!("code {code} is not an index into {labels} labels (or -1)") }
}

pub(super) fn days_since_epoch(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - i64::from(EPOCH_CE)
}

pub(super) fn epoch_day(days: i64) -> Option<NaiveDate> {
    i32::try_from(days + i64::from(EPOCH_CE)).ok().and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// `num_days_from_ce` of 1970-01-01.
const EPOCH_CE: i32 = 719_163;

pub(super) fn elapsed_days(as_of: NaiveDate, entered: i64) -> Option<i64> {
    (entered != i64::MIN).then(|| days_since_epoch(as_of).saturating_sub(entered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(placement: &str) -> ForecastPolicy {
        crate::wire::from_json(
            &format!(
                r#"{{"stages": [{{"name": "a", "conversion": "0.5", "duration": "10"}}, {{"name": "won", "kind": "won"}}],
                    "duration_unit": "days", "placement": "{placement}", "group_by": ["owner"], "undated": "half_elapsed"}}"#
            ),
            "",
        )
        .unwrap()
    }

    /// Breaks a row of (stage codes, cents, entered days, owner codes).
    type Spoil = Box<dyn FnOnce(&mut [i32], &mut [i64], &mut [i64], &mut [i32])>;

    /// Runs three rows where row 1 is broken by `spoil`, and returns the error's code and path.
    fn error_of(placement: &str, spoil: Spoil) -> (String, String) {
        let (mut stage, mut cents, mut entered, mut owner) =
            (vec![0, 0, 1], vec![100, 200, 300], vec![20_000; 3], vec![0, 1, -1]);
        spoil(&mut stage, &mut cents, &mut entered, &mut owner);
        let labels = ["a".to_string(), "won".to_string(), "gone".to_string()];
        let owners = ["li".to_string(), "wang".to_string()];
        let columns = DealColumns {
            entered_stage_on: Some(DateColumn::Days(&entered)),
            ..owner_columns(&stage, &labels, AmountColumn::Units { units: &cents, scale: 2 }, (&owner, &owners))
        };
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let e = forecast_columns(&policy(placement), &columns, as_of).unwrap_err();
        // The same error from the codes as 8-bit codes.
        let narrow: Vec<i8> = stage.iter().map(|&c| i8::try_from(c).unwrap()).collect();
        let narrow = DealColumns { stage: StageCodes::I8(&narrow), ..columns.clone() };
        let e8 = forecast_columns(&policy(placement), &narrow, as_of).unwrap_err();
        assert_eq!((e8.code(), e8.path()), (e.code(), e.path()));
        // And from the entry dates as 32-bit days (all of the cases' fit).
        let entered32: Vec<i32> = entered.iter().map(|&d| i32::try_from(d).unwrap()).collect();
        let days32 = DealColumns { entered_stage_on: Some(DateColumn::Days32(&entered32)), ..columns.clone() };
        let e32 = forecast_columns(&policy(placement), &days32, as_of).unwrap_err();
        assert_eq!((e32.code(), e32.path()), (e.code(), e.path()));
        (e.code().to_owned(), e.path().to_owned())
    }

    /// Stage codes, amounts and one owner key column, without dates or per-deal columns.
    fn owner_columns<'a>(
        stage: &'a [i32],
        labels: &'a [String],
        amount: AmountColumn<'a>,
        (owner, owners): (&'a [i32], &'a [String]),
    ) -> DealColumns<'a> {
        DealColumns {
            stage: StageCodes::I32(stage),
            stage_labels: labels,
            amount,
            entered_stage_on: None,
            expected_close_on: None,
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes: owner, labels: owners }.into()],
            probability: None,
            category: None,
        }
    }

    /// A dense report is sized up front: 10,001 groups × 1,000 months is past the limit.
    #[test]
    fn a_dense_report_past_the_line_limit_is_refused() {
        let n = 10_001;
        let stage = vec![0; n];
        let cents = vec![100; n];
        let owner: Vec<i32> = (0..n as i32).collect();
        let owners: Vec<String> = (0..n).map(|k| format!("o{k}")).collect();
        let labels = ["a".to_string(), "won".to_string()];
        let columns =
            owner_columns(&stage, &labels, AmountColumn::Units { units: &cents, scale: 2 }, (&owner, &owners));
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut policy = policy("half_elapsed");
        policy.horizon_months = Some(1_000);
        let fine = forecast_columns(&policy, &columns, as_of).unwrap();
        assert_eq!(fine.groups.len(), n);
        policy.dense = true;
        let e = forecast_columns(&policy, &columns, as_of).unwrap_err();
        assert_eq!((e.code(), e.path()), ("limit_exceeded", "dense"));
    }

    proptest::proptest! {
        #[test]
        fn rounding_matches_the_standard_library(bits in proptest::num::u64::ANY, small in -1e7f64..1e7) {
            for x in [f64::from_bits(bits), small, small.trunc() + 0.5, -(small.trunc() + 0.5)] {
                let (ours, std) = (round_ties_even(x), x.round_ties_even());
                proptest::prop_assert!(ours.to_bits() == std.to_bits() || (ours.is_nan() && std.is_nan()), "{x}");
            }
        }

        /// The summing loops' units of a float are `float_units`' or carry the invalid mark
        /// (a bit at or above 52), and never the mark for a product in [0, 2^51).
        #[test]
        fn the_loops_float_units_are_exact_or_invalid(bits in proptest::num::u64::ANY, small in -1e7f64..1e13, scale in 0i32..=4) {
            use kernel::Units as _;
            let pow = 10f64.powi(scale);
            let half = small.trunc() + 0.5;
            let edges = [4_503_599_627_370_495.5 / pow, 4_503_599_627_370_495.0 / pow, -4_503_599_627_370_496.0 / pow];
            let specials = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, f64::MIN_POSITIVE, -f64::MIN_POSITIVE];
            for x in [f64::from_bits(bits), small, half, -half, half / pow, -0.25 / pow, -0.5 / pow, 0.0, -0.0].into_iter().chain(edges).chain(specials) {
                let fast = FloatUnits { pow }.of(x);
                let marked = fast >> FloatUnits::VALID_BITS != 0;
                let exact = float_units(x, pow).and_then(|u| u64::try_from(u).ok());
                proptest::prop_assert!(marked || Some(fast) == exact, "{x} {pow}: {fast} {exact:?}");
                let y = x * pow;
                proptest::prop_assert!(!((0.0..2_251_799_813_685_248.0).contains(&y)) || !marked, "{x} {pow}");
            }
        }

        /// A whole-float amount the summing loops take (no fraction, then [`FloatUnits`] at
        /// `pow` 1 unmarked) is read as the integer it holds, and every whole number from 0 to
        /// 2^52 − 1 is taken; `whole_float` takes exactly the whole numbers of at most 2^53 − 1
        /// in magnitude.
        #[test]
        fn the_loops_whole_float_units_are_exact_or_invalid(bits in proptest::num::u64::ANY, small in -1e17f64..1e17) {
            use kernel::Units as _;
            let two_52 = 4_503_599_627_370_496.0;
            let whole = small.trunc();
            let edges = [two_52 - 1.0, two_52, two_52 + 1.0, two_52 - 0.5, 2.0 * two_52 - 1.0, 2.0 * two_52, 1e-310, 0.5, -1.0];
            let specials = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 0.0, -0.0];
            for x in [f64::from_bits(bits), small, whole, whole + 0.5].into_iter().chain(edges).chain(edges.map(|e| -e)).chain(specials) {
                let fast = FloatUnits { pow: 1.0 }.of(x);
                let taken = no_fraction(&[x]) && fast >> FloatUnits::VALID_BITS == 0;
                let exact = whole_float(x, String::new).ok();
                #[allow(clippy::float_cmp)] // exactness is the point
                let held = x.trunc() == x && x.abs() < 2.0 * two_52;
                proptest::prop_assert_eq!(exact.is_some(), held, "{}", x);
                proptest::prop_assert!(!taken || exact == i64::try_from(fast).ok(), "{} {} {:?}", x, fast, exact);
                proptest::prop_assert_eq!(taken, exact.is_some_and(|u| (0..1 << 52).contains(&u)), "{}", x);
            }
            // One fraction among whole numbers is found wherever it is.
            let mut values = vec![whole.abs().min(two_52 - 1.0); 37];
            proptest::prop_assert!(no_fraction(&values));
            values[(bits % 37) as usize] = 0.5;
            proptest::prop_assert!(!no_fraction(&values));
        }
    }

    #[test]
    fn float_amounts_round_half_even_once_then_sum_exactly() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let run = |values: &[f64]| {
            let stage = vec![0; values.len()];
            let owner = vec![0; values.len()];
            let columns = owner_columns(&stage, &labels, AmountColumn::Float { values, scale: 2 }, (&owner, &owners));
            forecast_columns(&policy("half_elapsed"), &columns, as_of)
        };
        // 0.125 * 100 = 12.5 exactly: half to even gives 12; 1.005 * 100 = 100.49999999999999.
        assert_eq!(run(&[0.125, 1.005, 0.1, 0.2]).unwrap().totals.open.amount.to_string(), "1.42");
        assert_eq!(run(&[-0.001]).unwrap().totals.open.amount.to_string(), "0.00");
        for (bad, code) in
            [(f64::NAN, "invalid_type"), (f64::INFINITY, "invalid_type"), (-1.0, "negative_amount"), (1e30, "overflow")]
        {
            let e = run(&[1.0, bad]).unwrap_err();
            assert_eq!((e.code(), e.path()), (code, "amount[1]"), "{bad}");
        }
    }

    /// The deals the every-loop tests forecast: 3,000 rows over five stages, some without an
    /// entry or a close date, grouped by a few owners (3: the by-code loops), by many (5,000:
    /// the group × slot loops) or not at all, under every placement.
    struct EveryLoop {
        labels: [String; 5],
        as_of: NaiveDate,
        stage: Vec<i32>,
        entered: Vec<i64>,
        close: Vec<i64>,
        owner: Vec<i32>,
        owner_few: Vec<i32>,
        few: Vec<String>,
        many: Vec<String>,
    }

    /// Owner codes and owners (none: not grouped).
    type Grouping<'a> = (&'a [i32], &'a [String]);

    impl EveryLoop {
        const N: i32 = 3_000;

        fn new() -> Self {
            let n = Self::N;
            let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let today = days_since_epoch(as_of);
            let owner: Vec<i32> = (0..n).map(|i| i * 11 % 3_000).collect();
            Self {
                labels: ["a", "b", "c", "won", "lost"].map(String::from),
                as_of,
                stage: (0..n).map(|i| i * 7 % 5).collect(),
                entered: (0..n).map(|i| if i % 9 == 4 { i64::MIN } else { today - i64::from(i * 13 % 90) }).collect(),
                close: (0..n)
                    .map(|i| if i % 5 == 2 { i64::MIN } else { today - 30 + i64::from(i * 37 % 400) })
                    .collect(),
                owner_few: owner.iter().map(|&o| o % 3).collect(),
                owner,
                few: (0..3).map(|k| format!("rep{k}")).collect(),
                many: (0..5_000).map(|k| format!("rep{k}")).collect(),
            }
        }

        /// Every placement's policy with every grouping: the policy, then the owner codes and
        /// owners (none: not grouped).
        fn cases(&self) -> Vec<(ForecastPolicy, Grouping<'_>)> {
            let groupings: [Grouping<'_>; 3] =
                [(&self.owner_few, &self.few), (&self.owner, &self.many), (&self.owner, &[])];
            let placements = ["remaining_full", "half_elapsed", "actual", "expected_close"];
            placements
                .into_iter()
                .flat_map(|placement| {
                    groupings.map(|(codes, owners)| {
                        let mut policy: ForecastPolicy = crate::wire::from_json(
                            &format!(
                                r#"{{"stages": [{{"name": "a", "conversion": "0.3", "duration": "20"}},
                                    {{"name": "b", "conversion": "0.5", "duration": "15"}},
                                    {{"name": "c", "conversion": "0.8", "duration": "10"}},
                                    {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
                                    "duration_unit": "days", "placement": "{placement}", "group_by": ["owner"],
                                    "undated": "half_elapsed"}}"#
                            ),
                            "",
                        )
                        .unwrap();
                        if owners.is_empty() {
                            policy.group_by.clear();
                        }
                        (policy, (codes, owners))
                    })
                })
                .collect()
        }

        /// The deals with `amount`, grouped as a case of [`EveryLoop::cases`] says.
        fn columns<'a>(&'a self, amount: AmountColumn<'a>, grouping: Grouping<'a>) -> DealColumns<'a> {
            let mut c = DealColumns {
                entered_stage_on: Some(DateColumn::Days(&self.entered)),
                expected_close_on: Some(DateColumn::Days(&self.close)),
                ..owner_columns(&self.stage, &self.labels, amount, grouping)
            };
            if grouping.1.is_empty() {
                c.keys.clear();
            }
            c
        }
    }

    /// Float amounts whose units take 52 bits or more (valid up to 2^63: 5e13 yuan are 5e15
    /// cents) carry the loops' invalid mark (see `FloatUnits`), so every kernel loop hands
    /// their rows to the general loop: the report is the one of the same amounts as
    /// decimals under every placement, with a few groups (the by-code loops), many (the group
    /// × slot loops), none, on one thread and on two; and so it is without such an amount.
    #[test]
    fn floats_of_52_bits_of_units_or_more_are_summed_exactly_by_every_loop() {
        let deals = EveryLoop::new();
        for huge in [None, Some(5e13), Some(4_503_599_627_370_496.0 / 100.0), Some(9e16)] {
            let mut values: Vec<f64> =
                (0..EveryLoop::N).map(|i| f64::from(i * 7_919 % 1_000_000) / 100.0 + 0.005).collect();
            if let Some(x) = huge {
                values[1_234] = x;
                values[2_999] = x;
            }
            let decimals: Vec<Decimal> =
                values.iter().map(|&v| Decimal::new(float_units(v, 100.0).unwrap(), 2)).collect();
            for (policy, grouping) in deals.cases() {
                let floats = deals.columns(AmountColumn::Float { values: &values, scale: 2 }, grouping);
                let want =
                    forecast_columns(&policy, &deals.columns(AmountColumn::Decimal(&decimals), grouping), deals.as_of)
                        .unwrap();
                if let Some(x) = huge {
                    assert!(want.totals.open.amount + want.totals.won.amount >= Decimal::try_from(x).unwrap());
                }
                for threads in [1, 2] {
                    let got = forecast_columns_parallel(&policy, &floats, deals.as_of, threads).unwrap();
                    let what = format!("{huge:?} {:?} {} groups", policy.placement, grouping.1.len());
                    assert_eq!(got, want, "{what}, {threads} threads");
                }
            }
        }
    }

    /// Whole numbers of units in floats (`AmountColumn::WholeFloats`, as JavaScript hands
    /// them over) give the report of the same integer units under every placement, with a
    /// few groups (the by-code loops), many (the group × slot loops), none, on one thread and
    /// on two: from 2^52 units up the loops mark them and the general loop sums
    /// them, exactly. A fraction, 2^53 or more, NaN, an infinity and a negative are the
    /// errors at their row that JavaScript has always been given.
    #[test]
    fn whole_floats_are_read_as_the_integer_units_they_hold_by_every_loop() {
        let deals = EveryLoop::new();
        let two_52 = 4_503_599_627_370_496.0;
        let odd = [None, Some(two_52 - 1.0), Some(two_52), Some(two_52 + 1.0), Some(2.0 * two_52 - 1.0)];
        let bad = [
            (0.5, "invalid_decimal"),
            (1e-310, "invalid_decimal"),
            (2.0 * two_52, "invalid_decimal"),
            (f64::NAN, "invalid_type"),
            (f64::NEG_INFINITY, "invalid_type"),
            (-3.0, "negative_amount"),
        ];
        for (policy, grouping) in deals.cases() {
            // The errors with a few groups only: every loop's rows go to the general loop alike.
            let errors = if grouping.1.len() == deals.few.len() { &bad[..] } else { &[] };
            for x in odd.into_iter().chain(errors.iter().map(|&(x, _)| Some(x))) {
                let mut values: Vec<f64> = (0..EveryLoop::N).map(|i| f64::from(i * 7_919 % 1_000_000)).collect();
                if let Some(x) = x {
                    values[1_234] = x;
                    values[2_999] = x;
                }
                let units: Vec<i64> = values.iter().map(|&v| v as i64).collect();
                let floats = deals.columns(AmountColumn::WholeFloats { values: &values, scale: 2 }, grouping);
                let integers = deals.columns(AmountColumn::Units { units: &units, scale: 2 }, grouping);
                let want = forecast_columns(&policy, &integers, deals.as_of);
                let what = format!("{x:?} {:?} {} groups", policy.placement, grouping.1.len());
                for threads in [1, 2] {
                    let got = forecast_columns_parallel(&policy, &floats, deals.as_of, threads);
                    match bad.iter().find(|(b, _)| x.is_some_and(|x| x.to_bits() == b.to_bits())) {
                        None => assert_eq!(got.unwrap(), *want.as_ref().unwrap(), "{what}, {threads} threads"),
                        Some((_, code)) => {
                            let e = got.unwrap_err();
                            assert_eq!((e.code(), e.path()), (*code, "amount[1234]"), "{what}, {threads} threads");
                        }
                    }
                }
            }
        }
    }

    /// Deals with a stage, an amount and an expected close date, grouped by owner.
    fn dated_by_owner<'a>(
        stage: &'a [i32],
        labels: &'a [String],
        amount: AmountColumn<'a>,
        close: &'a [i64],
        owner: &'a [i32],
        owners: &'a [String],
    ) -> DealColumns<'a> {
        DealColumns {
            expected_close_on: Some(DateColumn::Days(close)),
            ..owner_columns(stage, labels, amount, (owner, owners))
        }
    }

    /// `expected_close`'s close dates left to the kernel (one thread, integer amounts; see
    /// `Kernel::deferred`): the same report as with the dates checked first (two threads) and
    /// as the general loop's (decimal amounts), also where the kernel gives up (a close date
    /// past its months or before its table) and the rows are read again; and the same error
    /// (code, path) for a bad date, also behind an earlier bad entry date or before a later
    /// bad snooze date.
    #[test]
    fn close_dates_left_to_the_kernel_give_the_same_report_and_errors() {
        let labels = ["a".to_string(), "won".to_string(), "b".to_string()];
        let owners = ["li".to_string(), "wang".to_string(), "zhao".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let today = days_since_epoch(as_of);
        let mut policy = policy("expected_close");
        policy.stages.push(policy.stages[0].clone());
        policy.stages[2].name = "b".into();
        let stage = [0, 2, 1, 0, 2, 0, 1, 0];
        let cents: Vec<i64> = (1..=8).map(|k| k * 1_000).collect();
        let decimals: Vec<Decimal> = cents.iter().map(|&c| Decimal::new(c, 2)).collect();
        let owner = [0, 1, 2, -1, 0, 1, 2, 0];
        let run = |close: &[i64], snoozed: Option<&[i64]>, entered: Option<&[i64]>| {
            let cols = |amount| DealColumns {
                snoozed_until: snoozed.map(DateColumn::Days),
                entered_stage_on: entered.map(DateColumn::Days),
                ..dated_by_owner(&stage, &labels, amount, close, &owner, &owners)
            };
            let kernel = forecast_columns(&policy, &cols(AmountColumn::Units { units: &cents, scale: 2 }), as_of);
            let checked =
                forecast_columns_parallel(&policy, &cols(AmountColumn::Units { units: &cents, scale: 2 }), as_of, 2);
            let general = forecast_columns(&policy, &cols(AmountColumn::Decimal(&decimals)), as_of);
            let close32: Option<Vec<i32>> =
                close.iter().map(|&d| if d == i64::MIN { Some(i32::MIN) } else { i32::try_from(d).ok() }).collect();
            if let Some(close32) = &close32 {
                let narrow = DealColumns {
                    expected_close_on: Some(DateColumn::Days32(close32)),
                    ..cols(AmountColumn::Units { units: &cents, scale: 2 })
                };
                match (forecast_columns(&policy, &narrow, as_of), &kernel) {
                    (Ok(a), Ok(b)) => assert_eq!(&a, b),
                    (Err(a), Err(b)) => assert_eq!((a.code(), a.path()), (b.code(), b.path())),
                    (a, b) => panic!("{a:?} {b:?}"),
                }
            }
            for other in [&checked, &general] {
                match (&kernel, other) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(a), Err(b)) => assert_eq!((a.code(), a.path()), (b.code(), b.path())),
                    (a, b) => panic!("{a:?} {b:?}"),
                }
            }
            kernel.map(|r| r.months.len()).map_err(|e| (e.code().to_owned(), e.path().to_owned()))
        };
        let near = [today + 40, today - 3, today + 200, i64::MIN, today + 10, today + 95, today - 400, i64::MIN];
        assert!(run(&near, None, None).unwrap() > 3);
        // Within the kernel's table and past it (2,045 days ahead at most), before it (5.6 years
        // back), the first day of the year 1; none at all; every one overdue.
        for (row, day) in [
            (2, today + 1_500),
            (2, today + 2_100),
            (4, today - 2_500),
            (6, crate::wire::MIN_EPOCH_DAY),
            (0, today - 30),
        ] {
            let mut close = near;
            close[row] = day;
            run(&close, None, None).unwrap();
        }
        run(&[i64::MIN; 8], None, None).unwrap();
        run(&near.map(|d| if d == i64::MIN { d } else { today - 1 - (d - today).abs() }), None, None).unwrap();
        // Bad dates: before the year 1, past 9999, after the 100 years a close may lie ahead.
        let bad = |row: usize, day: i64| {
            let mut close = near;
            close[row] = day;
            close
        };
        let at = |path: &str| Err(("invalid_date".to_owned(), path.to_owned()));
        assert_eq!(run(&bad(5, crate::wire::MIN_EPOCH_DAY - 1), None, None), at("expected_close_on[5]"));
        assert_eq!(run(&bad(1, crate::wire::MAX_EPOCH_DAY + 1), None, None), at("expected_close_on[1]"));
        assert_eq!(run(&bad(3, today + 40_000), None, None).unwrap_err().1, "expected_close_on[3]");
        // Behind a bad entry date, before a bad snooze date.
        let mut snoozed = [i64::MIN; 8];
        snoozed[0] = crate::wire::MIN_EPOCH_DAY - 7;
        let close = bad(5, crate::wire::MIN_EPOCH_DAY - 1);
        assert_eq!(run(&close, Some(&snoozed), None), at("expected_close_on[5]"));
        assert_eq!(run(&near, Some(&snoozed), None), at("snoozed_until[0]"));
        let mut entered = [today - 5; 8];
        entered[7] = crate::wire::MAX_EPOCH_DAY + 3;
        assert_eq!(run(&close, Some(&snoozed), Some(&entered)), at("entered_stage_on[7]"));
    }

    /// Sums past 64 bits leave the fast lane to the general loop: the same exact report as
    /// the decimal column's, on one thread and two.
    #[test]
    fn amounts_past_the_fast_lane_give_the_same_report() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let units = [i64::MAX, i64::MAX, 5, i64::MAX / 3];
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::from(u)).collect();
        let stage = [0, 0, 1, 0];
        let owner = [0, 0, 0, -1];
        let close = [20_500, i64::MIN, 20_400, 20_700];
        for placement in ["half_elapsed", "expected_close"] {
            let report = |amount| {
                let columns = dated_by_owner(&stage, &labels, amount, &close, &owner, &owners);
                (
                    forecast_columns(&policy(placement), &columns, as_of),
                    forecast_columns_parallel(&policy(placement), &columns, as_of, 2),
                )
            };
            let (one, two) = report(AmountColumn::Units { units: &units, scale: 0 });
            let (exact, _) = report(AmountColumn::Decimal(&decimals));
            assert_eq!(one.as_ref().unwrap(), exact.as_ref().unwrap(), "{placement}");
            assert_eq!(two.unwrap(), exact.unwrap(), "{placement}");
        }
    }

    /// Stage codes as 8-bit codes (a pandas categorical's) give the report of the same codes
    /// as 32-bit codes: every placement, by owner and ungrouped, with missing stages (-1:
    /// undated rows' `missing_value`s aside, a won deal without a stage is refused, so only
    /// the open and closed codes), on one and two threads.
    #[test]
    fn eight_bit_stage_codes_give_the_same_report() {
        let labels = ["a".to_string(), "won".to_string(), "b".to_string()];
        let policy = |placement: &str, group: bool| -> ForecastPolicy {
            crate::wire::from_json(
                &format!(
                    r#"{{"stages": [{{"name": "a", "conversion": "0.5", "duration": "10"}},
                        {{"name": "b", "conversion": "0.7", "duration": "4"}}, {{"name": "won", "kind": "won"}}],
                        "duration_unit": "days", "placement": "{placement}", "group_by": {},
                        "undated": "half_elapsed"}}"#,
                    if group { r#"["owner"]"# } else { "[]" }
                ),
                "",
            )
            .unwrap()
        };
        let owners: Vec<String> = (0..7).map(|k| format!("rep{k}")).collect();
        let mut x = 7u64;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        let n = 5_000;
        let stage: Vec<i32> = (0..n).map(|_| (next() % 3) as i32).collect();
        let cents: Vec<i64> = (0..n).map(|_| (next() % 1_000_000) as i64).collect();
        let owner: Vec<i32> = (0..n).map(|_| (next() % 8) as i32 - 1).collect();
        let entered: Vec<i64> = (0..n).map(|_| 20_390 + (next() % 60) as i64).collect();
        let close: Vec<i64> =
            (0..n).map(|_| if next() % 3 == 0 { i64::MIN } else { 20_420 + (next() % 400) as i64 }).collect();
        let narrow: Vec<i8> = stage.iter().map(|&c| c as i8).collect();
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for placement in ["half_elapsed", "remaining_full", "actual", "expected_close"] {
            for group in [true, false] {
                let wide = DealColumns {
                    entered_stage_on: Some(DateColumn::Days(&entered)),
                    expected_close_on: Some(DateColumn::Days(&close)),
                    keys: if group { vec![KeyColumn { codes: &owner, labels: &owners }.into()] } else { vec![] },
                    ..owner_columns(&stage, &labels, AmountColumn::Units { units: &cents, scale: 2 }, (&owner, &owners))
                };
                let eight = DealColumns { stage: StageCodes::I8(&narrow), ..wide.clone() };
                let policy = policy(placement, group);
                let report = forecast_columns(&policy, &wide, as_of).unwrap();
                assert!(report.totals.open.deals > 0 && report.totals.won.deals > 0);
                for threads in [1, 2] {
                    let got = forecast_columns_parallel(&policy, &eight, as_of, threads).unwrap();
                    assert_eq!(got, report, "{placement} {group} {threads}");
                }
            }
        }
    }

    /// An 8-bit code that names no label is an error, as its 32-bit value is: also where there
    /// are more labels than 8-bit codes reach, so that a negative code read as its unsigned
    /// byte (-100 as 156) never takes a label's place (the fast loop leaves such columns to the
    /// checked one).
    #[test]
    fn eight_bit_codes_naming_no_label_are_errors() {
        let policy: ForecastPolicy = crate::wire::from_json(
            r#"{"stages": [{"name": "a", "conversion": "0.5", "duration": "10"},
                {"name": "b", "conversion": "0.7", "duration": "4"}, {"name": "won", "kind": "won"}],
                "duration_unit": "days", "placement": "half_elapsed", "group_by": ["owner"]}"#,
            "",
        )
        .unwrap();
        let owners = ["li".to_string(), "wang".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for n_labels in [3, 200] {
            // Label 156 (where -100's byte lands) names a stage when there are 200.
            let labels: Vec<String> = (0..n_labels)
                .map(|k| match k {
                    0 => "a".to_string(),
                    1 => "won".to_string(),
                    2 | 156 => "b".to_string(),
                    _ => format!("x{k}"),
                })
                .collect();
            for bad in [-100i8, -2, -1, 127] {
                let stage: Vec<i32> = (0..300).map(|i| if i == 217 { i32::from(bad) } else { i % 3 }).collect();
                let narrow: Vec<i8> = stage.iter().map(|&c| c as i8).collect();
                let cents: Vec<i64> = (0..300).map(|i| 100 + i).collect();
                let owner: Vec<i32> = (0..300).map(|i| i % 2).collect();
                let entered: Vec<i64> = (0..300).map(|i| 20_400 + i % 50).collect();
                let wide = DealColumns {
                    entered_stage_on: Some(DateColumn::Days(&entered)),
                    ..owner_columns(&stage, &labels, AmountColumn::Units { units: &cents, scale: 2 }, (&owner, &owners))
                };
                let eight = DealColumns { stage: StageCodes::I8(&narrow), ..wide.clone() };
                // (127 with 200 labels names a label that is no stage: an error all the same.)
                let Err(expected) = forecast_columns(&policy, &wide, as_of) else {
                    panic!("code {bad} with {n_labels} labels was taken")
                };
                assert_eq!(expected.path(), "stage[217]", "{bad} {n_labels}");
                for threads in [1, 2] {
                    let got = forecast_columns_parallel(&policy, &eight, as_of, threads).unwrap_err();
                    assert_eq!((got.code(), got.path()), (expected.code(), expected.path()), "{bad} {n_labels}");
                }
            }
        }
    }

    /// `actual` reads each label's slot per day in stage from rows of one width built per
    /// call: a stage short enough for them and one too long (the general loop then) give the
    /// general loop's report (the decimal column's), with days in stage past a stage's
    /// duration, undated deals, closed deals and deals without an owner.
    #[test]
    fn actual_by_day_in_stage_gives_the_general_loops_report() {
        let labels = ["a".to_string(), "won".to_string(), "b".to_string()];
        let owners = ["li".to_string(), "wang".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let today = days_since_epoch(as_of);
        let n = 300;
        let stage: Vec<i32> = (0..n).map(|i| [0, 2, 1, 0, 2][i % 5]).collect();
        let units: Vec<i64> = (0..n as i64).map(|i| 100 + 37 * i).collect();
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::new(u, 2)).collect();
        let entered: Vec<i64> =
            (0..n as i64).map(|i| if i % 7 == 3 { i64::MIN } else { today - (i * 13) % 3000 }).collect();
        let owner: Vec<i32> = (0..n).map(|i| [0, 1, -1][i % 3]).collect();
        for (unit, duration) in [("days", "10"), ("months", "40"), ("months", "400")] {
            let policy: ForecastPolicy = crate::wire::from_json(
                &format!(
                    r#"{{"stages": [{{"name": "a", "conversion": "0.5", "duration": "{duration}"}},
                        {{"name": "b", "conversion": "0.8", "duration": "3"}}, {{"name": "won", "kind": "won"}}],
                        "duration_unit": "{unit}", "placement": "actual", "group_by": ["owner"], "undated": "half_elapsed"}}"#
                ),
                "",
            )
            .unwrap();
            let report = |amount| {
                let columns = DealColumns {
                    entered_stage_on: Some(DateColumn::Days(&entered)),
                    ..owner_columns(&stage, &labels, amount, (&owner, &owners))
                };
                forecast_columns(&policy, &columns, as_of).unwrap()
            };
            let exact = report(AmountColumn::Decimal(&decimals));
            assert_eq!(report(AmountColumn::Units { units: &units, scale: 2 }), exact, "{unit} {duration}");
            assert_eq!(exact.groups.len(), 3);
        }
    }

    /// Sums the wrapping loop cannot prove exact from its bound (one amount near 2^61 among
    /// 16 small ones: bound × rows is past 64 bits) but that fit: the checked loop takes them,
    /// and the report is the decimal column's.
    #[test]
    fn sums_past_the_bound_but_within_64_bits_give_the_same_report() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut units = vec![1i64; 17];
        units[3] = 1 << 61;
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::from(u)).collect();
        let stage: Vec<i32> = (0..17).map(|i| i32::from(i % 5 == 4)).collect();
        let owner = vec![0; 17];
        let close: Vec<i64> = (0..17).map(|i| if i % 3 == 0 { i64::MIN } else { 20_450 + 40 * i }).collect();
        for placement in ["half_elapsed", "expected_close"] {
            let report = |amount| {
                let columns = dated_by_owner(&stage, &labels, amount, &close, &owner, &owners);
                forecast_columns(&policy(placement), &columns, as_of).unwrap()
            };
            let fast = report(AmountColumn::Units { units: &units, scale: 0 });
            assert_eq!(fast, report(AmountColumn::Decimal(&decimals)), "{placement}");
            assert_eq!(fast.totals.open.amount, Decimal::from((1i64 << 61) + 13), "{placement}");
        }
    }

    /// A by-code cell whose amount reaches the bit its deals are counted from (4 rows: bit
    /// 60; two deals of 1.5 × 2^59 in one cell) while every proof of the other loops holds:
    /// the packed sums are found inexact, and the report is the decimal column's.
    #[test]
    fn a_cell_amount_past_the_packed_count_bit_gives_the_same_report() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let units = [3i64 << 58, 3 << 58, 1, 1];
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::from(u)).collect();
        let (stage, owner, close) = ([0; 4], [0; 4], [20_500i64, 20_500, 20_460, i64::MIN]);
        let report = |amount| {
            let columns = dated_by_owner(&stage, &labels, amount, &close, &owner, &owners);
            forecast_columns(&policy("expected_close"), &columns, as_of).unwrap()
        };
        let fast = report(AmountColumn::Units { units: &units, scale: 0 });
        assert_eq!(fast, report(AmountColumn::Decimal(&decimals)));
        assert_eq!(fast.totals.open.amount, Decimal::from((3i64 << 59) + 2));
    }

    /// Rows past one block of the by-code dated loop (16 rows in unit tests, 2^20 else):
    /// each block's sums are merged, and the report is the decimal column's, with large
    /// amounts (each block's cells near their count bit), won rows, undated and overdue ones
    /// among them, over three owners, in blocks of as many rows each (203 rows: 13 blocks).
    #[test]
    fn blocks_of_the_by_code_loop_give_the_same_report() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string(), "wang".to_string(), "zhao".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let n = 203;
        let units: Vec<i64> = (0..n).map(|i| if i % 7 == 0 { 1i64 << 53 } else { 100 + 37 * i64::from(i) }).collect();
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::from(u)).collect();
        let stage: Vec<i32> = (0..n).map(|i| i32::from(i % 5 == 0)).collect();
        let owner: Vec<i32> = (0..n).map(|i| i % 3).collect();
        let close: Vec<i64> =
            (0..n).map(|i| if i % 11 == 0 { i64::MIN } else { 20_440 + (i64::from(i) * 13) % 200 }).collect();
        let report = |amount| {
            let columns = dated_by_owner(&stage, &labels, amount, &close, &owner, &owners);
            forecast_columns(&policy("expected_close"), &columns, as_of).unwrap()
        };
        let fast = report(AmountColumn::Units { units: &units, scale: 0 });
        assert_eq!(fast, report(AmountColumn::Decimal(&decimals)));
        let open: i64 = units.iter().zip(&stage).filter(|&(_, &s)| s == 0).map(|(u, _)| u).sum();
        assert_eq!(fast.totals.open.amount, Decimal::from(open));
    }

    /// One by-code cell of 64 rows of 2^53 (2^59 in all): in one call over the 64 rows its
    /// amount would reach their count bit (2^56), in blocks of 16 rows (count bit 2^58) each
    /// block's share (2^57) stays below it, and the merged sums are exact: the decimal
    /// column's report.
    #[test]
    fn a_cell_past_one_calls_count_bit_is_exact_in_blocks() {
        let labels = ["a".to_string(), "won".to_string()];
        let owners = ["li".to_string()];
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let units = [1i64 << 53; 64];
        let decimals: Vec<Decimal> = units.iter().map(|&u| Decimal::from(u)).collect();
        let (stage, owner, close) = ([0; 64], [0; 64], [20_500i64; 64]);
        let report = |amount| {
            let columns = dated_by_owner(&stage, &labels, amount, &close, &owner, &owners);
            forecast_columns(&policy("expected_close"), &columns, as_of).unwrap()
        };
        let fast = report(AmountColumn::Units { units: &units, scale: 0 });
        assert_eq!(fast, report(AmountColumn::Decimal(&decimals)));
        assert_eq!(fast.totals.open.amount, Decimal::from(1i64 << 59));
    }

    #[test]
    fn entry_dates_the_kernel_checks_give_the_general_loops_report() {
        // `actual`: the kernel checks the entry dates as it reads them (no pass of their own
        // first); valid days in stage whose OR passes its bound (entries in the year 1) take
        // the general loop after the dates' check: each report as the one of amounts the
        // kernel does not take (decimals), from 64-bit and from 32-bit days.
        let labels = ["a".to_string(), "won".to_string(), "gone".to_string()];
        let owners = ["li".to_string(), "wang".to_string()];
        let (stage, owner, cents) = ([0, 0, 1, 0], [0, 1, -1, 1], [100i64, 200, 300, 400]);
        let decimals: Vec<Decimal> = cents.iter().map(|&c| Decimal::new(c, 2)).collect();
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let first = crate::wire::MIN_EPOCH_DAY;
        for entered in [[20_000, 19_990, 19_000, i64::MIN], [first, 20_000, first + 1, 20_454]] {
            let entered32: Vec<i32> = entered.iter().map(|&d| i32::try_from(d).unwrap_or(i32::MIN)).collect();
            for days in [DateColumn::Days(&entered), DateColumn::Days32(&entered32)] {
                let report = |amount| {
                    let columns = DealColumns {
                        entered_stage_on: Some(days),
                        ..owner_columns(&stage, &labels, amount, (&owner, &owners))
                    };
                    forecast_columns(&policy("actual"), &columns, as_of).unwrap()
                };
                let fast = report(AmountColumn::Units { units: &cents, scale: 2 });
                assert_eq!(fast, report(AmountColumn::Decimal(&decimals)));
                assert_eq!(fast.totals.open.deals, 3);
            }
        }
    }

    #[test]
    fn bad_cells_are_reported_with_their_column_and_row() {
        for placement in ["half_elapsed", "actual"] {
            // (Three labels: `half_elapsed` sums a row of 4 cells per owner, by stage code; code
            // 3 is past the labels in its row, code 4 lands on the next owner's first cell.)
            let year_0 = crate::wire::MIN_EPOCH_DAY - 1;
            let cases: [(&str, &str, Spoil); 13] = [
                ("unknown_stage", "stage[1]", Box::new(|s, _, _, _| s[1] = 2)),
                ("unknown_stage", "stage[1]", Box::new(|s, _, _, _| s[1] = 3)),
                (
                    "unknown_stage",
                    "stage[1]",
                    Box::new(|s, _, _, o| {
                        s[1] = 4;
                        o[1] = 0;
                    }),
                ),
                ("missing_value", "stage[1]", Box::new(|s, _, _, _| s[1] = -1)),
                ("unknown_stage", "stage[1]", Box::new(|s, _, _, _| s[1] = -7)),
                ("negative_amount", "amount[1]", Box::new(|_, c, _, _| c[1] = -5)),
                ("date_after_as_of", "entered_stage_on[1]", Box::new(|_, _, e, _| e[1] = 30_000)),
                // `actual`'s kernel checks the entry dates as it reads them: a day before the
                // year 1 is still the dates' error, and before any later column's or row's.
                ("invalid_date", "entered_stage_on[1]", Box::new(move |_, _, e, _| e[1] = year_0)),
                ("invalid_date", "entered_stage_on[2]", Box::new(move |_, _, e, _| e[2] = year_0)),
                (
                    "invalid_date",
                    "entered_stage_on[2]",
                    Box::new(move |s, _, e, _| {
                        s[1] = 2;
                        e[2] = year_0;
                    }),
                ),
                (
                    "invalid_date",
                    "entered_stage_on[2]",
                    Box::new(move |_, _, e, o| {
                        o[1] = 2;
                        e[2] = year_0;
                    }),
                ),
                ("invalid_value", "keys[0][1]", Box::new(|_, _, _, o| o[1] = 2)),
                ("invalid_value", "keys[0][1]", Box::new(|_, _, _, o| o[1] = -2)),
            ];
            for (code, path, spoil) in cases {
                assert_eq!(error_of(placement, spoil), (code.to_owned(), path.to_owned()), "{placement}");
            }
        }
    }
}
