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
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = join_path(root, &e.path().to_string());
        parse_error(path, &e.into_inner())
    })?;
    de.end().map_err(|e| parse_error(root.to_owned(), &e))?;
    Ok(value)
}

fn parse_error(path: String, inner: &serde_json::Error) -> Error {
    let message = inner.to_string();
    let kind = if inner.is_syntax() || inner.is_eof() { ParseKind::Json } else { classify(&message) };
    Error::Parse { kind, path, message: strip_tag(&message) }
}

/// Reads a `YYYY-MM-DD` date given as an argument; `path` names the argument.
///
/// # Errors
///
/// `invalid_date` at `path`.
pub fn parse_date(text: &str, path: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| Error::Parse {
        kind: ParseKind::Date,
        path: path.to_owned(),
        message: format!("{text:?} is not a YYYY-MM-DD date: {e}"),
    })
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
        parsed.ok_or_else(|| E::custom(format!("{DECIMAL_TAG} {v:?} is not a decimal number")))
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
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|e| E::custom(format!("{DATE_TAG} {v:?} is not a YYYY-MM-DD date: {e}")))
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
    fn dates_as_arguments() {
        assert_eq!(parse_date("2026-11-23", "as_of").unwrap(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let e = parse_date("23/11/2026", "as_of").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_date", "as_of"));
    }
}
