//! Journeys as columns: the batch entry point behind `attribution_frame` and
//! `attributeColumns`.

use rust_decimal::Decimal;

use super::engine::{self, Prepared};
use super::{report_channels, AttributionPolicy, AttributionReport, MAX_TOUCHES};
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
    let rounding = policy.rounding;
    let mut p = Prepared {
        lengths: Vec::new(),
        units: Vec::new(),
        converted: Vec::new(),
        channel: Vec::with_capacity(rows),
        days: Vec::with_capacity(rows),
        milestone: columns.milestone.map(<[i8]>::to_vec),
    };
    // Sorted codes (the usual frame) need no set: a code above every earlier one is new. The
    // set of earlier codes is built only once the codes go down.
    let mut seen: Option<std::collections::HashSet<i64>> = None;
    let mut runs: Vec<i64> = Vec::new();
    let mut i = 0usize;
    while i < rows {
        let code = columns.journey[i];
        let repeated = match (&mut seen, runs.last()) {
            (Some(set), _) => !set.insert(code),
            (None, Some(&last)) if code <= last => {
                let mut set: std::collections::HashSet<i64> = runs.iter().copied().collect();
                let repeated = !set.insert(code);
                seen = Some(set);
                repeated
            }
            (None, _) => {
                runs.push(code);
                false
            }
        };
        if repeated {
            return Err(Error::InvalidValue {
                path: format!("journey[{i}]"),
                reason: "a journey's rows are consecutive".into(),
            });
        }
        let start = i;
        while i < rows && columns.journey[i] == code {
            i += 1;
        }
        crate::limits::check(&format!("journey[{start}]"), i - start, MAX_TOUCHES as u64, "touches in a journey")?;
        let conv = columns.converted_on[start];
        let converted = conv != NOT_CONVERTED;
        // A journey that did not convert may leave its revenue empty (NaN in a float column).
        let units = match revenue_units(&columns.revenue, start, rounding)? {
            Some(u) => u,
            None if !converted => 0,
            None => return Err(bad(start)),
        };
        if units < 0 {
            return Err(Error::NegativeAmount { path: format!("revenue[{start}]"), value: units.to_string() });
        }
        if !converted && units != 0 {
            return Err(Error::InvalidValue {
                path: format!("revenue[{start}]"),
                reason: "revenue without converted_on".into(),
            });
        }
        p.lengths.push((i - start) as u32);
        p.units.push(units);
        p.converted.push(converted);
        for r in start..i {
            let c = columns.channel[r];
            let label =
                usize::try_from(c).ok().filter(|&c| c < label_index.len()).ok_or_else(|| Error::InvalidValue {
                    path: format!("channel[{r}]"),
                    reason: format!("code {c} is not an index of channel_labels"),
                })?;
            let t = label_index[label].ok_or_else(|| Error::UnknownChannel {
                path: format!("channel_labels[{label}]"),
                name: columns.channel_labels[label].clone(),
            })?;
            let on = columns.on[r];
            if on == NOT_CONVERTED {
                return Err(Error::MissingValue {
                    path: format!("on[{r}]"),
                    reason: "every touch needs its day".into(),
                });
            }
            if r > start && on < columns.on[r - 1] {
                return Err(Error::InvalidValue {
                    path: format!("on[{r}]"),
                    reason: "touches go in time order".into(),
                });
            }
            let days = if converted {
                if on > conv {
                    return Err(Error::TouchAfterConversion {
                        path: format!("on[{r}]"),
                        date: on.to_string(),
                        converted_on: conv.to_string(),
                    });
                }
                u32::try_from(conv.saturating_sub(on)).unwrap_or(u32::MAX)
            } else {
                0
            };
            p.channel.push(t as u32);
            p.days.push(days);
        }
    }
    let path = |j: usize| format!("journey[{j}]");
    let outcome = engine::run(&policy.model, policy.channels.len(), &p, false, &path)?;
    let report = report_channels(policy, &p, &outcome)?;
    let credits = outcome
        .credits
        .iter()
        .enumerate()
        .map(|(r, &c)| i64::try_from(c).map_err(|_| Error::overflow(format!("revenue[{r}]"))))
        .collect::<Result<_>>()?;
    Ok(ColumnsAttribution { report, credits })
}

/// Row `r`'s revenue in units of the policy's last place.
/// `None` for a float NaN (an empty cell).
fn revenue_units(column: &AmountColumn, r: usize, rounding: crate::money::Rounding) -> Result<Option<i128>> {
    let exact = match *column {
        AmountColumn::Decimal(d) => d[r],
        AmountColumn::Units { units, scale } => {
            if scale == rounding.dp {
                return Ok(Some(i128::from(units[r])));
            }
            Decimal::try_from_i128_with_scale(i128::from(units[r]), scale).map_err(|_| bad(r))?
        }
        AmountColumn::Float { values, scale } => {
            let v = values[r];
            if v.is_nan() {
                return Ok(None);
            }
            let x = (v * 10f64.powi(scale as i32)).round_ties_even();
            if !x.is_finite() || x.abs() >= 9.2e18 {
                return Err(bad(r));
            }
            Decimal::try_from_i128_with_scale(x as i128, scale).map_err(|_| bad(r))?
        }
    };
    Ok(Some(rounding.round(exact).mantissa()))
}

fn bad(r: usize) -> Error {
    Error::Parse {
        kind: crate::ParseKind::Decimal,
        path: format!("revenue[{r}]"),
        message: "not a finite amount".into(),
    }
}
