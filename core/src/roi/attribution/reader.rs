//! Journeys read from columns and validated, one journey at a time, without copying the
//! columns: what [`attribute_columns`](super::attribute_columns) loops over.

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::columns::{CodeColumn, JourneyColumns, NOT_CONVERTED};
use super::MAX_TOUCHES;
use crate::error::{Error, Result};
use crate::forecast::AmountColumn;
use crate::money::Rounding;
use crate::wire::{BadDay, DayTicks, MAX_EPOCH_DAY, MIN_EPOCH_DAY};

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
    /// The same for int8 codes, indexed by the code's byte (a negative code is [`UNKNOWN`]):
    /// no bounds check per row.
    labels8: Box<[u32; 256]>,
    rounding: Rounding,
    /// See [`revenue_units`].
    pad: Option<i64>,
    on: DayTicks,
    converted_on: DayTicks,
    at: usize,
    /// The last journey code while the codes only went up (the usual, sorted frame: nothing
    /// to remember); the set of every code seen once they went down.
    last: Option<i64>,
    seen: Option<HashSet<i64>>,
    /// The current journey's channels (taxonomy indices) and days before its conversion.
    pub channel: Vec<u32>,
    pub days: Vec<u32>,
}

impl<'a> Reader<'a> {
    /// A reader of `columns` (lengths checked, `per_day` ≥ 1).
    pub fn new(columns: &'a JourneyColumns<'a>, labels: Vec<Option<usize>>, rounding: Rounding) -> Self {
        let labels: Vec<u32> = labels.into_iter().map(|l| l.map_or(UNKNOWN, |t| t as u32)).collect();
        let mut labels8 = Box::new([UNKNOWN; 256]);
        for (t, &l) in labels8.iter_mut().zip(&labels).take(128) {
            *t = l;
        }
        Self {
            columns,
            labels,
            labels8,
            rounding,
            pad: match columns.revenue {
                AmountColumn::Units { scale, .. } | AmountColumn::WholeFloats { scale, .. } if scale <= rounding.dp => {
                    10i64.checked_pow(rounding.dp - scale)
                }
                _ => None,
            },
            on: DayTicks::new(columns.on.per_day),
            converted_on: DayTicks::new(columns.converted_on.per_day),
            at: 0,
            last: None,
            seen: None,
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
        let end = c.journey[start + 1..].iter().position(|&x| x != code).map_or(rows, |k| start + 1 + k);
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
        let raw = c.converted_on.values[start];
        let converted = raw != NOT_CONVERTED;
        let conv = if converted {
            self.converted_on.day(raw).map_err(|b| b.error("converted_on", start, raw, self.converted_on.per_day))?
        } else {
            NOT_CONVERTED
        };
        // A journey that did not convert may leave its revenue empty (NaN in a float column).
        let units = match revenue_units(&c.revenue, start, self.rounding, self.pad)? {
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
        // The rows in one tight loop per code width; the error of a bad row is found again,
        // with its words, off the hot path.
        let n = end - start;
        self.channel.resize(n, 0);
        self.days.resize(n, 0);
        let rows = Rows { on: &c.on.values[start..end], reader: self.on, converted, conv };
        let (labels, labels8) = (&self.labels[..], &*self.labels8);
        // A negative code wraps to a huge index: not a label either.
        let wide = |code: i32| labels.get(code as u32 as usize).copied().unwrap_or(UNKNOWN);
        let read = match c.channel {
            CodeColumn::I8(codes) => rows.read(
                &codes[start..end],
                |code: i8| labels8[code as u8 as usize],
                &mut self.channel,
                &mut self.days,
            ),
            CodeColumn::I16(codes) => {
                rows.read(&codes[start..end], |c: i16| wide(c.into()), &mut self.channel, &mut self.days)
            }
            CodeColumn::I32(codes) => rows.read(&codes[start..end], wide, &mut self.channel, &mut self.days),
        };
        if let Err(k) = read {
            return Err(self.row_error(start, start + k, converted, conv));
        }
        Ok(Some(Run { start, end, converted, units, conv }))
    }

    /// The error of row `r` of the journey starting at `start`, which [`Rows::read`] found bad.
    #[cold]
    fn row_error(&self, start: usize, r: usize, converted: bool, conv: i64) -> Error {
        let c = self.columns;
        let code = c.channel.get(r);
        if usize::try_from(code).ok().and_then(|k| self.labels.get(k)).is_none_or(|&t| t == UNKNOWN) {
            return self.bad_code(code, r);
        }
        let (v, reader) = (c.on.values[r], self.on);
        if v == NOT_CONVERTED {
            return Error::MissingValue { path: format!("on[{r}]"), reason: "every touch needs its day".into() };
        }
        let day = match reader.day(v) {
            Ok(day) => day,
            Err(b) => return b.error("on", r, v, reader.per_day),
        };
        // The row before it in the journey was good.
        if r > start && reader.day(c.on.values[r - 1]).is_ok_and(|before| day < before) {
            return Error::InvalidValue { path: format!("on[{r}]"), reason: "touches go in time order".into() };
        }
        if converted && day > conv {
            return Error::TouchAfterConversion {
                path: format!("on[{r}]"),
                date: day.to_string(),
                converted_on: conv.to_string(),
            };
        }
        Error::InvalidValue { path: format!("on[{r}]"), reason: "not a touch's day".into() }
    }

    /// The error of a channel code outside the labels, or of a label not in the taxonomy.
    #[cold]
    fn bad_code(&self, code: i32, r: usize) -> Error {
        let c = self.columns;
        match usize::try_from(code).ok().filter(|&k| k < c.channel_labels.len()) {
            Some(k) => {
                Error::UnknownChannel { path: format!("channel_labels[{k}]"), name: c.channel_labels[k].clone() }
            }
            None => Error::InvalidValue {
                path: format!("channel[{r}]"),
                reason: format!("code {code} is not an index of channel_labels"),
            },
        }
    }

    /// A journey's rows are consecutive: `code` must not have been seen before.
    fn check_new(&mut self, code: i64, row: usize) -> Result<()> {
        let repeated = match (&mut self.seen, self.last) {
            (Some(set), _) => !set.insert(code),
            (None, Some(last)) if code <= last => {
                // The codes went down: from here on, a set of every code seen (the first row
                // of each journey read so far; they were all distinct, going up).
                let journey = self.columns.journey;
                let mut set: HashSet<i64> =
                    (0..row).filter(|&r| r == 0 || journey[r] != journey[r - 1]).map(|r| journey[r]).collect();
                let repeated = !set.insert(code);
                self.seen = Some(set);
                repeated
            }
            (None, _) => false,
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

/// What a journey's rows are checked against.
struct Rows<'r> {
    /// The journey's days.
    on: &'r [i64],
    reader: DayTicks,
    converted: bool,
    conv: i64,
}

impl Rows<'_> {
    /// Each row's taxonomy index (`label` of its code, [`UNKNOWN`] for none) into `channel`
    /// and days before the conversion into `days` (all as long as `codes`), or the offset of
    /// the first bad row.
    #[allow(clippy::inline_always)] // into next_run with read_n's bodies: see read_n
    #[inline(always)]
    fn read<C: Copy>(
        &self,
        codes: &[C],
        label: impl Fn(C) -> u32,
        channel: &mut [u32],
        days: &mut [u32],
    ) -> std::result::Result<(), usize> {
        // Journeys of up to 8 touches in loops of a known length (unrolled, the rows' slices
        // at fixed offsets), longer ones in a loop of their own.
        match codes.len() {
            1 => self.read_n::<1, C>(codes, label, channel, days),
            2 => self.read_n::<2, C>(codes, label, channel, days),
            3 => self.read_n::<3, C>(codes, label, channel, days),
            4 => self.read_n::<4, C>(codes, label, channel, days),
            5 => self.read_n::<5, C>(codes, label, channel, days),
            6 => self.read_n::<6, C>(codes, label, channel, days),
            7 => self.read_n::<7, C>(codes, label, channel, days),
            8 => self.read_n::<8, C>(codes, label, channel, days),
            _ => self.read_n::<0, C>(codes, label, channel, days),
        }
    }

    /// [`Rows::read`] of `N` rows (any number for `N = 0`). Each length's body is inlined
    /// into its arm of [`Rows::read`], and that into [`Reader::next_run`] (once per code
    /// width): the compiler called both per journey, copying `Rows` and the scratch slices
    /// into the call (over a frame's columns, linear 33.6 → 29.4 ms per million journeys).
    #[allow(clippy::inline_always)] // see above
    #[inline(always)]
    fn read_n<const N: usize, C: Copy>(
        &self,
        codes: &[C],
        label: impl Fn(C) -> u32,
        channel: &mut [u32],
        days: &mut [u32],
    ) -> std::result::Result<(), usize> {
        let n = if N == 0 { codes.len() } else { N };
        let (codes, on, channel, days) = (&codes[..n], &self.on[..n], &mut channel[..n], &mut days[..n]);
        let reader = self.reader;
        // Days counted from the reader's first day; a journey without a conversion has no
        // day to stay before, and counts no days. The last day a touch may fall on: the
        // conversion's or the last day read, whichever comes first (`x` is a day only when at
        // most `limit`).
        let (conv, last) = if self.converted {
            let Ok(conv) = u64::try_from(self.conv - reader.base_day) else {
                // Converted before the first day this column can hold: no touch is before it.
                return if n == 0 { Ok(()) } else { Err(0) };
            };
            (conv, conv.min(reader.limit))
        } else {
            (0, reader.limit)
        };
        let keep = if self.converted { u32::MAX } else { 0 };
        let mut previous = 0u64;
        for k in 0..n {
            let t = label(codes[k]);
            let v = on[k];
            let x = reader.index(v);
            if t == UNKNOWN || x > last || v == NOT_CONVERTED || x < previous {
                return Err(k);
            }
            previous = x;
            channel[k] = t;
            // Both days are within the years 1 to 9999: under 2^22 apart.
            days[k] = (conv.wrapping_sub(x) as u32) & keep;
        }
        Ok(())
    }
}

/// A day column's error in the attribution's wording ([`DayTicks`] says which).
impl BadDay {
    #[cold]
    fn error(self, field: &str, r: usize, v: i64, per_day: i64) -> Error {
        match self {
            // Worded as every other day column's range error.
            Self::Range => crate::wire::check_days(&[v.div_euclid(per_day)], None, |_| format!("{field}[{r}]"))
                .err()
                .unwrap_or_else(|| Error::out_of_range(format!("{field}[{r}]"), v, MIN_EPOCH_DAY, MAX_EPOCH_DAY)),
            Self::TimeOfDay => Error::Parse {
                kind: crate::ParseKind::Date,
                path: format!("{field}[{r}]"),
                message: format!("{v} at {per_day} per day has a time of day; pass dates (Series.dt.normalize())"),
            },
        }
    }
}

/// Row `r`'s revenue in units of the policy's last place. `None` for a float NaN (an empty
/// cell).
/// `pad`: 10^(places kept − the column's places) when integer units have no more places than
/// kept (computed once, not per journey).
fn revenue_units(column: &AmountColumn, r: usize, rounding: Rounding, pad: Option<i64>) -> Result<Option<i128>> {
    let (units, scale) = match *column {
        AmountColumn::Decimal(d) => return Ok(Some(rounding.round(d[r]).mantissa())),
        AmountColumn::Float { values, scale } => {
            let v = values[r];
            if v.is_nan() {
                return Ok(None);
            }
            let x = (v * 10f64.powi(scale as i32)).round_ties_even();
            if !x.is_finite() || x.abs() >= 9.2e18 {
                return Err(bad(r));
            }
            let exact = Decimal::try_from_i128_with_scale(x as i128, scale).map_err(|_| bad(r))?;
            return Ok(Some(rounding.round(exact).mantissa()));
        }
        AmountColumn::Units { units, scale } => (units[r], scale),
        // NaN as a float column reads it: an empty cell.
        AmountColumn::WholeFloats { values, .. } if values[r].is_nan() => return Ok(None),
        AmountColumn::WholeFloats { values, scale } => {
            (crate::forecast::whole_float(values[r], || format!("revenue[{r}]"))?, scale)
        }
    };
    let u = i128::from(units);
    // Fewer places than kept: padding zeros, what rounding would do, in integers (while the
    // mantissa stays within a Decimal's 96 bits).
    if let Some(p) = pad {
        // Two 64-bit factors: no overflow in 128 bits.
        let x = u * i128::from(p);
        if x.unsigned_abs() < 1u128 << 96 {
            return Ok(Some(x));
        }
    }
    let exact = Decimal::try_from_i128_with_scale(u, scale).map_err(|_| bad(r))?;
    Ok(Some(rounding.round(exact).mantissa()))
}

fn bad(r: usize) -> Error {
    Error::Parse {
        kind: crate::ParseKind::Decimal,
        path: format!("revenue[{r}]"),
        message: "not a finite amount".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{attribute_columns, AttributionPolicy, CodeColumn, DayColumn, JourneyColumns};
    use super::*;

    #[test]
    fn conversions_outside_the_touch_columns_days_are_read_as_days() {
        // Touches in nanoseconds (their days begin in 1677, end in 2262), conversions in days
        // before and after those: the same credits and errors as touches in days.
        let policy: AttributionPolicy =
            crate::wire::from_json(r#"{"model": {"kind": "time_decay", "half_life_days": "7"}}"#, "").unwrap();
        let labels = ["search".to_string(), "email".to_string()];
        let ns = 86_400_000_000_000i64;
        let days = [20_500i64, 20_503, 20_510];
        let ticks: Vec<i64> = days.iter().map(|d| d * ns).collect();
        let run = |conv: i64, on: &[i64], per_day: i64| {
            let conv = vec![conv; on.len()];
            let units = vec![1_000_003; on.len()];
            let columns = JourneyColumns {
                journey: &[4, 4, 4],
                channel: CodeColumn::I8(&[0, 1, 0]),
                channel_labels: &labels,
                on: DayColumn { values: on, per_day },
                revenue: AmountColumn::Units { units: &units, scale: 2 },
                converted_on: DayColumn { values: &conv, per_day: 1 },
                milestone: None,
            };
            attribute_columns(&policy, &columns).map(|a| a.credits).map_err(|e| (e.code(), e.path().to_owned()))
        };
        // 3000-01-01, after the last nanosecond day; 1600-01-01, before the first.
        for conv in [376_200, 20_600, 20_510, -135_140] {
            assert_eq!(run(conv, &ticks, ns), run(conv, &days, 1), "converted on day {conv}");
        }
        assert_eq!(run(-135_140, &ticks, ns), Err(("touch_after_conversion", "on[0]".into())));
        assert!(run(376_200, &ticks, ns).is_ok());
    }

    #[test]
    fn bad_rows_are_named_with_their_error() {
        let policy: AttributionPolicy = crate::wire::from_json(r#"{"model": {"kind": "linear"}}"#, "").unwrap();
        let labels = ["search".to_string(), "nope".to_string()];
        let s = 86_400i64;
        let run = |codes: &[i8], on: &[i64], per_day: i64| {
            let conv = vec![20_510 * s; on.len()];
            let units = vec![100; on.len()];
            let columns = JourneyColumns {
                journey: &vec![1; on.len()],
                channel: CodeColumn::I8(codes),
                channel_labels: &labels,
                on: DayColumn { values: on, per_day },
                revenue: AmountColumn::Units { units: &units, scale: 0 },
                converted_on: DayColumn { values: &conv, per_day: s },
                milestone: None,
            };
            let e = attribute_columns(&policy, &columns).unwrap_err();
            (e.code(), e.path().to_owned())
        };
        let on = [20_500 * s, 20_501 * s, 20_502 * s];
        assert_eq!(run(&[0, 0, 0], &[on[0], on[1] + 3_600, on[2]], s), ("invalid_date", "on[1]".into()));
        assert_eq!(run(&[0, 0, 0], &[on[0], i64::MIN, on[2]], s), ("missing_value", "on[1]".into()));
        assert_eq!(run(&[0, 0, 0], &[on[1], on[0], on[2]], s), ("invalid_value", "on[1]".into()));
        assert_eq!(run(&[0, 0, 0], &[on[0], on[1], 20_511 * s], s), ("touch_after_conversion", "on[2]".into()));
        assert_eq!(run(&[0, -1, 0], &on, s), ("invalid_value", "channel[1]".into()));
        assert_eq!(run(&[0, 0, 1], &on, s), ("unknown_channel", "channel_labels[1]".into()));
        assert_eq!(run(&[0, 0, 0], &[on[0], on[1], (MAX_EPOCH_DAY + 1) * s], s), ("invalid_date", "on[2]".into()));
        assert_eq!(run(&[0, 0, 0], &on, 0), ("invalid_value", "on".into()));
    }

    #[test]
    fn whole_float_revenue_is_the_integer_units_it_holds() {
        let policy: AttributionPolicy = crate::wire::from_json(r#"{"model": {"kind": "linear"}}"#, "").unwrap();
        let labels = ["search".to_string(), "tv".to_string()];
        let s = 86_400i64;
        let on = [20_500 * s, 20_501 * s, 20_502 * s];
        let conv = [20_510 * s; 3];
        let run = |revenue| {
            let columns = JourneyColumns {
                journey: &[1, 1, 1],
                channel: CodeColumn::I8(&[0, 1, 0]),
                channel_labels: &labels,
                on: DayColumn { values: &on, per_day: s },
                revenue,
                converted_on: DayColumn { values: &conv, per_day: s },
                milestone: None,
            };
            attribute_columns(&policy, &columns).map_err(|e| (e.code(), e.path().to_owned()))
        };
        let want = run(AmountColumn::Units { units: &[10_001; 3], scale: 2 }).unwrap();
        assert_eq!(run(AmountColumn::WholeFloats { values: &[10_001.0; 3], scale: 2 }).unwrap(), want);
        let got = run(AmountColumn::WholeFloats { values: &[10_001.5; 3], scale: 2 });
        assert_eq!(got.unwrap_err().0, "invalid_decimal");
    }
}
