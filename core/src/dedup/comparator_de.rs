//! Reading a [`Comparator`] strictly.
//!
//! serde's internally tagged enums accept any extra key beside a unit variant's tag
//! (`{"type": "exact", "tolerance": "5"}` read as `exact`, the tolerance silently dropped),
//! and they buffer the value before reading it, so an error inside (a float tolerance) loses
//! its path. This reader takes the keys one at a time: each option's value is read where it
//! stands (its errors carry `.tolerance`), any key outside the comparator vocabulary is
//! `unknown_field` at its path, and once the type is known an option it does not take is
//! `unknown_field` at that option's path too — also when the option came before `type`
//! (sorted keys), through [`crate::wire::error_at`].

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::compare::Comparator;
use crate::wire::{note_key, refuse_stray_option, WireDecimal};

/// The comparator types, as `type` names them (a number there is `invalid_type`, see
/// [`crate::wire::tag`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    JaroWinkler,
    Levenshtein,
    TokenSet,
    Numeric,
    Date,
    CompanyName,
    Phone,
    Email,
    PersonName,
    Domain,
    CreditCode,
}

/// Every key a comparator may have; another is `unknown_field` at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Type,
    Tolerance,
    ToleranceDays,
    DefaultCountry,
}

impl Key {
    const fn name(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Tolerance => "tolerance",
            Self::ToleranceDays => "tolerance_days",
            Self::DefaultCountry => "default_country",
        }
    }
}

impl Kind {
    /// The options this type takes.
    const fn options(self) -> &'static [&'static str] {
        match self {
            Self::Numeric => &["tolerance"],
            Self::Date => &["tolerance_days"],
            Self::Phone => &["default_country"],
            _ => &[],
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::JaroWinkler => "jaro_winkler",
            Self::Levenshtein => "levenshtein",
            Self::TokenSet => "token_set",
            Self::Numeric => "numeric",
            Self::Date => "date",
            Self::CompanyName => "company_name",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::PersonName => "person_name",
            Self::Domain => "domain",
            Self::CreditCode => "credit_code",
        }
    }
}

const KINDS: [Kind; 12] = [
    Kind::Exact,
    Kind::JaroWinkler,
    Kind::Levenshtein,
    Kind::TokenSet,
    Kind::Numeric,
    Kind::Date,
    Kind::CompanyName,
    Kind::Phone,
    Kind::Email,
    Kind::PersonName,
    Kind::Domain,
    Kind::CreditCode,
];
const NAMES: [&str; 12] = [
    "exact",
    "jaro_winkler",
    "levenshtein",
    "token_set",
    "numeric",
    "date",
    "company_name",
    "phone",
    "email",
    "person_name",
    "domain",
    "credit_code",
];

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::wire::tag(d, &KINDS, Self::name, &NAMES)
    }
}

impl<'de> Deserialize<'de> for Comparator {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ComparatorVisitor)
    }
}

struct ComparatorVisitor;

impl<'de> Visitor<'de> for ComparatorVisitor {
    type Value = Comparator;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a comparator object such as {\"type\": \"jaro_winkler\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Comparator, A::Error> {
        let mut kind: Option<Kind> = None;
        let mut tolerance: Option<Decimal> = None;
        let mut tolerance_days: Option<u32> = None;
        let mut default_country: Option<String> = None;
        let mut given: Vec<Key> = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            note_key(&mut given, key, key.name())?;
            match key {
                Key::Type => kind = Some(map.next_value()?),
                Key::Tolerance => tolerance = Some(map.next_value::<WireDecimal>()?.0),
                Key::ToleranceDays => tolerance_days = Some(map.next_value()?),
                Key::DefaultCountry => default_country = Some(map.next_value()?),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
        let stray = given.iter().filter(|k| **k != Key::Type).map(|k| (*k as u8, k.name()));
        refuse_stray_option(stray, kind.options(), "comparator", kind.name())?;
        Ok(match kind {
            Kind::Exact => Comparator::Exact,
            Kind::JaroWinkler => Comparator::JaroWinkler,
            Kind::Levenshtein => Comparator::Levenshtein,
            Kind::TokenSet => Comparator::TokenSet,
            Kind::Numeric => {
                Comparator::Numeric { tolerance: tolerance.ok_or_else(|| de::Error::missing_field("tolerance"))? }
            }
            Kind::Date => Comparator::Date {
                tolerance_days: tolerance_days.ok_or_else(|| de::Error::missing_field("tolerance_days"))?,
            },
            Kind::CompanyName => Comparator::CompanyName,
            Kind::Phone => Comparator::Phone { default_country: default_country.unwrap_or_else(super::compare::china) },
            Kind::Email => Comparator::Email,
            Kind::PersonName => Comparator::PersonName,
            Kind::Domain => Comparator::Domain,
            Kind::CreditCode => Comparator::CreditCode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{KINDS, NAMES};

    #[test]
    fn every_type_is_read_by_its_name() {
        assert_eq!(KINDS.map(super::Kind::name), NAMES);
    }
}
