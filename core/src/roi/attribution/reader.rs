//! Journeys read from columns and validated, one journey at a time, without copying the
//! columns: what [`attribute_columns`](super::attribute_columns) loops over.

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::columns::{JourneyColumns, NOT_CONVERTED};
use super::MAX_TOUCHES;
use crate::error::{Error, Result};
use crate::forecast::AmountColumn;
use crate::money::Rounding;

/// A channel label that is not in the taxonomy (fails only when a row uses it).
const UNKNOWN: u32 = u32::MAX;

/// One validated journey: rows `start..end`, its revenue in units of the policy's last place
/// (0 when it did not convert), its channels (taxonomy indices) and days before the
/// conversion (0 without one) in the reader's scratch buffers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub start: usize,
    pub end: usize,
    pub converted: bool,
    pub units: i128,
    /// Its conversion day (days since 1970-01-01), or `NOT_CONVERTED`.
    pub conv: i64,
}

/// Walks the columns journey by journey.
pub(crate) struct Reader<'a> {
    columns: &'a JourneyColumns<'a>,
    /// Label code → taxonomy index, or [`UNKNOWN`].
    labels: Vec<u32>,
    rounding: Rounding,
    at: usize,
    /// The codes of earlier journeys while the codes only went up (the usual, sorted frame);
    /// the set of them once they went down.
    last: Option<i64>,
    seen: Option<HashSet<i64>>,
    runs: Vec<i64>,
    /// The current journey's channels (taxonomy indices) and days before its conversion.
    pub channel: Vec<u32>,
    pub days: Vec<u32>,
}

impl<'a> Reader<'a> {
    pub fn new(columns: &'a JourneyColumns<'a>, labels: Vec<Option<usize>>, rounding: Rounding) -> Self {
        Self {
            columns,
            labels: labels.into_iter().map(|l| l.map_or(UNKNOWN, |t| t as u32)).collect(),
            rounding,
            at: 0,
            last: None,
            seen: None,
            runs: Vec::new(),
            channel: Vec::new(),
            days: Vec::new(),
        }
    }

    /// The milestone column, if any.
    pub fn milestones(&self) -> Option<&'a [i8]> {
        self.columns.milestone
    }

    /// The next journey, validated, with its channels and days in `self.channel` and
    /// `self.days`; `None` after the last row.
    pub fn next_run(&mut self) -> Result<Option<Run>> {
        let c = self.columns;
        let rows = c.journey.len();
        let start = self.at;
        if start >= rows {
            return Ok(None);
        }
        let code = c.journey[start];
        self.check_new(code, start)?;
        let mut end = start + 1;
        while end < rows && c.journey[end] == code {
            end += 1;
        }
        self.at = end;
        if end - start > MAX_TOUCHES {
            // The path is formatted only when it is needed: not a string per journey.
            crate::limits::check(
                &format!("journey[{start}]"),
                end - start,
                MAX_TOUCHES as u64,
                "touches in a journey",
            )?;
        }
        let conv = c.converted_on[start];
        let converted = conv != NOT_CONVERTED;
        // A journey that did not convert may leave its revenue empty (NaN in a float column).
        let units = match revenue_units(&c.revenue, start, self.rounding)? {
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
        self.channel.clear();
        self.days.clear();
        let mut previous = i64::MIN;
        for r in start..end {
            let code = c.channel[r];
            let t = match usize::try_from(code).ok().and_then(|k| self.labels.get(k)) {
                Some(&t) if t != UNKNOWN => t,
                Some(_) => {
                    let k = code as usize;
                    return Err(Error::UnknownChannel {
                        path: format!("channel_labels[{k}]"),
                        name: c.channel_labels[k].clone(),
                    });
                }
                None => {
                    return Err(Error::InvalidValue {
                        path: format!("channel[{r}]"),
                        reason: format!("code {code} is not an index of channel_labels"),
                    })
                }
            };
            let on = c.on[r];
            if on == NOT_CONVERTED {
                return Err(Error::MissingValue {
                    path: format!("on[{r}]"),
                    reason: "every touch needs its day".into(),
                });
            }
            if on < previous {
                return Err(Error::InvalidValue {
                    path: format!("on[{r}]"),
                    reason: "touches go in time order".into(),
                });
            }
            previous = on;
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
            self.channel.push(t);
            self.days.push(days);
        }
        Ok(Some(Run { start, end, converted, units, conv }))
    }

    /// A journey's rows are consecutive: `code` must not have been seen before.
    fn check_new(&mut self, code: i64, row: usize) -> Result<()> {
        let repeated = match (&mut self.seen, self.last) {
            (Some(set), _) => !set.insert(code),
            (None, Some(last)) if code <= last => {
                let mut set: HashSet<i64> = self.runs.iter().copied().collect();
                let repeated = !set.insert(code);
                self.seen = Some(set);
                self.runs = Vec::new();
                repeated
            }
            (None, _) => {
                self.runs.push(code);
                false
            }
        };
        self.last = Some(code);
        if repeated {
            return Err(Error::InvalidValue {
                path: format!("journey[{row}]"),
                reason: "a journey's rows are consecutive".into(),
            });
        }
        Ok(())
    }
}

/// Row `r`'s revenue in units of the policy's last place. `None` for a float NaN (an empty
/// cell).
fn revenue_units(column: &AmountColumn, r: usize, rounding: Rounding) -> Result<Option<i128>> {
    let exact = match *column {
        AmountColumn::Decimal(d) => d[r],
        AmountColumn::Units { units, scale } => {
            let u = i128::from(units[r]);
            if scale <= rounding.dp {
                // Fewer places than kept: padding zeros, what rounding would do, in integers
                // (while the mantissa stays within a Decimal's 96 bits).
                if let Some(x) = 10i128.checked_pow(rounding.dp - scale).and_then(|p| u.checked_mul(p)) {
                    if x.unsigned_abs() < 1u128 << 96 {
                        return Ok(Some(x));
                    }
                }
            }
            Decimal::try_from_i128_with_scale(u, scale).map_err(|_| bad(r))?
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
