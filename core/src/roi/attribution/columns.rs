//! Journeys as columns: the batch entry point behind `attribution_frame` and
//! `attributeColumns`.

use std::collections::HashMap;

use super::engine::Prepared;
use super::fast;
use super::reader::Reader;
use super::{attribute_prepared, channel_report, month_index, AttributionPolicy, AttributionReport};
use crate::error::{Error, Result};
use crate::forecast::AmountColumn;
use crate::money::Rounding;
use crate::roi::policy::taxonomy_index;

/// `converted_on` value of a journey that did not convert.
pub const NOT_CONVERTED: i64 = i64::MIN;

/// A column of days: days since 1970-01-01, or ticks of a finer unit (a numpy datetime64
/// column's int64 view) read as days in the pass that reads the journeys, without a converted
/// copy. `i64::MIN` (numpy's NaT, [`NOT_CONVERTED`]) is the missing day whatever the unit.
#[derive(Debug, Clone, Copy)]
pub struct DayColumn<'a> {
    /// Per row: the value.
    pub values: &'a [i64],
    /// How many values make a day: 1 for days, 86,400 for seconds,
    /// 86,400,000,000,000 for nanoseconds (≥ 1). A value that is not a whole number of days
    /// (a time of day) is `invalid_date`.
    pub per_day: i64,
}

impl<'a> DayColumn<'a> {
    /// Days since 1970-01-01.
    pub const fn days(values: &'a [i64]) -> Self {
        Self { values, per_day: 1 }
    }
}

/// A column of category codes as the caller holds them (a pandas categorical's int8 codes are
/// read as they are, not widened into a copy).
#[derive(Debug, Clone, Copy)]
pub enum CodeColumn<'a> {
    /// 8-bit codes.
    I8(&'a [i8]),
    /// 16-bit codes.
    I16(&'a [i16]),
    /// 32-bit codes.
    I32(&'a [i32]),
}

impl CodeColumn<'_> {
    /// Rows.
    pub const fn len(&self) -> usize {
        match self {
            Self::I8(c) => c.len(),
            Self::I16(c) => c.len(),
            Self::I32(c) => c.len(),
        }
    }

    /// Whether there are no rows.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `r`'s code.
    #[inline]
    pub(crate) fn get(&self, r: usize) -> i32 {
        match self {
            Self::I8(c) => i32::from(c[r]),
            Self::I16(c) => i32::from(c[r]),
            Self::I32(c) => c[r],
        }
    }
}

/// Touches as columns, one row per touch: the rows of a journey are consecutive and in time
/// order, and carry the journey's revenue and conversion day (read on its first row).
#[derive(Debug, Clone, Copy)]
pub struct JourneyColumns<'a> {
    /// Per row: the journey's code (any integer; consecutive rows with one code are a journey).
    pub journey: &'a [i64],
    /// Per row: the channel's code into `channel_labels`.
    pub channel: CodeColumn<'a>,
    /// Channel names the codes refer to (each in the policy's taxonomy when used).
    pub channel_labels: &'a [String],
    /// Per row: the touch's day.
    pub on: DayColumn<'a>,
    /// Per row: the journey's revenue (read on its first row; 0 when it did not convert).
    pub revenue: AmountColumn<'a>,
    /// Per row: the journey's conversion day, or [`NOT_CONVERTED`] (read on its first row).
    pub converted_on: DayColumn<'a>,
    /// Per row: 0 none, 1 `lead_created`, 2 `deal_created` (absent: no milestones).
    pub milestone: Option<&'a [i8]>,
}

/// What [`attribute_columns`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnsAttribution {
    /// The report without journey lines.
    pub report: AttributionReport,
    /// Per row: its touch's credit in units of 10^-`rounding.dp` (0 when not converted).
    pub credits: Vec<i64>,
}

/// Attributes journeys given as columns: the report of [`attribute`](super::attribute)
/// without journey lines, plus one credit per row as integer units, computed in one pass with
/// integer arithmetic. Paths in errors name the column and row (`on[7]`). The columns are
/// read where they are, once: days (or ticks) are range-checked as each journey is read.
///
/// # Errors
///
/// As [`attribute`](super::attribute): `unknown_channel` at `channel_labels[k]`,
/// `invalid_value` at `channel[i]` (a code outside the labels) or at `journey[i]` (a journey
/// whose rows are not consecutive), `touch_after_conversion` / `invalid_value` at `on[i]`,
/// `invalid_date` at `on[i]` / `converted_on[i]` (outside the years 1 to 9999, or a time of
/// day), `invalid_value` at `on` / `converted_on` for `per_day` below 1,
/// `negative_amount` / `invalid_decimal` / `invalid_value` at `revenue[i]`; `invalid_value`
/// at `journey` when the columns' lengths differ.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::AmountColumn;
/// use crmkit::roi::{attribute_columns, AttributionPolicy, CodeColumn, DayColumn, JourneyColumns, NOT_CONVERTED};
///
/// let policy: AttributionPolicy = crmkit::wire::from_json(r#"{"model": {"kind": "linear"}}"#, "")?;
/// let labels = ["search".to_string(), "email".to_string()];
/// let columns = JourneyColumns {
///     journey: &[7, 7, 7, 8],
///     channel: CodeColumn::I8(&[0, 1, 1, 0]),
///     channel_labels: &labels,
///     on: DayColumn::days(&[20_500, 20_501, 20_502, 20_500]),
///     revenue: AmountColumn::Units { units: &[10_000, 10_000, 10_000, 0], scale: 2 },
///     // Seconds, as a datetime64[s] column holds them.
///     converted_on: DayColumn { values: &[1_772_064_000, 1_772_064_000, 1_772_064_000, NOT_CONVERTED], per_day: 86_400 },
///     milestone: None,
/// };
/// let out = attribute_columns(&policy, &columns)?;
/// assert_eq!(out.credits, [3334, 3333, 3333, 0]);
/// assert_eq!(out.report.channels[1].credit.to_string(), "66.66");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn attribute_columns(policy: &AttributionPolicy, columns: &JourneyColumns) -> Result<ColumnsAttribution> {
    let mut credits = vec![0i64; columns.journey.len()];
    let report = attribute_columns_into(policy, columns, &mut credits)?;
    Ok(ColumnsAttribution { report, credits })
}

/// [`attribute_columns`] writing each row's credit into `credits` (as long as the columns;
/// whatever it holds is overwritten) and returning the report: a binding hands over an array
/// of its own (numpy's allocator asks the kernel for huge pages for a large array, so writing
/// 40 MB of credits faults a few pages instead of ten thousand). After an error `credits`
/// holds a partial result.
///
/// # Errors
///
/// As [`attribute_columns`]; `invalid_value` at `credits` when its length is not the
/// columns'.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::AmountColumn;
/// use crmkit::roi::{attribute_columns_into, AttributionPolicy, CodeColumn, DayColumn, JourneyColumns, NOT_CONVERTED};
///
/// let policy: AttributionPolicy = crmkit::wire::from_json(r#"{"model": {"kind": "first_touch"}}"#, "")?;
/// let labels = ["search".to_string(), "email".to_string()];
/// let columns = JourneyColumns {
///     journey: &[7, 7, 8],
///     channel: CodeColumn::I8(&[0, 1, 0]),
///     channel_labels: &labels,
///     on: DayColumn::days(&[20_500, 20_501, 20_500]),
///     revenue: AmountColumn::Units { units: &[5_000, 5_000, 0], scale: 2 },
///     converted_on: DayColumn::days(&[20_502, 20_502, NOT_CONVERTED]),
///     milestone: None,
/// };
/// let mut credits = [-1i64; 3];
/// let report = attribute_columns_into(&policy, &columns, &mut credits)?;
/// assert_eq!((credits, report.total.to_string()), ([5_000, 0, 0], "50.00".to_string()));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn attribute_columns_into(
    policy: &AttributionPolicy,
    columns: &JourneyColumns,
    credits: &mut [i64],
) -> Result<AttributionReport> {
    policy.validate()?;
    let index = taxonomy_index(&policy.channels)?;
    check_lengths(columns, Some(credits.len()))?;
    let mut reader = reader(columns, &index, policy.rounding);
    let channels = policy.channels.len();
    if fast::applies(policy) {
        // One pass: read, weigh, split, total.
        let direct = policy.model.direct_channels("model", &index)?;
        let totals = fast::run(&policy.model, channels, &direct, &mut reader, credits)?;
        return channel_report(policy, &totals, None);
    }
    // The data-driven models learn from every journey before crediting any; a lookback
    // window or cohorts take the record API's general path too.
    let (p, months) = read_all(&mut reader, columns, policy.cohorts)?;
    let path = first_rows(&p);
    let done = attribute_prepared(policy, &index, &p, policy.cohorts.then_some(months.as_slice()), false, &path)?;
    for (r, (&c, out)) in done.outcome.credits.iter().zip(credits.iter_mut()).enumerate() {
        *out = i64::try_from(c).map_err(|_| Error::overflow(format!("revenue[{r}]")))?;
    }
    Ok(done.report)
}

/// Checks that every column is as long as the journey column (and `credits`, when given, too)
/// and that day columns count at least one value per day.
pub(crate) fn check_lengths(columns: &JourneyColumns, credits: Option<usize>) -> Result<()> {
    let rows = columns.journey.len();
    let revenue_len = columns.revenue.len();
    let lengths = [
        ("channel", columns.channel.len()),
        ("on", columns.on.values.len()),
        ("revenue", revenue_len),
        ("converted_on", columns.converted_on.values.len()),
        ("milestone", columns.milestone.map_or(rows, <[i8]>::len)),
        ("credits", credits.unwrap_or(rows)),
    ];
    if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != rows) {
        return Err(Error::InvalidValue {
            path: (*name).into(),
            reason: format!("{len} rows, the journey column has {rows}"),
        });
    }
    for (name, c) in [("on", columns.on), ("converted_on", columns.converted_on)] {
        if c.per_day < 1 {
            return Err(Error::InvalidValue { path: name.into(), reason: format!("{} values per day", c.per_day) });
        }
    }
    Ok(())
}

/// A reader of `columns` (checked by [`check_lengths`]) against the taxonomy `index`.
pub(crate) fn reader<'a>(
    columns: &'a JourneyColumns<'a>,
    index: &HashMap<&str, usize>,
    rounding: Rounding,
) -> Reader<'a> {
    // Label code → taxonomy index (unknown labels fail only when used).
    let label_index: Vec<Option<usize>> =
        columns.channel_labels.iter().map(|l| index.get(l.as_str()).copied()).collect();
    Reader::new(columns, label_index, rounding)
}

/// Every journey of `reader`, validated, as the record API's prepared journeys, and with
/// `cohorts` each journey's conversion month (`i32::MIN` without one).
pub(crate) fn read_all(reader: &mut Reader, columns: &JourneyColumns, cohorts: bool) -> Result<(Prepared, Vec<i32>)> {
    let rows = columns.journey.len();
    let mut p = Prepared {
        lengths: Vec::new(),
        units: Vec::new(),
        converted: Vec::new(),
        channel: Vec::with_capacity(rows),
        days: Vec::with_capacity(rows),
        milestone: columns.milestone.map(<[i8]>::to_vec),
    };
    let mut months = Vec::new();
    while let Some(run) = reader.next_run()? {
        p.lengths.push((run.end - run.start) as u32);
        p.units.push(run.units);
        p.converted.push(run.converted);
        p.channel.extend_from_slice(&reader.channel);
        p.days.extend_from_slice(&reader.days);
        if cohorts {
            // Range-checked above: a day of the years 1 to 9999 (719,163: 1970-01-01 from 0001-01-01).
            let day = i32::try_from(run.conv + 719_163).ok().and_then(chrono::NaiveDate::from_num_days_from_ce_opt);
            months.push(match (run.converted, day) {
                (true, Some(day)) => month_index(day),
                _ => i32::MIN,
            });
        }
    }
    Ok((p, months))
}

/// The path of a journey's error, `journey[i]` at its first row `i` (what the general loop
/// names by the journey's position).
pub(crate) fn first_rows(p: &Prepared) -> impl Fn(usize) -> String + use<> {
    let starts: Vec<usize> = p.journeys().map(|(_, start, _)| start).collect();
    move |j| format!("journey[{}]", starts[j])
}
