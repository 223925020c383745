//! Journeys as columns: the batch entry point behind `attribution_frame` and
//! `attributeColumns`.

use super::engine::Prepared;
use super::fast;
use super::reader::Reader;
use super::{attribute_prepared, channel_report, month_index, AttributionPolicy, AttributionReport};
use crate::error::{Error, Result};
use crate::forecast::AmountColumn;
use crate::roi::policy::taxonomy_index;

/// `converted_on` value of a journey that did not convert.
pub const NOT_CONVERTED: i64 = i64::MIN;

/// Touches as columns, one row per touch: the rows of a journey are consecutive and in time
/// order, and carry the journey's revenue and conversion day (read on its first row).
#[derive(Debug, Clone, Copy)]
pub struct JourneyColumns<'a> {
    /// Per row: the journey's code (any integer; consecutive rows with one code are a journey).
    pub journey: &'a [i64],
    /// Per row: the channel's code into `channel_labels`.
    pub channel: &'a [i32],
    /// Channel names the codes refer to (each in the policy's taxonomy when used).
    pub channel_labels: &'a [String],
    /// Per row: the touch's day, in days since 1970-01-01.
    pub on: &'a [i64],
    /// Per row: the journey's revenue (read on its first row; 0 when it did not convert).
    pub revenue: AmountColumn<'a>,
    /// Per row: the journey's conversion day, days since 1970-01-01, or [`NOT_CONVERTED`].
    pub converted_on: &'a [i64],
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
/// integer arithmetic. Paths in errors name the column and row (`on[7]`).
///
/// # Errors
///
/// As [`attribute`](super::attribute): `unknown_channel` at `channel_labels[k]`,
/// `invalid_value` at `channel[i]` (a code outside the labels) or at `journey[i]` (a journey
/// whose rows are not consecutive), `touch_after_conversion` / `invalid_value` at `on[i]`,
/// `negative_amount` / `invalid_decimal` / `invalid_value` at `revenue[i]`; `invalid_value`
/// at `journey` when the columns' lengths differ.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::AmountColumn;
/// use crmkit::roi::{attribute_columns, AttributionPolicy, JourneyColumns, NOT_CONVERTED};
///
/// let policy: AttributionPolicy = crmkit::wire::from_json(r#"{"model": {"kind": "linear"}}"#, "")?;
/// let labels = ["search".to_string(), "email".to_string()];
/// let columns = JourneyColumns {
///     journey: &[7, 7, 7, 8],
///     channel: &[0, 1, 1, 0],
///     channel_labels: &labels,
///     on: &[20_500, 20_501, 20_502, 20_500],
///     revenue: AmountColumn::Units { units: &[10_000, 10_000, 10_000, 0], scale: 2 },
///     converted_on: &[20_510, 20_510, 20_510, NOT_CONVERTED],
///     milestone: None,
/// };
/// let out = attribute_columns(&policy, &columns)?;
/// assert_eq!(out.credits, [3334, 3333, 3333, 0]);
/// assert_eq!(out.report.channels[1].credit.to_string(), "66.66");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn attribute_columns(policy: &AttributionPolicy, columns: &JourneyColumns) -> Result<ColumnsAttribution> {
    policy.validate()?;
    let index = taxonomy_index(&policy.channels)?;
    let rows = columns.journey.len();
    let revenue_len = match columns.revenue {
        AmountColumn::Decimal(d) => d.len(),
        AmountColumn::Units { units, .. } => units.len(),
        AmountColumn::Float { values, .. } => values.len(),
    };
    let lengths = [
        ("channel", columns.channel.len()),
        ("on", columns.on.len()),
        ("revenue", revenue_len),
        ("converted_on", columns.converted_on.len()),
        ("milestone", columns.milestone.map_or(rows, <[i8]>::len)),
    ];
    if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != rows) {
        return Err(Error::InvalidValue {
            path: (*name).into(),
            reason: format!("{len} rows, the journey column has {rows}"),
        });
    }
    crate::wire::check_days(columns.on, None, |i| format!("on[{i}]"))?;
    crate::wire::check_days(columns.converted_on, Some(NOT_CONVERTED), |i| format!("converted_on[{i}]"))?;
    // Label code → taxonomy index (unknown labels fail only when used).
    let label_index: Vec<Option<usize>> =
        columns.channel_labels.iter().map(|l| index.get(l.as_str()).copied()).collect();
    let mut reader = Reader::new(columns, label_index, policy.rounding);
    let channels = policy.channels.len();
    if fast::applies(policy) {
        // One pass: read, weigh, split, total.
        let direct = policy.model.direct_channels("model", &index)?;
        let mut credits = vec![0i64; rows];
        let totals = fast::run(&policy.model, channels, &direct, &mut reader, &mut credits)?;
        let report = channel_report(policy, &totals, None)?;
        return Ok(ColumnsAttribution { report, credits });
    }
    // The data-driven models learn from every journey before crediting any; a lookback
    // window or cohorts take the record API's general path too.
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
        if policy.cohorts {
            // Range-checked above: a day of the years 1 to 9999 (719,163: 1970-01-01 from 0001-01-01).
            let day = i32::try_from(run.conv + 719_163).ok().and_then(chrono::NaiveDate::from_num_days_from_ce_opt);
            months.push(match (run.converted, day) {
                (true, Some(day)) => month_index(day),
                _ => i32::MIN,
            });
        }
    }
    let path = |j: usize| format!("journey[{j}]");
    let done = attribute_prepared(policy, &index, &p, policy.cohorts.then_some(months.as_slice()), false, &path)?;
    let credits = done
        .outcome
        .credits
        .iter()
        .enumerate()
        .map(|(r, &c)| i64::try_from(c).map_err(|_| Error::overflow(format!("revenue[{r}]"))))
        .collect::<Result<_>>()?;
    Ok(ColumnsAttribution { report: done.report, credits })
}
