//! The forecast columns as callers hold them, read in place: dates as days (64- or 32-bit) or
//! as numpy datetime64 ticks of any unit from a day down to a nanosecond, and group keys as
//! category codes or as plain integer ids. No converted copy of a column is made: the
//! summing loop reads each value in its own form (a tick becomes a day by a shift and a
//! multiplication, an id its group through a table over the ids' range).

use std::collections::HashMap;

use crate::error::{Error, ParseKind, Result};
use crate::wire::{DayTicks, MAX_EPOCH_DAY, MIN_EPOCH_DAY};

/// A column of dates, one per deal, in the caller's own representation.
#[derive(Debug, Clone, Copy)]
pub enum DateColumn<'a> {
    /// Days since 1970-01-01; `i64::MIN` (numpy's NaT) for none.
    Days(&'a [i64]),
    /// Days since 1970-01-01 as 32-bit integers (a JS `Int32Array`); `i32::MIN` for none.
    Days32(&'a [i32]),
    /// A numpy `datetime64` column's int64 view: `per_day` ticks make a day (1 for `D`, 86,400
    /// for `s`, 86,400,000,000,000 for `ns`); `i64::MIN` (NaT) for none. A tick that is not a
    /// whole number of days (a time of day) is refused as `invalid_date`, as every crmkit date
    /// with a time of day is: floor the column to its day first (`Series.dt.normalize()`).
    Ticks {
        /// The ticks.
        values: &'a [i64],
        /// Ticks per day (≥ 1).
        per_day: i64,
    },
}

impl<'a> DateColumn<'a> {
    /// Rows.
    pub const fn len(&self) -> usize {
        match self {
            Self::Days(d) => d.len(),
            Self::Days32(d) => d.len(),
            Self::Ticks { values, .. } => values.len(),
        }
    }

    /// Whether there are no rows.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reader of a column whose values were checked by [`DateColumn::check`].
    pub(super) fn reader(self) -> Days<'a> {
        match self {
            Self::Days(values) => Days::Plain(Whole(values)),
            Self::Days32(values) => Days::Narrow(Whole(values)),
            Self::Ticks { values, per_day } => Days::Wide(Wide::new(values, per_day)),
        }
    }

    /// The column when it holds ticks and row `i`'s is not a whole day.
    fn filter_ticks(self, i: usize) -> Option<Self> {
        match self {
            Self::Ticks { values, per_day } if values[i].rem_euclid(per_day) != 0 => Some(self),
            _ => None,
        }
    }

    /// Checks every value (a day of the years 1 to 9999, a whole number of days, or none) and
    /// gives the latest day, `None` when no row has one, and for a column of ticks its days
    /// as 32-bit days (`i32::MIN` for none), which the later loops read instead of the ticks
    /// (a tick becomes a day once, here, not again in each loop; 4 bytes a row, not 8). One
    /// pass without a branch per row (blocks without an early exit vectorise); the first bad
    /// row is looked for only in the block that has one.
    pub(super) fn check(
        self,
        field: &str,
        path: &dyn Fn(usize, &str) -> String,
    ) -> Result<(Option<i64>, Option<Vec<i32>>)> {
        let (latest, narrow) = match self {
            Self::Days(values) => (blocks(values.len(), |rows| Whole(&values[rows]).scan()), None),
            Self::Days32(values) => (blocks(values.len(), |rows| Whole(&values[rows]).scan()), None),
            Self::Ticks { values, per_day } => {
                if per_day < 1 {
                    return Err(Error::InvalidValue {
                        path: field.to_owned(),
                        reason: format!("{per_day} ticks per day: a day has at least one tick"),
                    });
                }
                let mut out = Vec::with_capacity(values.len());
                let mut narrow = |rows: std::ops::Range<usize>| {
                    let values = &values[rows];
                    // numpy's units, each a loop of its own; any other through the general one.
                    match per_day {
                        24 => narrow_ticks::<24>(values, per_day, &mut out),
                        1_440 => narrow_ticks::<1_440>(values, per_day, &mut out),
                        86_400 => narrow_ticks::<86_400>(values, per_day, &mut out),
                        86_400_000 => narrow_ticks::<86_400_000>(values, per_day, &mut out),
                        86_400_000_000 => narrow_ticks::<86_400_000_000>(values, per_day, &mut out),
                        86_400_000_000_000 => narrow_ticks::<86_400_000_000_000>(values, per_day, &mut out),
                        _ => narrow_ticks::<0>(values, per_day, &mut out),
                    }
                };
                let latest = blocks(values.len(), &mut narrow);
                (latest, Some(out))
            }
        };
        let latest = latest.map_err(|rows| self.error_in(rows, field, path))?;
        Ok(((latest != i64::MIN).then_some(latest), narrow))
    }

    /// The error of the first bad row in `rows`.
    #[cold]
    fn error_in(self, rows: std::ops::Range<usize>, field: &str, path: &dyn Fn(usize, &str) -> String) -> Error {
        let days = self.reader();
        for i in rows {
            let day = days.day(i);
            if day == i64::MIN {
                continue;
            }
            let path = path(i, field);
            // (An odd number of ticks per day sets no low bit: the remainder says it.)
            if let Some(Self::Ticks { values, per_day }) = self.filter_ticks(i) {
                return Error::Parse {
                    kind: ParseKind::Date,
                    path,
                    message: format!(
                        "{} ticks at {per_day} per day is not a whole day (a time of day); pass dates (Series.dt.normalize())",
                        values[i]
                    ),
                };
            }
            let day = match self {
                Self::Ticks { values, per_day } => values[i].div_euclid(per_day),
                _ => day,
            };
            if let Err(e) = crate::wire::check_days(&[day], None, |_| path.clone()) {
                return e;
            }
        }
        Error::overflow(field)
    }
}

/// `scan` over rows `0..len` in blocks of 4,096 (whether a row of the block is bad, and its
/// latest day, `i64::MIN` for none): the latest day of all, or the rows of the first block
/// with a bad row.
fn blocks(
    len: usize,
    mut scan: impl FnMut(std::ops::Range<usize>) -> (bool, i64),
) -> std::result::Result<i64, std::ops::Range<usize>> {
    const BLOCK: usize = 4096;
    let mut latest = i64::MIN;
    for start in (0..len).step_by(BLOCK) {
        let rows = start..(start + BLOCK).min(len);
        let (bad, max) = scan(rows.clone());
        if bad {
            return Err(rows);
        }
        latest = latest.max(max);
    }
    Ok(latest)
}

/// Ticks checked as [`Wide`] reads them ([`DayTicks`]: one multiplication, a rotation and a
/// comparison say whether a tick is a whole day of the years 1 to 9999, exactly for any unit),
/// each row's day appended to `out` as a 32-bit day (a day of the years 1 to 9999 fits):
/// whether a row is bad, and the latest day (`i64::MIN`: none). `UNIT` > 0: ticks per day
/// known when compiling (numpy's units), so that the reader's figures are constants of the
/// loop; 0: `per_day`. Two passes over the rows, both without a value carried from row to
/// row: the days appended (a bad row as `i32::MAX`, past every real day; no zero fill of
/// `out` first), then their greatest (a vectorised pass over the block just written), which
/// is `i32::MAX` exactly when a row is bad.
fn narrow_ticks<const UNIT: i64>(values: &[i64], per_day: i64, out: &mut Vec<i32>) -> (bool, i64) {
    let ticks = DayTicks::new(if UNIT > 0 { UNIT } else { per_day });
    let at = out.len();
    out.extend(values.iter().map(|&v| {
        let x = ticks.index(v);
        if x <= ticks.limit {
            ticks.base_day.wrapping_add(x as i64) as i32
        } else if v == i64::MIN {
            i32::MIN
        } else {
            i32::MAX
        }
    }));
    let max = out[at..].iter().fold(i32::MIN, |max, &day| max.max(day));
    (max == i32::MAX, if max == i32::MIN { i64::MIN } else { max.into() })
}

/// A checked date column as the loops read it: one type per representation, so that a loop
/// is compiled for each (no branch per row on the kind).
#[derive(Debug, Clone, Copy)]
pub(super) enum Days<'a> {
    /// 64-bit days.
    Plain(Plain<'a>),
    /// 64-bit ticks.
    Wide(Wide<'a>),
    /// 32-bit days.
    Narrow(Narrow<'a>),
}

impl Days<'_> {
    /// Row `i`'s day since 1970-01-01, or `i64::MIN` for none.
    #[inline]
    pub fn day(&self, i: usize) -> i64 {
        let (day, none, _) = match self {
            Self::Plain(d) => d.at(i),
            Self::Wide(d) => d.at(i),
            Self::Narrow(d) => d.at(i),
        };
        if none {
            i64::MIN
        } else {
            day
        }
    }
}

/// A date column's values as a loop reads them.
pub(super) trait DayAt: Copy + Default {
    /// The rows `rows` (sliced once: a loop over `0..len()` then needs no bounds check).
    fn cut(self, rows: std::ops::Range<usize>) -> Self;
    /// Rows.
    fn len(&self) -> usize;
    /// Row `k`: (its day, whether it has none, whether its value is a whole day; of ticks, a
    /// whole day of the years 1 to 9999). The day is meaningful only for a whole day that is
    /// not none.
    fn at(&self, k: usize) -> (i64, bool, bool);
}

/// Days since 1970-01-01 as integers of one width (`i64`, or a JS `Int32Array`'s `i32`); the
/// width's minimum for none.
#[derive(Debug, Clone, Copy)]
pub(super) struct Whole<'a, T>(&'a [T]);

/// 64-bit days; `i64::MIN` for none.
pub(super) type Plain<'a> = Whole<'a, i64>;

/// 32-bit days; `i32::MIN` for none.
pub(super) type Narrow<'a> = Whole<'a, i32>;

/// An integer width days come in.
pub(super) trait DayInt: Copy + Ord + Into<i64> {
    /// The value that stands for no date: the width's least.
    const NONE: Self;
    /// The width's greatest.
    const MAX: Self;
}

impl DayInt for i64 {
    const NONE: Self = i64::MIN;
    const MAX: Self = i64::MAX;
}

impl DayInt for i32 {
    const NONE: Self = i32::MIN;
    const MAX: Self = i32::MAX;
}

impl<T: DayInt> Whole<'_, T> {
    /// Whether some day is outside the years 1 to 9999, and the latest day (`i64::MIN`: none).
    /// From the least and the greatest value in the days' own width (none is the width's
    /// least, so it never is the greatest unless every row has none; it counts as the
    /// greatest for the least), four rows a step with no branch: what V8 runs fastest of a
    /// wasm loop (it neither unrolls nor vectorises; natively the compiler vectorises it).
    #[inline]
    fn scan(self) -> (bool, i64) {
        let low = |v: T| if v == T::NONE { T::MAX } else { v };
        let (mut least, mut greatest) = (T::MAX, T::NONE);
        let mut quads = self.0.chunks_exact(4);
        for q in &mut quads {
            least = least.min(low(q[0]).min(low(q[1])).min(low(q[2]).min(low(q[3]))));
            greatest = greatest.max(q[0].max(q[1]).max(q[2].max(q[3])));
        }
        for &v in quads.remainder() {
            least = least.min(low(v));
            greatest = greatest.max(v);
        }
        let (least, greatest) = (least.into(), greatest.into());
        // A real day at the width's greatest is past 9999 too (greatest says so).
        let none = greatest == T::NONE.into();
        let bad = least < MIN_EPOCH_DAY || (!none && greatest > MAX_EPOCH_DAY);
        (bad, if none { i64::MIN } else { greatest })
    }
}

impl<T> Default for Whole<'_, T> {
    fn default() -> Self {
        Self(&[])
    }
}

/// Ticks read through [`DayTicks`] (exact for any unit: a value that is not a whole day of
/// the years 1 to 9999 is never read as one). `i64::MIN` (NaT) for none.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wide<'a> {
    values: &'a [i64],
    ticks: DayTicks,
}

impl<'a> Wide<'a> {
    /// The reader of `values`, `per_day` of which make a day (at least one).
    #[inline]
    fn new(values: &'a [i64], per_day: i64) -> Self {
        Self { values, ticks: DayTicks::new(per_day) }
    }
}

impl Default for Wide<'_> {
    fn default() -> Self {
        Self::new(&[], 1)
    }
}

impl<T: DayInt> DayAt for Whole<'_, T> {
    #[inline]
    fn cut(self, rows: std::ops::Range<usize>) -> Self {
        Self(&self.0[rows])
    }

    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn at(&self, k: usize) -> (i64, bool, bool) {
        let v = self.0[k];
        (v.into(), v == T::NONE, true)
    }
}

impl DayAt for Wide<'_> {
    #[inline]
    fn cut(self, rows: std::ops::Range<usize>) -> Self {
        Self { values: &self.values[rows], ..self }
    }

    #[inline]
    fn len(&self) -> usize {
        self.values.len()
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn at(&self, k: usize) -> (i64, bool, bool) {
        let v = self.values[k];
        let x = self.ticks.index(v);
        (self.ticks.base_day.wrapping_add(x as i64), v == i64::MIN, x <= self.ticks.limit)
    }
}

/// Some row's date, or `i64::MIN` without the column.
#[inline]
pub(super) fn day_of(column: Option<Days>, i: usize) -> i64 {
    column.map_or(i64::MIN, |c| c.day(i))
}

/// The stage column: each deal's stage as a code into the stage labels, -1 (or any code past
/// them) for none, in the width the caller holds it. A pandas categorical's codes are 8-bit
/// up to 127 categories: read as they are, not widened into a 4-byte copy first.
#[derive(Debug, Clone, Copy)]
pub enum StageCodes<'a> {
    /// 8-bit codes (`Series.cat.codes` of up to 127 categories).
    I8(&'a [i8]),
    /// 32-bit codes.
    I32(&'a [i32]),
}

impl StageCodes<'_> {
    /// Rows.
    pub const fn len(&self) -> usize {
        match self {
            Self::I8(c) => c.len(),
            Self::I32(c) => c.len(),
        }
    }

    /// Whether there are no rows.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s code.
    #[inline]
    pub fn code(&self, i: usize) -> i32 {
        match self {
            Self::I8(c) => c[i].into(),
            Self::I32(c) => c[i],
        }
    }
}

impl<'a> From<&'a [i32]> for StageCodes<'a> {
    fn from(codes: &'a [i32]) -> Self {
        Self::I32(codes)
    }
}

impl<'a> From<&'a [i8]> for StageCodes<'a> {
    fn from(codes: &'a [i8]) -> Self {
        Self::I8(codes)
    }
}

/// A `group_by` column, in the caller's own representation.
#[derive(Debug, Clone, Copy)]
pub enum GroupColumn<'a> {
    /// Category codes into labels, -1 for none (a pandas categorical's codes).
    Codes(super::KeyColumn<'a>),
    /// 8-bit category codes (a pandas categorical of up to 127 categories), read as they are.
    Codes8(super::KeyColumn<'a, i8>),
    /// 16-bit category codes (a pandas categorical of up to 32,767 categories), read as they
    /// are: no 32-bit copy of the column.
    Codes16(super::KeyColumn<'a, i16>),
    /// 32-bit integer ids (employee ids...), used as they are: each distinct value is a
    /// group, the groups in increasing order of value, each keyed by its value as text.
    Ids32(&'a [i32]),
    /// 64-bit integer ids, as [`GroupColumn::Ids32`].
    Ids64(&'a [i64]),
}

impl<'a> From<super::KeyColumn<'a>> for GroupColumn<'a> {
    fn from(key: super::KeyColumn<'a>) -> Self {
        Self::Codes(key)
    }
}

impl<'a> From<super::KeyColumn<'a, i8>> for GroupColumn<'a> {
    fn from(key: super::KeyColumn<'a, i8>) -> Self {
        Self::Codes8(key)
    }
}

impl<'a> From<super::KeyColumn<'a, i16>> for GroupColumn<'a> {
    fn from(key: super::KeyColumn<'a, i16>) -> Self {
        Self::Codes16(key)
    }
}

/// A single key column's codes as the loops read them: in the caller's width (32-bit ones
/// also made from integer ids).
pub(super) enum KeyCodes<'c> {
    I8(&'c [i8]),
    I16(&'c [i16]),
    I32(std::borrow::Cow<'c, [i32]>),
}

impl KeyCodes<'_> {
    /// Row `i`'s code.
    #[inline]
    pub fn code(&self, i: usize) -> i32 {
        match self {
            Self::I8(c) => c[i].into(),
            Self::I16(c) => c[i].into(),
            Self::I32(c) => c[i],
        }
    }
}

impl GroupColumn<'_> {
    /// Rows.
    pub const fn len(&self) -> usize {
        match self {
            Self::Codes(k) => k.codes.len(),
            Self::Codes8(k) => k.codes.len(),
            Self::Codes16(k) => k.codes.len(),
            Self::Ids32(ids) => ids.len(),
            Self::Ids64(ids) => ids.len(),
        }
    }

    /// Whether there are no rows.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Integer ids as groups, for the loops: each row's group (1 + the rank of its id's first
/// row among the distinct ids' first rows; 0 is the "no value" group, which ids never use)
/// as a 16-bit number, and `ids[group - 1]` its id (its key's text: [`id_labels`]). Worked out in one streaming
/// pass through a table over the ids' range, so the summing loop reads a 16-bit group with
/// no lookup between a row and its group × month cell; ids that fill a range of fewer than
/// 32 values (teams, regions) are numbered by their place in it instead, without a table.
/// (The report orders its groups by key itself: the numbering is internal.)
pub(super) struct IdGroups {
    pub groups: Vec<u16>,
    pub ids: Vec<i64>,
}

impl IdGroups {
    /// The groups of `ids`, or `None` when their range is too wide for a table (more than
    /// twice the rows and more than 65,536 values) or they are more than 65,534 distinct
    /// values: then [`id_codes`] maps them.
    pub fn new<T: Copy + Ord + Into<i64>>(ids: &[T]) -> Option<Self> {
        let (low, high) = min_max(ids)?;
        let span = usize::try_from(high.checked_sub(low)?).ok()?;
        if span > ids.len().saturating_mul(2).max(1 << 16) {
            return None;
        }
        if span < 32 {
            // Every id of a narrow range present (one bit per id, an OR over the rows that
            // vectorises): a row's group is 1 + its id's place in the range, in a vectorised
            // pass instead of a table lookup per row (0.24 + 0.15 ms against 0.80 per million
            // rows). A range with gaps goes through the table.
            let seen = ids.iter().fold(0u32, |seen, &v| seen | 1 << ((v.into() - low) as u32 & 31));
            if seen.count_ones() as usize == span + 1 {
                let groups = ids.iter().map(|&v| (v.into() - low + 1) as u16).collect();
                return Some(Self { groups, ids: (low..=high).collect() });
            }
        }
        // Per id − low: its group, 0 until its first row. The groups are appended (no zero
        // fill of a pre-sized column) a block at a time, by a loop that only reads the table
        // (no call in it: its figures stay in registers); a block where some row read 0 then
        // numbers its ids' first rows, in order, by a cold function. Group u16::MAX (or a
        // count past it) is never given: too many ids.
        let mut table = vec![0u16; span + 1];
        let mut firsts: Vec<i64> = Vec::new();
        let mut groups = Vec::with_capacity(ids.len());
        for block in ids.chunks(1 << 12) {
            let at = groups.len();
            let known = table.as_slice();
            groups.extend(block.iter().map(move |&v| known[(v.into() - low) as usize]));
            #[allow(clippy::needless_bitwise_bool)] // no branch per row: a pass that vectorises
            if groups[at..].iter().fold(false, |zero, &g| zero | (g == 0)) {
                first_rows(block, &mut groups[at..], (&mut table, low), &mut firsts);
            }
            if firsts.len() >= usize::from(u16::MAX) {
                return None;
            }
        }
        Some(Self { groups, ids: firsts })
    }
}

/// The groups of a block's rows that read 0 (an id not seen before the block): each new id
/// the next group at its first row (`u16::MAX` once they are spent, which [`IdGroups::new`]
/// refuses after the block), noted in `table` (per id − `low`) and `firsts`.
#[cold]
#[inline(never)]
fn first_rows<T: Copy + Into<i64>>(
    block: &[T],
    groups: &mut [u16],
    (table, low): (&mut [u16], i64),
    firsts: &mut Vec<i64>,
) {
    for (&v, group) in block.iter().zip(groups) {
        if *group == 0 {
            let v = v.into();
            let slot = &mut table[(v - low) as usize];
            if *slot == 0 {
                firsts.push(v);
                *slot = u16::try_from(firsts.len()).unwrap_or(u16::MAX);
            }
            *group = *slot;
        }
    }
}

/// Ids' codes + 1 through a table over their range (1 + the id's rank among the distinct
/// ids), 32-bit, and the distinct ids in increasing order; `None` when the range is too wide.
fn span_table<T: Copy + Ord + Into<i64>>(ids: &[T]) -> Option<(i64, Vec<u32>, Vec<i64>)> {
    let (low, high) = min_max(ids)?;
    let span = usize::try_from(high.checked_sub(low)?).ok()?;
    if span > ids.len().saturating_mul(2).max(1 << 16) {
        return None;
    }
    let mut table = vec![0u32; span + 1];
    for &v in ids {
        table[(v.into() - low) as usize] = 1;
    }
    let mut distinct = Vec::new();
    for (k, slot) in table.iter_mut().enumerate() {
        if *slot != 0 {
            distinct.push(low + k as i64);
            *slot = u32::try_from(distinct.len()).ok()?;
        }
    }
    Some((low, table, distinct))
}

/// Min and max in the ids' own width (int32 ids: a vectorised pass), widened once.
fn min_max<T: Copy + Ord + Into<i64>>(ids: &[T]) -> Option<(i64, i64)> {
    let &first = ids.first()?;
    let (lo, hi) = ids.iter().fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    Some((lo.into(), hi.into()))
}

/// Integer ids as codes into their distinct values in increasing order, and those values:
/// for ids too many or too spread out for [`IdGroups`], and for several key columns.
pub(super) fn id_codes<T: Copy + Ord + Into<i64>>(ids: &[T]) -> Result<(Vec<i32>, Vec<i64>)> {
    if let Some((low, table, distinct)) = span_table(ids) {
        let codes = ids.iter().map(|&v| table[(v.into() - low) as usize] as i32 - 1).collect();
        return Ok((codes, distinct));
    }
    let mut distinct: Vec<i64> = ids.iter().map(|&v| v.into()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    i32::try_from(distinct.len()).map_err(|_| Error::overflow("keys"))?;
    let index: HashMap<i64, i32> = distinct.iter().enumerate().map(|(k, &v)| (v, k as i32)).collect();
    let codes = ids.iter().map(|&v| index[&v.into()]).collect();
    Ok((codes, distinct))
}

/// Integer ids' key values: each id as text (the report's keys are text, sorted as text).
pub(super) fn id_labels(ids: &[i64]) -> Vec<String> {
    ids.iter().map(i64::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The latest day, and that the 32-bit days given for ticks read as the column does.
    fn check(column: DateColumn) -> Result<Option<i64>> {
        let (latest, narrow) = column.check("on", &|i, f| format!("{f}[{i}]"))?;
        assert_eq!(narrow.is_some(), matches!(column, DateColumn::Ticks { .. }));
        if let Some(narrow) = narrow {
            let read: Vec<i64> = (0..column.len()).map(|i| column.reader().day(i)).collect();
            assert_eq!(
                read,
                (0..narrow.len()).map(|i| DateColumn::Days32(&narrow).reader().day(i)).collect::<Vec<_>>()
            );
        }
        Ok(latest)
    }

    /// NaT (`i64::MIN`) is no date whatever the unit, also where it is a whole number of
    /// days after year 1 (2^44 ticks a day: day −524,288, in the year 534).
    #[test]
    fn nat_is_none_in_every_unit() {
        for per_day in [1i64 << 44, 1 << 40, 1 << 20, 86_400_000_000_000, 7] {
            let ticks = [i64::MIN, 0, 3 * per_day];
            let column = DateColumn::Ticks { values: &ticks, per_day };
            assert_eq!(column.reader().day(0), i64::MIN, "{per_day}");
            assert_eq!(check(column).unwrap(), Some(3), "{per_day}");
            let (_, narrow) = column.check("on", &|i, f| format!("{f}[{i}]")).unwrap();
            assert_eq!(narrow.unwrap(), [i32::MIN, 0, 3], "{per_day}");
        }
    }

    #[test]
    fn every_form_reads_the_same_days() {
        let ns = 86_400_000_000_000i64;
        let days = [0i64, 20_000, -1, i64::MIN, MIN_EPOCH_DAY, MAX_EPOCH_DAY];
        let narrow: Vec<i32> = days.iter().map(|&d| if d == i64::MIN { i32::MIN } else { d as i32 }).collect();
        for per_day in [1i64, 24, 86_400, 86_400_000, 86_400_000_000, ns, 7, 48] {
            let ticks: Vec<i64> =
                days.iter().filter_map(|&d| if d == i64::MIN { Some(d) } else { d.checked_mul(per_day) }).collect();
            let column = DateColumn::Ticks { values: &ticks, per_day };
            let expected: Vec<i64> =
                days.iter().copied().filter(|&d| d == i64::MIN || d.checked_mul(per_day).is_some()).collect();
            let read: Vec<i64> = (0..ticks.len()).map(|i| column.reader().day(i)).collect();
            assert_eq!(read, expected, "{per_day}");
            assert_eq!(check(column).unwrap(), expected.iter().copied().max(), "{per_day}");
            if per_day > 1 {
                for off in [1, -1] {
                    let bad = [0, 20_000 * per_day + off];
                    let e = check(DateColumn::Ticks { values: &bad, per_day }).unwrap_err();
                    assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"), "{per_day}");
                }
            }
            for day in [MIN_EPOCH_DAY - 1, MAX_EPOCH_DAY + 1] {
                if let Some(v) = day.checked_mul(per_day) {
                    let e = check(DateColumn::Ticks { values: &[0, v], per_day }).unwrap_err();
                    assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"), "{per_day}");
                }
            }
        }
        // A unit with a huge odd factor: a value that is no whole day but whose product by the
        // inverse is a day in range (2,900,000 × per_day wrapped modulo 2^64) is still refused.
        for per_day in [(1i64 << 60) + 1, ((1i64 << 59) + 1) << 2, 4_398_046_511_105] {
            let shift = per_day.trailing_zeros();
            let odd = per_day >> shift;
            let v = 2_900_000i64.wrapping_mul(odd) << shift;
            let column = DateColumn::Ticks { values: &[0, v], per_day };
            assert_ne!(v.rem_euclid(per_day), 0);
            let inverse = crate::wire::inverse_mod_2_64(odd as u64);
            let product = ((v >> shift) as u64).wrapping_mul(inverse) as i64;
            assert_eq!(product, 2_900_000, "{per_day}: the multiplication alone would take it");
            let e = check(column).unwrap_err();
            assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"), "{per_day}");
            assert_eq!(check(DateColumn::Ticks { values: &[i64::MIN, 3 * per_day], per_day }).unwrap(), Some(3));
        }
        let read: Vec<i64> = (0..narrow.len()).map(|i| DateColumn::Days32(&narrow).reader().day(i)).collect();
        assert_eq!(read, days);
        assert_eq!(check(DateColumn::Days(&days)).unwrap(), Some(MAX_EPOCH_DAY));
        assert_eq!(check(DateColumn::Days32(&[i32::MIN])).unwrap(), None);
        let e = check(DateColumn::Days32(&[0, i32::MAX])).unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"));
        let e = check(DateColumn::Ticks { values: &[0], per_day: 0 }).unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_value", "on"));
        assert!(check(DateColumn::Ticks { values: &[i64::MAX], per_day: ns }).is_err());
    }

    #[test]
    fn ids_become_groups_in_increasing_order() {
        let ids = [30i64, -5, 30, 7, i64::MAX, -5];
        let (codes, distinct) = id_codes(&ids).unwrap();
        assert_eq!(codes, [2, 0, 2, 1, 3, 0]);
        assert_eq!(distinct, [-5, 7, 30, i64::MAX]);
        assert_eq!(id_labels(&distinct), ["-5", "7", "30", &i64::MAX.to_string()]);
        let narrow = [10_037i32, 10_000, 10_037, 10_074];
        let groups = IdGroups::new(&narrow).unwrap();
        // In order of first rows (the report sorts its groups by key).
        assert_eq!(groups.groups, [1, 2, 1, 3]);
        assert_eq!(groups.ids, [10_037, 10_000, 10_074]);
        assert_eq!(id_codes(&narrow).unwrap().0, [1, 0, 1, 2]);
        // A narrow range holding every id: by place in it; with a gap: by first row.
        let teams = [3i32, 1, 2, 3, 1];
        let groups = IdGroups::new(&teams).unwrap();
        assert_eq!((groups.groups, groups.ids), (vec![3, 1, 2, 3, 1], vec![1, 2, 3]));
        let gap = [3i64, 1, 3, -28];
        let groups = IdGroups::new(&gap).unwrap();
        assert_eq!((groups.groups, groups.ids), (vec![1, 2, 1, 3], vec![3, 1, -28]));
        let full: Vec<i32> = (0..32).rev().collect();
        assert_eq!(IdGroups::new(&full).unwrap().groups[..3], [32, 31, 30]);
        let wider: Vec<i32> = (0..33).rev().collect();
        assert_eq!(IdGroups::new(&wider).unwrap().groups[..3], [1, 2, 3]);
        assert!(IdGroups::new(&[0i64, 1 << 40]).is_none());
        // More distinct ids than 16-bit groups hold: coded (by the 32-bit table) instead.
        let many: Vec<i32> = (0..70_000).rev().collect();
        assert!(IdGroups::new(&many).is_none());
        assert_eq!(IdGroups::new(&many[..65_534]).unwrap().ids.len(), 65_534);
        assert!(IdGroups::new(&many[..65_535]).is_none());
        let (codes, distinct) = id_codes(&many).unwrap();
        assert_eq!((codes[0], codes[69_999], distinct.len()), (69_999, 0, 70_000));
        assert!(IdGroups::new::<i32>(&[]).is_none());
    }

    /// Key codes of 8 and 16 bits give the report, or the error, their 32-bit values give,
    /// on the fast lane and through the general loop (a bad code: -2, or past the labels).
    #[test]
    fn narrow_key_codes_read_as_wide_ones() {
        use super::super::{forecast_columns, AmountColumn, DealColumns, KeyColumn};
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let policy: super::super::ForecastPolicy = crate::wire::from_json(
            r#"{"stages": [{"name": "a", "conversion": "0.5", "duration": "40"}, {"name": "won", "kind": "won"}],
                "duration_unit": "days", "placement": "half_elapsed", "group_by": ["owner"]}"#,
            "",
        )
        .unwrap();
        let stages = ["a", "won"].map(String::from);
        let labels = ["x", "y", "z"].map(String::from);
        let stage = [0i32, 1, 0, 0, 0, 1];
        let cents = [100i64, 250, 7, 0, 9_999, 1];
        let decimals: Vec<rust_decimal::Decimal> = cents.iter().map(|&c| rust_decimal::Decimal::new(c, 2)).collect();
        for codes in [[0i32, 2, -1, 1, 2, 0], [0, 2, -2, 1, 2, 0], [0, 1, 2, 3, 1, 0], [-1; 6]] {
            let (c8, c16): (Vec<i8>, Vec<i16>) = codes.iter().map(|&c| (c as i8, c as i16)).unzip();
            for amount in [AmountColumn::Units { units: &cents, scale: 2 }, AmountColumn::Decimal(&decimals)] {
                let report = |key: GroupColumn| {
                    let columns = DealColumns {
                        stage: StageCodes::I32(&stage),
                        stage_labels: &stages,
                        amount,
                        entered_stage_on: None,
                        expected_close_on: None,
                        snoozed_until: None,
                        last_activity_on: None,
                        keys: vec![key],
                        probability: None,
                        category: None,
                    };
                    forecast_columns(&policy, &columns, as_of).map_err(|e| (e.code(), e.path().to_owned()))
                };
                let want = report(KeyColumn { codes: &codes, labels: &labels }.into());
                assert_eq!(report(KeyColumn { codes: &c8, labels: &labels }.into()), want, "{codes:?}");
                assert_eq!(report(KeyColumn { codes: &c16, labels: &labels }.into()), want, "{codes:?}");
            }
        }
    }

    /// Pseudo-random draws (splitmix64).
    fn draws(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// The scan of whole days (their least and greatest, four rows a step) finds what reading
    /// each row finds: whether one is outside the years 1 to 9999, and the latest day.
    #[test]
    fn whole_days_scan_as_each_row_reads() {
        let mut next = draws(11);
        let edges = [
            i64::MIN,
            MIN_EPOCH_DAY,
            MIN_EPOCH_DAY - 1,
            MAX_EPOCH_DAY,
            MAX_EPOCH_DAY + 1,
            0,
            -5,
            i64::from(i32::MAX),
            i64::from(i32::MIN) + 1,
            i64::MIN + 1,
            i64::MAX,
        ];
        let each_row = |days: &[i64]| {
            let bad = days.iter().any(|&d| d != i64::MIN && !(MIN_EPOCH_DAY..=MAX_EPOCH_DAY).contains(&d));
            (bad, days.iter().copied().max().unwrap_or(i64::MIN))
        };
        for len in 0..14 {
            for _ in 0..300 {
                let days: Vec<i64> = (0..len)
                    .map(|_| {
                        let r = next();
                        if r.is_multiple_of(3) {
                            edges[(r >> 8) as usize % edges.len()]
                        } else {
                            (r >> 8) as i64 % 30_000
                        }
                    })
                    .collect();
                assert_eq!(Whole(&days[..]).scan(), each_row(&days), "{days:?}");
                let narrow: Vec<i32> = days
                    .iter()
                    .filter_map(|&d| if d == i64::MIN { Some(i32::MIN) } else { i32::try_from(d).ok() })
                    .collect();
                let widened: Vec<i64> =
                    narrow.iter().map(|&d| if d == i32::MIN { i64::MIN } else { d.into() }).collect();
                assert_eq!(Whole(&narrow[..]).scan(), each_row(&widened), "{narrow:?}");
            }
        }
    }

    /// Days and ticks, 32-bit days, codes and integer ids (a table over their range, or
    /// spread too far for one) give one report, on one thread and two, under every placement.
    #[test]
    fn every_form_of_a_column_gives_the_same_report() {
        use super::super::columns::days_since_epoch;
        use super::super::{forecast_columns, forecast_columns_parallel, AmountColumn, DealColumns, KeyColumn};
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let today = days_since_epoch(as_of);
        let n = 5_000;
        let mut next = draws(7);
        let stage: Vec<i32> = (0..n).map(|_| (next() % 5) as i32).collect();
        let cents: Vec<i64> = (0..n).map(|_| (next() % 10_000_000) as i64).collect();
        let entered: Vec<i64> =
            (0..n).map(|_| if next().is_multiple_of(10) { i64::MIN } else { today - (next() % 200) as i64 }).collect();
        let close: Vec<i64> =
            (0..n).map(|_| if next() % 10 < 4 { i64::MIN } else { today - 60 + (next() % 511) as i64 }).collect();
        let rank: Vec<i32> = (0..n).map(|_| (next() % 50) as i32).collect();
        let ids32: Vec<i32> = rank.iter().map(|&k| 10_000 + 37 * k).collect();
        let (rank8, rank16): (Vec<i8>, Vec<i16>) = rank.iter().map(|&k| (k as i8, k as i16)).unzip();
        let wide: Vec<i64> = rank.iter().map(|&k| i64::from(k - 20) * 1_000_000_000_000).collect();
        let labels32: Vec<String> = (0..50).map(|k| (10_000 + 37 * k).to_string()).collect();
        let labels_wide: Vec<String> = (0..50).map(|k| (i64::from(k - 20) * 1_000_000_000_000).to_string()).collect();
        let stages = ["a", "b", "c", "won", "lost"].map(String::from);
        let narrow =
            |d: &[i64]| -> Vec<i32> { d.iter().map(|&v| if v == i64::MIN { i32::MIN } else { v as i32 }).collect() };
        let ticks = |d: &[i64], per_day: i64| -> Vec<i64> {
            d.iter().map(|&v| if v == i64::MIN { v } else { v * per_day }).collect()
        };
        let (entered32, close32) = (narrow(&entered), narrow(&close));
        let ns = 86_400_000_000_000;
        let (entered_ns, close_s) = (ticks(&entered, ns), ticks(&close, 86_400));
        for placement in ["half_elapsed", "actual", "expected_close"] {
            let policy: super::super::ForecastPolicy = crate::wire::from_json(
                &format!(
                    r#"{{"stages": [{{"name": "a", "conversion": "0.5", "duration": "40"}},
                        {{"name": "b", "conversion": "0.6", "duration": "20"}},
                        {{"name": "c", "conversion": "0.9", "duration": "10", "stall_after": "15", "idle_after": 9}},
                        {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
                        "duration_unit": "days", "placement": "{placement}", "group_by": ["owner"],
                        "undated": "half_elapsed"}}"#
                ),
                "",
            )
            .unwrap();
            let columns = |entered: DateColumn<'_>, close: DateColumn<'_>, key: GroupColumn<'_>| {
                let columns = DealColumns {
                    stage: StageCodes::I32(&stage),
                    stage_labels: &stages,
                    amount: AmountColumn::Units { units: &cents, scale: 2 },
                    entered_stage_on: Some(entered),
                    expected_close_on: Some(close),
                    snoozed_until: None,
                    last_activity_on: None,
                    keys: vec![key],
                    probability: None,
                    category: None,
                };
                let one = forecast_columns(&policy, &columns, as_of).unwrap();
                assert_eq!(one, forecast_columns_parallel(&policy, &columns, as_of, 2).unwrap(), "{placement}");
                one
            };
            let want = columns(
                DateColumn::Days(&entered),
                DateColumn::Days(&close),
                KeyColumn { codes: &rank, labels: &labels32 }.into(),
            );
            assert!(want.totals.open.weighted > rust_decimal::Decimal::ZERO);
            let forms = [
                (DateColumn::Days32(&entered32), DateColumn::Days32(&close32), GroupColumn::Ids32(&ids32)),
                (
                    DateColumn::Ticks { values: &entered_ns, per_day: ns },
                    DateColumn::Ticks { values: &close_s, per_day: 86_400 },
                    GroupColumn::Ids32(&ids32),
                ),
                (
                    DateColumn::Days(&entered),
                    DateColumn::Days32(&close32),
                    KeyColumn { codes: &rank8, labels: &labels32 }.into(),
                ),
                (
                    DateColumn::Days32(&entered32),
                    DateColumn::Days(&close),
                    KeyColumn { codes: &rank16, labels: &labels32 }.into(),
                ),
            ];
            for (e, c, k) in forms {
                assert_eq!(columns(e, c, k), want, "{placement}");
            }
            let spread = columns(DateColumn::Days(&entered), DateColumn::Days(&close), GroupColumn::Ids64(&wide));
            let by_codes = columns(
                DateColumn::Days(&entered),
                DateColumn::Days(&close),
                KeyColumn { codes: &rank, labels: &labels_wide }.into(),
            );
            assert_eq!(spread, by_codes, "{placement}");
        }
    }
}
