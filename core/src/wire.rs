//! How crmkit's types cross a language boundary.
//!
//! On the wire money and rates are decimal strings (`"1250.00"`) or integers, never floats,
//! and dates are `YYYY-MM-DD`. [`from_json`] reads any crmkit input type from JSON and turns a
//! serde failure into an [`Error::Parse`] with a stable code and the path of the field.
//!
//! Decimals and dates serialise as newtype structs named [`DECIMAL`] and [`DATE`] around their
//! string form: JSON and serde-wasm-bindgen see a plain string, while a serialiser that knows
//! the names (the Python binding's) can build `decimal.Decimal` and `datetime.date` instead.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Serializer;

use crate::error::{Error, ParseKind, Result};

/// Newtype name under which decimals serialise.
pub const DECIMAL: &str = "$crmkit::Decimal";
/// Newtype name under which dates serialise.
pub const DATE: &str = "$crmkit::Date";

const DECIMAL_TAG: &str = "invalid_decimal:";
const DATE_TAG: &str = "invalid_date:";
/// Starts a message whose error lies below the value being read: `AT_TAG key AT_END message`.
const AT_TAG: &str = "\u{1}at:";
const AT_END: char = '\u{1}';
/// Starts the message of a number of the right kind outside its range, which [`from_json`]
/// reports as `out_of_range`: `RANGE_TAG value AT_END min AT_END max`.
const RANGE_TAG: &str = "\u{1}out_of_range:";

/// Reads a `T` from JSON text. Paths in errors start with `root` (`"deals"` gives
/// `deals[3].amount`; `""` gives `stages[1].conversion`).
///
/// # Errors
///
/// An [`Error::Parse`] whose code names the problem (`invalid_json`, `invalid_type`,
/// `missing_field`, `unknown_field`, `invalid_value`, `invalid_decimal`, `invalid_date`).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::Deal;
///
/// let err = crmkit::wire::from_json::<Vec<Deal>>(r#"[{"id": "d1", "stage": "won", "amount": "12,5"}]"#, "deals")
///     .unwrap_err();
/// assert_eq!((err.code(), err.path()), ("invalid_decimal", "deals[0].amount"));
/// ```
pub fn from_json<T: DeserializeOwned>(json: &str, root: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    if too_deep(json) {
        // Refused whatever the type would have said first, so that every language gives the
        // same code for the same input.
        return Err(crate::limits::exceeded(root, "deeper nesting", crate::limits::MAX_NESTING, "levels of nesting"));
    }
    let one_line = !json.contains('\n');
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = join_path(root, &e.path().to_string());
        parse_error(path, &e.into_inner(), one_line)
    })?;
    de.end().map_err(|e| parse_error(root.to_owned(), &e, one_line))?;
    Ok(value)
}

/// Reads an argument that is one JSON object whose fields are reported bare (a policy, its
/// settings, an input object): `stages[1].conversion`, as [`from_json`] with root `""`. What
/// is wrong with the value as a whole (a list, a string or null where the object belongs, a
/// field missing from it, nesting too deep) is reported at `name`, the argument's name, as
/// every binding names it: never at an empty path.
///
/// # Errors
///
/// As [`from_json`]; `invalid_type` at `name` when the value is not an object.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::ForecastPolicy;
/// use crmkit::wire::from_json_arg;
///
/// for wrong in ["[]", "[{}]", r#""x""#, "null", "1"] {
///     let e = from_json_arg::<ForecastPolicy>(wrong, "policy").unwrap_err();
///     assert_eq!((e.code(), e.path()), ("invalid_type", "policy"), "{wrong}");
/// }
/// let e = from_json_arg::<ForecastPolicy>(r#"{"stages": [{"name": "a", "conversion": 0.5}]}"#, "policy").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_decimal", "stages[0].conversion"));
/// let e = from_json_arg::<ForecastPolicy>(r#"{"stages": []}"#, "policy").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("missing_field", "policy"));
/// ```
pub fn from_json_arg<T: DeserializeOwned>(json: &str, name: &str) -> Result<T> {
    let kind = match json.trim_start().as_bytes().first() {
        Some(b'{') | None => return from_json(json, "").map_err(|e| e.named(name)),
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(_) => "a number",
    };
    // Not an object, whatever serde makes of it: it reads a struct from an array
    // positionally, so `[]` was a policy whose fields all have defaults (an ROI policy, a
    // comparison), and its complaint about another array would be about an element, when
    // the argument itself is the wrong kind of value. Text too deep or not JSON says so.
    if let Err(e) = from_json::<serde::de::IgnoredAny>(json, "")
        && (e.code() == "limit_exceeded" || e.code() == "invalid_json")
    {
        return Err(e.named(name));
    }
    Err(Error::Parse {
        kind: ParseKind::Type,
        path: name.to_owned(),
        message: format!("expected an object, got {kind}"),
    })
}

/// Whether arrays and objects in `json` nest deeper than [`crate::limits::MAX_NESTING`]: one
/// pass over the bytes, strings skipped.
fn too_deep(json: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0u64, false, false);
    for &b in json.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > crate::limits::MAX_NESTING {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn parse_error(path: String, inner: &serde_json::Error, one_line: bool) -> Error {
    let mut message = inner.to_string();
    // The bindings write one-line JSON the caller never saw: a position in it means nothing
    // to them. A Rust caller's multi-line text keeps its line and column.
    if one_line && inner.line() > 0 {
        let suffix = format!(" at line {} column {}", inner.line(), inner.column());
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
    }
    // An error a hand-written deserialiser located below the value it read (`error_at`).
    let (path, message) = match message.strip_prefix(AT_TAG).and_then(|rest| rest.split_once(AT_END)) {
        Some((key, rest)) => (join_path(&path, key), rest.to_owned()),
        None => (path, message),
    };
    if let Some(range) = message.strip_prefix(RANGE_TAG) {
        let mut parts = range.splitn(3, AT_END);
        let (value, min, max) = (parts.next(), parts.next(), parts.next());
        return Error::out_of_range(path, value.unwrap_or_default(), min.unwrap_or_default(), max.unwrap_or_default());
    }
    if message.starts_with("recursion limit exceeded") {
        return crate::limits::exceeded(&path, "deeper nesting", crate::limits::MAX_NESTING, "levels of nesting");
    }
    let kind = if message.contains("surrogate") || message.contains("hex escape") {
        // Text that is not Unicode (a lone UTF-16 surrogate from Python or JS).
        ParseKind::Value
    } else if inner.is_syntax() || inner.is_eof() {
        ParseKind::Json
    } else {
        classify(&message)
    };
    Error::Parse { kind, path, message: strip_tag(&message) }
}

/// A deserialisation error located at `key` below the value being read, for a hand-written
/// `Deserialize` that can only judge a key once the whole object is read (an option the
/// object's `type`, given after it, does not take): [`from_json`] reports it at
/// `{path}.{key}` and classifies `message` as usual (`unknown field ...` is `unknown_field`).
pub(crate) fn error_at<E: de::Error>(key: &str, message: impl fmt::Display) -> E {
    E::custom(format!("{AT_TAG}{key}{AT_END}{message}"))
}

/// For a deserialiser: a number of the right kind outside `[min, max]`, which [`from_json`]
/// reports as `out_of_range` at the value's path (serde's `invalid_value` would be read as a
/// value not allowed, `invalid_value`, and a number too large for JSON's integers reaches the
/// visitor as a float).
pub(crate) fn out_of_range<E: de::Error>(
    value: impl fmt::Display,
    min: impl fmt::Display,
    max: impl fmt::Display,
) -> E {
    E::custom(format!("{RANGE_TAG}{value}{AT_END}{min}{AT_END}{max}"))
}

/// A `Decimal` by the wire rules for decimals (a string or an integer, never a float), for
/// hand-written readers that read one value at a time (`map.next_value::<WireDecimal>()`).
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct WireDecimal(#[serde(with = "decimal")] pub Decimal);

/// A tag (a comparator's `type`, a model's `kind`) read as text, then looked up among `kinds`
/// by `name` (`names`: the same names, for the error). Read as text first: serde_json answers
/// a derived enum given a number with a syntax error ("expected value", `invalid_json`), where
/// a number is a value of the wrong type (`invalid_type`).
pub(crate) fn tag<'de, D: Deserializer<'de>, K: Copy>(
    d: D,
    kinds: &[K],
    name: fn(K) -> &'static str,
    names: &'static [&'static str],
) -> std::result::Result<K, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    kinds.iter().copied().find(|&k| name(k) == text).ok_or_else(|| de::Error::unknown_variant(&text, names))
}

/// For a hand-written `Deserialize` reading an object key by key: notes `key` (named `name`)
/// as given, or refuses it as a `duplicate field` at its path when it was given before.
pub(crate) fn note_key<K: PartialEq, E: de::Error>(given: &mut Vec<K>, key: K, name: &str) -> Result<(), E> {
    if given.contains(&key) {
        return Err(error_at(name, format!("duplicate field `{name}`")));
    }
    given.push(key);
    Ok(())
}

/// For a hand-written `Deserialize` of an object tagged by its kind (a comparator's `type`, a
/// model's `kind`): `unknown_field` at the first option given (`(declaration order, name)`)
/// that the kind does not take. The first in declaration order, not the input's, so that
/// every language reports the same one; `noun` and `kind` name the object in the message.
pub(crate) fn refuse_stray_option<E: de::Error>(
    given: impl Iterator<Item = (u8, &'static str)>,
    options: &[&str],
    noun: &str,
    kind: &str,
) -> Result<(), E> {
    let Some((_, name)) = given.filter(|(_, name)| !options.contains(name)).min_by_key(|(order, _)| *order) else {
        return Ok(());
    };
    let expected = if options.is_empty() { "no option".to_owned() } else { format!("`{}`", options.join("`, `")) };
    Err(error_at(name, format!("unknown field `{name}`: the `{kind}` {noun} takes {expected}")))
}

/// Reads a `YYYY-MM-DD` date given as an argument; `path` names the argument.
///
/// One rule everywhere (arguments, JSON fields, the bindings' date columns): exactly four
/// digits of year from 0001 to 9999, two of month, two of day, a real calendar date; no
/// spaces, signs, single-digit fields or time of day.
///
/// # Errors
///
/// `invalid_date` at `path`.
///
/// # Examples
///
/// ```
/// use crmkit::wire::parse_date;
///
/// assert_eq!(parse_date("2026-01-05", "as_of")?.to_string(), "2026-01-05");
/// for bad in [" 2026-01-05", "2026-1-5", "+2026-01-05", "0000-01-01", "2026-02-30", "2026-01-05T00:00:00"] {
///     assert_eq!(parse_date(bad, "as_of").unwrap_err().code(), "invalid_date", "{bad}");
/// }
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn parse_date(text: &str, path: &str) -> Result<NaiveDate> {
    strict_date(text).map_err(|reason| Error::Parse {
        kind: ParseKind::Date,
        path: path.to_owned(),
        message: format!("{} is not a YYYY-MM-DD date: {reason}", shown(text)),
    })
}

/// `Ok(())` when `date` is within the years every runner can represent (0001 to 9999): for
/// dates that do not come from text (a Python `date`, a column of days).
///
/// # Errors
///
/// `invalid_date` at `path`.
pub fn check_date(date: NaiveDate, path: &str) -> Result<NaiveDate> {
    if (MIN_DATE..=MAX_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(Error::Parse {
            kind: ParseKind::Date,
            path: path.to_owned(),
            message: format!("{date} is outside the years 0001 to 9999"),
        })
    }
}

/// The first date crmkit accepts, 0001-01-01.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The last date crmkit accepts, 9999-12-31.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Days since 1970-01-01 of [`MIN_DATE`]: the lowest value a column of day numbers may hold.
pub const MIN_EPOCH_DAY: i64 = -719_162;
/// Days since 1970-01-01 of [`MAX_DATE`]: the highest value a column of day numbers may hold.
pub const MAX_EPOCH_DAY: i64 = 2_932_896;
const MS_PER_DAY: i64 = 86_400_000;

/// `Ok(())` when every value of a column of day numbers (days since 1970-01-01: numpy's
/// `datetime64[D]`, JS `Int32Array` date columns) other than the `none` marker is a day of
/// 0001-01-01 to 9999-12-31, the range every runner can represent. Every `*_columns` entry
/// point calls it on its date columns before anything else, so a Rust or JS caller's stray
/// number is refused as a date in text would be.
///
/// # Errors
///
/// `invalid_date` at `path(i)` of the first bad row (`entered_stage_on[7]`).
///
/// # Examples
///
/// ```
/// use crmkit::wire::{check_days, MAX_EPOCH_DAY};
///
/// check_days(&[0i64, i64::MIN, MAX_EPOCH_DAY], Some(i64::MIN), |i| format!("on[{i}]"))?;
/// let e = check_days(&[20_000i32, 2_932_897], None, |i| format!("on[{i}]")).unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_date", "on[1]"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn check_days<T: Copy + PartialEq + Into<i64>>(
    column: &[T],
    none: Option<T>,
    path: impl Fn(usize) -> String,
) -> Result<()> {
    check_column(column, none, (MIN_EPOCH_DAY, MAX_EPOCH_DAY), "day", path)
}

/// [`check_days`] for a column of instants in milliseconds since 1970-01-01T00:00Z: each must
/// fall within the UTC days 0001-01-01 to 9999-12-31.
///
/// # Errors
///
/// `invalid_date` at `path(i)` of the first bad row.
pub fn check_millis(column: &[i64], none: Option<i64>, path: impl Fn(usize) -> String) -> Result<()> {
    check_column(column, none, (MIN_EPOCH_DAY * MS_PER_DAY, (MAX_EPOCH_DAY + 1) * MS_PER_DAY - 1), "instant (ms)", path)
}

/// The inverse of an odd number modulo 2^64, which turns an exact division into a
/// multiplication: numpy datetime64 ticks become days without a division per row. `per_day` =
/// 2^k × an odd number, so a whole number of days has its low k bits clear and
/// `((ticks >> k) as u64).wrapping_mul(inverse_mod_2_64(odd)) as i64` is its day; whether a
/// value is a whole day at all, [`DayTicks`] tests with the same inverse.
/// Newton's iteration doubles the correct low bits each step: 3, 6, 12, 24, 48, 96.
///
/// # Examples
///
/// ```
/// use crmkit::wire::inverse_mod_2_64;
///
/// let per_day: i64 = 86_400_000_000_000; // nanoseconds
/// let k = per_day.trailing_zeros();
/// let inverse = inverse_mod_2_64((per_day >> k) as u64);
/// let ticks = 20_000 * per_day;
/// assert_eq!(((ticks >> k) as u64).wrapping_mul(inverse) as i64, 20_000);
/// ```
#[must_use]
pub const fn inverse_mod_2_64(odd: u64) -> u64 {
    let mut inverse = odd;
    let mut step = 0;
    while step < 5 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        step += 1;
    }
    inverse
}

/// Days from ticks (`per_day` of them a day: numpy's datetime64 units, 1 for `D` to
/// 86,400,000,000,000 for `ns`, or any other count ≥ 1), with the range and time-of-day checks
/// in three operations per value and no division: a value `v` is a whole day of the years 0001
/// to 9999 exactly when `x = (v − base) × inv` rotated right by `shift` is at most
/// [`DayTicks::limit`], and `x` is then its day counted from [`DayTicks::base_day`] (the
/// divisibility test by a multiplicative inverse, as compilers test `n % d == 0`:
/// `per_day = odd × 2^shift`, `inv` the odd factor's inverse mod 2^64 ([`inverse_mod_2_64`]);
/// for a multiple of `per_day` the product is the exact quotient, for anything else it is
/// above `u64::MAX ÷ per_day ≥ limit`). Exact for every `per_day`. The readers of datetime64
/// columns (the forecast's, the attribution's, the Python binding's) read through it.
///
/// # Examples
///
/// ```
/// use crmkit::wire::{BadDay, DayTicks};
///
/// let ns = DayTicks::new(86_400_000_000_000);
/// assert_eq!(ns.day(20_000 * 86_400_000_000_000), Ok(20_000));
/// assert_eq!(ns.day(20_000 * 86_400_000_000_000 + 1), Err(BadDay::TimeOfDay));
/// let hours = DayTicks::new(24);
/// assert_eq!(hours.day(-48), Ok(-2));
/// assert_eq!(hours.day(2_932_897 * 24), Err(BadDay::Range)); // 10000-01-01
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DayTicks {
    /// Ticks per day (at least 1).
    pub per_day: i64,
    /// The first tick of the first day read: the first multiple of `per_day` at or after
    /// 0001-01-01 and after `i64::MIN` (numpy's nanoseconds begin in 1677; `i64::MIN` itself
    /// is numpy's NaT, never a day, even where it is a multiple, as for `per_day` = 2^44).
    base: i64,
    /// The day of `base`, since 1970-01-01.
    pub base_day: i64,
    inv: u64,
    shift: u32,
    /// Days from `base_day` to the last day read (9999-12-31, or the last whole day `i64`
    /// holds): below `u64::MAX ÷ per_day`, so no value that is not a multiple passes.
    pub limit: u64,
}

impl DayTicks {
    /// The reader of ticks `per_day` of which make a day (a count below 1 reads as 1).
    #[inline]
    #[must_use]
    pub fn new(per_day: i64) -> Self {
        let d = per_day.max(1);
        let shift = d.trailing_zeros();
        let inv = inverse_mod_2_64((d >> shift) as u64);
        // (The first multiple is at most d − 1 past i64::MIN: the product does not overflow.)
        let first = i64::MIN.div_euclid(d) + i64::from(i64::MIN.rem_euclid(d) != 0);
        let first = first + i64::from(first * d == i64::MIN);
        let base_day = MIN_EPOCH_DAY.max(first);
        let last_day = MAX_EPOCH_DAY.min(i64::MAX.div_euclid(d));
        Self { per_day: d, base: base_day * d, base_day, inv, shift, limit: (last_day - base_day) as u64 }
    }

    /// `v`'s day counted from `base_day` when it is a whole day in range; above `limit`
    /// otherwise.
    #[inline]
    #[must_use]
    pub fn index(self, v: i64) -> u64 {
        (v.wrapping_sub(self.base) as u64).wrapping_mul(self.inv).rotate_right(self.shift)
    }

    /// The day (since 1970-01-01) of `v`, which is not numpy's NaT (`i64::MIN`): callers test
    /// for it first.
    ///
    /// # Errors
    ///
    /// [`BadDay`]: why `v` is no day of the years 0001 to 9999.
    #[inline]
    pub fn day(self, v: i64) -> std::result::Result<i64, BadDay> {
        let x = self.index(v);
        if x <= self.limit {
            Ok(self.base_day + x as i64)
        } else {
            Err(self.why(v))
        }
    }

    /// Why `v` is not a day.
    #[cold]
    #[must_use]
    pub fn why(self, v: i64) -> BadDay {
        let lo = MIN_EPOCH_DAY.checked_mul(self.per_day).unwrap_or(i64::MIN);
        let hi = (MAX_EPOCH_DAY + 1).checked_mul(self.per_day).map_or(i64::MAX, |x| x - 1);
        if (lo..=hi).contains(&v) {
            BadDay::TimeOfDay
        } else {
            BadDay::Range
        }
    }
}

/// Why a tick is not a day ([`DayTicks::day`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadDay {
    /// Outside the years 1 to 9999.
    Range,
    /// Not a whole number of days.
    TimeOfDay,
}

fn check_column<T: Copy + PartialEq + Into<i64>>(
    column: &[T],
    none: Option<T>,
    (lo, hi): (i64, i64),
    unit: &str,
    path: impl Fn(usize) -> String,
) -> Result<()> {
    // Blocks checked without an early exit vectorise (a million days: ~1 ms -> ~0.2 ms); the
    // first bad row is looked for only in the block that has one.
    const BLOCK: usize = 4096;
    let bad = |&v: &T| Some(v) != none && !(lo..=hi).contains(&v.into());
    for (k, block) in column.chunks(BLOCK).enumerate() {
        if block.iter().fold(false, |any, v| any | bad(v)) {
            let i = k * BLOCK + block.iter().position(bad).unwrap_or(0);
            return Err(Error::Parse {
                kind: ParseKind::Date,
                path: path(i),
                message: format!("{unit} {} since 1970-01-01 is outside the years 0001 to 9999", column[i].into()),
            });
        }
    }
    Ok(())
}

fn strict_date(text: &str) -> std::result::Result<NaiveDate, &'static str> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return Err("write it as four-digit year, two-digit month and day (2026-01-05)");
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let year = num(0..4);
    if year == 0 {
        return Err("years run from 0001 to 9999");
    }
    NaiveDate::from_ymd_opt(year as i32, num(5..7), num(8..10)).ok_or("no such day in the calendar")
}

/// A caller's text in a message: quoted, and cut short when long.
fn shown(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{:?}...", &text[..at]),
        None => format!("{text:?}"),
    }
}

/// Reads a decimal given as an argument or a column cell, by the same rules as in JSON (no
/// exponent, no float); `path` names it (`amount[3]`).
///
/// # Errors
///
/// `invalid_decimal` at `path`.
///
/// # Examples
///
/// ```
/// assert_eq!(crmkit::wire::parse_decimal("1250.00", "amount[0]")?.to_string(), "1250.00");
/// let e = crmkit::wire::parse_decimal("1e3", "amount[1]").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_decimal", "amount[1]"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn parse_decimal(text: &str, path: &str) -> Result<Decimal> {
    DecimalVisitor.visit_str::<de::value::Error>(text).map_err(|e| Error::Parse {
        kind: ParseKind::Decimal,
        path: path.to_owned(),
        message: strip_tag(&e.to_string()),
    })
}

fn join_path(root: &str, inner: &str) -> String {
    // serde_path_to_error writes `?` for a segment it could not name (inside broken JSON).
    let mut inner = inner;
    while let Some(rest) = inner.strip_suffix(".?").or_else(|| inner.strip_suffix('?')) {
        inner = if rest.is_empty() { "." } else { rest };
    }
    match (root, inner) {
        (r, ".") => r.to_owned(),
        ("", i) => i.to_owned(),
        (r, i) if i.starts_with('[') => format!("{r}{i}"),
        (r, i) => format!("{r}.{i}"),
    }
}

fn classify(message: &str) -> ParseKind {
    if message.starts_with(DECIMAL_TAG) {
        ParseKind::Decimal
    } else if message.starts_with(DATE_TAG) {
        ParseKind::Date
    } else if message.starts_with("missing field") {
        ParseKind::MissingField
    } else if message.starts_with("unknown field") {
        ParseKind::UnknownField
    } else if message.starts_with("unknown variant") || message.starts_with("invalid value") {
        ParseKind::Value
    } else {
        ParseKind::Type
    }
}

fn strip_tag(message: &str) -> String {
    message
        .strip_prefix(DECIMAL_TAG)
        .or_else(|| message.strip_prefix(DATE_TAG))
        .unwrap_or(message)
        .trim_start()
        .to_owned()
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string such as \"1250.00\", or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let trimmed = v.trim();
        // Scientific notation is refused: money is written out in full.
        let ok = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
        let parsed = if ok { Decimal::from_str_exact(trimmed).ok() } else { None };
        parsed.ok_or_else(|| E::custom(format!("{DECIMAL_TAG} {} is not a decimal number", shown(v))))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Err(E::custom(format!(
            "{DECIMAL_TAG} {v} is a binary float; pass money and rates as decimal strings (\"{v}\")"
        )))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Decimal, E> {
        Err(E::custom(format!("{DECIMAL_TAG} {v} is not a decimal number")))
    }
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YYYY-MM-DD date string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
        strict_date(v)
            .map_err(|reason| E::custom(format!("{DATE_TAG} {} is not a YYYY-MM-DD date: {reason}", shown(v))))
    }
}

/// `#[serde(with = "crate::wire::decimal")]` for `Decimal` fields.
pub mod decimal {
    use super::{Decimal, DecimalVisitor, Deserializer, Serializer, DECIMAL};

    /// Serialises as the [`DECIMAL`] newtype around the decimal string.
    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(DECIMAL, &d.to_string())
    }

    /// Accepts a decimal string or an integer; refuses floats.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

/// `#[serde(with = "crate::wire::decimal_opt", default)]` for `Option<Decimal>` fields.
pub mod decimal_opt {
    use super::{Decimal, Deserializer, Serializer};
    use serde::Deserialize;

    #[derive(serde::Deserialize)]
    struct W(#[serde(with = "super::decimal")] Decimal);

    /// `None` serialises as null.
    pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::decimal::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Null or absent is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// `#[serde(with = "crate::wire::uint")]` for `u64` fields a caller may need beyond 2^53
/// (seeds): read from an integer or a decimal string (a JS `BigInt` arrives as one), written as
/// a decimal string so that JS gets it back exactly.
pub mod uint {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;

    struct U64Visitor;

    impl Visitor<'_> for U64Visitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer from 0 to 18446744073709551615, or its decimal string")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        /// A negative integer is of the right kind, outside the range: `out_of_range`.
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| out_of_range(v))
        }

        /// An integer beyond JSON's 64 bits (Python's `2**64`, `-2**70`) reaches here as the
        /// float serde_json reads it as: a number from 2^64 up or below -2^63, which no
        /// integer serde_json reads as one can be, is `out_of_range` (its value is, however it
        /// was written); any other float is a float (`invalid_type`: `1.5`, `-1.0`, or a JS
        /// number past 2^53 that JS has already rounded).
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            const TWO_63: f64 = 9_223_372_036_854_775_808.0;
            if v.is_finite() && !(-TWO_63..2.0 * TWO_63).contains(&v) {
                return Err(out_of_range(v));
            }
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }

        /// Decimal digits; a decimal integer past the range (`"18446744073709551616"`, `"-1"`)
        /// is `out_of_range`, other text (`"0x10"`, `"1e3"`, `" 1"`, `"+1"`) `invalid_value`.
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(v) {
                return v.parse().map_err(|_| out_of_range(super::shown(v)));
            }
            if v.strip_prefix('-').is_some_and(digits) {
                return Err(out_of_range(super::shown(v)));
            }
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }

    fn out_of_range<E: de::Error>(v: impl std::fmt::Display) -> E {
        super::out_of_range(v, 0, u64::MAX)
    }

    /// Writes the decimal string.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads an integer or a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(U64Visitor)
    }
}

/// `#[serde(deserialize_with = "crate::wire::float::deserialize")]` for the `f64` numbers of a
/// policy that are not money (scoring points, caps, half-lives, smoothing): a number, or a
/// decimal string (what a Python `Decimal` travels as; the rules of [`parse_decimal`]) read as
/// the float nearest its value, the float the same digits give as a JSON number. Anything else
/// is `invalid_type`. Written back as a plain number.
pub mod float {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};

    pub(super) struct FloatVisitor;

    impl Visitor<'_> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number or a decimal string")
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            // The decimal's own digits parsed as a float: correctly rounded, never through a
            // 28-digit Decimal first.
            super::parse_decimal(v, "")
                .ok()
                .and_then(|_| v.trim().parse::<f64>().ok())
                .ok_or_else(|| E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }

    /// Reads a number or a decimal string.
    ///
    /// # Errors
    ///
    /// Anything else (`invalid_type`).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(FloatVisitor)
    }
}

/// [`float`] for `Option<f64>` (null or absent: `None`; pair with `#[serde(default)]`).
pub mod float_opt {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "super::float::deserialize")] f64);

    /// Reads null, a number or a decimal string.
    ///
    /// # Errors
    ///
    /// Anything else (`invalid_type`).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// [`float`] for `Option<Vec<f64>>` (bin edges).
pub mod floats_opt {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "super::float::deserialize")] f64);

    /// Reads null or a list of numbers and decimal strings.
    ///
    /// # Errors
    ///
    /// Anything else (`invalid_type`, at the entry).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
        Ok(Option::<Vec<W>>::deserialize(d)?.map(|v| v.into_iter().map(|w| w.0).collect()))
    }
}

/// `#[serde(with = "crate::wire::date")]` for `NaiveDate` fields.
pub mod date {
    use super::{DateVisitor, Deserializer, NaiveDate, Serializer, DATE};

    /// Serialises as the [`DATE`] newtype around `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(DATE, &d.format("%Y-%m-%d").to_string())
    }

    /// Accepts `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_str(DateVisitor)
    }
}

/// `#[serde(with = "crate::wire::date_opt", default)]` for `Option<NaiveDate>` fields.
pub mod date_opt {
    use super::{Deserializer, NaiveDate, Serializer};
    use serde::Deserialize;

    #[derive(serde::Deserialize)]
    struct W(#[serde(with = "super::date")] NaiveDate);

    /// `None` serialises as null.
    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::date::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Null or absent is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_code_per_kind_of_bad_seed() {
        #[derive(Debug, serde::Deserialize)]
        struct Settings {
            #[serde(with = "uint")]
            seed: u64,
        }
        let code = |seed: &str| match from_json::<Settings>(&format!(r#"{{"seed": {seed}}}"#), "settings") {
            Ok(s) => format!("ok {}", s.seed),
            Err(e) => format!("{} at {}", e.code(), e.path()),
        };
        for (seed, want) in [
            ("0", "ok 0"),
            ("18446744073709551615", "ok 18446744073709551615"),
            (r#""18446744073709551615""#, "ok 18446744073709551615"),
            ("-1", "out_of_range at settings.seed"),
            (r#""-1""#, "out_of_range at settings.seed"),
            ("18446744073709551616", "out_of_range at settings.seed"),
            ("-18446744073709551616", "out_of_range at settings.seed"),
            ("1e20", "out_of_range at settings.seed"),
            (r#""18446744073709551616""#, "out_of_range at settings.seed"),
            (r#""000000000000000000000018446744073709551615""#, "ok 18446744073709551615"),
            ("1.5", "invalid_type at settings.seed"),
            ("7.0", "invalid_type at settings.seed"),
            ("true", "invalid_type at settings.seed"),
            ("[1]", "invalid_type at settings.seed"),
            (r#""0x10""#, "invalid_value at settings.seed"),
            (r#""1e3""#, "invalid_value at settings.seed"),
            (r#"" 1""#, "invalid_value at settings.seed"),
            (r#""""#, "invalid_value at settings.seed"),
        ] {
            assert_eq!(code(seed), want, "{seed}");
        }
    }

    #[test]
    fn days_from_ticks_are_exact_or_typed_errors() {
        let ns = 86_400_000_000_000i64;
        let r = DayTicks::new(ns);
        assert_eq!(
            (r.day(0), r.day(20_000 * ns), r.day(-ns), r.day(-1)),
            (Ok(0), Ok(20_000), Ok(-1), Err(BadDay::TimeOfDay))
        );
        // The last nanosecond numpy holds (2262) is in range, a time of day.
        assert_eq!(r.day(i64::MAX), Err(BadDay::TimeOfDay));
        let h = DayTicks::new(24);
        assert_eq!((h.day(-48), h.day(48), h.day(25)), (Ok(-2), Ok(2), Err(BadDay::TimeOfDay)));
        assert_eq!(h.day((MAX_EPOCH_DAY + 1) * 24), Err(BadDay::Range));
        assert_eq!(h.day(MIN_EPOCH_DAY * 24), Ok(MIN_EPOCH_DAY));
        let d = DayTicks::new(1);
        assert_eq!((d.day(MAX_EPOCH_DAY), d.day(MAX_EPOCH_DAY + 1)), (Ok(MAX_EPOCH_DAY), Err(BadDay::Range)));
    }

    /// The day rule written plainly: in range, then a whole number of days.
    fn plain_day(v: i64, per_day: i64) -> std::result::Result<i64, BadDay> {
        let lo = i128::from(MIN_EPOCH_DAY) * i128::from(per_day);
        let hi = (i128::from(MAX_EPOCH_DAY) + 1) * i128::from(per_day) - 1;
        if !(lo..=hi).contains(&i128::from(v)) {
            return Err(BadDay::Range);
        }
        if v.rem_euclid(per_day) != 0 {
            return Err(BadDay::TimeOfDay);
        }
        Ok(v.div_euclid(per_day))
    }

    #[test]
    fn days_by_inverse_are_the_plain_rule() {
        // Every numpy unit, odd and even divisors, and 2^44 (i64::MIN is a whole number of its
        // days, 0001-01-01's first tick is not in i64).
        let units = [1, 2, 3, 7, 24, 1_440, 86_400, 86_400_000, 86_400_000_000, 86_400_000_000_000, 1 << 44, 1 << 62];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for per_day in units {
            let r = DayTicks::new(per_day);
            let mut values = vec![i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, 0, 1, -1];
            for day in [MIN_EPOCH_DAY - 1, MIN_EPOCH_DAY, -1, 0, 20_000, MAX_EPOCH_DAY, MAX_EPOCH_DAY + 1] {
                for delta in [-1, 0, 1] {
                    values.push(day.saturating_mul(per_day).saturating_add(delta));
                }
            }
            for _ in 0..20_000 {
                x = x.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29);
                let day = (x % 4_000_000) as i64 - 800_000;
                values.push(day.saturating_mul(per_day));
                values.push(x as i64);
            }
            for v in values {
                // NaT is never read as a day: the readers check it first.
                if v != i64::MIN {
                    assert_eq!(r.day(v), plain_day(v, per_day), "{v} at {per_day} per day");
                }
            }
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Row {
        #[serde(with = "decimal")]
        amount: Decimal,
        #[serde(with = "date_opt", default)]
        on: Option<NaiveDate>,
    }

    fn err(json: &str) -> (String, String) {
        let e = from_json::<Vec<Row>>(json, "rows").unwrap_err();
        (e.code().to_owned(), e.path().to_owned())
    }

    #[test]
    fn decimals_from_strings_and_integers_only() {
        let rows: Vec<Row> = from_json(r#"[{"amount": "12.50"}, {"amount": 7, "on": null}]"#, "rows").unwrap();
        assert_eq!(rows[0].amount.to_string(), "12.50");
        assert_eq!(rows[1].amount.to_string(), "7");
        assert_eq!(rows[1].on, None);
        for bad in [r#""abc""#, r#""1e5""#, "0.1", r#""""#, "true", r#""1.2.3""#] {
            let json = format!(r#"[{{"amount": 1}}, {{"amount": {bad}}}]"#);
            assert_eq!(err(&json), ("invalid_decimal".into(), "rows[1].amount".into()), "{bad}");
        }
    }

    #[test]
    fn parse_error_codes_and_paths() {
        assert_eq!(err(r#"[{"amount": "1", "on": "2026-02-30"}]"#), ("invalid_date".into(), "rows[0].on".into()));
        assert_eq!(err(r#"[{"amount": "1", "typo": 1}]"#), ("unknown_field".into(), "rows[0].typo".into()));
        assert_eq!(err(r"[{}]"), ("missing_field".into(), "rows[0]".into()));
        assert_eq!(err(r#"{"amount": 1}"#), ("invalid_type".into(), "rows".into()));
        assert_eq!(err(r"[{"), ("invalid_json".into(), "rows[0]".into()));
        assert_eq!(err(r#"[{"amount": 1}] x"#), ("invalid_json".into(), "rows".into()));
    }

    #[test]
    fn one_strict_date_rule_in_json_and_arguments() {
        for bad in [
            " 2026-01-05",
            "2026-01-05 ",
            "2026-1-5",
            "2026- 1-05",
            "+2026-01-05",
            "0000-01-01",
            "-0001-01-01",
            "+10000-01-01",
            "10000-01-01",
            "2026-01-05T00:00:00",
            "2026-02-29",
            "２０２６-01-05",
        ] {
            let json = format!(r#"[{{"amount": 1, "on": {}}}]"#, serde_json::to_string(bad).unwrap());
            assert_eq!(err(&json), ("invalid_date".into(), "rows[0].on".into()), "{bad:?}");
            assert_eq!(parse_date(bad, "as_of").unwrap_err().code(), "invalid_date", "{bad:?}");
        }
        for good in ["0001-01-01", "9999-12-31", "2024-02-29"] {
            assert_eq!(parse_date(good, "as_of").unwrap().format("%Y-%m-%d").to_string(), good);
        }
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!((MIN_DATE - epoch).num_days(), MIN_EPOCH_DAY);
        assert_eq!((MAX_DATE - epoch).num_days(), MAX_EPOCH_DAY);
        let ms = |d: i64| d * 86_400_000;
        assert!(check_millis(&[ms(MIN_EPOCH_DAY), ms(MAX_EPOCH_DAY + 1) - 1, i64::MIN], Some(i64::MIN), |_| "x"
            .into())
        .is_ok());
        for bad in [ms(MIN_EPOCH_DAY) - 1, ms(MAX_EPOCH_DAY + 1), i64::MIN] {
            assert_eq!(check_millis(&[0, bad], None, |i| format!("at[{i}]")).unwrap_err().path(), "at[1]");
        }
        for bad in [MIN_EPOCH_DAY - 1, MAX_EPOCH_DAY + 1, i64::MAX] {
            assert_eq!(check_days(&[bad], Some(i64::MIN), |i| format!("on[{i}]")).unwrap_err().code(), "invalid_date");
        }
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert_eq!(check_date(far, "d").unwrap_err().code(), "invalid_date");
        assert!(check_date(MAX_DATE, "d").is_ok() && check_date(MIN_DATE, "d").is_ok());
    }

    #[test]
    fn messages_for_people_and_limits() {
        // One-line JSON (what the bindings write): no position the caller never saw.
        let e = from_json::<Vec<Row>>(r#"[{"amount": true}]"#, "rows").unwrap_err();
        assert!(!e.to_string().contains("line 1"), "{e}");
        // Multi-line text a Rust caller wrote keeps it.
        let e = from_json::<Vec<Row>>("[\n{\"amount\": \"x\", \"typo\": 1}]", "rows").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        // A lone surrogate (from Python or JS text) is not Unicode.
        let e = from_json::<Vec<Row>>(r#"[{"amount": 1, "on": "\ud800"}]"#, "rows").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_value", "rows[0].on"), "{e}");
        // Nesting beyond the limit.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for json in [deep.clone(), format!("[{deep}]"), format!(r#"[{{"amount": 1, "on": {deep}}}]"#)] {
            let e = from_json::<Vec<Row>>(&json, "rows").unwrap_err();
            assert_eq!((e.code(), e.path()), ("limit_exceeded", "rows"));
        }
        let strings = format!(r#"[{{"amount": "{}", "on": null}}]"#, "[".repeat(500));
        assert_eq!(err(&strings), ("invalid_decimal".into(), "rows[0].amount".into()));
    }

    #[test]
    fn seeds_as_integers_or_decimal_strings() {
        #[derive(Debug, serde::Deserialize, serde::Serialize)]
        struct S {
            #[serde(with = "uint")]
            seed: u64,
        }
        for (json, want) in [(r#"{"seed": 7}"#, 7), (r#"{"seed": "18446744073709551615"}"#, u64::MAX)] {
            let s: S = from_json(json, "").unwrap();
            assert_eq!(s.seed, want);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!(r#"{{"seed":"{want}"}}"#));
        }
        // The codes of each kind of bad seed: `one_code_per_kind_of_bad_seed`.
        for bad in [r#""-1""#, "-1", r#""18446744073709551616""#, r#""1e3""#, r#""""#, "1.5"] {
            let e = from_json::<S>(&format!(r#"{{"seed": {bad}}}"#), "").unwrap_err();
            assert_eq!(e.path(), "seed", "{bad}");
        }
    }

    #[test]
    fn dates_as_arguments() {
        assert_eq!(parse_date("2026-11-23", "as_of").unwrap(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let e = parse_date("23/11/2026", "as_of").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "as_of"));
    }
}
